/* dns_controller.c - the control side of the cluster DNS, as CoreDNS's
 * kubernetes plugin watches the API: it follows Services and
 * EndpointSlices through the in-process informers and, for any change,
 * builds a new zone snapshot from the watch cache and swaps it in (one
 * key, so a burst of changes costs one build). Runs on every server, not
 * under leader election: each server's listener answers from its own
 * snapshot. At start it also makes sure kube-system/kube-dns names the
 * listener (dns_service.c). */
#include "dns.h"
#include "ctrl.h"
#include "dns_forward.h"
#include "dns_server.h"
#include "dns_service.h"
#include "json_const.h"
#include "log.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define ZONE_KEY "zone"

static ctrl *c;

static void on_change(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) { ctrl_add(c, ZONE_KEY); }

static json_t *list(const char *group, const char *plural) {
  cobj_vec v = {0};
  ctrl_list(cctx, group, "v1", plural, "", &v);
  json_t *arr = json_array();
  for (size_t i = 0; i < v.n; i++) json_array_append_new_const(arr, json_incref_const(v.items[i]->obj));
  cobj_vec_clear(&v);
  return arr;
}

static ctrl_result sync_zone(void *ctx, const char *key) {
  json_t *services = list("", "services"), *slices = list("discovery.k8s.io", "endpointslices");
  dns_server_swap(dns_zone_build(DNS_CLUSTER_DOMAIN, services, slices));
  json_decref(services);
  json_decref(slices);
  return ctrl_done();
}

/* The address the kube-dns Endpoints show: the listener's, loopback for a wildcard. */
static int endpoint_address(const char *listen, char *ip, size_t len) {
  struct sockaddr_storage ss;
  unsigned slen;
  if (dns_parse_addr(listen, &ss, &slen) != 0) return -1;
  if (ss.ss_family == AF_INET) {
    struct in_addr a = ((struct sockaddr_in *)&ss)->sin_addr;
    if (a.s_addr == htonl(INADDR_ANY)) a.s_addr = htonl(INADDR_LOOPBACK);
    inet_ntop(AF_INET, &a, ip, (socklen_t)len);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  struct in6_addr a = ((struct sockaddr_in6 *)&ss)->sin6_addr;
  if (IN6_IS_ADDR_UNSPECIFIED(&a)) a = in6addr_loopback;
  inet_ntop(AF_INET6, &a, ip, (socklen_t)len);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int dns_start(const ctrl_context *cc, const char *listen, const char *forward, char *err, size_t errlen) {
  cctx = cc;
  bool fwd = false;
  if (forward) {
    fwd = dns_forward_init(forward, listen) > 0;
    if (!fwd) LOGW("dns: no upstream to forward to (%s)", *forward ? forward : "/etc/resolv.conf");
  }
  sync_zone(NULL, ZONE_KEY); /* the listener never answers without a zone */
  if (dns_server_start(listen, fwd, err, errlen) != 0) {
    dns_server_swap(NULL);
    return -1;
  }
  char ip[64];
  int port = endpoint_address(listen, ip, sizeof ip);
  if (port > 0 && dns_service_ensure(cctx, ip, port) != 0) LOGW("dns: kube-system/kube-dns incomplete");
  c = ctrl_start(cctx, "dns", sync_zone, NULL);
  ctrl_follow(c, "", "v1", "services", on_change);
  ctrl_follow(c, "discovery.k8s.io", "v1", "endpointslices", on_change);
  ctrl_add(c, ZONE_KEY);
  LOGI("cluster DNS (%s) on %s (UDP and TCP)%s", DNS_CLUSTER_DOMAIN, listen, fwd ? ", forwarding other names" : "");
  return 0;
}

void dns_stop(void) {
  if (!c) return;
  ctrl_stop(c);
  c = NULL;
  dns_server_stop();
}
