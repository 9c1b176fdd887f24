/* route_compile.c - builds a route table from stored objects the way
 * ingress-nginx's controller.go builds its servers and locations:
 * served Ingresses sorted by creationTimestamp (then namespace/name), the
 * oldest keeping a host+path+pathType both define; canary Ingresses
 * attached afterwards to the location with the same host, path and
 * pathType (at most one canary each, as ingress-nginx); each server's
 * fallback is the defaultBackend of the first Ingress that created it;
 * hosts with use-regex or rewrite-target match their paths as
 * case-insensitive regexes (POSIX ERE here, PCRE in nginx). Backends are
 * Service ports resolved through EndpointSlices to ready addresses. */
#include "route_compile.h"
#include "go_errors.h"
#include "ingress_metrics.h"
#include "ingress_tls.h"
#include "json_path.h"
#include "object_meta.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_OURS "ingress.ckube.io/"
#define PREFIX_NGINX "nginx.ingress.kubernetes.io/"

typedef struct {
  route_host h;
  size_t cap;
  bool regex;
} host_builder;

typedef struct {
  const route_inputs *in;
  route_table *t;
  route_warn_fn warn;
  void *ctx;
  host_builder *hosts; /* named hosts; index 0 is the catch-all */
  size_t n_hosts, cap_hosts;
  json_t *tls_hosts;   /* lowercase host -> true, for the HTTPS redirect */
  size_t cap_backends, cap_opts, cap_certs;
} compiler;

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) abort();
  return p;
}

static char *xstrdup(const char *s) {
  char *d = strdup(s ? s : "");
  if (!d) abort();
  return d;
}

static void warnf(compiler *c, const json_t *ing, const char *reason, const char *fmt, ...) {
  if (!c->warn) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->warn(c->ctx, ing, reason, msg);
}

static const char *sdef(const char *s) { return s ? s : ""; }

const char *route_annotation(const json_t *ing, const char *name) {
  const json_t *anns = json_path(ing, "metadata.annotations");
  char key[256];
  snprintf(key, sizeof key, PREFIX_OURS "%s", name);
  const char *v = json_string_value(json_object_get(anns, key));
  if (v) return v;
  snprintf(key, sizeof key, PREFIX_NGINX "%s", name);
  return json_string_value(json_object_get(anns, key));
}

static bool ann_true(const json_t *ing, const char *name) {
  const char *v = route_annotation(ing, name);
  return v && !strcasecmp(v, "true");
}

long long route_parse_size(const char *s) {
  if (!s || !*s) return -1;
  char *end;
  long long n = strtoll(s, &end, 10);
  if (end == s || n < 0) return -1;
  switch (tolower((unsigned char)*end)) {
  case 0: return n;
  case 'k': n <<= 10; break;
  case 'm': n <<= 20; break;
  case 'g': n <<= 30; break;
  default: return -1;
  }
  return end[1] ? -1 : n;
}

/* ---- classes ---------------------------------------------------------- */

static bool class_is_ours(const json_t *classes, const char *name, bool *is_default_ours) {
  size_t i;
  const json_t *cl;
  bool found = false;
  json_array_foreach(classes, i, cl) {
    const char *ctl = json_path_str(cl, "spec.controller");
    if (!ctl || strcmp(ctl, ROUTE_CONTROLLER_NAME)) continue;
    const char *def = json_string_value(
        json_object_get(json_path(cl, "metadata.annotations"), "ingressclass.kubernetes.io/is-default-class"));
    if (def && !strcmp(def, "true") && is_default_ours) *is_default_ours = true;
    if (name && !strcmp(sdef(meta_str(cl, "name")), name)) found = true;
  }
  return found;
}

bool route_ingress_served(const json_t *ing, const json_t *classes) {
  const char *cls = json_path_str(ing, "spec.ingressClassName");
  if (!cls) cls = json_string_value(json_object_get(json_path(ing, "metadata.annotations"), "kubernetes.io/ingress.class"));
  bool def = false;
  bool named = class_is_ours(classes, cls, &def);
  return cls ? named : def;
}

/* ---- backends --------------------------------------------------------- */

static bool parse_ip(const char *ip, int port, route_endpoint *e) {
  memset(e, 0, sizeof *e);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&e->addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&e->addr;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET, v4->sin_port = htons((uint16_t)port), e->len = sizeof *v4;
    snprintf(e->text, sizeof e->text, "%s:%d", ip, port);
    return true;
  }
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6, v6->sin6_port = htons((uint16_t)port), e->len = sizeof *v6;
    snprintf(e->text, sizeof e->text, "[%s]:%d", ip, port);
    return true;
  }
  return false;
}

static const json_t *find_obj(const json_t *arr, const char *ns, const char *name) {
  size_t i;
  const json_t *o;
  json_array_foreach(arr, i, o) if (!strcmp(sdef(meta_str(o, "namespace")), ns) && !strcmp(sdef(meta_str(o, "name")), name)) return o;
  return NULL;
}

/* The Service port an IngressServiceBackend names (by number or name). */
static const json_t *service_port(const json_t *svc, const json_t *port) {
  const json_t *num = json_object_get(port, "number");
  const char *name = json_string_value(json_object_get(port, "name"));
  size_t i;
  const json_t *p;
  json_array_foreach(json_path(svc, "spec.ports"), i, p) {
    if (num && json_integer_value(json_object_get(p, "port")) == json_integer_value(num)) return p;
    if (name && !strcmp(json_path_str0(p, "name"), name)) return p;
  }
  return NULL;
}

/* The port a slice gives for the Service port named pname (a slice and a
 * Service with one port each pair up whatever the names), or -1. */
static int slice_port(const json_t *slice, const char *pname, size_t svc_ports) {
  const json_t *ports = json_object_get(slice, "ports");
  size_t i;
  const json_t *p;
  json_array_foreach(ports, i, p) if (!strcmp(json_path_str0(p, "name"), pname)) return (int)json_integer_value(
      json_object_get(p, "port"));
  if (json_array_size(ports) == 1 && svc_ports == 1)
    return (int)json_integer_value(json_object_get(json_array_get(ports, 0), "port"));
  return -1;
}

static void add_slice_endpoints(route_backend *b, const json_t *slice, int port) {
  size_t i, j;
  const json_t *ep, *addr;
  json_array_foreach(json_object_get(slice, "endpoints"), i, ep) {
    const json_t *ready = json_path(ep, "conditions.ready");
    if (json_is_false(ready)) continue; /* unset means ready (EndpointSlice API) */
    json_array_foreach(json_object_get(ep, "addresses"), j, addr) {
      route_endpoint e;
      if (!json_is_string(addr) || !parse_ip(json_string_value(addr), port, &e)) continue;
      b->eps = xrealloc(b->eps, (b->n_eps + 1) * sizeof *b->eps);
      b->eps[b->n_eps++] = e;
    }
  }
}

static route_backend *new_backend(compiler *c, const char *name) {
  for (size_t i = 0; i < c->t->n_backends; i++)
    if (!strcmp(c->t->backends[i]->name, name)) return c->t->backends[i];
  if (c->t->n_backends == c->cap_backends) {
    c->cap_backends = c->cap_backends ? 2 * c->cap_backends : 16;
    c->t->backends = xrealloc(c->t->backends, c->cap_backends * sizeof *c->t->backends);
  }
  route_backend *b = calloc(1, sizeof *b);
  if (!b) abort();
  b->name = xstrdup(name);
  c->t->backends[c->t->n_backends++] = b;
  return b;
}

/* The Service name an HTTPIngressPath's backend names ("" for none): a metrics label. */
static const char *service_name(const json_t *path) {
  return json_path_str0(path, "backend.service.name");
}

/* The backend an IngressBackend names, or NULL (503) with a warning. */
static route_backend *resolve_backend(compiler *c, const json_t *ing, const json_t *ib) {
  const json_t *svcref = json_object_get(ib, "service");
  const char *ns = sdef(meta_str(ing, "namespace")), *name = json_path_str(svcref, "name");
  if (!name) {
    warnf(c, ing, "UnsupportedBackend", "a backend without a service (resource backends are not supported)");
    return NULL;
  }
  const json_t *port = json_object_get(svcref, "port");
  const json_t *svc = find_obj(c->in->services, ns, name);
  if (!svc) {
    warnf(c, ing, "ServiceNotFound", "Service \"%s/%s\" not found", ns, name);
    return NULL;
  }
  const json_t *sp = service_port(svc, port);
  char key[512], portdesc[64];
  if (json_object_get(port, "number")) snprintf(portdesc, sizeof portdesc, "%lld", json_integer_value(json_object_get(port, "number")));
  else snprintf(portdesc, sizeof portdesc, "%s", json_path_str0(port, "name"));
  if (!sp) {
    warnf(c, ing, "PortNotFound", "Service \"%s/%s\" has no port %s", ns, name, portdesc);
    return NULL;
  }
  snprintf(key, sizeof key, "%s-%s-%s", ns, name, portdesc);
  route_backend *b = new_backend(c, key);
  if (b->n_eps) return b; /* resolved before in this compile */
  const char *pname = json_path_str0(sp, "name");
  size_t svc_ports = json_array_size(json_path(svc, "spec.ports")), i;
  const json_t *sl;
  json_array_foreach(c->in->slices, i, sl) {
    const char *owner = json_string_value(json_object_get(json_path(sl, "metadata.labels"), "kubernetes.io/service-name"));
    if (!owner || strcmp(owner, name) || strcmp(sdef(meta_str(sl, "namespace")), ns)) continue;
    int p = slice_port(sl, pname, svc_ports);
    if (p > 0) add_slice_endpoints(b, sl, p);
  }
  if (b->n_eps && !b->state) {
    b->state = calloc(b->n_eps, sizeof *b->state);
    if (!b->state) abort();
  }
  const char *lb = route_annotation(ing, "load-balance");
  int alg = route_parse_lb(lb);
  if (alg < 0) warnf(c, ing, "InvalidAnnotation", "load-balance %s is not one of round_robin, ewma, least_conn", lb);
  else b->lb = (route_lb)alg;
  return b;
}

/* ---- annotations ------------------------------------------------------ */

static int ann_int(compiler *c, const json_t *ing, const char *name, int def) {
  const char *v = route_annotation(ing, name);
  if (!v) return def;
  char *end;
  long n = strtol(v, &end, 10);
  if (end == v || *end || n < 0 || n > 86400) {
    warnf(c, ing, "InvalidAnnotation", "annotation %s: %s is not a number of seconds", name, v);
    return def;
  }
  return (int)n;
}

static bool parse_cidr(const char *s, route_cidr *out) {
  char buf[80];
  snprintf(buf, sizeof buf, "%s", s);
  char *slash = strchr(buf, '/');
  if (slash) *slash = 0;
  memset(out, 0, sizeof *out);
  if (inet_pton(AF_INET, buf, out->addr) == 1) out->family = AF_INET, out->bits = 32;
  else if (inet_pton(AF_INET6, buf, out->addr) == 1) out->family = AF_INET6, out->bits = 128;
  else return false;
  if (slash) {
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (end == slash + 1 || *end || bits < 0 || bits > out->bits) return false;
    out->bits = (int)bits;
  }
  return true;
}

static void parse_allow(compiler *c, const json_t *ing, route_opts *o) {
  const char *v = route_annotation(ing, "whitelist-source-range");
  if (!v) return;
  char *copy = xstrdup(v), *save = NULL;
  for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    route_cidr cidr;
    if (!parse_cidr(tok, &cidr)) {
      warnf(c, ing, "InvalidAnnotation", "whitelist-source-range: %s is not a CIDR", tok);
      continue;
    }
    o->allow = xrealloc(o->allow, (o->n_allow + 1) * sizeof *o->allow);
    o->allow[o->n_allow++] = cidr;
  }
  if (!o->n_allow) { /* nothing valid: deny everyone rather than allow */
    o->allow = xrealloc(o->allow, sizeof *o->allow);
    memset(o->allow, 0, sizeof *o->allow);
    o->allow[0].family = -1;
    o->n_allow = 1;
  }
  free(copy);
}

static route_opts *parse_opts(compiler *c, const json_t *ing) {
  route_opts *o = calloc(1, sizeof *o);
  if (!o) abort();
  char key[300];
  snprintf(key, sizeof key, "%s/%s", sdef(meta_str(ing, "namespace")), sdef(meta_str(ing, "name")));
  o->ingress = xstrdup(key);
  const char *v = route_annotation(ing, "ssl-redirect");
  o->ssl_redirect = !v || strcasecmp(v, "false");
  o->force_ssl_redirect = ann_true(ing, "force-ssl-redirect");
  v = route_annotation(ing, "backend-protocol");
  if (v && !strcasecmp(v, "HTTPS")) o->backend_https = true;
  else if (v && strcasecmp(v, "HTTP"))
    warnf(c, ing, "UnsupportedAnnotation", "backend-protocol %s is not supported: the backends get HTTP", v);
  if ((v = route_annotation(ing, "rewrite-target"))) o->rewrite_target = xstrdup(v);
  if ((v = route_annotation(ing, "app-root"))) o->app_root = xstrdup(v);
  if ((v = route_annotation(ing, "permanent-redirect"))) o->permanent_redirect = xstrdup(v);
  o->permanent_redirect_code = ann_int(c, ing, "permanent-redirect-code", 301);
  if (o->permanent_redirect_code < 300 || o->permanent_redirect_code > 308) o->permanent_redirect_code = 301;
  o->body_limit = 1 << 20;
  if ((v = route_annotation(ing, "proxy-body-size"))) {
    long long n = route_parse_size(v);
    if (n < 0) warnf(c, ing, "InvalidAnnotation", "proxy-body-size %s is not a size", v);
    else o->body_limit = n;
  }
  o->connect_timeout = ann_int(c, ing, "proxy-connect-timeout", 5);
  o->read_timeout = ann_int(c, ing, "proxy-read-timeout", 60);
  o->send_timeout = ann_int(c, ing, "proxy-send-timeout", 60);
  v = route_annotation(ing, "affinity");
  if (v && !strcmp(v, "cookie")) {
    const char *name = route_annotation(ing, "session-cookie-name");
    o->affinity_cookie = xstrdup(name ? name : "INGRESSCOOKIE");
  }
  parse_allow(c, ing, o);
  route_table *t = c->t;
  if (t->n_opts == c->cap_opts) {
    c->cap_opts = c->cap_opts ? 2 * c->cap_opts : 16;
    t->opts = xrealloc(t->opts, c->cap_opts * sizeof *t->opts);
  }
  t->opts[t->n_opts++] = o;
  return o;
}

/* ---- hosts and paths --------------------------------------------------- */

static host_builder *get_host(compiler *c, const char *name, bool *created) {
  *created = false;
  for (size_t i = 0; i < c->n_hosts; i++)
    if (!strcmp(c->hosts[i].h.name, name)) return &c->hosts[i];
  if (c->n_hosts == c->cap_hosts) {
    c->cap_hosts = c->cap_hosts ? 2 * c->cap_hosts : 16;
    c->hosts = xrealloc(c->hosts, c->cap_hosts * sizeof *c->hosts);
  }
  host_builder *hb = &c->hosts[c->n_hosts++];
  memset(hb, 0, sizeof *hb);
  hb->h.name = xstrdup(name);
  for (char *p = hb->h.name; *p; p++) *p = (char)tolower((unsigned char)*p);
  *created = true;
  return hb;
}

static route_path_type path_type(const char *s) {
  if (s && !strcmp(s, "Exact")) return PATH_EXACT;
  if (s && !strcmp(s, "Prefix")) return PATH_PREFIX;
  return PATH_IMPL;
}

static route_path *find_path(host_builder *hb, const char *path, route_path_type type) {
  for (size_t i = 0; i < hb->h.n_paths; i++)
    if (hb->h.paths[i].type == type && !strcmp(hb->h.paths[i].path, path)) return &hb->h.paths[i];
  return NULL;
}

static void add_path(compiler *c, host_builder *hb, const json_t *ing, const json_t *p, route_opts *o) {
  const char *path = json_path_str(p, "path");
  if (!path || !*path) path = "/";
  route_path_type type = path_type(json_path_str(p, "pathType"));
  if (find_path(hb, path, type)) return; /* an older Ingress has it ("Location already configured") */
  if (hb->h.n_paths == hb->cap) {
    hb->cap = hb->cap ? 2 * hb->cap : 8;
    hb->h.paths = xrealloc(hb->h.paths, hb->cap * sizeof *hb->h.paths);
  }
  route_path *rp = &hb->h.paths[hb->h.n_paths++];
  memset(rp, 0, sizeof *rp);
  rp->path = xstrdup(path);
  rp->type = type;
  rp->match_len = strlen(path);
  if (type == PATH_PREFIX && rp->match_len && path[rp->match_len - 1] == '/') rp->match_len--;
  rp->backend = resolve_backend(c, ing, json_object_get(p, "backend"));
  rp->opts = o;
  if (o->rewrite_target || ann_true(ing, "use-regex")) hb->regex = true;
  rp->stats = ingress_metrics_series(o->ingress, hb->h.name, path, rp->backend ? rp->backend->name : "", service_name(p),
                                     false);
}

/* qsort, which may not be handed the NULL of an empty array. */
static void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (n > 1) qsort(base, n, size, cmp);
}

static int path_order(const void *a, const void *b) {
  const route_path *x = a, *y = b;
  size_t lx = strlen(x->path), ly = strlen(y->path);
  if (lx != ly) return lx > ly ? -1 : 1;
  if ((x->type == PATH_EXACT) != (y->type == PATH_EXACT)) return x->type == PATH_EXACT ? -1 : 1;
  return strcmp(x->path, y->path);
}

static void finish_host(compiler *c, host_builder *hb) {
  sort_items(hb->h.paths, hb->h.n_paths, sizeof *hb->h.paths, path_order);
  if (!hb->regex) return;
  for (size_t i = 0; i < hb->h.n_paths; i++) {
    route_path *rp = &hb->h.paths[i];
    if (rp->type == PATH_EXACT) continue;
    char pattern[2100];
    snprintf(pattern, sizeof pattern, "^%s", rp->path);
    rp->re = malloc(sizeof *rp->re);
    if (!rp->re || regcomp(rp->re, pattern, REG_EXTENDED | REG_ICASE) != 0) {
      free(rp->re);
      rp->re = NULL; /* falls back to plain matching */
    }
  }
}

/* ---- canaries ---------------------------------------------------------- */

static route_canary *parse_canary(compiler *c, const json_t *ing, const json_t *p) {
  route_canary *k = calloc(1, sizeof *k);
  if (!k) abort();
  k->backend = resolve_backend(c, ing, json_object_get(p, "backend"));
  const char *v;
  if ((v = route_annotation(ing, "canary-by-header"))) k->header = xstrdup(v);
  if ((v = route_annotation(ing, "canary-by-header-value"))) k->header_value = xstrdup(v);
  if (!k->header_value && (v = route_annotation(ing, "canary-by-header-pattern"))) {
    k->header_pattern = malloc(sizeof *k->header_pattern);
    if (!k->header_pattern || regcomp(k->header_pattern, v, REG_EXTENDED | REG_NOSUB) != 0) {
      warnf(c, ing, "InvalidAnnotation", "canary-by-header-pattern %s is not a regular expression", v);
      free(k->header_pattern);
      k->header_pattern = NULL;
    }
  }
  if ((v = route_annotation(ing, "canary-by-cookie"))) k->cookie = xstrdup(v);
  k->weight_total = (unsigned)ann_int(c, ing, "canary-weight-total", 100);
  if (!k->weight_total) k->weight_total = 100;
  k->weight = (unsigned)ann_int(c, ing, "canary-weight", 0);
  if (k->weight > k->weight_total) k->weight = k->weight_total;
  return k;
}

static void attach_canaries(compiler *c, const json_t *ing) {
  size_t i, j;
  const json_t *rule, *p;
  json_array_foreach(json_path(ing, "spec.rules"), i, rule) {
    bool created;
    const char *host = json_path_str0(rule, "host");
    host_builder *hb = get_host(c, host, &created);
    json_array_foreach(json_path(rule, "http.paths"), j, p) {
      const char *path = json_path_str(p, "path");
      route_path *rp = created ? NULL : find_path(hb, path && *path ? path : "/", path_type(json_path_str(p, "pathType")));
      if (!rp) {
        warnf(c, ing, "CanaryWithoutMain", "unable to find a main backend for host \"%s\" path \"%s\"", host,
              path ? path : "/");
        continue;
      }
      if (rp->canary) {
        warnf(c, ing, "DuplicateCanary", "host \"%s\" path \"%s\" already has a canary", host, path ? path : "/");
        continue;
      }
      rp->canary = parse_canary(c, ing, p);
      char key[300];
      snprintf(key, sizeof key, "%s/%s", sdef(meta_str(ing, "namespace")), sdef(meta_str(ing, "name")));
      rp->canary->stats = ingress_metrics_series(key, hb->h.name, rp->path,
                                                 rp->canary->backend ? rp->canary->backend->name : "", service_name(p), true);
    }
    if (created) { /* a canary alone creates no server */
      free(hb->h.name);
      c->n_hosts--;
    }
  }
}

/* ---- TLS ---------------------------------------------------------------- */

static bool cert_known(compiler *c, const char *host) {
  for (size_t i = 0; i < c->t->n_certs; i++)
    if (!strcasecmp(c->t->certs[i].host, host)) return true;
  return false;
}

static unsigned char *secret_bytes(const json_t *secret, const char *key, size_t *len) {
  const char *b64 = json_string_value(json_object_get(json_object_get(secret, "data"), key));
  return b64 ? go_base64_decode(b64, strlen(b64), len) : NULL;
}

/* The SSL_CTX of a kubernetes.io/tls Secret, or NULL with a warning. */
static void *secret_ctx(compiler *c, const json_t *ing, const char *name, const char *host) {
  const char *ns = sdef(meta_str(ing, "namespace"));
  const json_t *s = find_obj(c->in->secrets, ns, name);
  if (!s) {
    warnf(c, ing, "SecretNotFound", "Secret \"%s/%s\" not found: serving the default certificate for %s", ns, name,
          host);
    return NULL;
  }
  size_t cl = 0, kl = 0;
  unsigned char *crt = secret_bytes(s, "tls.crt", &cl), *key = secret_bytes(s, "tls.key", &kl);
  char err[300] = "tls.crt or tls.key missing";
  void *ctx = crt && key ? ingress_tls_ctx_from_pem((char *)crt, cl, (char *)key, kl, err, sizeof err) : NULL;
  if (ctx && !ingress_tls_cert_covers((char *)crt, cl, host))
    warnf(c, ing, "CertificateMismatch", "the certificate of Secret \"%s/%s\" is not valid for %s (served anyway)", ns,
          name, host);
  if (!ctx)
    warnf(c, ing, "InvalidCertificate", "Secret \"%s/%s\": %s: serving the default certificate for %s", ns, name, err,
          host);
  free(crt);
  free(key);
  return ctx;
}

static void add_tls(compiler *c, const json_t *ing) {
  size_t i, j;
  const json_t *tls, *h;
  json_array_foreach(json_path(ing, "spec.tls"), i, tls) {
    const char *secret = json_path_str(tls, "secretName");
    json_array_foreach(json_object_get(tls, "hosts"), j, h) {
      const char *host = json_string_value(h);
      if (!host) continue;
      char lower[256];
      snprintf(lower, sizeof lower, "%s", host);
      for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
      json_object_set_new(c->tls_hosts, lower, json_true());
      if (!secret || cert_known(c, lower)) continue; /* the oldest Ingress's certificate wins */
      void *ctx = secret_ctx(c, ing, secret, host);
      if (!ctx) continue;
      if (c->t->n_certs == c->cap_certs) {
        c->cap_certs = c->cap_certs ? 2 * c->cap_certs : 8;
        c->t->certs = xrealloc(c->t->certs, c->cap_certs * sizeof *c->t->certs);
      }
      route_cert *rc = &c->t->certs[c->t->n_certs++];
      rc->host = xstrdup(lower);
      rc->ssl_ctx = ctx;
    }
  }
}

/* ---- the whole table ----------------------------------------------------- */

static int ingress_order(const void *a, const void *b) {
  const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
  int c = strcmp(sdef(meta_str(x, "creationTimestamp")), sdef(meta_str(y, "creationTimestamp")));
  if (!c) c = strcmp(sdef(meta_str(x, "namespace")), sdef(meta_str(y, "namespace")));
  return c ? c : strcmp(sdef(meta_str(x, "name")), sdef(meta_str(y, "name")));
}

static void add_ingress(compiler *c, const json_t *ing) {
  route_opts *o = parse_opts(c, ing);
  const json_t *db = json_path(ing, "spec.defaultBackend");
  if (!db) db = json_path(ing, "spec.backend"); /* v1beta1 objects read as such */
  route_backend *fallback = db ? resolve_backend(c, ing, db) : NULL;
  if (db && !c->hosts[0].h.fallback) c->hosts[0].h.fallback = fallback;
  add_tls(c, ing);
  size_t i, j;
  const json_t *rule, *p;
  json_array_foreach(json_path(ing, "spec.rules"), i, rule) {
    bool created;
    host_builder *hb = get_host(c, json_path_str0(rule, "host"), &created);
    if (db && !hb->h.fallback && hb != &c->hosts[0]) hb->h.fallback = fallback;
    json_array_foreach(json_path(rule, "http.paths"), j, p) add_path(c, hb, ing, p, o);
  }
}

static int host_order(const void *a, const void *b) {
  return strcmp(((const route_host *)a)->name, ((const route_host *)b)->name);
}

static int cert_order(const void *a, const void *b) {
  return strcmp(((const route_cert *)a)->host, ((const route_cert *)b)->host);
}

route_table *route_compile(const route_inputs *in, route_warn_fn warn, void *ctx) {
  compiler c = {.in = in, .warn = warn, .ctx = ctx, .tls_hosts = json_object()};
  c.t = route_empty();
  free(c.t->catch_all.name);
  bool created;
  get_host(&c, "", &created); /* hosts[0]: the catch-all server */
  size_t n = json_array_size(in->ingresses), i;
  const json_t **ings = xrealloc(NULL, n * sizeof *ings);
  size_t served = 0;
  const json_t *ing;
  json_array_foreach(in->ingresses, i, ing) if (route_ingress_served(ing, in->classes)) ings[served++] = ing;
  sort_items(ings, served, sizeof *ings, ingress_order);
  for (i = 0; i < served; i++)
    if (!ann_true(ings[i], "canary")) add_ingress(&c, ings[i]);
  for (i = 0; i < served; i++)
    if (ann_true(ings[i], "canary")) attach_canaries(&c, ings[i]);
  free(ings);
  for (i = 0; i < c.n_hosts; i++) {
    c.hosts[i].h.tls = i && json_object_get(c.tls_hosts, c.hosts[i].h.name);
    finish_host(&c, &c.hosts[i]);
  }
  json_decref(c.tls_hosts);
  c.t->catch_all = c.hosts[0].h;
  c.t->n_hosts = c.n_hosts > 1 ? c.n_hosts - 1 : 0;
  c.t->hosts = xrealloc(NULL, (c.t->n_hosts + 1) * sizeof *c.t->hosts);
  for (i = 1; i < c.n_hosts; i++) c.t->hosts[i - 1] = c.hosts[i].h;
  sort_items(c.t->hosts, c.t->n_hosts, sizeof *c.t->hosts, host_order);
  sort_items(c.t->certs, c.t->n_certs, sizeof *c.t->certs, cert_order);
  free(c.hosts);
  return c.t;
}
