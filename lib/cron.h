/* cron.h - CronJob schedules as Kubernetes 1.20 reads them (robfig/cron
 * v1.1.0's ParseStandard): five fields "minute hour day-of-month month
 * day-of-week" with *, ?, lists, ranges, steps and month/day names, or a
 * descriptor (@yearly @annually @monthly @weekly @daily @midnight @hourly,
 * "@every <Go duration>"). Parse errors carry the parser's own text, which
 * the apiserver shows after `spec.schedule: Invalid value: "<schedule>": `.
 * Next-time computation follows SpecSchedule.Next in the process's local
 * time zone, as the 1.20 controller does. */
#ifndef CKUBE_CRON_H
#define CKUBE_CRON_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t minute, hour, dom, month, dow; /* bit n = value n; bit 63 = the field was * or ? */
  long long every;                        /* seconds for @every, else 0 */
} cron_schedule;

/* 0, or -1 with the parser's message in err. out may be NULL. */
int cron_parse(const char *spec, cron_schedule *out, char *err, size_t len);

/* The first activation strictly after t (seconds since the epoch), or 0
 * when none falls within five years. */
long long cron_next(const cron_schedule *s, long long t);

#endif
