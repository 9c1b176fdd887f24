/* watch.c - streaming watch (see watch.h). An object that stops matching
 * the selector is sent as DELETED and one that starts matching as ADDED, as
 * kube-apiserver's watch cache does. Idle streams get a bookmark (when the
 * client allows them) or a bare newline every few seconds, which JSON stream
 * decoders skip, so a vanished client is noticed and its thread freed. */
#include "watch.h"
#include "metrics.h"
#include "status.h"
#include "table_output.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 128
#define IDLE_MS 5000
#define BOOKMARK_SECS 60

static atomic_bool stopping;

void watch_stop_all(void) { atomic_store(&stopping, true); }

/* Writes one {"type":..,"object":..} line; steals obj. */
static bool send_json_event(http_req *rq, const char *type, json_t *obj) {
  json_t *ev = json_pack("{s:s,s:o}", "type", type, "object", obj);
  char *s = json_dumps(ev, JSON_COMPACT);
  json_decref(ev);
  size_t n = strlen(s);
  s = realloc(s, n + 2);
  s[n++] = '\n';
  bool ok = http_stream_write(rq, s, n);
  free(s);
  return ok;
}

/* An event for a stored version: its bytes as they are when no conversion
 * or Table is needed, otherwise re-encoded. */
static bool send_event(http_req *rq, const char *type, const cobj *o) {
  const resource *r = rq->res;
  if (rq->form == OUT_JSON && api_stored_as_served(r)) {
    size_t n = o->len + 40;
    char *buf = malloc(n);
    int h = snprintf(buf, n, "{\"type\":\"%s\",\"object\":", type);
    memcpy(buf + h, o->data, o->len);
    memcpy(buf + h + o->len, "}\n", 2);
    bool ok = http_stream_write(rq, buf, (size_t)h + o->len + 2);
    free(buf);
    return ok;
  }
  if (rq->form == OUT_TABLE || rq->form == OUT_META) {
    const json_t *view = api_to_version(r, o->obj);
    json_t *t = table_output_single(rq, view);
    json_decref_const(view);
    return send_json_event(rq, type, t);
  }
  return send_json_event(rq, type, api_version_copy(r, o->obj));
}

static bool send_bookmark(http_req *rq, int64_t rev) {
  char rv[32];
  snprintf(rv, sizeof rv, "%lld", (long long)rev);
  return send_json_event(rq, "BOOKMARK",
                         json_pack("{s:s,s:s,s:{s:s}}", "kind", rq->res->ref.kind, "apiVersion",
                                   rq->res->group_version, "metadata", "resourceVersion", rv));
}

static bool in_ns(const cobj *o, const char *ns, size_t nslen) {
  return !nslen || (!strncmp(o->subkey, ns, nslen) && o->subkey[nslen] == '/');
}

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
  const char *ns = r->ref.namespaced ? rq->ns : "";
  if (!*ns && api_filter_namespace(f) && r->ref.namespaced) ns = api_filter_namespace(f);
  size_t nslen = strlen(ns);
  const char *rv = http_query(rq, "resourceVersion", rvb, sizeof rvb);
  const char *ts = http_query(rq, "timeoutSeconds", tb, sizeof tb);
  long timeout = ts && *ts ? atol(ts) : 1800 + rand() % 1800;
  bool bookmarks = http_query_bool(rq, "allowWatchBookmarks");
  cache *c = rq->srv->cache;

  http_stream_start(rq, "application/json");
  metrics_watchers(1);
  int64_t cursor;
  bool ok = true;
  if (!rv || !*rv || !strcmp(rv, "0")) {
    cobj_vec all = {0};
    cursor = cache_list(c, r->bucket, ns, NULL, 0, &all);
    for (size_t i = 0; i < all.n && ok; i++)
      if (api_filter_match(f, all.items[i]->obj)) ok = send_event(rq, "ADDED", all.items[i]);
    cobj_vec_clear(&all);
  } else {
    char *end;
    cursor = strtoll(rv, &end, 10);
    if (*end || cursor < 0) {
      send_json_event(rq, "ERROR", status_bad_request("invalid resource version: %s", rv));
      ok = false;
    }
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  time_t last_bookmark = start.tv_sec;
  cache_event evs[BATCH];
  while (ok && !atomic_load(&stopping)) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms = timeout * 1000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (left_ms <= 0) break;
    int n = cache_wait(c, r->bucket, &cursor, evs, BATCH, left_ms < IDLE_MS ? (int)left_ms : IDLE_MS, &stopping);
    if (n < 0) {
      char msg[128];
      snprintf(msg, sizeof msg, "too old resource version: %lld (%lld)", (long long)cursor,
               (long long)cache_window_start(c));
      send_json_event(rq, "ERROR", status_expired(msg));
      break;
    }
    if (n == 0) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (bookmarks && now.tv_sec - last_bookmark >= BOOKMARK_SECS) {
        ok = send_bookmark(rq, cursor);
        last_bookmark = now.tv_sec;
      } else {
        ok = http_stream_write(rq, "\n", 1);
      }
      continue;
    }
    for (int i = 0; i < n; i++) {
      cache_event *e = &evs[i];
      if (ok && in_ns(e->obj, ns, nslen)) {
        bool now_match = e->type != EV_DELETED && api_filter_match(f, e->obj->obj);
        bool was_match = e->prev && api_filter_match(f, e->prev->obj);
        const char *type = NULL;
        if (e->type == EV_DELETED) type = was_match || api_filter_match(f, e->obj->obj) ? "DELETED" : NULL;
        else if (now_match) type = was_match ? "MODIFIED" : "ADDED";
        else if (was_match) type = "DELETED";
        if (type) ok = send_event(rq, type, e->obj);
      }
      cache_event_release(e);
    }
  }
  if (ok) http_stream_end(rq);
  metrics_watchers(-1);
  api_filter_free(f);
}
