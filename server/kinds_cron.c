/* kinds_cron.c - checks a CronJob schedule the way Kubernetes 1.20 does
 * (robfig/cron's standard parser: five fields or an @descriptor) and returns
 * the parser's error text, which the apiserver shows verbatim after
 * `spec.schedule: Invalid value: "<schedule>": `. Only validity matters
 * here; the controller computes run times itself. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kinds_util.h"

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

/* One comma-separated piece: "*", "N", "N-M", each with an optional "/step". */
static int check_range(const char *expr, const cron_bounds *b, char *err, size_t len) {
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
  return 0;
}

int cron_check(const char *spec, char *err, size_t len) {
  if (!spec || !*spec) return snprintf(err, len, "Empty spec string"), -1;
  if (spec[0] == '@') {
    static const char *const ok[] = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                                     "@hourly", NULL};
    for (int i = 0; ok[i]; i++)
      if (!strcmp(spec, ok[i])) return 0;
    if (!strncmp(spec, "@every ", 7) && spec[7]) return 0;
    return snprintf(err, len, "Unrecognized descriptor: %s", spec), -1;
  }
  static const cron_bounds bounds[5] = {{0, 59, NULL}, {0, 23, NULL}, {1, 31, NULL}, {1, 12, month_names},
                                        {0, 6, dow_names}};
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
  for (int f = 0; !rc && f < 5; f++) {
    char *save2 = NULL;
    for (char *r = strtok_r(fields[f], ",", &save2); !rc && r; r = strtok_r(NULL, ",", &save2))
      rc = check_range(r, &bounds[f], err, len);
  }
  free(copy);
  return rc;
}
