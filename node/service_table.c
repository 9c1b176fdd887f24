/* service_table.c - see service_table.h. Endpoint ports are matched to
 * Service ports by name as kube-proxy does (an unnamed port matches the
 * unnamed endpoint port); endpoints are sorted so that every agent holds
 * them in the same order. */
#include "service_table.h"
#include "json_path.h"
#include "strmap.h"
#include "ipv4.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_AFFINITY_SECONDS 10800 /* v1.DefaultClientIPServiceAffinitySeconds */

static const json_t *find_endpoints(const json_t *endpoints, const char *ns, const char *name) {
  size_t i;
  json_t *e;
  json_array_foreach(endpoints, i, e) {
    const json_t *m = json_object_get(e, "metadata");
    if (json_str(m, "namespace") && json_str(m, "name") && !strcmp(json_str(m, "namespace"), ns) && !strcmp(json_str(m, "name"), name))
      return e;
  }
  return NULL;
}

static int cmp_addr(const void *a, const void *b) {
  const svc_addr *x = a, *y = b;
  if (x->ip != y->ip) return x->ip < y->ip ? -1 : 1;
  return (int)x->port - (int)y->port;
}

/* The ready endpoints of the Service port named port_name with protocol proto. */
static svc_addr *ready_backends(const json_t *ep, const char *port_name, const char *proto, size_t *n) {
  svc_addr *out = NULL;
  size_t cap = 0;
  *n = 0;
  size_t i, k, j;
  json_t *subset, *port, *addr;
  json_array_foreach(json_object_get(ep, "subsets"), i, subset) {
    json_array_foreach(json_object_get(subset, "ports"), k, port) {
      const char *pn = json_str(port, "name") ? json_str(port, "name") : "";
      const char *pp = json_str(port, "protocol") ? json_str(port, "protocol") : "TCP";
      if (strcmp(pn, port_name) || strcmp(pp, proto)) continue;
      json_int_t num = json_integer_value(json_object_get(port, "port"));
      if (num <= 0 || num > 65535) continue;
      json_array_foreach(json_object_get(subset, "addresses"), j, addr) {
        uint32_t ip;
        if (!ipv4_parse(json_str(addr, "ip"), &ip)) continue;
        if (*n == cap) out = realloc(out, (cap = cap ? cap * 2 : 4) * sizeof *out);
        out[(*n)++] = (svc_addr){ip, (uint16_t)num};
      }
    }
  }
  if (*n) qsort(out, *n, sizeof *out, cmp_addr);
  return out;
}

void svc_table_add(svc_table *t, const svc_frontend *proto_f, uint32_t ip, uint16_t port) {
  for (size_t i = 0; i < t->n; i++) /* the first Service to claim an address keeps it */
    if (t->f[i].listen.ip == ip && t->f[i].listen.port == port && t->f[i].udp == proto_f->udp) return;
  if (t->n == t->cap) t->f = realloc(t->f, (t->cap = t->cap ? t->cap * 2 : 16) * sizeof *t->f);
  svc_frontend *f = &t->f[t->n++];
  *f = *proto_f;
  f->listen = (svc_addr){ip, port};
  f->backends = proto_f->nbackends ? malloc(proto_f->nbackends * sizeof *f->backends) : NULL;
  if (f->backends) memcpy(f->backends, proto_f->backends, proto_f->nbackends * sizeof *f->backends);
}

static int affinity_seconds(const json_t *spec) {
  const char *aff = json_str(spec, "sessionAffinity");
  if (!aff || strcmp(aff, "ClientIP")) return 0;
  json_int_t s = json_integer_value(
      json_object_get(json_object_get(json_object_get(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds"));
  return s > 0 ? (int)s : DEFAULT_AFFINITY_SECONDS;
}

static void add_service(svc_table *t, const json_t *svc, const json_t *endpoints, const uint32_t *node_ips,
                        size_t nnode) {
  const json_t *m = json_object_get(svc, "metadata"), *spec = json_object_get(svc, "spec");
  const char *ns = json_str(m, "namespace"), *name = json_str(m, "name"), *type = json_str(spec, "type");
  if (!ns || !name || (type && !strcmp(type, "ExternalName"))) return;
  uint32_t cluster_ip = 0;
  bool has_cluster_ip = ipv4_parse(json_str(spec, "clusterIP"), &cluster_ip);
  bool node_ports = type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"));
  const json_t *ep = find_endpoints(endpoints, ns, name);
  size_t i, k;
  json_t *port, *ing;
  json_array_foreach(json_object_get(spec, "ports"), i, port) {
    const char *proto = json_str(port, "protocol") ? json_str(port, "protocol") : "TCP";
    if (strcmp(proto, "TCP") && strcmp(proto, "UDP")) continue; /* SCTP: not proxied */
    const char *pname = json_str(port, "name") ? json_str(port, "name") : "";
    svc_frontend f = {.udp = !strcmp(proto, "UDP"), .affinity_seconds = affinity_seconds(spec)};
    snprintf(f.key, sizeof f.key, "%s/%s:%s/%s", ns, name, pname, proto);
    f.backends = ready_backends(ep, pname, proto, &f.nbackends);
    json_int_t p = json_integer_value(json_object_get(port, "port"));
    json_int_t np = json_integer_value(json_object_get(port, "nodePort"));
    if (has_cluster_ip && p > 0 && p <= 65535) svc_table_add(t, &f, cluster_ip, (uint16_t)p);
    if (node_ports && np > 0 && np <= 65535)
      for (size_t n = 0; n < nnode; n++) svc_table_add(t, &f, node_ips[n], (uint16_t)np);
    uint32_t lb;
    json_array_foreach(json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress"), k,
                       ing) {
      if (type && !strcmp(type, "LoadBalancer") && p > 0 && p <= 65535 && ipv4_parse(json_str(ing, "ip"), &lb))
        svc_table_add(t, &f, lb, (uint16_t)p);
    }
    free(f.backends);
  }
}

svc_table *svc_table_build(const json_t *services, const json_t *endpoints, const uint32_t *node_ips, size_t nnode) {
  svc_table *t = calloc(1, sizeof *t);
  size_t i;
  json_t *svc;
  json_array_foreach(services, i, svc) add_service(t, svc, endpoints, node_ips, nnode);
  return t;
}

void svc_table_free(svc_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) free(t->f[i].backends);
  free(t->f);
  free(t);
}

const svc_frontend *svc_table_find(const svc_table *t, uint32_t ip, uint16_t port, bool udp) {
  for (size_t i = 0; t && i < t->n; i++)
    if (t->f[i].listen.ip == ip && t->f[i].listen.port == port && t->f[i].udp == udp) return &t->f[i];
  return NULL;
}

typedef struct {
  svc_addr backend;
  long last_used;
  int timeout;
} affinity_entry;

struct svc_picker {
  strmap *affinity; /* "key|clientip" -> affinity_entry */
  strmap *cursor;   /* key -> round-robin cursor (uintptr_t) */
};

svc_picker *svc_picker_new(void) {
  svc_picker *p = calloc(1, sizeof *p);
  p->affinity = strmap_new();
  p->cursor = strmap_new();
  return p;
}

void svc_picker_free(svc_picker *p) {
  if (!p) return;
  strmap_free(p->affinity, free);
  strmap_free(p->cursor, NULL);
  free(p);
}

static bool has_backend(const svc_frontend *f, svc_addr b) {
  for (size_t i = 0; i < f->nbackends; i++)
    if (f->backends[i].ip == b.ip && f->backends[i].port == b.port) return true;
  return false;
}

static uint32_t mix(uint32_t x) { /* a 32-bit finalizer (murmur3's) */
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  return x ^ (x >> 16);
}

/* A new session's endpoint index (before the modulo): a hash of the client and of the timeout-long epoch the
 * session starts in, so that agents sharing a listener agree without sharing state, yet a client whose session
 * expired may land elsewhere in its next epoch, as kube-proxy's random pick lets it. Epoch boundaries are
 * shifted per client so that clients do not all move at once. */
static uint32_t fresh_choice(uint32_t client_ip, long now, int timeout) {
  uint32_t h = mix(client_ip);
  uint32_t epoch = (uint32_t)((now + (long)(h % (uint32_t)timeout)) / timeout);
  return mix(h ^ mix(epoch + 0x9e3779b9u));
}

bool svc_pick(svc_picker *p, const svc_frontend *f, uint32_t client_ip, long now, svc_addr *out) {
  if (!f->nbackends) return false;
  if (!f->affinity_seconds) {
    uintptr_t c = (uintptr_t)strmap_get(p->cursor, f->key);
    *out = f->backends[c % f->nbackends];
    strmap_put(p->cursor, f->key, (void *)(c + 1));
    return true;
  }
  char key[360];
  snprintf(key, sizeof key, "%s|%u", f->key, client_ip);
  affinity_entry *e = strmap_get(p->affinity, key);
  if (e && now - e->last_used <= e->timeout && has_backend(f, e->backend)) {
    e->last_used = now;
    e->timeout = f->affinity_seconds;
    *out = e->backend;
    return true;
  }
  if (!e) strmap_put(p->affinity, key, e = calloc(1, sizeof *e));
  e->backend = f->backends[fresh_choice(client_ip, now, f->affinity_seconds) % f->nbackends];
  e->last_used = now;
  e->timeout = f->affinity_seconds;
  *out = e->backend;
  return true;
}

/* Removes from m (values freed with free_value) the keys drop() says go. */
static void remove_where(strmap *m, void (*free_value)(void *), bool (*drop)(const char *, void *, const void *),
                         const void *ctx) {
  size_t n = 0, cap = 0;
  char **gone = NULL;
  strmap_iter it = {0};
  while (strmap_next(m, &it)) {
    if (!drop(it.key, it.value, ctx)) continue;
    if (n == cap) gone = realloc(gone, (cap = cap ? cap * 2 : 16) * sizeof *gone);
    gone[n++] = strdup(it.key);
  }
  for (size_t i = 0; i < n; i++) {
    void *v = strmap_remove(m, gone[i]);
    if (free_value) free_value(v);
    free(gone[i]);
  }
  free(gone);
}

static bool idle(const char *key, void *value, const void *ctx) {
  const affinity_entry *e = value;
  return *(const long *)ctx - e->last_used > e->timeout;
}

void svc_picker_expire(svc_picker *p, long now) { remove_where(p->affinity, free, idle, &now); }

/* Whether the Service port of key ("ns/name:port/proto", optionally "|client") is gone from the set. */
static bool port_gone(const char *key, void *value, const void *ctx) {
  char port[320];
  snprintf(port, sizeof port, "%s", key);
  char *bar = strchr(port, '|');
  if (bar) *bar = 0;
  return !strmap_get(ctx, port);
}

void svc_picker_retain(svc_picker *p, const svc_table *t) {
  strmap *live = strmap_new();
  for (size_t i = 0; i < t->n; i++) strmap_put(live, t->f[i].key, (void *)1);
  remove_where(p->affinity, free, port_gone, live);
  remove_where(p->cursor, NULL, port_gone, live);
  strmap_free(live, NULL);
}
