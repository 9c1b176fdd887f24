/* dns_service.h - the kube-system/kube-dns Service with its Endpoints and
 * EndpointSlice, as kubeadm's CoreDNS addon shows them, pointing at this
 * server's DNS listener. */
#ifndef CKUBE_DNS_SERVICE_H
#define CKUBE_DNS_SERVICE_H
#include "controller.h"
#include <stdbool.h>
#include <stddef.h>

/* The n-th address of the Service ClusterIP range (kube-dns takes the
 * 10th) into out; the range starts one address before the `kubernetes`
 * Service's ClusterIP, its first address, so the answer follows whatever
 * range the API server allocates from. false when it cannot be known. */
bool service_range_address(const ctrl_context *cctx, unsigned n, char *out, size_t len);

/* Creates the Service (ClusterIP = the 10th address, ports dns 53/UDP and
 * dns-tcp 53/TCP to the listener's port, metrics 9153/TCP, no selector)
 * when absent, sets its target ports when the listener moved, and writes
 * the Endpoints and EndpointSlice with ip:port of the listener. 0 or -1
 * (logged). */
int dns_service_ensure(const ctrl_context *cctx, const char *ip, int port);

#endif
