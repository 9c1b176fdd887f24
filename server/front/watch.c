/* watch.c - streaming watch (see watch.h). An object that stops matching
 * the selector is sent as DELETED and one that starts matching as ADDED, as
 * kube-apiserver's watch cache does. The handler checks the request, sends
 * the head and the initial events (the current objects, or the window's
 * events since resourceVersion) on its CivetWeb worker, then hands the
 * stream to the event loop (watch_loop.c) and returns the worker. Idle
 * streams get a bookmark (when the client allows them, every minute) or a
 * bare newline every few seconds, which JSON stream decoders skip, so a
 * vanished client is noticed. */
#include "watch.h"
#include "metrics.h"
#include "status.h"
#include "table_output.h"
#include "watch_loop.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 128
#define BOOKMARK_SECS 60

static atomic_bool stopping;

/* One stream's view: the request's output form and query (copied: the
 * request is gone once the loop has the stream), filter and namespace. */
typedef struct {
  http_req rq; /* res, form, table_version, query; no connection */
  char *query;
  api_filter *f;
  char ns[256];
  size_t nslen;
  bool bookmarks;
  time_t last_bookmark;
} watch_target;

/* Appends one {"type":..,"object":..} line; steals obj. */
static void json_event(watch_buf *out, const char *type, json_t *obj) {
  json_t *ev = json_pack("{s:s,s:o}", "type", type, "object", obj);
  char *s = json_dumps(ev, JSON_COMPACT);
  json_decref(ev);
  watch_buf_add(out, s, strlen(s));
  watch_buf_add(out, "\n", 1);
  free(s);
}

/* An event for a stored version: its bytes as they are when no conversion
 * or Table is needed, otherwise re-encoded. */
static void event_line(http_req *rq, watch_buf *out, const char *type, const cobj *o) {
  const resource *r = rq->res;
  if (rq->form == OUT_JSON && api_stored_as_served(r)) {
    char head[40];
    int h = snprintf(head, sizeof head, "{\"type\":\"%s\",\"object\":", type);
    watch_buf_add(out, head, (size_t)h);
    watch_buf_add(out, o->data, o->len);
    watch_buf_add(out, "}\n", 2);
    return;
  }
  if (rq->form == OUT_TABLE || rq->form == OUT_META) {
    const json_t *view = api_to_version(rq->srv, r, o->obj);
    json_t *t = table_output_single(rq, view);
    json_decref_const(view);
    json_event(out, type, t);
    return;
  }
  json_event(out, type, api_version_copy(rq->srv, r, o->obj));
}

static bool in_ns(const cobj *o, const char *ns, size_t nslen) {
  return !nslen || (!strncmp(o->subkey, ns, nslen) && o->subkey[nslen] == '/');
}

/* The line a cache event gives the stream, if any. */
static void render(void *target, const cache_event *e, watch_buf *out) {
  watch_target *t = target;
  if (!in_ns(e->obj, t->ns, t->nslen)) return;
  bool now_match = e->type != EV_DELETED && api_filter_match(t->f, e->obj->obj);
  bool was_match = e->prev && api_filter_match(t->f, e->prev->obj);
  const char *type = NULL;
  if (e->type == EV_DELETED) type = was_match || api_filter_match(t->f, e->obj->obj) ? "DELETED" : NULL;
  else if (now_match) type = was_match ? "MODIFIED" : "ADDED";
  else if (was_match) type = "DELETED";
  if (type) event_line(&t->rq, out, type, e->obj);
}

static void idle(void *target, int64_t rev, watch_buf *out) {
  watch_target *t = target;
  time_t now = time(NULL);
  if (!t->bookmarks || now - t->last_bookmark < BOOKMARK_SECS) {
    watch_buf_add(out, "\n", 1);
    return;
  }
  t->last_bookmark = now;
  char rv[32];
  snprintf(rv, sizeof rv, "%lld", (long long)rev);
  json_event(out, "BOOKMARK",
             json_pack("{s:s,s:s,s:{s:s}}", "kind", t->rq.res->ref.kind, "apiVersion", t->rq.res->group_version,
                       "metadata", "resourceVersion", rv));
}

static void release(void *target) {
  watch_target *t = target;
  api_filter_free(t->f);
  free(t->query);
  free(t);
  metrics_watchers(-1);
}

static const watch_ops ops = {render, idle, release};

/* Sends what the worker phase rendered as one chunk. */
static bool send_buf(http_req *rq, watch_buf *b) {
  bool ok = !b->len || http_stream_write(rq, b->p, b->len);
  b->len = 0;
  return ok;
}

void watch_stop_all(void) {
  atomic_store(&stopping, true);
  watch_loop_stop();
}

int watch_start(cache *c) { return watch_loop_start(c); }

void watch_serve(http_req *rq) {
  const resource *r = rq->res;
  char ls[2048], fs[2048], rvb[64], tb[32];
  const char *label = http_query(rq, "labelSelector", ls, sizeof ls);
  const char *field = http_query(rq, "fieldSelector", fs, sizeof fs);
  if (rq->name[0]) {
    snprintf(fs, sizeof fs, "metadata.name=%s", rq->name);
    field = fs;
  }
  json_t *st = NULL;
  api_filter *f = api_filter_new(r, label, field, &st);
  if (st) {
    http_send_status(rq, st);
    return;
  }
  watch_target *t = calloc(1, sizeof *t);
  t->f = f;
  t->rq = *rq;
  t->rq.conn = NULL;
  t->rq.query = t->query = rq->query ? strdup(rq->query) : NULL;
  t->rq.body = NULL;
  t->rq.warnings = NULL;
  t->rq.user = NULL;
  const char *ns = r->ref.namespaced ? rq->ns : "";
  if (!*ns && api_filter_namespace(f) && r->ref.namespaced) ns = api_filter_namespace(f);
  snprintf(t->ns, sizeof t->ns, "%s", ns);
  t->nslen = strlen(t->ns);
  const char *rv = http_query(rq, "resourceVersion", rvb, sizeof rvb);
  const char *ts = http_query(rq, "timeoutSeconds", tb, sizeof tb);
  long timeout = ts && *ts ? atol(ts) : 1800 + rand() % 1800;
  t->bookmarks = http_query_bool(rq, "allowWatchBookmarks");
  t->last_bookmark = time(NULL);
  cache *c = rq->srv->cache;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);

  rq->close_after = true; /* the loop ends the stream with the connection */
  http_stream_start(rq, "application/json");
  metrics_watchers(1);
  int64_t cursor;
  bool ok = true;
  watch_buf b = {0};
  if (!rv || !*rv || !strcmp(rv, "0")) {
    cobj_vec all = {0};
    cursor = cache_list(c, r->bucket, t->ns, NULL, 0, &all);
    for (size_t i = 0; i < all.n && ok; i++) {
      if (api_filter_match(f, all.items[i]->obj)) event_line(&t->rq, &b, "ADDED", all.items[i]);
      if (b.len >= 256 * 1024) ok = send_buf(rq, &b);
    }
    cobj_vec_clear(&all);
  } else {
    char *end;
    cursor = strtoll(rv, &end, 10);
    if (*end || cursor < 0) {
      json_event(&b, "ERROR", status_bad_request("invalid resource version: %s", rv));
      ok = false;
    }
  }
  /* the window's events since the cursor, on the worker too */
  cache_event evs[BATCH];
  int n;
  while (ok && (n = cache_wait(c, r->bucket, &cursor, evs, BATCH, 0, &stopping)) != 0) {
    if (n < 0) {
      char msg[128];
      snprintf(msg, sizeof msg, "too old resource version: %lld (%lld)", (long long)cursor,
               (long long)cache_window_start(c));
      json_event(&b, "ERROR", status_expired(msg));
      ok = false;
      break;
    }
    for (int i = 0; i < n; i++) {
      render(t, &evs[i], &b);
      cache_event_release(&evs[i]);
    }
    if (b.len >= 256 * 1024) ok = send_buf(rq, &b);
  }
  bool sent = send_buf(rq, &b);
  free(b.p);
  clock_gettime(CLOCK_MONOTONIC, &now);
  long left_ms = timeout * 1000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
  if (ok && sent && left_ms > 0 && watch_loop_adopt(rq->conn, r->bucket, t->ns, cursor, left_ms, &ops, t)) return;
  if (sent) http_stream_end(rq);
  release(t);
}
