/* pod_proxy.c - see pod_proxy.h. As kube-apiserver's proxy: a pod's port
 * is the one named, else its first container port, else 80; a Service's
 * port (by name or number) leads to one of its ready endpoints picked at
 * random. The server never dials a node: the request goes as HTTP/1.0 with
 * Connection: close through one port-forward connection of the pod's node
 * tunnel (node/tunnel_forward.c), the answer is read whole (capped at
 * 16 MiB) and sent back with the backend's status and end-to-end headers.
 * The https scheme asks the node for TLS to the pod (not verified, as
 * kube-apiserver's proxy transport; node/tunnel_tls.c), the request's end
 * marked by closing the input. */
#include "pod_proxy.h"
#include "json_path.h"
#include "api.h"
#include "node_tunnel.h"
#include "proxy_http.h"
#include "proxy_rewrite.h"
#include "status.h"
#include "webhook.h"
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ANSWER (16 << 20)

typedef struct {
  char node[256], uid[128], ip[64], pod[256];
  long port;
} backend;

static cobj *get(cache *c, const char *plural, const char *ns, const char *name) {
  const resource *r = registry_find("", "v1", plural);
  return r ? cache_get(c, r->bucket, ns, name) : NULL;
}

/* The pod's node, uid and IP into b; NULL, or the Status why not. */
static json_t *pod_backend(cache *c, const char *ns, const char *name, backend *b) {
  cobj *o = get(c, "pods", ns, name);
  if (!o) return status_not_found_gr("", "pods", name);
  const json_t *spec = json_object_get(o->obj, "spec");
  snprintf(b->pod, sizeof b->pod, "%s", name);
  snprintf(b->node, sizeof b->node, "%s", json_str0(spec, "nodeName"));
  snprintf(b->uid, sizeof b->uid, "%s", json_str0(json_object_get(o->obj, "metadata"), "uid"));
  snprintf(b->ip, sizeof b->ip, "%s", json_str0(json_object_get(o->obj, "status"), "podIP"));
  if (!b->port) { /* no port named: the first container port, else 80 */
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
      json_t *p = json_array_get(json_object_get(c, "ports"), 0);
      if (p) {
        b->port = (long)json_integer_value(json_object_get(p, "containerPort"));
        break;
      }
    }
    if (!b->port) b->port = 80;
  }
  cobj_unref(o);
  if (!*b->node || !*b->ip) return status_failure(503, "ServiceUnavailable", "pod has no IP address yet", NULL);
  return NULL;
}

/* One ready endpoint of the Service's port (name, or number) into b; NULL, or the Status why not. */
static json_t *service_backend(cache *c, const char *ns, const char *name, const char *port, backend *b) {
  char msg[600], want[256];
  snprintf(want, sizeof want, "%s", port);
  cobj *svc = get(c, "services", ns, name);
  if (!svc) return status_not_found_gr("", "services", name);
  char *end;
  long num = strtol(port, &end, 10);
  if (*port && !*end) { /* a number: the Service port's name */
    size_t i;
    json_t *p;
    bool found = false;
    json_array_foreach(json_object_get(json_object_get(svc->obj, "spec"), "ports"), i, p)
      if (json_integer_value(json_object_get(p, "port")) == num) {
        snprintf(want, sizeof want, "%s", json_str0(p, "name"));
        found = true;
      }
    if (!found) {
      cobj_unref(svc);
      snprintf(msg, sizeof msg, "no service port %ld found for service \"%s\"", num, name);
      return status_failure(503, "ServiceUnavailable", msg, NULL);
    }
  }
  cobj_unref(svc);
  cobj *eps = get(c, "endpoints", ns, name);
  json_t *found_addr = NULL;
  long found_port = 0, seen = 0;
  size_t i, j, k;
  json_t *ss, *p, *a;
  json_array_foreach(eps ? json_object_get(eps->obj, "subsets") : NULL, i, ss)
    json_array_foreach(json_object_get(ss, "ports"), j, p) {
      if (strcmp(json_str0(p, "name"), want)) continue;
      json_array_foreach(json_object_get(ss, "addresses"), k, a)
        if (rand() % ++seen == 0) found_addr = a, found_port = (long)json_integer_value(json_object_get(p, "port"));
    }
  json_t *st = NULL;
  if (!found_addr) {
    snprintf(msg, sizeof msg, "no endpoints available for service \"%s\"", name);
    st = status_failure(503, "ServiceUnavailable", msg, NULL);
  } else {
    const json_t *ref = json_object_get(found_addr, "targetRef");
    b->port = found_port;
    if (ref && !strcmp(json_str0(ref, "kind"), "Pod")) st = pod_backend(c, json_str0(ref, "namespace")[0] ? json_str0(ref, "namespace") : ns,
                                                             json_str0(ref, "name"), b);
    else st = status_failure(503, "ServiceUnavailable", "the endpoint is not a pod", NULL);
    if (!st) snprintf(b->ip, sizeof b->ip, "%s", json_str0(found_addr, "ip"));
  }
  cobj_unref(eps);
  return st;
}

/* The path and query as the backend gets them, bytes outside the URL's safe set escaped. */
static void request_target(const char *path, const char *query, char *out, size_t len) {
  size_t n = 0;
  if (!*path) path = "/";
  for (const char *p = path; *p && n + 4 < len; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '%') n += (size_t)snprintf(out + n, len - n, "%%%02X", c);
    else out[n++] = (char)c;
  }
  out[n] = 0;
  if (query && *query) snprintf(out + n, len - n, "?%s", query);
}

/* The request for the backend: method, target, the client's end-to-end headers, the body. */
static char *backend_request(const http_req *rq, const backend *b, const char *target, const char *forwarded_uri,
                             size_t *len) {
  const struct mg_request_info *ri = mg_get_request_info(rq->conn);
  size_t cap = 8192 + strlen(target) + rq->body_len, n = 0;
  char *req = malloc(cap);
  n += (size_t)snprintf(req + n, cap - n, "%s %s HTTP/1.0\r\nHost: %s:%ld\r\nConnection: close\r\n", rq->method,
                        target, b->ip, b->port);
  for (int i = 0; i < ri->num_headers && n < cap - 1024; i++) {
    const char *name = ri->http_headers[i].name;
    if (proxy_hop_header(name, strlen(name)) || !strcasecmp(name, "Host") || !strcasecmp(name, "Authorization"))
      continue;
    n += (size_t)snprintf(req + n, cap - n, "%.200s: %.600s\r\n", name, ri->http_headers[i].value);
  }
  n += (size_t)snprintf(req + n, cap - n, "X-Forwarded-Uri: %.4000s\r\n", forwarded_uri);
  n += (size_t)snprintf(req + n, cap - n, "Content-Length: %zu\r\n\r\n", rq->body_len);
  if (rq->body_len) memcpy(req + n, rq->body, rq->body_len), n += rq->body_len;
  *len = n;
  return req;
}

/* The header named name (case-insensitive) of an answer's header block, into out ("" when absent). */
static void answer_header(const proxy_response *r, const char *name, char *out, size_t len) {
  size_t nl = strlen(name);
  *out = 0;
  for (const char *line = r->headers; line < r->headers + r->headers_len;) {
    const char *end = memchr(line, '\n', (size_t)(r->headers + r->headers_len - line));
    if (!end) break;
    if ((size_t)(end - line) > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
      const char *v = line + nl + 1, *e = end;
      while (*v == ' ' || *v == '\t') v++;
      while (e > v && (e[-1] == '\r' || e[-1] == ' ')) e--;
      snprintf(out, len, "%.*s", (int)(e - v), v);
      return;
    }
    line = end + 1;
  }
}

/* Headers kube-apiserver's proxy drops from an answer: CORS is the API server's business. */
static bool cors_header(const char *name, size_t len) {
  static const char *const cors[] = {"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
                                     "Access-Control-Allow-Methods", "Access-Control-Allow-Origin"};
  for (size_t i = 0; i < sizeof cors / sizeof cors[0]; i++)
    if (strlen(cors[i]) == len && !strncasecmp(cors[i], name, len)) return true;
  return false;
}

/* Sends the backend's answer to the client: its status, end-to-end headers and body, with a
 * Location, or else the links of an HTML body, leading back through the proxy (proxy_rewrite.h). */
static void send_answer(http_req *rq, proxy_response *r, const proxy_origin *o) {
  char location[4096], type[256], encoding[64];
  answer_header(r, "Location", location, sizeof location);
  answer_header(r, "Content-Type", type, sizeof type);
  answer_header(r, "Content-Encoding", encoding, sizeof encoding);
  type[strcspn(type, "; \t")] = 0;
  char *body = NULL, *moved = *location ? proxy_rewrite_url(location, o) : NULL;
  size_t body_len = r->body_len;
  if (!moved && !strcasecmp(type, "text/html")) body = proxy_rewrite_html_encoded(r->body, r->body_len, encoding, o, &body_len);
  if (!body) body_len = r->body_len;
  rq->code = r->code;
  mg_printf(rq->conn, "HTTP/1.1 %d %s\r\n", r->code, mg_get_response_code_text(rq->conn, r->code));
  for (const char *line = r->headers; line < r->headers + r->headers_len;) {
    const char *end = memchr(line, '\n', (size_t)(r->headers + r->headers_len - line));
    if (!end) break;
    const char *colon = memchr(line, ':', (size_t)(end - line));
    size_t nlen = colon ? (size_t)(colon - line) : 0;
    if (moved && nlen == 8 && !strncasecmp(line, "Location", 8)) mg_printf(rq->conn, "Location: %s\r\n", moved);
    else if (colon && !proxy_hop_header(line, nlen) && !cors_header(line, nlen))
      mg_write(rq->conn, line, (size_t)(end - line + 1));
    line = end + 1;
  }
  mg_printf(rq->conn, "Content-Length: %zu\r\n\r\n", body_len);
  if (strcmp(rq->method, "HEAD")) mg_write(rq->conn, body ? body : r->body, body_len);
  free(body);
  free(moved);
}

/* Relays rq to b through b's node tunnel, over TLS to the pod with tls; o says how answers lead back. */
static void relay(http_req *rq, const backend *b, const char *target, bool tls, const proxy_origin *o) {
  json_t *line = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "kind", "portforward", "namespace", rq->ns, "pod", b->pod,
                           "podUID", b->uid, "podIP", b->ip, "port", (json_int_t)b->port, "tls", tls);
  treq *t = node_tunnel_request(b->node, line);
  if (!t) {
    http_send_status(rq, status_failure(503, "ServiceUnavailable", "error trying to reach service: the pod's node has "
                                        "no call-home connection", NULL));
    return;
  }
  size_t len;
  char *forwarded_uri = proxy_join_path(o->prepend, o->path);
  char *req = backend_request(rq, b, target, forwarded_uri, &len);
  free(forwarded_uri);
  node_tunnel_input(t, 0, req, len, tls); /* the backend closes after its answer (HTTP/1.0); TLS: the whole request */
  free(req);
  char *answer = NULL, *data, *message = NULL;
  size_t n = 0, dlen;
  int channel, status = 200;
  while (node_tunnel_next(t, &channel, &data, &dlen, &status, &message) == 1) {
    if (channel == 1 && n + dlen <= MAX_ANSWER) {
      answer = realloc(answer, n + dlen + 1);
      memcpy(answer + n, data, dlen);
      n += dlen;
    }
    free(data);
  }
  node_tunnel_release(t);
  proxy_response r;
  if (answer && proxy_parse_response(answer, n, &r)) send_answer(rq, &r, o);
  else {
    char msg[800];
    snprintf(msg, sizeof msg, "error trying to reach service: %s",
             message && *message ? message : status != 200 ? "the node did not answer" : "no HTTP answer");
    http_send_status(rq, status_failure(503, "ServiceUnavailable", msg, NULL));
  }
  free(message);
  free(answer);
}

/* The length of path's ".../proxy" prefix (ns, kind, id filled), or 0 when it is another path. */
static int proxy_prefix(const char *path, char *ns, char *kind, char *id) {
  int used = 0;
  if (sscanf(path, "/api/v1/namespaces/%255[^/]/%15[^/]/%511[^/]/proxy%n", ns, kind, id, &used) != 3 || !used ||
      (path[used] && path[used] != '/') || (strcmp(kind, "pods") && strcmp(kind, "services")))
    return 0;
  return used;
}

bool pod_proxy_path(const char *path) {
  char ns[256], kind[16], id[512];
  return proxy_prefix(path, ns, kind, id) > 0;
}

bool pod_proxy_handle(http_req *rq) {
  char ns[256], kind[16], id[512];
  int used = proxy_prefix(rq->path, ns, kind, id);
  if (!used) return false;
  rq->form = OUT_JSON;
  snprintf(rq->ns, sizeof rq->ns, "%s", ns);
  json_t *options = webhook_connect_options(kind, "proxy", rq->query, rq->path + used);
  json_t *denied = webhook_connect(rq->srv->cache, rq->user, kind, "proxy", ns, id, options);
  json_decref(options);
  if (denied) {
    http_send_status(rq, denied);
    return true;
  }
  char scheme[16], name[256], port[256], target[8192];
  if (!proxy_split_target(id, scheme, sizeof scheme, name, sizeof name, port, sizeof port)) {
    http_send_status(rq, status_bad_request("invalid request %s", id));
    return true;
  }
  backend b = {0};
  json_t *st = NULL;
  if (!strcmp(kind, "pods")) {
    char *end;
    b.port = *port ? strtol(port, &end, 10) : 0;
    if (*port && (*end || b.port <= 0 || b.port > 65535))
      st = status_bad_request("invalid port %s: a pod is proxied to by port number", port);
    else st = pod_backend(rq->srv->cache, ns, name, &b);
  } else {
    st = service_backend(rq->srv->cache, ns, name, port, &b);
  }
  if (st) {
    http_send_status(rq, st);
    return true;
  }
  if (!rq->path[used]) { /* as kube-apiserver: ".../proxy" is moved to ".../proxy/" */
    rq->code = 301;
    mg_printf(rq->conn, "HTTP/1.1 301 Moved Permanently\r\nLocation: %s/%s%s\r\nContent-Length: 0\r\n\r\n", rq->path,
              rq->query && *rq->query ? "?" : "", rq->query ? rq->query : "");
    return true;
  }
  request_target(rq->path + used, rq->query, target, sizeof target);
  char prepend[1024], backend_host[96];
  snprintf(prepend, sizeof prepend, "%.*s", used, rq->path);
  snprintf(backend_host, sizeof backend_host, "%s:%ld", b.ip, b.port);
  proxy_origin o = {prepend, backend_host, mg_get_header(rq->conn, "Host") ?: "", rq->path + used};
  relay(rq, &b, target, !strcmp(scheme, "https"), &o);
  return true;
}
