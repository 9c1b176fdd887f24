/* timestamp.c - RFC 3339 (metav1.Time) parsing and formatting and the two
 * millisecond clocks. The parser is strict about the layout (four-digit
 * year, two-digit fields, "T", "Z" or a +hh:mm offset) like Go's
 * time.Parse(time.RFC3339); go_errors.c adds Go's error texts where a
 * client must see them. */
#include "timestamp.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* n decimal digits at s into *out; -1 when one is missing. */
static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int rfc3339_parse(const char *s, time_t *out, double *frac) {
  int Y, M, D, h, m, sec;
  if (!s || strlen(s) < 20) return -1;
  if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
      digits(s + 14, 2, &m) || s[16] != ':' || digits(s + 17, 2, &sec))
    return -1;
  const char *p = s + 19;
  double f = 0, scale = 0.1;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p)) return -1;
    for (; isdigit((unsigned char)*p); p++, scale /= 10) f += (*p - '0') * scale;
  }
  long off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om)) return -1;
    off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return -1;
  }
  if (*p) return -1;
  struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m, .tm_sec = sec};
  *out = timegm(&tm) - off;
  if (frac) *frac = f;
  return 0;
}

long long rfc3339_seconds(const char *s) {
  time_t t;
  return rfc3339_parse(s, &t, NULL) == 0 ? (long long)t : -1;
}

long long rfc3339_ms(const char *s) {
  time_t t;
  double f;
  return rfc3339_parse(s, &t, &f) == 0 ? (long long)t * 1000 + (long long)(f * 1000 + 1e-6) : -1;
}

void rfc3339_format(long long t, char *buf, size_t len) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void rfc3339_now(char *buf, size_t len) { rfc3339_format((long long)time(NULL), buf, len); }

void rfc3339_now_micro(char *buf, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%06ldZ", base, ts.tv_nsec / 1000);
}

static long long clock_ms(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long wall_ms(void) { return clock_ms(CLOCK_REALTIME); }

long long mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

long long mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec deadline_in_ms(clockid_t clock, long long ms) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  long long ns = ts.tv_nsec + ms % 1000 * 1000000;
  ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000 - (ns < 0));
  ts.tv_nsec = (long)(ns % 1000000000 + (ns < 0 ? 1000000000 : 0));
  return ts;
}
