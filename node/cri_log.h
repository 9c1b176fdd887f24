/* cri_log.h - kubelet's reading of CRI container logs (the files the node
 * runtime writes: "<RFC3339Nano> <stdout|stderr> <F|P> <text>" per line),
 * as pods/log shows them: sinceTime/sinceSeconds, timestamps, limitBytes
 * (tailLines is a file offset: tunnel.c). Pure: text in, bytes out. */
#ifndef CKUBE_CRI_LOG_H
#define CKUBE_CRI_LOG_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
  bool timestamps;
  long long limit_bytes; /* < 0: none */
  double since;          /* seconds since the epoch; 0: everything */
} cri_log_opts;

/* Receives output of stream 1 (stdout) or 2 (stderr); returns 0 to go on, -1 to stop. */
typedef int (*cri_emit_fn)(void *ctx, int stream, const char *data, size_t len);

/* Seconds since the epoch of an RFC 3339 time with optional fraction; -1 if invalid. */
double cri_parse_time(const char *s, size_t len);
/* Renders the complete lines of buf[0..len); returns the bytes consumed (a
 * trailing partial line is left for later). *written counts output bytes
 * against limit_bytes; *done becomes true when the limit is reached or
 * emit asked to stop. Malformed lines are skipped, as kubelet does. */
size_t cri_log_render(const char *buf, size_t len, const cri_log_opts *o, long long *written, bool *done,
                      cri_emit_fn emit, void *ctx);

#endif
