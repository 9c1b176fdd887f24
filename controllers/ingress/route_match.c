/* route_match.c - routes one request through a compiled route table, as
 * ingress-nginx's generated nginx.conf and balancer.lua would: the server
 * by Host (port stripped, case ignored; exact name, then the single-label
 * wildcard, then the catch-all server), then the first matching path of
 * the server's list (longest first, Exact before Prefix at equal length),
 * then redirects, the source whitelist, the canary decision (header >
 * cookie > weight) and an endpoint (route_balance.c). Pure apart from the
 * balancer's and canary-weight counters. */
#include "route.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int host_cmp(const char *h, size_t len, const char *name) {
  int c = strncasecmp(h, name, len);
  if (c) return c;
  return name[len] ? -1 : 0;
}

static const route_host *find_named(const route_table *t, const char *h, size_t len) {
  size_t lo = 0, hi = t->n_hosts;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = host_cmp(h, len, t->hosts[mid].name);
    if (!c) return &t->hosts[mid];
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return NULL;
}

/* "*." + everything after the first label, when the first label is not empty. */
static size_t wildcard_of(const char *h, size_t len, char *buf, size_t cap) {
  const char *dot = memchr(h, '.', len);
  if (!dot || dot == h || dot + 1 == h + len) return 0;
  size_t rest = len - (size_t)(dot - h);
  if (rest + 1 >= cap) return 0;
  buf[0] = '*';
  memcpy(buf + 1, dot, rest);
  return rest + 1;
}

const route_host *route_find_host(const route_table *t, const char *h, size_t len) {
  if (h && len) {
    const route_host *named = find_named(t, h, len);
    if (named) return named;
    char wild[300];
    size_t wl = wildcard_of(h, len, wild, sizeof wild);
    if (wl && (named = find_named(t, wild, wl))) return named;
  }
  return &t->catch_all;
}

/* The host part of a Host header: without ":port" and brackets. */
static size_t host_only(const char *h, const char **start) {
  *start = h;
  if (!h) return 0;
  size_t len = strlen(h);
  if (h[0] == '[') {
    const char *close = memchr(h, ']', len);
    *start = h + 1;
    return close ? (size_t)(close - h - 1) : len - 1;
  }
  const char *colon = memchr(h, ':', len);
  if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - h) - 1)) len = (size_t)(colon - h);
  while (len && h[len - 1] == '.') len--; /* "example.com." is example.com */
  return len;
}

bool route_path_matches(const route_path *rp, const char *p, size_t len) {
  switch (rp->type) {
  case PATH_EXACT: return len == strlen(rp->path) && !memcmp(p, rp->path, len);
  case PATH_IMPL: return len >= rp->match_len && !memcmp(p, rp->path, rp->match_len);
  case PATH_PREFIX:
    if (rp->match_len == 0) return true; /* "/" */
    return len >= rp->match_len && !memcmp(p, rp->path, rp->match_len) &&
           (len == rp->match_len || p[rp->match_len] == '/');
  }
  return false;
}

/* Regex paths need a NUL-terminated subject and give the capture groups. */
static bool regex_matches(const route_path *rp, const char *p, size_t len, regmatch_t *m, size_t nm) {
  char buf[2048];
  if (len >= sizeof buf) return false;
  memcpy(buf, p, len);
  buf[len] = 0;
  return regexec(rp->re, buf, nm, m, 0) == 0;
}

/* ingress-nginx's rule order: header (always/never, or value/pattern),
 * then cookie (always/never), then weight. The weight is deterministic:
 * request n goes to the canary when floor((n+1)w/T) > floor(nw/T), which
 * sends exactly w of every T consecutive weighted requests, evenly spread. */
static bool use_canary(route_canary *c, const route_request *rq) {
  if (!c->backend || !c->backend->n_eps) return false;
  if (c->header && rq->header) {
    const char *v = rq->header(rq->ctx, c->header);
    if (v) {
      if (c->header_value) {
        if (!strcmp(v, c->header_value)) return true;
      } else if (c->header_pattern) {
        if (!regexec(c->header_pattern, v, 0, NULL, 0)) return true;
      } else if (!strcmp(v, "always")) {
        return true;
      } else if (!strcmp(v, "never")) {
        return false;
      }
    }
  }
  if (c->cookie && rq->cookie) {
    const char *v = rq->cookie(rq->ctx, c->cookie);
    if (v && !strcmp(v, "always")) return true;
    if (v && !strcmp(v, "never")) return false;
  }
  if (!c->weight) return false;
  unsigned total = c->weight_total ? c->weight_total : 100;
  if (c->weight >= total) return true;
  unsigned long long n = atomic_fetch_add_explicit(&c->tick, 1, memory_order_relaxed) % total;
  return (n + 1) * c->weight / total > n * c->weight / total;
}

void route_affinity_value(const route_endpoint *e, char out[17]) {
  unsigned long long h = 1469598103934665603ull;
  for (const char *p = e->text; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  snprintf(out, 17, "%016llx", h);
}

/* affinity=cookie: the endpoint the cookie names, else a new one to name
 * in a Set-Cookie (ingress-nginx's sticky sessions, "balanced" mode). */
static const route_endpoint *sticky_endpoint(const route_backend *b, const route_opts *o, const route_request *rq,
                                             route_result *out) {
  const char *v = rq->cookie ? rq->cookie(rq->ctx, o->affinity_cookie) : NULL;
  char want[17];
  for (size_t i = 0; v && i < b->n_eps; i++) {
    route_affinity_value(&b->eps[i], want);
    if (!strcmp(v, want)) return &b->eps[i];
  }
  const route_endpoint *e = route_next_endpoint(b, NULL);
  if (e) {
    route_affinity_value(e, want);
    snprintf(out->set_cookie, sizeof out->set_cookie, "%s=%s; Path=/; HttpOnly", o->affinity_cookie, want);
  }
  return e;
}

static bool cidr_contains(const route_cidr *c, const struct sockaddr *sa) {
  const unsigned char *a;
  unsigned char mapped[16];
  int family = sa->sa_family;
  if (family == AF_INET) a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
  else {
    a = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a) && c->family == AF_INET) {
      memcpy(mapped, a + 12, 4);
      a = mapped, family = AF_INET;
    }
  }
  if (family != c->family) return false;
  int full = c->bits / 8, rest = c->bits % 8;
  if (memcmp(a, c->addr, (size_t)full)) return false;
  if (!rest) return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (a[full] & mask) == (c->addr[full] & mask);
}

static bool allowed(const route_opts *o, const struct sockaddr *client) {
  if (!o || !o->n_allow || !client) return true;
  for (size_t i = 0; i < o->n_allow; i++)
    if (cidr_contains(&o->allow[i], client)) return true;
  return false;
}

/* target with $1..$9 replaced by the captures of subject; the query kept. */
static void rewrite(const char *target, const char *subject, const regmatch_t *m, const char *query, char *out,
                    size_t cap) {
  size_t n = 0;
  for (const char *p = target; *p && n + 1 < cap; p++) {
    if (p[0] == '$' && p[1] >= '1' && p[1] <= '9') {
      const regmatch_t *g = &m[p[1] - '0'];
      p++;
      if (g->rm_so < 0) continue;
      size_t gl = (size_t)(g->rm_eo - g->rm_so);
      if (n + gl >= cap) break;
      memcpy(out + n, subject + g->rm_so, gl);
      n += gl;
    } else {
      out[n++] = *p;
    }
  }
  out[n] = 0;
  if (query && *query && !strchr(out, '?')) snprintf(out + n, cap - n, "%s", query);
}

static void redirect(route_result *out, int status, const char *fmt, const char *a, const char *b, const char *c) {
  out->action = ROUTE_REDIRECT;
  out->status = status;
  snprintf(out->location, sizeof out->location, fmt, a, b, c);
}

/* Redirects that ingress-nginx does in the rewrite phase, before access checks. */
static bool redirects(const route_host *h, const route_opts *o, const route_request *rq, const char *path,
                      size_t plen, route_result *out) {
  if (!o) return false;
  if (!rq->https && ((h->tls && o->ssl_redirect) || o->force_ssl_redirect) && rq->host) {
    const char *hs;
    size_t hl = host_only(rq->host, &hs);
    char host[300], port[16] = "";
    snprintf(host, sizeof host, "%.*s", (int)hl, hs);
    if (rq->https_port && rq->https_port != 443) snprintf(port, sizeof port, ":%d", rq->https_port);
    redirect(out, 308, "https://%s%s%s", host, port, path);
    return true;
  }
  if (o->permanent_redirect) {
    redirect(out, o->permanent_redirect_code ? o->permanent_redirect_code : 301, "%s%s%s", o->permanent_redirect, "",
             "");
    return true;
  }
  if (o->app_root && plen == 1 && path[0] == '/') {
    redirect(out, 302, "%s%s%s", o->app_root, "", "");
    return true;
  }
  return false;
}

void route_match(const route_table *t, const route_request *rq, route_result *out) {
  memset(out, 0, sizeof *out);
  const char *hs;
  size_t hl = host_only(rq->host, &hs);
  const route_host *h = route_find_host(t, hs, hl);
  out->host = h;
  size_t plen = rq->path_len;
  const char *q = memchr(rq->path, '?', plen);
  size_t path_only = q ? (size_t)(q - rq->path) : plen;
  char query[1024] = "";
  if (q) snprintf(query, sizeof query, "%.*s", (int)(plen - path_only), q);
  const route_path *hit = NULL;
  regmatch_t m[10];
  for (size_t i = 0; i < h->n_paths && !hit; i++) {
    const route_path *rp = &h->paths[i];
    bool ok = rp->re ? regex_matches(rp, rq->path, path_only, m, 10) : route_path_matches(rp, rq->path, path_only);
    if (ok) hit = rp;
  }
  char full[2048];
  snprintf(full, sizeof full, "%.*s", (int)plen, rq->path);
  out->path = hit;
  out->opts = hit ? hit->opts : NULL;
  if (hit && redirects(h, hit->opts, rq, full, path_only, out)) return;
  if (!hit && h->fallback == NULL) {
    out->action = ROUTE_NOT_FOUND;
    return;
  }
  if (hit && !allowed(hit->opts, rq->client)) {
    out->action = ROUTE_FORBIDDEN;
    return;
  }
  if (hit && hit->re && hit->opts && hit->opts->rewrite_target) {
    char subject[2048];
    snprintf(subject, sizeof subject, "%.*s", (int)path_only, rq->path);
    rewrite(hit->opts->rewrite_target, subject, m, query, out->rewritten, sizeof out->rewritten);
  }
  const route_backend *b = hit ? hit->backend : h->fallback;
  if (hit && hit->canary && use_canary(hit->canary, rq)) {
    b = hit->canary->backend;
    out->canary = true;
  }
  out->backend = b;
  if (b && hit && hit->opts && hit->opts->affinity_cookie && !out->canary)
    out->endpoint = sticky_endpoint(b, hit->opts, rq, out);
  else
    out->endpoint = route_next_endpoint(b, NULL);
  out->action = out->endpoint ? ROUTE_PROXY : ROUTE_UNAVAILABLE;
}

static int cert_cmp(const char *name, size_t len, const char *host) { return host_cmp(name, len, host); }

static const route_cert *find_cert(const route_table *t, const char *name, size_t len) {
  size_t lo = 0, hi = t->n_certs;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = cert_cmp(name, len, t->certs[mid].host);
    if (!c) return &t->certs[mid];
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return NULL;
}

const route_cert *route_find_cert(const route_table *t, const char *name) {
  if (!name || !*name) return NULL;
  size_t len = strlen(name);
  const route_cert *c = find_cert(t, name, len);
  if (c) return c;
  char wild[300];
  size_t wl = wildcard_of(name, len, wild, sizeof wild);
  return wl ? find_cert(t, wild, wl) : NULL;
}
