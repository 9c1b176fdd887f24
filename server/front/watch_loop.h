/* watch_loop.h - open watch streams served by one epoll thread instead of
 * a CivetWeb worker each. A watch's handler answers the head and the
 * initial events on its worker, then hands the connection (TLS session and
 * socket) to the loop and returns, so the worker serves other requests: a
 * client opening thousands of watches no longer takes every worker. The
 * loop is woken once per published commit (cache_on_publish), reads the new
 * events once and hands each to the streams of that event's bucket and
 * namespace only;
 * writes are non-blocking, a stream's unsent bytes are bounded (a client
 * that stops reading is dropped, as kube-apiserver drops a blocked
 * watcher). Idle streams get a keep-alive line every few seconds, and a
 * stream ends (last chunk, close) at its timeout. */
#ifndef CKUBE_WATCH_LOOP_H
#define CKUBE_WATCH_LOOP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "watch_cache.h"

struct mg_connection;

/* A growing byte buffer the stream's callbacks append to. */
typedef struct {
  char *p;
  size_t len, cap;
} watch_buf;
void watch_buf_add(watch_buf *b, const void *data, size_t len);

/* What a stream does with events; target is the stream's own state. */
typedef struct {
  /* Appends the line(s) event e gives this stream (nothing when it does not concern it). */
  void (*render)(void *target, const cache_event *e, watch_buf *out);
  /* Appends an idle line: a BOOKMARK at rev when the stream asked for them and it is time, else "\n". */
  void (*idle)(void *target, int64_t rev, watch_buf *out);
  void (*release)(void *target);
} watch_ops;

/* Starts the loop thread over cache c; 0, or -1 when it cannot. */
int watch_loop_start(cache *c);
/* Ends every stream (last chunk) and the thread. */
void watch_loop_stop(void);
/* Takes over conn's TLS session and socket (CivetWeb closes nothing of it
 * when the handler returns): events of bucket b in namespace ns (NULL or ""
 * for all) after revision cursor go to the stream until timeout_ms passes. Calls ops->release(target) when the
 * stream ends. False (nothing taken, target not released) when the loop is
 * not running. */
bool watch_loop_adopt(struct mg_connection *conn, cache_bucket *b, const char *ns, int64_t cursor,
                      long timeout_ms, const watch_ops *ops, void *target);
/* Streams open in the loop (metrics, tests). */
size_t watch_loop_count(void);

#endif
