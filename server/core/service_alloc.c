/* service_alloc.c - the Service admission with state that kube-apiserver's
 * service REST storage does: ClusterIP allocation from the service CIDR
 * (--service-cluster-ip-range, default 127.1.0.0/16 so that every Service
 * address is on loopback; its first address is the `kubernetes` Service's),
 * NodePort allocation from 30000-32767, and Kubernetes' Invalid
 * errors for addresses/ports out of range or already taken. The used set is
 * read from the watch cache under one allocator lock, plus the claims of
 * allocations whose Service may not be written yet (service_claims.c): this
 * process's own (for 2 s) with SQLite, and with a store shared by several
 * servers (etcd) every server's, from the claim list they all rewrite by
 * compare-and-swap, so two servers never hand out the same address or port.
 * A claim is settled as soon as the cache shows a write of its Service, so
 * a deleted Service's address and port are free again at once. */
#include "api_internal.h"
#include "field_errors.h"
#include "service_alloc.h"
#include "log.h"
#include "service_claims.h"
#include "timestamp.h"
#include "ipv4.h"
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t cidr_base = 0x7F010000u; /* 127.1.0.0 */
static uint32_t cidr_size = 1u << 16;
static char cidr_text[32] = "127.1.0.0/16";
#define CIDR_BASE cidr_base
#define CIDR_SIZE cidr_size
#define PORT_MIN 30000
#define PORT_MAX 32767
#define LOCAL_CLAIM_MS 2000 /* one server: its own commit is in process, within this */

static pthread_mutex_t alloc_mu = PTHREAD_MUTEX_INITIALIZER;
static svc_claims local_claims; /* this server's recent allocations when the store is not shared; under alloc_mu */

typedef struct {
  unsigned char *ips;   /* bitmap over the CIDR */
  unsigned char *ports; /* bitmap over the NodePort range */
} used_set;

static void set_bit(unsigned char *m, size_t i) { m[i / 8] |= (unsigned char)(1u << (i % 8)); }
static bool get_bit(const unsigned char *m, size_t i) { return m[i / 8] & (1u << (i % 8)); }

static bool in_cidr(uint32_t ip) { return (ip & ~(CIDR_SIZE - 1)) == CIDR_BASE; }

int service_cidr_set(const char *cidr) {
  char buf[64], rest[2];
  int bits;
  uint32_t ip;
  snprintf(buf, sizeof buf, "%s", cidr ? cidr : "");
  char *slash = strchr(buf, '/');
  if (!slash || sscanf(slash + 1, "%d%1s", &bits, rest) != 1 || bits < 12 || bits > 30) return -1;
  *slash = 0;
  if (!ipv4_parse(buf, &ip)) return -1;
  cidr_size = 1u << (32 - bits);
  cidr_base = ip & ~(cidr_size - 1);
  ipv4_format(cidr_base, buf, sizeof buf);
  snprintf(cidr_text, sizeof cidr_text, "%s/%d", buf, bits);
  return 0;
}

const char *service_cidr_text(void) { return cidr_text; }

void service_cidr_first_ip(char *out, size_t len) { ipv4_format(cidr_base + 1, out, len); }

/* Everything allocated by services other than skip_uid. */
static void collect_used(cache *ca, const resource *r, const char *skip_uid, used_set *u) {
  u->ips = calloc(CIDR_SIZE / 8, 1);
  u->ports = calloc((PORT_MAX - PORT_MIN + 1) / 8 + 1, 1);
  set_bit(u->ips, 0); /* network address */
  set_bit(u->ips, CIDR_SIZE - 1);
  cobj_vec all = {0};
  cache_list(ca, r->bucket, "", NULL, 0, &all);
  for (size_t i = 0; i < all.n; i++) {
    const json_t *svc = all.items[i]->obj;
    const char *uid = meta_str(svc, "uid");
    if (skip_uid && uid && !strcmp(uid, skip_uid)) continue;
    const json_t *spec = json_object_get(svc, "spec");
    uint32_t ip;
    if (ipv4_parse(json_string_value(json_object_get(spec, "clusterIP")), &ip) && in_cidr(ip))
      set_bit(u->ips, ip - CIDR_BASE);
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), k, p) {
      json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
      if (np >= PORT_MIN && np <= PORT_MAX) set_bit(u->ports, (size_t)(np - PORT_MIN));
    }
  }
  cobj_vec_clear(&all);
}

static const char *writing; /* "<ns>/<name>" of the Service being allocated for; under alloc_mu */
static svc_claims *fresh;    /* the claim list to add this allocation's claims to; under alloc_mu */
static int64_t fresh_base;   /* their base revision */

/* Drops the claims this server's cache shows settled: a write of the claimed
 * Service after the claim's base revision (service_claims.h). A claim whose
 * base has left the event window stays until it lapses. */
static void settle(cache *ca, const resource *r, svc_claims *c) {
  int64_t start = cache_window_start(ca), cursor = INT64_MAX;
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].base >= start && c->v[i].base < cursor) cursor = c->v[i].base;
  if (cursor == INT64_MAX) return;
  bool *done = calloc(c->n, sizeof *done);
  cache_event evs[CACHE_REVISION_WRITES_MAX];
  int n;
  while ((n = cache_wait(ca, r->bucket, &cursor, evs, CACHE_REVISION_WRITES_MAX, 0, NULL)) > 0) {
    for (int k = 0; k < n; k++) {
      for (size_t i = 0; i < c->n; i++)
        if (evs[k].rev > c->v[i].base && c->v[i].base >= start && !strcmp(evs[k].obj->subkey, c->v[i].key))
          done[i] = true;
      cache_event_release(&evs[k]);
    }
  }
  size_t keep = 0;
  for (size_t i = 0; i < c->n; i++)
    if (n < 0 || !done[i]) c->v[keep++] = c->v[i];
  c->n = keep;
  free(done);
}

/* The servers' recent allocations for other Services are used too. */
static void mark_claims(used_set *u, const svc_claims *c, const char *key) {
  for (size_t i = 0; i < c->n; i++) {
    if (!strcmp(c->v[i].key, key)) continue;
    if (c->v[i].ip && in_cidr(c->v[i].ip)) set_bit(u->ips, c->v[i].ip - CIDR_BASE);
    else if (c->v[i].port >= PORT_MIN && c->v[i].port <= PORT_MAX) set_bit(u->ports, (size_t)(c->v[i].port - PORT_MIN));
  }
}

static void remember(uint32_t ip, int port) { svc_claims_add(fresh, ip, port, wall_ms(), writing, fresh_base); }

static uint32_t random_u32(void) {
  uint32_t v;
  RAND_bytes((unsigned char *)&v, sizeof v);
  return v;
}

static bool alloc_ip(used_set *u, uint32_t *out) {
  uint32_t start = random_u32() % CIDR_SIZE;
  for (uint32_t i = 0; i < CIDR_SIZE; i++) {
    uint32_t off = (start + i) % CIDR_SIZE;
    if (!get_bit(u->ips, off)) {
      set_bit(u->ips, off);
      *out = CIDR_BASE + off;
      return true;
    }
  }
  return false;
}

static bool alloc_port(used_set *u, int *out) {
  int span = PORT_MAX - PORT_MIN + 1;
  int start = (int)(random_u32() % (uint32_t)span);
  for (int i = 0; i < span; i++) {
    int off = (start + i) % span;
    if (!get_bit(u->ports, (size_t)off)) {
      set_bit(u->ports, (size_t)off);
      *out = PORT_MIN + off;
      return true;
    }
  }
  return false;
}

static void assign_cluster_ip(json_t *spec, used_set *u, const json_t *old_spec, field_errors *fe) {
  const char *type = json_string_value(json_object_get(spec, "type"));
  if (type && !strcmp(type, "ExternalName")) return;
  const char *ip = json_string_value(json_object_get(spec, "clusterIP"));
  const char *old_ip = json_string_value(json_object_get(old_spec, "clusterIP"));
  if ((!ip || !*ip) && old_ip && *old_ip) {
    json_object_set_new(spec, "clusterIP", json_string(old_ip));
    ip = old_ip;
  }
  if (ip && !strcmp(ip, "None")) goto families;
  if (old_ip && ip && !strcmp(ip, old_ip)) goto families;
  uint32_t v;
  if (ip && *ip) {
    if (!ipv4_parse(ip, &v) || !in_cidr(v)) {
      char detail[128];
      snprintf(detail, sizeof detail, "provided IP is not in the valid range. The range of valid IPs is %s", cidr_text);
      fe_invalid_str(fe, "spec.clusterIP", ip, detail);
      return;
    }
    if (get_bit(u->ips, v - CIDR_BASE)) {
      /* 1.20's wording, typo included */
      char raw[64], detail[128];
      snprintf(raw, sizeof raw, "[]string{\"%s\"}", ip);
      snprintf(detail, sizeof detail, "failed to allocated ip:%s with error:provided IP is already allocated", ip);
      fe_invalid_raw(fe, "spec.clusterIPs", raw, detail);
      return;
    }
    set_bit(u->ips, v - CIDR_BASE);
  } else if (!alloc_ip(u, &v)) {
    fe_add(fe, FE_INTERNAL, "spec.clusterIP", NULL, "failed to allocate a serviceIP: range is full");
    return;
  }
  remember(v, 0);
  char buf[IPV4_TEXT_LEN];
  ipv4_format(v, buf, sizeof buf);
  json_object_set_new(spec, "clusterIP", json_string(buf));
families:
  ip = json_string_value(json_object_get(spec, "clusterIP"));
  /* 1.20 mirrors clusterIP into clusterIPs; ipFamilies stay unset (dual-stack is off) */
  json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
}

static json_int_t old_node_port(const json_t *old_spec, const json_t *port) {
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(old_spec, "ports"), i, p) {
    if (json_equal(json_object_get(p, "port"), json_object_get(port, "port")) &&
        json_equal(json_object_get(p, "protocol"), json_object_get(port, "protocol")))
      return json_integer_value(json_object_get(p, "nodePort"));
  }
  return 0;
}

static void assign_node_ports(json_t *spec, used_set *u, const json_t *old_spec, field_errors *fe) {
  const char *type = json_string_value(json_object_get(spec, "type"));
  bool wants = type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"));
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    json_t *npv = json_object_get(p, "nodePort");
    json_int_t np = json_integer_value(npv);
    char field[64];
    snprintf(field, sizeof field, "spec.ports[%zu].nodePort", i);
    if (!wants) {
      if (npv && np) fe_add(fe, FE_FORBIDDEN, field, NULL, "may not be used when `type` is 'ClusterIP'");
      continue;
    }
    if (!np) np = old_node_port(old_spec, p);
    if (np) {
      if (np == old_node_port(old_spec, p)) {
        json_object_set_new(p, "nodePort", json_integer(np));
        continue;
      }
      if (np < PORT_MIN || np > PORT_MAX) {
        fe_invalid_int(fe, field, np,
                       "provided port is not in the valid range. The range of valid ports is 30000-32767");
        continue;
      }
      if (get_bit(u->ports, (size_t)(np - PORT_MIN))) {
        fe_invalid_int(fe, field, np, "provided port is already allocated");
        continue;
      }
      set_bit(u->ports, (size_t)(np - PORT_MIN));
    } else {
      int got;
      if (!alloc_port(u, &got)) {
        fe_add(fe, FE_INTERNAL, field, NULL, "failed to allocate a nodePort: range is full");
        continue;
      }
      np = got;
    }
    remember(0, (int)np);
    json_object_set_new(p, "nodePort", json_integer(np));
  }
}

json_t *service_allocate(api_server *srv, const resource *r, json_t *svc, const json_t *old) {
  if (r->ref.group[0] || strcmp(r->ref.plural, "services")) return NULL;
  json_t *spec = json_object_get(svc, "spec");
  if (!json_is_object(spec)) return NULL;
  const json_t *old_spec = json_object_get(old, "spec");
  field_errors *fe = field_errors_new();
  char key[300];
  snprintf(key, sizeof key, "%s/%s", meta_str(svc, "namespace") ? meta_str(svc, "namespace") : "",
           meta_str(svc, "name") ? meta_str(svc, "name") : "");
  store *shared = cache_store(srv->cache);
  if (!shared->get_raw) shared = NULL;
  json_t *request_spec = shared ? json_deep_copy(spec) : NULL;
  pthread_mutex_lock(&alloc_mu);
  for (int attempt = 1;; attempt++) {
    svc_claims claims = {0};
    char err[256];
    if (shared && svc_claims_read(shared, wall_ms(), &claims, err, sizeof err) != 0) {
      fe_add(fe, FE_INTERNAL, "spec.clusterIP", NULL, "failed to allocate: cannot read the shared allocations");
      LOGE("service allocation: %s", err);
      break;
    }
    for (size_t i = 0; !shared && i < local_claims.n; i++) {
      const svc_claim *l = &local_claims.v[i];
      if (wall_ms() - l->at_ms < LOCAL_CLAIM_MS) svc_claims_add(&claims, l->ip, l->port, l->at_ms, l->key, l->base);
    }
    settle(srv->cache, r, &claims);
    size_t others = claims.n;
    writing = key;
    fresh = &claims;
    fresh_base = cache_rev(srv->cache) > claims.rev ? cache_rev(srv->cache) : claims.rev;
    used_set u;
    collect_used(srv->cache, r, meta_str(svc, "uid"), &u);
    mark_claims(&u, &claims, key);
    assign_cluster_ip(spec, &u, old_spec, fe);
    assign_node_ports(spec, &u, old_spec, fe);
    writing = NULL;
    fresh = NULL;
    free(u.ips);
    free(u.ports);
    if (fe_count(fe)) claims.n = others; /* a refused request claims nothing */
    int rc = 0;
    if (!shared) {
      svc_claims_free(&local_claims);
      local_claims = claims;
      break;
    }
    if (claims.n != others) rc = svc_claims_write(shared, &claims, err, sizeof err);
    svc_claims_free(&claims);
    if (rc == 0) break;
    if (rc < 0 || attempt == 50) {
      fe_add(fe, FE_INTERNAL, "spec.clusterIP", NULL, "failed to allocate: cannot record the allocation");
      LOGE("service allocation: %s", rc < 0 ? err : "50 servers' allocations in a row won the compare");
      break;
    }
    /* another server allocated meanwhile: start again from the request with its claims in view */
    json_object_set_new(svc, "spec", json_deep_copy(request_spec));
    spec = json_object_get(svc, "spec");
  }
  pthread_mutex_unlock(&alloc_mu);
  json_decref(request_spec);
  json_t *st = NULL;
  if (fe_count(fe)) {
    const char *name = meta_str(svc, "name");
    st = fe_to_status(fe, "", "Service", name ? name : "");
  }
  field_errors_free(fe);
  return st;
}
