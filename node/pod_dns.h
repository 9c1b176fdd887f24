/* pod_dns.h - a pod's /etc/resolv.conf as kubelet 1.20 makes it
 * (pkg/kubelet/network/dns: GetPodDNS): dnsPolicy ClusterFirst (the
 * cluster DNS, the namespace's search path, ndots:5), ClusterFirstWithHostNet,
 * Default (the node's resolv.conf), None, and spec.dnsConfig merged on
 * top; trimmed to kubelet's limits (3 nameservers, 6 search domains,
 * 256 characters of search line). */
#ifndef CKUBE_POD_DNS_H
#define CKUBE_POD_DNS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "simulate_config.h"

#define POD_DNS_CLUSTER_DOMAIN "cluster.local"

/* The resolv.conf text for pod into out. cluster_dns: the cluster DNS
 * server's address, NULL or "" when the cluster has none (ClusterFirst then
 * falls back to Default, as kubelet does without --cluster-dns).
 * host_resolv: the node's resolv.conf (a missing file reads as empty). */
void pod_dns_resolv_conf(const json_t *pod, const char *cluster_dns, const char *host_resolv, char *out, size_t len);

/* The pod's hostname as kubelet gives it (GeneratePodHostNameAndDomain):
 * spec.hostname, else the pod's name, cut to 63 characters without a
 * trailing '-' or '.'; its UTS name, $HOSTNAME and the name its /etc/hosts
 * line maps to its address (what `hostname -i` looks up). The text stays
 * valid until the calling thread's next call. */
const char *pod_dns_hostname(const json_t *pod);

/* The ClusterIP of the Service kube-system/kube-dns through get into out;
 * false (out "") when there is none. */
bool pod_dns_cluster_ip(sim_get_fn get, void *ctx, char *out, size_t len);

#endif
