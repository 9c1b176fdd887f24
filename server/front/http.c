/* http.c - CivetWeb setup, request intake (body limit, authentication,
 * content negotiation), routing to the handlers, and response writing.
 * Authentication: a client certificate signed by the cluster CA, the admin
 * bearer token, a ServiceAccount token (sa_token.c) or a bootstrap token (bootstrap_auth.c); /healthz, /livez,
 * /readyz and /version are open, as in Kubernetes' default RBAC (system:public-info-viewer), and so are the
 * console's static files (webroot.c) and GET of the kube-public/cluster-info ConfigMap for a request without
 * credentials (as system:anonymous, allowed by kubeadm's Role), which joining nodes read to learn the CA.
 * Every other request then passes impersonation (impersonate.c) and the authorizers (authz.c): 403 Forbidden
 * with kube-apiserver's message when they say no. */
#include "http.h"
#include "http_body.h"
#include "authz.h"
#include "cert_user.h"
#include "ws_bearer.h"
#include "bootstrap_auth.h"
#include "impersonate.h"
#include "discovery.h"
#include "exec_ws.h"
#include "spdy_session.h"
#include "log.h"
#include "metrics.h"
#include "published_check.h"
#include "metrics_api.h"
#include "node_tunnel.h"
#include "openapi.h"
#include "rest.h"
#include "sa_token.h"
#include "status.h"
#include "table_output.h"
#include "webroot.h"
#include "yaml_json.h"
#include <civetweb.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_BODY (3 * 1024 * 1024)

static struct mg_context *ctx;
static char token[128];
static atomic_bool ready;

static const char *reason_phrase(int code) {
  switch (code) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 413: return "Request Entity Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}

static void send_head(http_req *rq, int code, const char *ctype, long long len) {
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  rq->code = code;
  mg_printf(rq->conn, "HTTP/1.1 %d %s\r\nCache-Control: no-cache, private\r\nDate: %s\r\n", code,
            reason_phrase(code), date);
  if (ctype) mg_printf(rq->conn, "Content-Type: %s\r\n", ctype);
  size_t i;
  json_t *w;
  json_array_foreach(rq->warnings, i, w) {
    const char *s = json_string_value(w);
    /* RFC 7234 warn-text is a quoted string: escape quotes and backslashes */
    char esc[1024];
    size_t k = 0;
    for (const char *p = s; *p && k < sizeof esc - 2; p++) {
      if (*p == '"' || *p == '\\') esc[k++] = '\\';
      esc[k++] = *p;
    }
    esc[k] = 0;
    mg_printf(rq->conn, "Warning: 299 - \"%s\"\r\n", esc);
  }
  if (rq->close_after) mg_printf(rq->conn, "Connection: close\r\n");
  if (len >= 0) mg_printf(rq->conn, "Content-Length: %lld\r\n\r\n", len);
  else mg_printf(rq->conn, "Transfer-Encoding: chunked\r\n\r\n");
}

void http_send_head(http_req *rq, int code, const char *ctype, long long len) { send_head(rq, code, ctype, len); }

void http_send(http_req *rq, int code, const char *ctype, const char *body, size_t len) {
  send_head(rq, code, ctype, (long long)len);
  if (len && strcmp(rq->method, "HEAD") != 0) mg_write(rq->conn, body, len);
}

bool http_pretty(http_req *rq) {
  /* kube-apiserver pretty-prints for curl and wget users and ?pretty=true */
  const char *ua = mg_get_header(rq->conn, "User-Agent");
  return http_query_bool(rq, "pretty") || (ua && (!strncmp(ua, "curl/", 5) || !strncmp(ua, "Wget/", 5)));
}

void http_send_json(http_req *rq, int code, const json_t *v) {
  if (rq->form == OUT_YAML) {
    size_t n = 0;
    char *y = json_to_yaml_sorted(v, &n);
    http_send(rq, code, "application/yaml", y, n);
    free(y);
    return;
  }
  char *s = json_dumps(v, http_pretty(rq) ? JSON_INDENT(2) : JSON_COMPACT);
  size_t n = strlen(s);
  s = realloc(s, n + 2);
  s[n++] = '\n';
  http_send(rq, code, "application/json", s, n);
  free(s);
}

void http_send_status(http_req *rq, json_t *st) {
  int code = (int)json_integer_value(json_object_get(st, "code"));
  out_form f = rq->form;
  if (rq->form != OUT_YAML) rq->form = OUT_JSON; /* errors are never tables */
  http_send_json(rq, code ? code : 500, st);
  rq->form = f;
  json_decref(st);
}

void http_send_result(http_req *rq, api_result *res) {
  json_t *status = res->body && json_is_object(res->body) ? res->body : NULL;
  const char *kind = status ? json_string_value(json_object_get(status, "kind")) : NULL;
  bool is_status = kind && !strcmp(kind, "Status");
  if (is_status) {
    out_form f = rq->form;
    if (rq->form != OUT_YAML) rq->form = OUT_JSON;
    json_t *c = json_object_get(res->body, "code");
    http_send_json(rq, c ? (int)json_integer_value(c) : res->code, res->body);
    rq->form = f;
  } else if (rq->form == OUT_TABLE || rq->form == OUT_META) {
    json_t *obj = api_result_json(res);
    json_t *t = table_output_single(rq, obj);
    http_send_json(rq, res->code, t);
    json_decref(t);
    json_decref(obj);
  } else if (res->obj && rq->form == OUT_JSON && !http_pretty(rq)) {
    send_head(rq, res->code, "application/json", (long long)res->obj->len + 1);
    mg_write(rq->conn, res->obj->data, res->obj->len);
    mg_write(rq->conn, "\n", 1);
  } else {
    json_t *obj = api_result_json(res);
    http_send_json(rq, res->code, obj);
    json_decref(obj);
  }
  api_result_clear(res);
}

bool http_stream_start(http_req *rq, const char *ctype) {
  send_head(rq, 200, ctype, -1);
  return true;
}

bool http_stream_write(http_req *rq, const char *data, size_t len) { return http_write_chunk(rq->conn, data, len); }

void http_stream_end(http_req *rq) { mg_send_chunk(rq->conn, "", 0); }

const char *http_query(const http_req *rq, const char *name, char *buf, size_t len) {
  if (!rq->query) return NULL;
  int n = mg_get_var(rq->query, strlen(rq->query), name, buf, len);
  return n >= 0 ? buf : NULL;
}

bool http_query_bool(const http_req *rq, const char *name) {
  char b[16];
  const char *v = http_query(rq, name, b, sizeof b);
  /* strconv.ParseBool's true spellings, as Kubernetes parses query booleans */
  return v && (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "true") || !strcmp(v, "TRUE") ||
               !strcmp(v, "True"));
}

/* Picks the output form from Accept, in the client's order of preference.
 * Returns false when nothing acceptable is offered. */
static bool negotiate(http_req *rq) {
  rq->form = OUT_JSON;
  const char *a = rq->accept;
  if (!a || !*a) return true;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", a);
  char *save = NULL;
  for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
    while (*part == ' ') part++;
    char *params = strchr(part, ';');
    if (params) *params++ = 0;
    char *end = part + strlen(part);
    while (end > part && end[-1] == ' ') *--end = 0;
    const char *as = NULL, *g = NULL, *v = NULL;
    char pbuf[256] = "";
    if (params) {
      snprintf(pbuf, sizeof pbuf, "%s", params);
      char *ps = NULL;
      for (char *p = strtok_r(pbuf, ";", &ps); p; p = strtok_r(NULL, ";", &ps)) {
        while (*p == ' ') p++;
        if (!strncmp(p, "as=", 3)) as = p + 3;
        else if (!strncmp(p, "g=", 2)) g = p + 2;
        else if (!strncmp(p, "v=", 2)) v = p + 2;
      }
    }
    bool json = !strcmp(part, "application/json") || !strcmp(part, "*/*") || !strcmp(part, "application/*");
    if (json && as) {
      if (g && !strcmp(g, "meta.k8s.io") && !strcmp(as, "Table") && v && (!strcmp(v, "v1") || !strcmp(v, "v1beta1"))) {
        rq->form = OUT_TABLE;
        rq->table_version = !strcmp(v, "v1") ? "v1" : "v1beta1";
        return true;
      }
      if (g && !strcmp(g, "meta.k8s.io") && (!strcmp(as, "PartialObjectMetadata") || !strcmp(as, "PartialObjectMetadataList"))) {
        rq->form = OUT_META;
        rq->table_version = v && !strcmp(v, "v1beta1") ? "v1beta1" : "v1";
        return true;
      }
      continue; /* other "as" forms (discovery handles its own) */
    }
    if (json) return true;
    if (!strcmp(part, "application/yaml")) {
      rq->form = OUT_YAML;
      return true;
    }
  }
  return false;
}

/* Whether Accept names a media type kube-apiserver's routes produce (its
 * negotiation then refuses the parameters); otherwise go-restful refuses
 * the request before it reaches the API. */
static bool served_media_type(const char *accept) {
  static const char *const types[] = {"application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
                                      "*/*", "application/*", NULL};
  for (const char *p = accept; p && *p;) {
    while (*p == ' ' || *p == ',') p++;
    size_t n = strcspn(p, ";,");
    while (n && p[n - 1] == ' ') n--;
    for (int i = 0; types[i]; i++)
      if (n == strlen(types[i]) && !strncmp(p, types[i], n)) return true;
    p += strcspn(p, ",");
  }
  return false;
}

bool http_authenticate_token(const char *t, char *user, size_t len, json_t *groups) {
  if (token[0] && !strcmp(t, token)) {
    snprintf(user, len, "kubernetes-admin");
    if (groups) json_array_append_new(groups, json_string("system:masters"));
  } else if (bootstrap_token_shaped(t)) {
    if (!bootstrap_token_authenticate(t, user, len, groups)) return false;
  } else if (sa_token_verify(t, user, len)) {
    if (groups) {
      char g[600];
      snprintf(g, sizeof g, "system:serviceaccounts:%s", user + strlen("system:serviceaccount:"));
      *strrchr(g, ':') = 0;
      json_array_append_new(groups, json_string("system:serviceaccounts"));
      json_array_append_new(groups, json_string(g));
    }
  } else {
    return false;
  }
  if (groups) json_array_append_new(groups, json_string("system:authenticated"));
  return true;
}

/* Authenticates the request; *user gets the UserInfo (new reference). */
static bool authenticated(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user) {
  if (ri->client_cert) { /* verified against the cluster CA by the TLS layer */
    *user = cert_user_from_x509(ri->client_cert->peer_cert);
    return *user != NULL;
  }
  const char *auth = mg_get_header(conn, "Authorization"), *t = NULL;
  char ws_token[1024];
  if (auth && !strncasecmp(auth, "Bearer ", 7)) {
    t = auth + 7;
    while (*t == ' ') t++;
  } else if (!auth) { /* a browser's WebSocket: the token rides in a subprotocol */
    int r = ws_bearer_token(mg_get_header(conn, "Sec-WebSocket-Protocol"), ws_token, sizeof ws_token);
    if (r < 0) return false;
    if (r > 0) t = ws_token;
  }
  if (t) {
    char name[600];
    json_t *groups = json_array();
    if (!http_authenticate_token(t, name, sizeof name, groups)) {
      json_decref(groups);
      return false;
    }
    *user = json_pack("{s:s,s:o}", "username", name, "groups", groups);
    return true;
  }
  return false;
}

#define CLUSTER_INFO_PATH "/api/v1/namespaces/kube-public/configmaps/cluster-info"

/* A request without credentials for the one object anonymous users may read. */
static bool anonymous_allowed(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user) {
  if (ri->client_cert || mg_get_header(conn, "Authorization") || strcmp(ri->request_method, "GET") ||
      strcmp(ri->local_uri, CLUSTER_INFO_PATH))
    return false;
  *user = json_pack("{s:s,s:[s]}", "username", "system:anonymous", "groups", "system:unauthenticated");
  return true;
}

/* Impersonation, then the authorizers (authz.h) over the request's
 * attributes: NULL when allowed (*user may now be the impersonated one),
 * else the Status to answer. */
static json_t *authorize(const struct mg_request_info *ri, json_t **user) {
  json_t *st = impersonate_apply(ri, user);
  if (st) return st;
  authz_attrs a = {0};
  a.user = json_string_value(json_object_get(*user, "username"));
  a.groups = json_object_get(*user, "groups");
  rbac_request_info(ri->request_method, ri->local_uri, ri->query_string, &a);
  char reason[2048];
  if (authz_allowed(&a, reason, sizeof reason)) return NULL;
  return rbac_forbidden_status(&a, reason);
}

json_t *http_connection_user(struct mg_connection *conn) {
  json_t *user = NULL;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  if (!authenticated(conn, ri, &user)) return NULL;
  json_t *deny = authorize(ri, &user);
  if (!deny) return user;
  json_decref(deny);
  json_decref(user);
  return NULL;
}

static bool open_path(const char *p) {
  return !strcmp(p, "/healthz") || !strcmp(p, "/livez") || !strcmp(p, "/readyz") || !strcmp(p, "/version") ||
         !strncmp(p, "/healthz/", 9) || !strncmp(p, "/livez/", 7) || !strncmp(p, "/readyz/", 8);
}

static int read_body(http_req *rq, const struct mg_request_info *ri) {
  long long cl = ri->content_length;
  if (cl > MAX_BODY) return 413;
  size_t cap = cl > 0 ? (size_t)cl + 1 : 65536, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > MAX_BODY + 1) {
        free(b);
        return 413;
      }
      cap *= 2;
      b = realloc(b, cap);
    }
    int r = mg_read(rq->conn, b + n, cap - n - 1);
    if (r <= 0) break;
    n += (size_t)r;
    if (n > MAX_BODY) {
      free(b);
      return 413;
    }
  }
  b[n] = 0;
  rq->body = b;
  rq->body_len = n;
  return 0;
}

static void handle_health(http_req *rq) {
  if (!strncmp(rq->path, "/readyz", 7) && !atomic_load(&ready)) {
    http_send(rq, 500, "text/plain; charset=utf-8", "[-]ping failed: not ready\n", 26);
    return;
  }
  http_send(rq, 200, "text/plain; charset=utf-8", "ok", 2);
}

static int handler(struct mg_connection *conn, void *unused) {
  const struct mg_request_info *ri = mg_get_request_info(conn);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  http_req rq = {0};
  rq.conn = conn;
  rq.method = ri->request_method;
  rq.path = ri->local_uri;
  rq.query = ri->query_string;
  rq.content_type = mg_get_header(conn, "Content-Type");
  rq.accept = mg_get_header(conn, "Accept");
  rq.warnings = json_array();

  if (webroot_handle(&rq)) goto done; /* the console's static files: open, no cluster data */
  if (!open_path(rq.path) && !authenticated(conn, ri, &rq.user) && !anonymous_allowed(conn, ri, &rq.user)) {
    rq.form = OUT_JSON;
    http_send_status(&rq, status_failure(401, "Unauthorized", "Unauthorized", NULL));
    goto done;
  }
  json_t *denied = open_path(rq.path) ? NULL : authorize(ri, &rq.user);
  if (denied) {
    rq.form = OUT_JSON;
    http_send_status(&rq, denied);
    goto done;
  }
  if (open_path(rq.path) && strcmp(rq.path, "/version") != 0) {
    handle_health(&rq);
    goto done;
  }
  if (spdy_session_handle(&rq)) goto done; /* exec, attach, port-forward over SPDY/3.1 */
  /* /metrics is Prometheus text whatever the Accept header says, as kube-apiserver's handler answers */
  if (!negotiate(&rq) && strncmp(rq.path, "/openapi", 8) != 0 && strcmp(rq.path, "/api") != 0 &&
      strcmp(rq.path, "/apis") != 0 && strcmp(rq.path, "/metrics") != 0) {
    rq.form = OUT_JSON;
    http_send_status(&rq, served_media_type(rq.accept)
                              ? status_failure(406, "NotAcceptable",
                                               "only the following media types are accepted: application/json, "
                                               "application/yaml, application/vnd.kubernetes.protobuf",
                                               NULL)
                              : status_no_route(406));
    goto done;
  }
  int bad = read_body(&rq, ri);
  if (bad) {
    http_send_status(&rq, status_failure(413, "RequestEntityTooLarge",
                                         "Request entity too large: limit is 3145728", NULL));
    goto done;
  }
  if (!strcmp(rq.path, "/metrics")) metrics_handle(&rq);
  else if (!node_tunnel_handle(&rq) && !metrics_api_handle(&rq) && !discovery_handle(&rq) && !openapi_handle(&rq))
    rest_handle(&rq);

done:;
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  metrics_observe_request(&rq, secs);
  published_check_after_request();
  LOGD("%s %s%s%s %d %.1fms", rq.method, rq.path, rq.query ? "?" : "", rq.query ? rq.query : "", rq.code,
       secs * 1000);
  free(rq.body);
  json_decref(rq.warnings);
  json_decref(rq.user);
  return rq.code ? rq.code : 500;
}

static int log_message(const struct mg_connection *conn, const char *message) {
  LOGD("civetweb: %s", message);
  return 1;
}

int http_start(const http_config *cfg, char *err, size_t errlen) {
  snprintf(token, sizeof token, "%s", cfg->token ? cfg->token : "");
  mg_init_library(MG_FEATURES_SSL);
  char ports[300], threads[16];
  /* "host:port" -> "host:port" + 's' (TLS); IPv6 as "[::1]:6443s" */
  snprintf(ports, sizeof ports, "%ss", cfg->listen);
  snprintf(threads, sizeof threads, "%d", cfg->threads > 0 ? cfg->threads : 256);
  const char *opts[] = {"listening_ports", ports, "num_threads", threads, "ssl_certificate", cfg->cert_pem,
                        "ssl_ca_file", cfg->ca_file, "ssl_verify_peer", "optional",
                        "enable_keep_alive", "yes", "keep_alive_timeout_ms", "120000", "request_timeout_ms", "3600000",
                        "tcp_nodelay", "1", "decode_url", "yes", "listen_backlog", "1024", NULL};
  struct mg_callbacks cb = {0};
  cb.log_message = log_message;
  struct mg_init_data init = {&cb, NULL, opts};
  struct mg_error_data ed = {0};
  char ebuf[256] = "";
  ed.text = ebuf;
  ed.text_buffer_size = sizeof ebuf;
  ctx = mg_start2(&init, &ed);
  if (!ctx) {
    snprintf(err, errlen, "cannot serve on %s: %s", cfg->listen, ebuf);
    return -1;
  }
  mg_set_request_handler(ctx, "/", handler, NULL);
  exec_ws_register(ctx);
  atomic_store(&ready, true);
  return 0;
}

void http_stop(void) {
  atomic_store(&ready, false);
  node_tunnel_shutdown();
  if (ctx) mg_stop(ctx);
  ctx = NULL;
}

bool http_ready(void) { return atomic_load(&ready); }
