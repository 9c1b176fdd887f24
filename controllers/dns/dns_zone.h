/* dns_zone.h - the cluster's DNS records as one immutable snapshot, built
 * from the stored Services and EndpointSlices the way CoreDNS's kubernetes
 * plugin sees them (the Kubernetes DNS-Based Service Discovery
 * specification 1.1.0): A/AAAA for ClusterIPs, the ready endpoints of
 * headless Services and their hostnames, SRV for named ports, CNAME for
 * ExternalName, PTR for ClusterIPs and headless endpoints. Readers on any
 * thread hold a reference; the controller swaps in a new snapshot. */
#ifndef CKUBE_DNS_ZONE_H
#define CKUBE_DNS_ZONE_H
#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include "strmap.h"

#define DNS_TTL 30 /* kubeadm's Corefile: kubernetes ... { ttl 30 } */

typedef struct {
  uint16_t type;
  uint8_t addr[16];                 /* A: the first 4 bytes, AAAA: 16 */
  uint16_t priority, weight, port;  /* SRV */
  char *target;                     /* CNAME, PTR, SRV: a name; TXT: the text */
} dns_rr;

/* The records of one name; a name with none (an empty non-terminal such
 * as "ns.svc.cluster.local") exists and answers NODATA, not NXDOMAIN. */
typedef struct {
  dns_rr *rrs;
  size_t n, cap;
} dns_node;

typedef struct {
  atomic_int refs;
  char *domain;        /* "cluster.local" */
  strmap *names;       /* lower-case name without the final dot -> dns_node* */
  uint32_t serial;     /* the SOA serial: when the snapshot was built */
  char dns_ip[64];     /* kube-system/kube-dns's ClusterIP, "" when absent */
} dns_zone;

/* A snapshot from arrays of v1 Services and discovery.k8s.io/v1
 * EndpointSlices (borrowed, not changed). Reference count 1. */
dns_zone *dns_zone_build(const char *domain, const json_t *services, const json_t *slices);
dns_zone *dns_zone_ref(dns_zone *z);
/* Drops a reference; the last one frees the snapshot. NULL is ignored. */
void dns_zone_unref(dns_zone *z);
/* The node of a lower-case name, or NULL when the name does not exist. */
const dns_node *dns_zone_find(const dns_zone *z, const char *name);
/* "d.c.b.a.in-addr.arpa" / the ip6.arpa nibble name of a textual address
 * into out; false when ip is not an address. */
bool dns_reverse_name(const char *ip, char *out, size_t len);

#endif
