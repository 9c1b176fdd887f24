/* dns_service.c - see dns_service.h. Written through the API core like
 * any client (controllers/ctrl.h), so admission allocates and checks the
 * ClusterIP as it would for kubectl. The Service has no selector: no pod
 * backs it, its Endpoints are ours (the endpoints controllers leave such
 * Services alone), as the `kubernetes` Service's are the API server's. */
#include "dns_service.h"
#include "ctrl.h"
#include "log.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define NS "kube-system"
#define NAME "kube-dns"
#define DNS_PORT 53
#define METRICS_PORT 9153

bool service_range_address(const ctrl_context *cctx, unsigned n, char *out, size_t len) {
  cobj *k = ctrl_get(cctx, "", "v1", "services", "default", "kubernetes");
  const char *ip = k ? json_string_value(json_object_get(json_object_get(k->obj, "spec"), "clusterIP")) : NULL;
  struct in_addr a;
  bool ok = ip && inet_pton(AF_INET, ip, &a) == 1;
  if (ok) {
    a.s_addr = htonl(ntohl(a.s_addr) - 1 + n);
    ok = inet_ntop(AF_INET, &a, out, (socklen_t)len) != NULL;
  }
  cobj_unref(k);
  return ok;
}

static json_t *service_ports(int target) {
  return json_pack("[{s:s,s:i,s:s,s:i},{s:s,s:i,s:s,s:i},{s:s,s:i,s:s,s:i}]", "name", "dns", "port", DNS_PORT,
                   "protocol", "UDP", "targetPort", target, "name", "dns-tcp", "port", DNS_PORT, "protocol", "TCP",
                   "targetPort", target, "name", "metrics", "port", METRICS_PORT, "protocol", "TCP", "targetPort",
                   METRICS_PORT);
}

/* The listener's ports as Endpoints and EndpointSlices list them. */
static json_t *endpoint_ports(int port) {
  return json_pack("[{s:s,s:i,s:s},{s:s,s:i,s:s}]", "name", "dns", "port", port, "protocol", "UDP", "name",
                   "dns-tcp", "port", port, "protocol", "TCP");
}

/* The Service as kubeadm's addon makes it, at ip (NULL: allocated). */
static json_t *new_service(const char *ip, int port) {
  json_t *svc = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:s}},s:{s:o,s:s,s:s}}", "apiVersion", "v1",
                          "kind", "Service", "metadata", "name", NAME, "namespace", NS, "labels", "k8s-app", "kube-dns",
                          "kubernetes.io/cluster-service", "true", "kubernetes.io/name", "CoreDNS", "annotations",
                          "prometheus.io/port", "9153", "prometheus.io/scrape", "true", "spec", "ports",
                          service_ports(port), "type", "ClusterIP", "sessionAffinity", "None");
  if (ip) json_object_set_new(json_object_get(svc, "spec"), "clusterIP", json_string(ip));
  return svc;
}

static int ensure_service(const ctrl_context *cctx, int port) {
  cobj *cur = ctrl_get(cctx, "", "v1", "services", NS, NAME);
  json_t *want = service_ports(port);
  int code;
  if (cur) {
    json_t *have = json_object_get(json_object_get(cur->obj, "spec"), "ports");
    bool same = true;
    size_t i;
    json_t *p;
    json_array_foreach(want, i, p) same &= json_equal(json_object_get(json_array_get(have, i), "targetPort"),
                                                      json_object_get(p, "targetPort"));
    if (same) {
      cobj_unref(cur);
      json_decref(want);
      return 0;
    }
    json_t *copy = json_deep_copy(cur->obj);
    cobj_unref(cur);
    json_object_set_new(json_object_get(copy, "spec"), "ports", want);
    code = ctrl_update(cctx, "", "v1", "services", NS, NULL, copy);
    return code < 300 ? 0 : -1;
  }
  json_decref(want);
  char ip[64];
  if (!service_range_address(cctx, 10, ip, sizeof ip)) {
    LOGW("kube-dns: the Service range is unknown (no `kubernetes` Service); not creating kube-system/kube-dns");
    return -1;
  }
  code = ctrl_create(cctx, "", "v1", "services", NS, new_service(ip, port));
  if (code == 422) { /* the address is taken (a data directory from before the DNS): any address will do */
    LOGW("kube-dns: %s is taken, the Service gets another address", ip);
    code = ctrl_create(cctx, "", "v1", "services", NS, new_service(NULL, port));
  }
  return code == 201 ? 0 : -1;
}

/* Creates obj or replaces the stored one's field `key` with obj's. */
static int put(const ctrl_context *cctx, const char *group, const char *plural, json_t *obj, const char *key) {
  cobj *cur = ctrl_get(cctx, group, "v1", plural, NS, NAME);
  int code;
  if (cur) {
    json_t *copy = json_deep_copy(cur->obj);
    cobj_unref(cur);
    json_object_set(copy, key, json_object_get(obj, key));
    if (!strcmp(key, "endpoints")) json_object_set(copy, "ports", json_object_get(obj, "ports"));
    json_decref(obj);
    code = ctrl_update(cctx, group, "v1", plural, NS, NULL, copy);
  } else {
    code = ctrl_create(cctx, group, "v1", plural, NS, obj);
  }
  return code < 300 ? 0 : -1;
}

int dns_service_ensure(const ctrl_context *cctx, const char *ip, int port) {
  int rc = ensure_service(cctx, port);
  json_t *ep = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s}},s:[{s:[{s:s}],s:o}]}", "apiVersion", "v1", "kind",
                         "Endpoints", "metadata", "name", NAME, "namespace", NS, "labels", "k8s-app", "kube-dns",
                         "kubernetes.io/cluster-service", "true", "kubernetes.io/name", "CoreDNS", "subsets",
                         "addresses", "ip", ip, "ports", endpoint_ports(port));
  rc |= put(cctx, "", "endpoints", ep, "subsets");
  json_t *slice = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:s,s:o,s:[{s:[s],s:{s:b}}]}", "apiVersion",
                            "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata", "name", NAME, "namespace", NS,
                            "labels", "kubernetes.io/service-name", NAME, "k8s-app", "kube-dns", "addressType",
                            strchr(ip, ':') ? "IPv6" : "IPv4", "ports", endpoint_ports(port), "endpoints",
                            "addresses", ip, "conditions", "ready", 1);
  rc |= put(cctx, "discovery.k8s.io", "endpointslices", slice, "endpoints");
  return rc ? -1 : 0;
}
