/* cri_log.c - see cri_log.h. A line's text runs to its newline; an "F"
 * (full) entry gets its newline back in the output, a "P" (partial) entry
 * does not, so a long line split by the runtime reads as one. With
 * timestamps each entry is prefixed with its time and a space. */
#include "cri_log.h"
#include "timestamp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double cri_parse_time(const char *s, size_t len) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = 0;
  time_t t;
  double frac;
  return rfc3339_parse(buf, &t, &frac) == 0 ? (double)t + frac : -1;
}

/* Emits up to the byte limit; false when output must stop. */
static bool put(int stream, const char *d, size_t n, const cri_log_opts *o, long long *written, bool *done,
                cri_emit_fn emit, void *ctx) {
  if (o->limit_bytes >= 0 && *written + (long long)n > o->limit_bytes) {
    n = (size_t)(o->limit_bytes - *written);
    *done = true;
  }
  if (n && emit(ctx, stream, d, n) != 0) *done = true;
  *written += (long long)n;
  return !*done;
}

size_t cri_log_render(const char *buf, size_t len, const cri_log_opts *o, long long *written, bool *done,
                      cri_emit_fn emit, void *ctx) {
  size_t pos = 0;
  while (pos < len && !*done) {
    const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
    if (!nl) break;
    size_t n = (size_t)(nl - line);
    pos += n + 1;
    const char *sp1 = memchr(line, ' ', n);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line + n - sp1 - 1)) : NULL;
    if (!sp2 || sp2 + 2 > line + n || (sp2[1] != 'F' && sp2[1] != 'P')) continue;
    bool full = sp2[1] == 'F';
    int stream = sp2 - sp1 - 1 == 6 && !memcmp(sp1 + 1, "stderr", 6) ? 2 : 1;
    const char *text = sp2 + 2 < line + n ? sp2 + 3 : line + n;
    size_t tlen = (size_t)(line + n - text);
    double t = cri_parse_time(line, (size_t)(sp1 - line));
    if (t < 0 || (o->since > 0 && t < o->since)) continue;
    if (o->timestamps && (!put(stream, line, (size_t)(sp1 - line), o, written, done, emit, ctx) ||
                          !put(stream, " ", 1, o, written, done, emit, ctx)))
      break;
    if (!put(stream, text, tlen, o, written, done, emit, ctx)) break;
    if (full && !put(stream, "\n", 1, o, written, done, emit, ctx)) break;
  }
  return pos;
}
