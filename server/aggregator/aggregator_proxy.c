/* aggregator_proxy.c - see aggregator_proxy.h. The connection is the
 * webhooks' HTTPS client (webhook.h wh_http: service resolution through
 * Endpoints, caBundle, Go's error wording); the client's own request
 * headers go along but for the ones that carry credentials or identity
 * (Authorization, Impersonate-*, X-Remote-*) and the hop-by-hop ones. An
 * answer is read whole, but a watch's is relayed as it arrives. */
#include "aggregator_proxy.h"
#include "apiservice_table.h"
#include "json_path.h"
#include "conditions.h"
#include "log.h"
#include "webhook.h"
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROXY_TIMEOUT_S 60    /* kube-apiserver's default request timeout */
#define WATCH_TIMEOUT_S 1800  /* kube-apiserver's longest watch (--min-request-timeout 1800 s) */

static char client_cert[1024], client_key[1024]; /* set before serving, read-only after */

void aggregator_set_client_cert(const char *cert_file, const char *key_file) {
  snprintf(client_cert, sizeof client_cert, "%s", cert_file ? cert_file : "");
  snprintf(client_key, sizeof client_key, "%s", key_file ? key_file : "");
}

/* /apis/<group>/<version>... -> group, version; false for other paths. */
static bool split(const char *path, char *group, size_t gl, char *version, size_t vl) {
  if (strncmp(path, "/apis/", 6) != 0) return false;
  const char *g = path + 6, *slash = strchr(g, '/');
  if (!slash || slash == g || (size_t)(slash - g) >= gl) return false;
  const char *v = slash + 1;
  size_t vlen = strcspn(v, "/");
  if (!vlen || vlen >= vl) return false;
  snprintf(group, gl, "%.*s", (int)(slash - g), g);
  snprintf(version, vl, "%.*s", (int)vlen, v);
  return true;
}

bool aggregator_path(cache *c, const char *path) {
  char group[256], version[128];
  if (!split(path, group, sizeof group, version, sizeof version)) return false;
  cobj *o = apiservice_remote(c, group, version);
  cobj_unref(o);
  return o != NULL;
}

/* A header the proxy never forwards. */
static bool dropped(const char *name) {
  /* Accept-Encoding too: the answer is relayed with its content type only, never a Content-Encoding */
  static const char *const exact[] = {"Authorization", "Connection", "Host", "Content-Length", "Transfer-Encoding",
                                      "Keep-Alive", "Proxy-Connection", "Upgrade", "TE", "Trailer", "Accept-Encoding",
                                      NULL};
  for (int i = 0; exact[i]; i++)
    if (!strcasecmp(name, exact[i])) return true;
  return !strncasecmp(name, "Impersonate-", 12) || !strncasecmp(name, "X-Remote-", 9);
}

static void append(char **buf, size_t *len, size_t *cap, const char *name, const char *value) {
  size_t need = strlen(name) + strlen(value) + 5;
  if (*len + need + 1 > *cap) {
    *cap = (*len + need + 1) * 2;
    *buf = realloc(*buf, *cap);
  }
  *len += (size_t)snprintf(*buf + *len, *cap - *len, "%s: %s\r\n", name, value);
}

/* The header lines sent: the client's (filtered) and the user's identity. */
static char *forward_headers(http_req *rq) {
  size_t len = 0, cap = 1024;
  char *buf = malloc(cap);
  buf[0] = 0;
  const struct mg_request_info *ri = mg_get_request_info(rq->conn);
  for (int i = 0; i < ri->num_headers; i++)
    if (!dropped(ri->http_headers[i].name)) append(&buf, &len, &cap, ri->http_headers[i].name, ri->http_headers[i].value);
  const char *user = json_string_value(json_object_get(rq->user, "username"));
  if (user && *user) append(&buf, &len, &cap, "X-Remote-User", user);
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(rq->user, "groups"), i, v) append(&buf, &len, &cap, "X-Remote-Group", json_string_value(v));
  const char *key;
  json_t *vals;
  json_object_foreach(json_object_get(rq->user, "extra"), key, vals) {
    char name[300], enc[256];
    mg_url_encode(key, enc, sizeof enc);
    snprintf(name, sizeof name, "X-Remote-Extra-%s", enc);
    json_array_foreach(vals, i, v) append(&buf, &len, &cap, name, json_string_value(v));
  }
  return buf;
}

/* The backend's Content-Type header (in hdrs) into out. */
static void content_type_of(const char *hdrs, char *out, size_t len) {
  snprintf(out, len, "application/json");
  for (const char *l = hdrs; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL) {
    if (!strncasecmp(l, "Content-Type:", 13)) {
      const char *v = l + 13;
      while (*v == ' ') v++;
      snprintf(out, len, "%.*s", (int)strcspn(v, "\r\n"), v);
      return;
    }
  }
}

/* The backend's Warning headers (299 - "text") become the answer's warnings. */
static void take_warnings(http_req *rq, const char *hdrs) {
  for (const char *l = hdrs; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL) {
    if (strncasecmp(l, "Warning:", 8) != 0 || !rq->warnings) continue;
    const char *q = strchr(l, '"'), *eol = strstr(l, "\r\n");
    if (!q || (eol && q > eol)) continue;
    char text[1024];
    size_t k = 0;
    for (const char *p = q + 1; *p && *p != '"' && p != eol && k < sizeof text - 1; p++) {
      if (*p == '\\' && p[1]) p++;
      text[k++] = *p;
    }
    text[k] = 0;
    json_array_append_new(rq->warnings, json_string(text));
  }
}

/* Whether the APIService reports Available False (kube-aggregator answers 503 then). */
static bool unavailable(const json_t *apiservice) {
  const json_t *c = cond_get(json_object_get(apiservice, "status"), "Available");
  return c && !strcmp(json_path_str0(c, "status"), "False");
}

static void service_unavailable(http_req *rq) {
  static const char msg[] = "service unavailable\n";
  http_send(rq, 503, "text/plain; charset=utf-8", msg, sizeof msg - 1);
}

/* The target of an APIService's spec: {service, caBundle} (new reference). */
static json_t *target_of(const json_t *spec) {
  json_t *cc = json_pack("{s:O}", "service", json_object_get(spec, "service"));
  const char *ca = json_string_value(json_object_get(spec, "caBundle"));
  if (ca) json_object_set_new(cc, "caBundle", json_string(ca));
  return cc;
}

int aggregator_check(cache *c, const json_t *apiservice, char *err, size_t errlen) {
  const json_t *spec = json_object_get(apiservice, "spec"), *svc = json_object_get(spec, "service");
  char path[600], url[1200], why[1024];
  snprintf(path, sizeof path, "/apis/%s/%s", json_string_value(json_object_get(spec, "group")) ?: "",
           json_string_value(json_object_get(spec, "version")) ?: "");
  json_t *port = json_object_get(svc, "port");
  snprintf(url, sizeof url, "https://%s.%s.svc:%lld%s", json_string_value(json_object_get(svc, "name")) ?: "",
           json_string_value(json_object_get(svc, "namespace")) ?: "",
           json_is_integer(port) ? json_integer_value(port) : 443, path);
  json_t *cc = target_of(spec);
  wh_http_request req = {.method = "GET",
                         .path = path,
                         .headers = "Accept: application/json\r\nX-Remote-User: system:kube-aggregator\r\n",
                         .client_cert = *client_cert ? client_cert : NULL,
                         .client_key = *client_key ? client_key : NULL,
                         .insecure = json_is_true(json_object_get(spec, "insecureSkipTLSVerify")),
                         .timeout_s = 5};
  wh_http_response resp;
  int rc = wh_http(c, cc, &req, &resp, why, sizeof why);
  json_decref(cc);
  if (rc != 0) {
    snprintf(err, errlen, "failing or missing response from %s: Get \"%s\": %s", url, url, why);
    return -1;
  }
  if (resp.code < 200 || resp.code > 299) {
    snprintf(err, errlen, "failing or missing response from %s: bad status from %s: %d", url, url, resp.code);
    rc = -1;
  }
  wh_http_response_free(&resp);
  return rc;
}

/* A watch streams: its answer is relayed as it arrives, chunk by chunk. */
static bool is_watch(http_req *rq) { return http_query_bool(rq, "watch") || strstr(rq->path, "/watch/") != NULL; }

typedef struct {
  http_req *rq;
  bool started;
} relay;

static bool relay_head(int code, const char *headers, void *ctx) {
  relay *r = ctx;
  char ctype[256];
  content_type_of(headers, ctype, sizeof ctype);
  take_warnings(r->rq, headers);
  http_send_head(r->rq, code, ctype, -1);
  r->started = true;
  return true;
}

static bool relay_body(const char *data, size_t len, void *ctx) { return http_stream_write(((relay *)ctx)->rq, data, len); }

bool aggregator_proxy_handle(http_req *rq) {
  char group[256], version[128];
  if (!split(rq->path, group, sizeof group, version, sizeof version)) return false;
  cobj *o = apiservice_remote(rq->srv->cache, group, version);
  if (!o) return false;
  const json_t *spec = json_object_get(o->obj, "spec");
  if (unavailable(o->obj)) {
    cobj_unref(o);
    service_unavailable(rq);
    return true;
  }
  json_t *cc = target_of(spec);
  char *target = malloc(strlen(rq->path) + (rq->query ? strlen(rq->query) : 0) + 2);
  sprintf(target, "%s%s%s", rq->path, rq->query ? "?" : "", rq->query ? rq->query : "");
  char *headers = forward_headers(rq);
  wh_http_request req = {.method = rq->method,
                         .path = target,
                         .headers = headers,
                         .body = rq->body,
                         .len = rq->body ? rq->body_len : 0,
                         .client_cert = *client_cert ? client_cert : NULL,
                         .client_key = *client_key ? client_key : NULL,
                         .insecure = json_is_true(json_object_get(spec, "insecureSkipTLSVerify")),
                         .timeout_s = PROXY_TIMEOUT_S};
  wh_http_response resp;
  char err[1024];
  relay r = {rq, false};
  if (is_watch(rq)) {
    req.timeout_s = WATCH_TIMEOUT_S;
    if (wh_http_stream(rq->srv->cache, cc, &req, relay_head, relay_body, &r, err, sizeof err) != 0) {
      LOGW("aggregator: watch %s to %s: %s", target, o->subkey, err);
      service_unavailable(rq);
    } else {
      http_stream_end(rq);
    }
  } else if (wh_http(rq->srv->cache, cc, &req, &resp, err, sizeof err) != 0) {
    LOGW("aggregator: %s %s to %s: %s", rq->method, target, o->subkey, err);
    service_unavailable(rq);
  } else {
    char ctype[256];
    content_type_of(resp.headers, ctype, sizeof ctype);
    take_warnings(rq, resp.headers);
    http_send(rq, resp.code, ctype, resp.body, resp.len);
    wh_http_response_free(&resp);
  }
  free(headers);
  free(target);
  json_decref(cc);
  cobj_unref(o);
  return true;
}
