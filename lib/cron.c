/* cron.c - see cron.h. Each field becomes a bit set, as in robfig/cron;
 * cron_next walks month, day, hour and minute forward the way
 * SpecSchedule.Next does (wrapping back to re-check coarser fields). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>
#include "cron.h"

#define STAR_BIT (1ULL << 63)

typedef struct {
  unsigned min, max;
  const char *const *names; /* index = value, or NULL */
} cron_bounds;

static const char *const month_names[] = {"", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

/* strconv.Atoi then the negative check; 0 or -1 with err set. */
static int parse_num(const char *s, const cron_bounds *b, long *out, char *err, size_t len) {
  for (int i = 0; b->names && b->names[i]; i++)
    if (*b->names[i] && !strcasecmp(s, b->names[i])) return (*out = i), 0;
  char *end;
  errno = 0;
  const char *p = (*s == '+' || *s == '-') ? s + 1 : s;
  long v = *p && isdigit((unsigned char)*p) ? strtol(s, &end, 10) : 0;
  if (!*p || !isdigit((unsigned char)*p) || *end) {
    snprintf(err, len, "Failed to parse int from %s: strconv.Atoi: parsing \"%s\": invalid syntax", s, s);
    return -1;
  }
  if (errno == ERANGE) {
    snprintf(err, len, "Failed to parse int from %s: strconv.Atoi: parsing \"%s\": value out of range", s, s);
    return -1;
  }
  if (v < 0) {
    snprintf(err, len, "Negative number (%ld) not allowed: %s", v, s);
    return -1;
  }
  *out = v;
  return 0;
}

/* One comma-separated piece: "*", "N", "N-M", each with an optional "/step";
 * its values are or-ed into *bits. */
static int parse_range(const char *expr, const cron_bounds *b, uint64_t *bits, char *err, size_t len) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", expr);
  char *slash = strchr(buf, '/');
  if (slash && strchr(slash + 1, '/')) return snprintf(err, len, "Too many slashes: %s", expr), -1;
  if (slash) *slash = 0;
  long start, end, step = 1;
  char *dash = strchr(buf, '-');
  bool single = !dash;
  if (!strcmp(buf, "*") || !strcmp(buf, "?")) {
    start = b->min, end = b->max;
  } else {
    if (dash) {
      if (strchr(dash + 1, '-')) return snprintf(err, len, "Too many hyphens: %s", expr), -1;
      *dash = 0;
    }
    if (parse_num(buf, b, &start, err, len)) return -1;
    end = start;
    if (dash && parse_num(dash + 1, b, &end, err, len)) return -1;
  }
  if (slash) {
    if (parse_num(slash + 1, &(cron_bounds){0, 0, NULL}, &step, err, len)) return -1;
    if (single && strcmp(buf, "*") && strcmp(buf, "?")) end = b->max;
  }
  if (start < (long)b->min)
    return snprintf(err, len, "Beginning of range (%ld) below minimum (%u): %s", start, b->min, expr), -1;
  if (end > (long)b->max)
    return snprintf(err, len, "End of range (%ld) above maximum (%u): %s", end, b->max, expr), -1;
  if (start > end)
    return snprintf(err, len, "Beginning of range (%ld) beyond end of range (%ld): %s", start, end, expr), -1;
  if (step == 0) return snprintf(err, len, "Step of range should be a positive number: %s", expr), -1;
  for (long v = start; v <= end; v += step) *bits |= 1ULL << v;
  if (!strcmp(buf, "*") || !strcmp(buf, "?")) *bits |= STAR_BIT;
  return 0;
}

/* Go's time.ParseDuration for "@every": a sequence of <number><unit>. */
static int parse_duration(const char *s, long long *seconds) {
  static const struct {
    const char *unit;
    double secs;
  } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  double total = 0;
  bool neg = false;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  if (!strcmp(s, "0")) return *seconds = 0, 0;
  if (!*s) return -1;
  while (*s) {
    char *end;
    if (!isdigit((unsigned char)*s) && *s != '.') return -1;
    double v = strtod(s, &end);
    if (end == s) return -1;
    s = end;
    size_t best = 0;
    int found = -1;
    for (int i = 0; i < (int)(sizeof units / sizeof units[0]); i++) {
      size_t l = strlen(units[i].unit);
      if (!strncmp(s, units[i].unit, l) && l > best && !(l == 1 && *s == 'm' && s[1] == 's')) best = l, found = i;
    }
    if (found < 0) return -1;
    total += v * units[found].secs;
    s += best;
  }
  if (neg) total = -total;
  *seconds = (long long)total;
  return 0;
}

static const cron_bounds field_bounds[5] = {{0, 59, NULL}, {0, 23, NULL}, {1, 31, NULL}, {1, 12, month_names},
                                             {0, 6, dow_names}};

static uint64_t all_of(const cron_bounds *b) {
  uint64_t bits = 0;
  for (unsigned v = b->min; v <= b->max; v++) bits |= 1ULL << v;
  return bits | STAR_BIT;
}

static int parse_descriptor(const char *spec, cron_schedule *s, char *err, size_t len) {
  const cron_bounds *mi = &field_bounds[0], *ho = &field_bounds[1], *dm = &field_bounds[2], *mo = &field_bounds[3],
                    *dw = &field_bounds[4];
  *s = (cron_schedule){1ULL << mi->min, 1ULL << ho->min, 1ULL << dm->min, 1ULL << mo->min, all_of(dw), 0};
  if (!strcmp(spec, "@yearly") || !strcmp(spec, "@annually")) return 0;
  if (!strcmp(spec, "@monthly")) return s->month = all_of(mo), 0;
  if (!strcmp(spec, "@weekly")) return s->dom = all_of(dm), s->month = all_of(mo), s->dow = 1ULL << dw->min, 0;
  if (!strcmp(spec, "@daily") || !strcmp(spec, "@midnight")) return s->dom = all_of(dm), s->month = all_of(mo), 0;
  if (!strcmp(spec, "@hourly")) return s->hour = all_of(ho), s->dom = all_of(dm), s->month = all_of(mo), 0;
  if (!strncmp(spec, "@every ", 7)) {
    long long secs;
    if (parse_duration(spec + 7, &secs))
      return snprintf(err, len, "Failed to parse duration %s: time: invalid duration %s", spec, spec + 7), -1;
    s->every = secs < 1 ? 1 : secs;
    return 0;
  }
  return snprintf(err, len, "Unrecognized descriptor: %s", spec), -1;
}

int cron_parse(const char *spec, cron_schedule *out, char *err, size_t len) {
  cron_schedule tmp;
  cron_schedule *s = out ? out : &tmp;
  memset(s, 0, sizeof *s);
  if (!spec || !*spec) return snprintf(err, len, "Empty spec string"), -1;
  if (spec[0] == '@') return parse_descriptor(spec, s, err, len);
  char *copy = strdup(spec);
  if (!copy) return snprintf(err, len, "out of memory"), -1;
  char *fields[6], *save = NULL;
  int n = 0;
  for (char *t = strtok_r(copy, " \t\n\v\f\r", &save); t; t = strtok_r(NULL, " \t\n\v\f\r", &save))
    if (n < 6) fields[n++] = t;
    else n++;
  int rc = 0;
  if (n != 5) {
    snprintf(err, len, "Expected exactly 5 fields, found %d: %s", n, spec);
    rc = -1;
  }
  uint64_t *bits[5] = {&s->minute, &s->hour, &s->dom, &s->month, &s->dow};
  for (int f = 0; !rc && f < 5; f++) {
    char *save2 = NULL;
    for (char *r = strtok_r(fields[f], ",", &save2); !rc && r; r = strtok_r(NULL, ",", &save2))
      rc = parse_range(r, &field_bounds[f], bits[f], err, len);
  }
  free(copy);
  return rc;
}

static bool day_matches(const cron_schedule *s, const struct tm *tm) {
  bool dom = s->dom & (1ULL << tm->tm_mday), dow = s->dow & (1ULL << tm->tm_wday);
  if ((s->dom & STAR_BIT) || (s->dow & STAR_BIT)) return dom && dow;
  return dom || dow;
}

/* Normalizes tm (local time) after a field was changed; returns its time. */
static time_t normalize(struct tm *tm) {
  tm->tm_isdst = -1;
  return mktime(tm);
}

/* Adds secs of absolute time to tm (like Go's Time.Add). */
static void add_seconds(struct tm *tm, long secs) {
  time_t t = normalize(tm) + secs;
  localtime_r(&t, tm);
}

long long cron_next(const cron_schedule *s, long long after) {
  if (s->every) return after + s->every;
  time_t t = (time_t)after + 1;
  struct tm tm;
  localtime_r(&t, &tm);
  bool added = false;
  int year_limit = tm.tm_year + 5;
wrap:
  if (tm.tm_year > year_limit) return 0;
  while (!(s->month & (1ULL << (tm.tm_mon + 1)))) {
    if (!added) added = true, tm.tm_mday = 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon++;
    normalize(&tm);
    if (tm.tm_mon == 0) goto wrap;
  }
  while (!day_matches(s, &tm)) {
    if (!added) added = true, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday++;
    normalize(&tm);
    if (tm.tm_mday == 1) goto wrap;
  }
  while (!(s->hour & (1ULL << tm.tm_hour))) {
    if (!added) added = true, tm.tm_min = tm.tm_sec = 0;
    add_seconds(&tm, 3600);
    if (tm.tm_hour == 0) goto wrap;
  }
  while (!(s->minute & (1ULL << tm.tm_min))) {
    if (!added) added = true, tm.tm_sec = 0;
    add_seconds(&tm, 60);
    if (tm.tm_min == 0) goto wrap;
  }
  while (tm.tm_sec != 0) { /* the second field of a standard spec is 0 */
    added = true;
    add_seconds(&tm, 1);
    if (tm.tm_sec == 0) goto wrap;
  }
  return (long long)normalize(&tm);
}
