/* timestamp.h - metav1.Time and clocks, written once for server, controllers
 * and node: RFC 3339 parsing (what the API stores: "2006-01-02T15:04:05Z",
 * optionally with a fraction or a numeric offset) and formatting (whole
 * seconds, UTC, as metav1.Time serializes), wall-clock and monotonic
 * milliseconds, and timed-wait deadlines. Pure functions apart from
 * reading the clocks; reentrant. */
#ifndef CKUBE_TIMESTAMP_H
#define CKUBE_TIMESTAMP_H
#include <stddef.h>
#include <time.h>

/* Parses s as RFC 3339: 0 with *out (seconds since the epoch, the offset
 * applied) and *frac (the fraction of a second, may be NULL); -1 when s is
 * NULL or not RFC 3339. */
int rfc3339_parse(const char *s, time_t *out, double *frac);

/* Seconds since the epoch, or -1 when s is NULL or not RFC 3339. */
long long rfc3339_seconds(const char *s);

/* Milliseconds since the epoch (the fraction kept), or -1 when unreadable. */
long long rfc3339_ms(const char *s);

/* Writes t (seconds since the epoch) as "2006-01-02T15:04:05Z" into buf
 * (21 bytes suffice). */
void rfc3339_format(long long t, char *buf, size_t len);

/* The current time as rfc3339_format writes it. */
void rfc3339_now(char *buf, size_t len);

/* The current time as metav1.MicroTime serializes it,
 * "2006-01-02T15:04:05.000000Z", into buf (28 bytes suffice). */
void rfc3339_now_micro(char *buf, size_t len);

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
long long wall_ms(void);

/* Monotonic milliseconds (CLOCK_MONOTONIC): for intervals and deadlines. */
long long mono_ms(void);

/* Monotonic microseconds (CLOCK_MONOTONIC): for latencies. */
long long mono_us(void);

/* The instant ms milliseconds from now on clock, normalized, as
 * pthread_cond_timedwait takes it: clock must be the one the condition
 * variable waits on (CLOCK_REALTIME unless set with
 * pthread_condattr_setclock). */
struct timespec deadline_in_ms(clockid_t clock, long long ms);

#endif
