/* store_etcd_json.c - the etcd store's transport over etcd's v3 JSON
 * gateway (--etcd-transport json; store_etcd_transport.h): request bodies
 * and answer parsers from store_etcd_wire.c, posted through the keep-alive
 * HTTP/1.1 pool of store_etcd_http.c, the watch as one streaming POST read
 * line by line. */
#include "store_etcd_http.h"
#include "store_etcd_transport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REQUEST_MS = 15000 };

typedef struct {
  etcd_transport base;
  etcd_http *http;
} json_transport;

struct etcd_watch {
  etcd_stream *stream;
};

/* POSTs the JSON request (taking it) and returns the 200 answer, or NULL
 * with err set. */
static char *call(json_transport *t, const char *path, json_t *req, size_t *len, char *err, size_t errlen) {
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  char *resp = NULL;
  err[0] = 0;
  int status = etcd_http_post(t->http, path, body, REQUEST_MS, &resp, len, err, errlen);
  free(body);
  if (status == 200) return resp;
  if (status >= 0) {
    /* the gateway's error body names the cause ("etcdserver: request timed out") */
    json_error_t jerr;
    json_t *j = resp ? json_loadb(resp, *len, 0, &jerr) : NULL;
    const char *msg = json_string_value(json_object_get(j, "error"));
    if (!msg) msg = json_string_value(json_object_get(j, "message"));
    snprintf(err, errlen, "etcd answered %d: %s", status, msg ? msg : "(no message)");
    json_decref(j);
  }
  free(resp);
  return NULL;
}

static int j_range(etcd_transport *tr, const char *key, size_t key_len, const char *range_end, int64_t limit,
                   int64_t rev, etcd_range_result *out, char *err, size_t errlen) {
  size_t len;
  char *resp = call((json_transport *)tr, "/v3/kv/range", etcd_range_request(key, key_len, range_end, limit, rev),
                    &len, err, errlen);
  if (!resp) return -1;
  int rc = etcd_parse_range(resp, len, out, err, errlen);
  free(resp);
  return rc;
}

static int j_txn(etcd_transport *tr, const etcd_txn_op *ops, size_t n, etcd_txn_result *out, int64_t *current,
                 char *err, size_t errlen) {
  size_t len;
  char *resp = call((json_transport *)tr, "/v3/kv/txn", etcd_txn_batch_request(ops, n), &len, err, errlen);
  if (!resp) return -1;
  int rc = etcd_parse_txn_batch(resp, len, n, out, current, err, errlen);
  free(resp);
  return rc;
}

static int j_compact(etcd_transport *tr, int64_t rev, char *err, size_t errlen) {
  size_t len;
  char *resp = call((json_transport *)tr, "/v3/kv/compaction", etcd_compaction_request(rev), &len, err, errlen);
  int rc = resp ? 0 : -1;
  free(resp);
  return rc;
}

static etcd_watch *j_watch_open(etcd_transport *tr, const char *key, const char *range_end, int64_t start, char *err,
                                size_t errlen) {
  json_t *req = etcd_watch_request(key, range_end, start);
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  etcd_stream *st = etcd_stream_open(((json_transport *)tr)->http, "/v3/watch", body, err, errlen);
  free(body);
  if (!st) return NULL;
  etcd_watch *w = calloc(1, sizeof *w);
  w->stream = st;
  return w;
}

static int j_watch_next(etcd_watch *w, etcd_watch_msg *m, int timeout_ms, const atomic_bool *stop, char *err,
                        size_t errlen) {
  const char *line;
  ssize_t n = etcd_stream_next(w->stream, &line, timeout_ms, stop);
  if (n == 0) return 0;
  if (n < 0) {
    snprintf(err, errlen, "the watch stream ended");
    return -1;
  }
  return etcd_parse_watch(line, (size_t)n, m, err, errlen) == 0 ? 1 : -1;
}

static void j_watch_close(etcd_watch *w) {
  if (!w) return;
  etcd_stream_close(w->stream);
  free(w);
}

static void j_free(etcd_transport *tr) {
  json_transport *t = (json_transport *)tr;
  etcd_http_free(t->http);
  free(t);
}

etcd_transport *etcd_transport_json(const store_etcd_config *cfg, char *err, size_t errlen) {
  etcd_http *h = etcd_http_new(cfg->servers, cfg->ca, cfg->cert, cfg->key, err, errlen);
  if (!h) return NULL;
  json_transport *t = calloc(1, sizeof *t);
  t->base = (etcd_transport){.name = "json", .range = j_range, .txn = j_txn, .compact = j_compact,
                             .watch_open = j_watch_open, .watch_next = j_watch_next, .watch_close = j_watch_close,
                             .free = j_free};
  t->http = h;
  return &t->base;
}
