/* log.c - klog-style single-line logging to stderr (see log.h). Each line is
 * formatted into a local buffer and written with one write(2) so lines from
 * different threads never interleave. */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile log_level min_level = LOG_INFO;

void log_set_level(log_level l) { min_level = l; }

void log_msg(log_level l, const char *file, int line, const char *fmt, ...) {
  if (l < min_level) return;
  char buf[2048];
  struct timeval tv;
  struct tm tm;
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  int n = snprintf(buf, sizeof buf, "%c%02d%02d %02d:%02d:%02d.%06ld %s:%d] ", "DIWE"[l],
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   (long)tv.tv_usec, base, line);
  va_list ap;
  va_start(ap, fmt);
  if (n < (int)sizeof buf) n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof buf - 1) n = sizeof buf - 2;
  buf[n++] = '\n';
  ssize_t w = write(2, buf, n);
  (void)w;
}
