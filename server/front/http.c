/* http.c - the HTTPS front: CivetWeb setup (TLS, client CA), request intake
 * (the console's static files first, body limit, content negotiation) and
 * routing to the handlers. Who the requester is and whether it may ask is
 * http_auth.c's; writing the answer is http_io.c's (http/). /healthz, /livez,
 * /readyz and /version are open, as in Kubernetes' default RBAC
 * (system:public-info-viewer), and so are the console's static files
 * (webroot.c) and GET of the kube-public/cluster-info ConfigMap for a request
 * without credentials. */
#include "aggregator_proxy.h"
#include "http_front.h"
#include "http_auth.h"
#include "discovery.h"
#include "exec_ws.h"
#include "spdy_session.h"
#include "log.h"
#include "metrics.h"
#include "published_check.h"
#include "metrics_api.h"
#include "node_tunnel.h"
#include "pod_proxy.h"
#include "audit_log.h"
#include "openapi.h"
#include "rest.h"
#include "status.h"
#include "table_output.h"
#include "webroot.h"
#include <civetweb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_BODY (3 * 1024 * 1024)

static struct mg_context *ctx;
static atomic_bool ready;

/* The server a connection's front serves: its CivetWeb context's user data. */
api_server *http_server_of(const struct mg_connection *conn) { return mg_get_user_data(mg_get_context(conn)); }


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

static atomic_ulong requests_begun; /* the Ingress proxy reads it to yield (http_requests_begun) */

unsigned long http_requests_begun(void) { return atomic_load_explicit(&requests_begun, memory_order_relaxed); }

/* The request's path: CivetWeb's cleaned one, except that CivetWeb also drops
 * a trailing '.' (Windows file names), which is part of Kubernetes names
 * such as the APIService "v1.": then the decoded raw path, when it is the
 * cleaned one plus that dot. */
static const char *request_path(const struct mg_request_info *ri) {
  const char *raw = ri->local_uri_raw, *clean = ri->local_uri;
  size_t rl = raw ? strlen(raw) : 0, cl = clean ? strlen(clean) : 0;
  if (rl > 1 && rl > cl && raw[rl - 1] == '.' && raw[rl - 2] != '/' && raw[rl - 2] != '.' &&
      !strncmp(raw, clean, cl) && strspn(raw + cl, ".") == rl - cl)
    return raw;
  return clean;
}

static int handler(struct mg_connection *conn, void *unused) {
  atomic_fetch_add_explicit(&requests_begun, 1, memory_order_relaxed);
  const struct mg_request_info *ri = mg_get_request_info(conn);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  http_req rq = {0};
  rq.conn = conn;
  rq.srv = http_server_of(conn);
  rq.method = ri->request_method;
  rq.path = request_path(ri);
  rq.query = ri->query_string;
  rq.content_type = mg_get_header(conn, "Content-Type");
  rq.accept = mg_get_header(conn, "Accept");
  rq.warnings = json_array();

  if (webroot_handle(&rq)) goto done; /* the console's static files: open, no cluster data */
  /* without --anonymous-auth the health and version paths stay open (the runner's and agents' probes) */
  bool open = !http_anonymous_auth() && open_path(rq.path);
  bool authed = open || http_authenticated(conn, ri, &rq.user) || http_anonymous_allowed(conn, ri, &rq.user);
  if (!open)
    rq.audit = audit_begin(rq.method, ri->request_uri, rq.path, rq.query, ri->remote_addr,
                           mg_get_header(conn, "User-Agent"), rq.user);
  if (!authed) {
    rq.form = OUT_JSON;
    http_send_status(&rq, status_failure(401, "Unauthorized", "Unauthorized", NULL));
    goto done;
  }
  json_t *as_user = json_incref(rq.user);
  char reason[2048] = "";
  json_t *denied = open ? NULL : http_authorize(rq.srv->cache, ri, &rq.user, reason, sizeof reason);
  audit_authorized(rq.audit, !denied, reason, rq.user != as_user ? rq.user : NULL);
  json_decref(as_user);
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
  if (!negotiate(&rq) && !pod_proxy_path(rq.path) && !aggregator_path(rq.srv->cache, rq.path) && strncmp(rq.path, "/openapi", 8) != 0 && strcmp(rq.path, "/api") != 0 &&
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
  else if (!node_tunnel_handle(&rq) && !pod_proxy_handle(&rq) && !aggregator_proxy_handle(&rq) && !metrics_api_handle(&rq) && !discovery_handle(&rq) && !openapi_handle(&rq))
    rest_handle(&rq);

done:;
  audit_end(rq.audit, &rq);
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  metrics_observe_request(&rq, secs);
  published_check_after_request(rq.srv->cache);
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
  http_auth_set_admin_token(cfg->token);
  audit_set_body_decoder(rest_decode_body);
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
  struct mg_init_data init = {&cb, cfg->srv, opts};
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
