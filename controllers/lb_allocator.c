/* lb_allocator.c - LoadBalancer addresses, as MetalLB 0.9's controller
 * hands them out: pools come from the ConfigMap "config" in namespace
 * "metallb-system" (data.config, YAML: address-pools with name, protocol,
 * addresses as "a.b.c.d-e.f.g.h" ranges or CIDRs, auto-assign); a Service
 * of type LoadBalancer without an address gets spec.loadBalancerIP if that
 * is free and in a pool, else the first free address of the pool named by
 * annotation metallb.universe.tf/address-pool, else of the first
 * auto-assign pool, in status.loadBalancer.ingress (event IPAllocated). A
 * Service that stops being a LoadBalancer loses its address. Addresses
 * already given keep when the ConfigMap changes (MetalLB keeps them until
 * the Service goes); new Services draw from the new pools. Without the
 * ConfigMap, addresses come from a built-in pool on loopback
 * (--loadbalancer-pool, default 127.255.0.0/16), as on the tutorials'
 * clusters where MetalLB was installed beforehand; with "none" they stay
 * <pending> as they would without MetalLB. */
#include "controllers.h"
#include "events.h"
#include "log.h"
#include "pod_util.h"
#include "yaml_json.h"
#include "ipv4.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "metallb-controller"
#define CONFIG_NS "metallb-system"
#define CONFIG_NAME "config"

static ctrl *c;
static char default_pool[64] = "127.255.0.1-127.255.255.254"; /* "" when none */

static void enqueue_all_services(void) {
  cobj_vec svcs = {0};
  ctrl_list(cctx, "", "v1", "services", "", &svcs);
  for (size_t i = 0; i < svcs.n; i++) ctrl_add(c, informer_key(svcs.items[i]));
  cobj_vec_clear(&svcs);
}

static void on_configmap(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (!strcmp(obj_ns(obj->obj), CONFIG_NS) && !strcmp(obj_name(obj->obj), CONFIG_NAME)) enqueue_all_services();
}

typedef struct {
  uint32_t first, last; /* host order, inclusive */
} ip_range;

/* "a-b" or "a/n" (IPv4; others are skipped) */
static bool parse_range(const char *s, ip_range *out) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", s);
  struct in_addr a, b;
  char *dash = strchr(buf, '-'), *slash = strchr(buf, '/');
  if (dash) {
    *dash = 0;
    char *lo = buf, *hi = dash + 1;
    while (*lo == ' ') lo++;
    while (*hi == ' ') hi++;
    for (char *e = lo + strlen(lo); e > lo && e[-1] == ' ';) *--e = 0;
    if (inet_pton(AF_INET, lo, &a) != 1 || inet_pton(AF_INET, hi, &b) != 1) return false;
    out->first = ntohl(a.s_addr), out->last = ntohl(b.s_addr);
    return out->first <= out->last;
  }
  if (slash) {
    *slash = 0;
    int bits = atoi(slash + 1);
    if (inet_pton(AF_INET, buf, &a) != 1 || bits < 0 || bits > 32) return false;
    uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;
    out->first = ntohl(a.s_addr) & mask, out->last = out->first | ~mask;
    return true;
  }
  return false;
}

int lb_allocator_set_default_pool(const char *cidr) {
  ip_range r;
  if (!strcmp(cidr, "none")) {
    default_pool[0] = 0;
    return 0;
  }
  if (!strchr(cidr, '/') || !parse_range(cidr, &r)) return -1;
  if (r.last - r.first >= 2) r.first++, r.last--; /* not the network and broadcast addresses */
  char lo[IPV4_TEXT_LEN], hi[IPV4_TEXT_LEN];
  ipv4_format(r.first, lo, sizeof lo);
  ipv4_format(r.last, hi, sizeof hi);
  snprintf(default_pool, sizeof default_pool, "%s-%s", lo, hi);
  return 0;
}

/* The address pools of the MetalLB ConfigMap, else the built-in pool (a new
 * reference), or NULL. */
static json_t *load_pools(void) {
  cobj *cm = ctrl_get(cctx, "", "v1", "configmaps", CONFIG_NS, CONFIG_NAME);
  if (!cm)
    return default_pool[0] ? json_pack("[{s:s,s:s,s:[s]}]", "name", "default", "protocol", "layer2", "addresses",
                                       default_pool)
                           : NULL;
  const char *text = json_string_value(json_object_get(json_object_get(cm->obj, "data"), "config"));
  char err[256];
  json_t *cfg = text ? yaml_to_json(text, strlen(text), err, sizeof err) : NULL;
  if (text && !cfg) LOGW("metallb config: %s", err);
  cobj_unref(cm);
  json_t *pools = json_incref(json_object_get(cfg, "address-pools"));
  json_decref(cfg);
  return pools;
}

static bool ip_in_pool(const json_t *pool, uint32_t ip) {
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(pool, "addresses"), i, a) {
    ip_range r;
    if (json_is_string(a) && parse_range(json_string_value(a), &r) && ip >= r.first && ip <= r.last) return true;
  }
  return false;
}

static const char *ingress_ip(const json_t *svc) {
  return json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress"), 0),
      "ip"));
}

static bool is_lb(const json_t *svc) {
  const char *type = json_string_value(json_object_get(json_object_get(svc, "spec"), "type"));
  return type && !strcmp(type, "LoadBalancer");
}

/* Whether ip is held by a LoadBalancer Service other than self. */
static bool ip_taken(uint32_t ip, const json_t *self) {
  cobj_vec svcs = {0};
  ctrl_list(cctx, "", "v1", "services", "", &svcs);
  bool taken = false;
  for (size_t i = 0; i < svcs.n && !taken; i++) {
    const json_t *s = svcs.items[i]->obj;
    const char *have = ingress_ip(s);
    struct in_addr a;
    if (s == self || !have || !is_lb(s) || inet_pton(AF_INET, have, &a) != 1) continue;
    const char *uid = obj_uid(s), *self_uid = obj_uid(self);
    if (uid && self_uid && !strcmp(uid, self_uid)) continue;
    taken = ntohl(a.s_addr) == ip;
  }
  cobj_vec_clear(&svcs);
  return taken;
}

/* The first free address of pool, or 0. */
static uint32_t first_free(const json_t *pool, const json_t *svc) {
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(pool, "addresses"), i, a) {
    ip_range r;
    if (!json_is_string(a) || !parse_range(json_string_value(a), &r)) continue;
    for (uint64_t ip = r.first; ip <= r.last; ip++)
      if (!ip_taken((uint32_t)ip, svc)) return (uint32_t)ip;
  }
  return 0;
}

static uint32_t allocate(const json_t *pools, const json_t *svc) {
  const char *want = json_string_value(json_object_get(json_object_get(svc, "spec"), "loadBalancerIP"));
  const char *pool_name = obj_annotation(svc, "metallb.universe.tf/address-pool");
  struct in_addr a;
  size_t i;
  json_t *pool;
  if (want && *want) {
    if (inet_pton(AF_INET, want, &a) != 1) return 0;
    uint32_t ip = ntohl(a.s_addr);
    json_array_foreach(pools, i, pool) {
      if (ip_in_pool(pool, ip) && !ip_taken(ip, svc)) return ip;
    }
    return 0;
  }
  json_array_foreach(pools, i, pool) {
    const char *name = json_string_value(json_object_get(pool, "name"));
    if (pool_name ? !(name && !strcmp(name, pool_name)) : json_is_false(json_object_get(pool, "auto-assign")))
      continue;
    uint32_t ip = first_free(pool, svc);
    if (ip) return ip;
  }
  return 0;
}

static int write_ingress(const json_t *svc, const char *ip) {
  json_t *s = json_deep_copy(svc);
  json_t *st = json_object_get(s, "status");
  if (!json_is_object(st)) json_object_set_new(s, "status", st = json_object());
  json_object_set_new(st, "loadBalancer", ip ? json_pack("{s:[{s:s}]}", "ingress", "ip", ip) : json_object());
  return ctrl_update(cctx, "", "v1", "services", obj_ns(svc), "status", s);
}

static ctrl_result sync_service(void *ctx, const char *key) {
  char ns[256], name[256];
  if (!ctrl_split_key(key, ns, name)) return ctrl_done();
  cobj *cur = ctrl_get(cctx, "", "v1", "services", ns, name);
  if (!cur) return ctrl_done();
  const json_t *svc = cur->obj;
  ctrl_result rc = ctrl_done();
  if (!is_lb(svc)) {
    if (ingress_ip(svc) && write_ingress(svc, NULL) >= 300) rc = ctrl_retry();
  } else if (!ingress_ip(svc)) {
    json_t *pools = load_pools();
    if (json_array_size(pools)) {
      uint32_t ip = allocate(pools, svc);
      if (ip) {
        char text[IPV4_TEXT_LEN];
        ipv4_format(ip, text, sizeof text);
        if (write_ingress(svc, text) < 300)
          event_record(cctx, svc, COMPONENT, "Normal", "IPAllocated", "Assigned IP \"%s\"", text);
        else rc = ctrl_retry();
      } else {
        event_record(cctx, svc, COMPONENT, "Warning", "AllocationFailed",
                     "Failed to allocate IP for \"%s\": no available IPs", key);
      }
    }
    json_decref(pools);
  }
  cobj_unref(cur);
  return rc;
}

void lb_allocator_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, COMPONENT, sync_service, NULL);
  ctrl_follow(c, "", "v1", "services", ctrl_enqueue_self);
  ctrl_follow(c, "", "v1", "configmaps", on_configmap);
}

void lb_allocator_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
