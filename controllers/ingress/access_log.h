/* access_log.h - the Ingress proxy's access log, off unless a file is
 * given: one line per request in ingress-nginx's default "upstreaminfo"
 * format, so tools written for ingress-nginx logs read it. Each worker
 * fills a buffer of its own and writes it whole (O_APPEND) when it fills
 * and every sweep, so logging costs no lock and no syscall per request. */
#ifndef CKUBE_INGRESS_ACCESS_LOG_H
#define CKUBE_INGRESS_ACCESS_LOG_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* One request's fields; strings may be NULL (printed as "-" or ""). */
typedef struct {
  const char *remote_addr, *request, *referer, *user_agent;
  int status;
  long long body_bytes_sent, request_length;
  double request_time;       /* seconds */
  const char *upstream_name, *alternative_upstream_name;
  const char *upstream_addr; /* NULL: no upstream was tried */
  long long upstream_response_length;
  double upstream_response_time;
  int upstream_status;       /* 0: no upstream answer */
  const char *request_id;
} access_log_entry;

typedef struct {
  char *buf;
  size_t len;
  time_t stamp_sec; /* the second stamp was made for */
  char stamp[40];   /* [$time_local] */
} access_log_buf;

/* Opens path for appending ("-" is stderr); -1 with err. NULL: stays off. */
int access_log_open(const char *path, char *err, size_t errlen);
bool access_log_enabled(void);
void access_log_close(void);

/* A worker's buffer (NULL when the log is off) and its end. */
access_log_buf *access_log_buf_new(void);
void access_log_buf_free(access_log_buf *b);
/* Appends e's line to b (flushing first when b is full). */
void access_log_add(access_log_buf *b, const access_log_entry *e);
/* Writes what b holds. */
void access_log_flush(access_log_buf *b);

#endif
