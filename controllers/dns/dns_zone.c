/* dns_zone.c - see dns_zone.h. One pass over the Services, one over the
 * EndpointSlices of headless ones; names are lower-cased (DNS is
 * case-insensitive, Kubernetes names are lower case already). SRV weights
 * are spread as CoreDNS does: 100 divided among the targets of one name. */
#include "dns_zone.h"
#include "json_path.h"
#include "dns_wire.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DNS_SPEC_VERSION "1.1.0"

static dns_node *node_at(dns_zone *z, const char *name) {
  char low[600];
  size_t i = 0;
  for (; name[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)name[i]);
  low[i] = 0;
  dns_node *n = strmap_get(z->names, low);
  if (!n) strmap_put(z->names, low, n = calloc(1, sizeof *n));
  /* every ancestor inside the cluster domain exists too */
  size_t dl = strlen(z->domain), ll = strlen(low);
  if (ll <= dl || low[ll - dl - 1] != '.' || strcmp(low + ll - dl, z->domain)) return n;
  for (const char *p = strchr(low, '.'); p && strlen(p + 1) >= dl; p = strchr(p + 1, '.'))
    if (!strmap_get(z->names, p + 1)) strmap_put(z->names, p + 1, calloc(1, sizeof(dns_node)));
  return n;
}

static dns_rr *add_rr(dns_zone *z, const char *name, uint16_t type, const char *target) {
  dns_node *n = node_at(z, name);
  if (n->n == n->cap) n->rrs = realloc(n->rrs, (n->cap = n->cap ? 2 * n->cap : 2) * sizeof *n->rrs);
  dns_rr *rr = &n->rrs[n->n++];
  memset(rr, 0, sizeof *rr);
  rr->type = type;
  rr->target = target ? strdup(target) : NULL;
  return rr;
}

/* A or AAAA for ip at name, once. */
static void add_address(dns_zone *z, const char *name, const char *ip) {
  uint8_t a[16];
  uint16_t type = inet_pton(AF_INET, ip, a) == 1 ? DNS_A : inet_pton(AF_INET6, ip, a) == 1 ? DNS_AAAA : 0;
  if (!type) return;
  size_t alen = type == DNS_A ? 4 : 16;
  const dns_node *n = node_at(z, name);
  for (size_t i = 0; i < n->n; i++)
    if (n->rrs[i].type == type && !memcmp(n->rrs[i].addr, a, alen)) return;
  memcpy(add_rr(z, name, type, NULL)->addr, a, alen);
}

bool dns_reverse_name(const char *ip, char *out, size_t len) {
  uint8_t a[16];
  if (inet_pton(AF_INET, ip, a) == 1) {
    snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
    return true;
  }
  if (inet_pton(AF_INET6, ip, a) != 1 || len < 73) return false;
  size_t o = 0;
  for (int i = 15; i >= 0; i--)
    o += (size_t)snprintf(out + o, len - o, "%x.%x.", a[i] & 0xF, a[i] >> 4);
  snprintf(out + o, len - o, "ip6.arpa");
  return true;
}

static void add_ptr(dns_zone *z, const char *ip, const char *name) {
  char rev[128];
  if (dns_reverse_name(ip, rev, sizeof rev)) add_rr(z, rev, DNS_PTR, name);
}

static void add_srv(dns_zone *z, const char *base, const json_t *port, const char *target) {
  const char *pname = json_str(port, "name"), *proto = json_str(port, "protocol") ?: "TCP";
  if (!pname || !*pname) return; /* the specification names SRV records by port name */
  char name[600], lproto[16];
  size_t i = 0;
  for (; proto[i] && i + 1 < sizeof lproto; i++) lproto[i] = (char)tolower((unsigned char)proto[i]);
  lproto[i] = 0;
  snprintf(name, sizeof name, "_%s._%s.%s", pname, lproto, base);
  dns_rr *rr = add_rr(z, name, DNS_SRV, target);
  rr->port = (uint16_t)json_integer_value(json_object_get(port, "port"));
}

static bool endpoint_ready(const json_t *ep) {
  const json_t *ready = json_object_get(json_object_get(ep, "conditions"), "ready");
  return !json_is_false(ready); /* unset means ready (discovery.k8s.io/v1) */
}

/* The label an endpoint's records get: its hostname, else its address with dashes. */
static void endpoint_label(const json_t *ep, const char *ip, char *out, size_t len) {
  const char *h = json_str(ep, "hostname");
  if (h && *h) {
    snprintf(out, len, "%s", h);
    return;
  }
  snprintf(out, len, "%s", ip);
  for (char *p = out; *p; p++)
    if (*p == '.' || *p == ':') *p = '-';
}

static void add_headless(dns_zone *z, const char *base, const char *ns, const char *svc, const json_t *slices) {
  size_t i, j, k, m;
  const json_t *s, *ep, *addr, *port;
  json_array_foreach(slices, i, s) {
    const json_t *meta = json_object_get(s, "metadata");
    const char *owner = json_str(json_object_get(meta, "labels"), "kubernetes.io/service-name");
    if (!owner || strcmp(owner, svc) || strcmp(json_str(meta, "namespace") ?: "", ns)) continue;
    json_array_foreach(json_object_get(s, "endpoints"), j, ep) {
      if (!endpoint_ready(ep)) continue;
      json_array_foreach(json_object_get(ep, "addresses"), k, addr) {
        const char *ip = json_string_value(addr);
        if (!ip) continue;
        char label[256], host[600];
        endpoint_label(ep, ip, label, sizeof label);
        snprintf(host, sizeof host, "%s.%s", label, base);
        add_address(z, base, ip);
        add_address(z, host, ip);
        add_ptr(z, ip, host);
        json_array_foreach(json_object_get(s, "ports"), m, port) add_srv(z, base, port, host);
      }
    }
  }
}

static void add_service(dns_zone *z, const json_t *svc, const json_t *slices) {
  const json_t *meta = json_object_get(svc, "metadata"), *spec = json_object_get(svc, "spec");
  const char *name = json_str(meta, "name"), *ns = json_str(meta, "namespace");
  if (!name || !ns) return;
  char base[600];
  snprintf(base, sizeof base, "%s.%s.svc.%s", name, ns, z->domain);
  const char *type = json_str(spec, "type") ?: "ClusterIP", *cip = json_str(spec, "clusterIP");
  if (!strcmp(type, "ExternalName")) {
    char target[300];
    snprintf(target, sizeof target, "%s", json_str(spec, "externalName") ?: "");
    size_t l = strlen(target);
    if (l && target[l - 1] == '.') target[l - 1] = 0;
    if (*target) add_rr(z, base, DNS_CNAME, target);
    return;
  }
  if (!cip || !*cip) return;
  if (!strcmp(cip, "None")) {
    node_at(z, base); /* a headless Service without ready endpoints still exists */
    add_headless(z, base, ns, name, slices);
    return;
  }
  const json_t *ips = json_object_get(spec, "clusterIPs");
  size_t i;
  const json_t *ip, *port;
  if (json_array_size(ips)) {
    json_array_foreach(ips, i, ip) if (json_string_value(ip)) add_address(z, base, json_string_value(ip)),
        add_ptr(z, json_string_value(ip), base);
  } else {
    add_address(z, base, cip);
    add_ptr(z, cip, base);
  }
  json_array_foreach(json_object_get(spec, "ports"), i, port) add_srv(z, base, port, base);
  if (!strcmp(ns, "kube-system") && !strcmp(name, "kube-dns")) snprintf(z->dns_ip, sizeof z->dns_ip, "%s", cip);
}

/* SRV records of one name share a weight of 100 (CoreDNS: 100 / targets). */
static void spread_weights(dns_zone *z) {
  strmap_iter it = {0};
  while (strmap_next(z->names, &it)) {
    dns_node *n = it.value;
    size_t srv = 0;
    for (size_t i = 0; i < n->n; i++) srv += n->rrs[i].type == DNS_SRV;
    for (size_t i = 0; i < n->n; i++)
      if (n->rrs[i].type == DNS_SRV) n->rrs[i].weight = (uint16_t)(100 / srv);
  }
}

dns_zone *dns_zone_build(const char *domain, const json_t *services, const json_t *slices) {
  dns_zone *z = calloc(1, sizeof *z);
  atomic_init(&z->refs, 1);
  z->domain = strdup(domain);
  z->names = strmap_new();
  z->serial = (uint32_t)time(NULL);
  char name[300];
  node_at(z, domain);
  snprintf(name, sizeof name, "svc.%s", domain);
  node_at(z, name);
  snprintf(name, sizeof name, "pod.%s", domain);
  node_at(z, name);
  snprintf(name, sizeof name, "dns-version.%s", domain);
  add_rr(z, name, DNS_TXT, DNS_SPEC_VERSION);
  size_t i;
  const json_t *svc;
  json_array_foreach(services, i, svc) add_service(z, svc, slices);
  if (*z->dns_ip) {
    snprintf(name, sizeof name, "ns.dns.%s", domain);
    add_address(z, name, z->dns_ip);
  }
  spread_weights(z);
  return z;
}

dns_zone *dns_zone_ref(dns_zone *z) {
  if (z) atomic_fetch_add(&z->refs, 1);
  return z;
}

static void free_node(void *v) {
  dns_node *n = v;
  for (size_t i = 0; i < n->n; i++) free(n->rrs[i].target);
  free(n->rrs);
  free(n);
}

void dns_zone_unref(dns_zone *z) {
  if (!z || atomic_fetch_sub(&z->refs, 1) != 1) return;
  strmap_free(z->names, free_node);
  free(z->domain);
  free(z);
}

const dns_node *dns_zone_find(const dns_zone *z, const char *name) { return strmap_get(z->names, name); }
