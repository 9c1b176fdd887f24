/* access_log.c - writes the Ingress access log lines (see access_log.h):
 *   $remote_addr - - [$time_local] "$request" $status $body_bytes_sent
 *   "$http_referer" "$http_user_agent" $request_length $request_time
 *   [$proxy_upstream_name] [$proxy_alternative_upstream_name]
 *   $upstream_addr $upstream_response_length $upstream_response_time
 *   $upstream_status $req_id
 * Quotes and control bytes inside quoted fields are escaped as \xHH, as
 * nginx does, so a client cannot forge a line. */
#include "access_log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE 65536
#define LINE_MAX_BYTES 8192

static int log_fd = -1;

int access_log_open(const char *path, char *err, size_t errlen) {
  if (!path) return 0;
  if (!strcmp(path, "-")) {
    log_fd = STDERR_FILENO;
    return 0;
  }
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    snprintf(err, errlen, "cannot open the access log %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

bool access_log_enabled(void) { return log_fd >= 0; }

void access_log_close(void) {
  if (log_fd > STDERR_FILENO) close(log_fd);
  log_fd = -1;
}

access_log_buf *access_log_buf_new(void) {
  if (log_fd < 0) return NULL;
  access_log_buf *b = calloc(1, sizeof *b);
  if (b && !(b->buf = malloc(BUF_SIZE))) {
    free(b);
    return NULL;
  }
  return b;
}

void access_log_buf_free(access_log_buf *b) {
  if (!b) return;
  access_log_flush(b);
  free(b->buf);
  free(b);
}

void access_log_flush(access_log_buf *b) {
  if (!b || !b->len || log_fd < 0) return;
  size_t off = 0;
  while (off < b->len) {
    ssize_t n = write(log_fd, b->buf + off, b->len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* a full disk loses log lines, never requests */
    off += (size_t)n;
  }
  b->len = 0;
}

/* Appends s to out (room bytes left) escaping quotes, backslashes and
 * bytes outside printable ASCII; returns the bytes written. */
static size_t escaped(char *out, size_t room, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (; s && *s && n + 4 < room; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
      out[n++] = '\\', out[n++] = 'x', out[n++] = hex[c >> 4], out[n++] = hex[c & 15];
    } else {
      out[n++] = (char)c;
    }
  }
  return n;
}

static void stamp(access_log_buf *b) {
  time_t now = time(NULL);
  if (now == b->stamp_sec && b->stamp[0]) return;
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(b->stamp, sizeof b->stamp, "%d/%b/%Y:%H:%M:%S %z", &tm);
  b->stamp_sec = now;
}

void access_log_add(access_log_buf *b, const access_log_entry *e) {
  if (!b) return;
  if (BUF_SIZE - b->len < LINE_MAX_BYTES) access_log_flush(b);
  stamp(b);
  char *p = b->buf + b->len;
  size_t room = LINE_MAX_BYTES, n = 0;
  n += (size_t)snprintf(p + n, room - n, "%s - - [%s] \"", e->remote_addr ? e->remote_addr : "-", b->stamp);
  n += escaped(p + n, room - n - 1800, e->request);
  n += (size_t)snprintf(p + n, room - n, "\" %d %lld \"", e->status, e->body_bytes_sent);
  n += escaped(p + n, room - n - 1200, e->referer ? e->referer : "-");
  n += (size_t)snprintf(p + n, room - n, "\" \"");
  n += escaped(p + n, room - n - 700, e->user_agent ? e->user_agent : "-");
  char up_status[16] = "-", up_len[24] = "-", up_time[24] = "-";
  if (e->upstream_addr) {
    snprintf(up_len, sizeof up_len, "%lld", e->upstream_response_length);
    snprintf(up_time, sizeof up_time, "%.3f", e->upstream_response_time);
  }
  if (e->upstream_status) snprintf(up_status, sizeof up_status, "%d", e->upstream_status);
  n += (size_t)snprintf(p + n, room - n, "\" %lld %.3f [%s] [%s] %s %s %s %s %s\n", e->request_length, e->request_time,
                        e->upstream_name ? e->upstream_name : "", e->alternative_upstream_name ? e->alternative_upstream_name : "",
                        e->upstream_addr ? e->upstream_addr : "-", up_len, up_time, up_status,
                        e->request_id ? e->request_id : "");
  if (n >= room) { /* cut: keep it one line */
    n = room - 1;
    p[n - 1] = '\n';
  }
  b->len += n;
}
