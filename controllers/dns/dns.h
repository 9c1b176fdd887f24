/* dns.h - the cluster DNS as the server starts and stops it: the
 * controller that compiles the zone from Services and EndpointSlices
 * (dns_controller.c), the kube-system/kube-dns Service that names it
 * (dns_service.c), and the UDP/TCP listener that answers (dns_server.c). */
#ifndef CKUBE_DNS_H
#define CKUBE_DNS_H
#include "controller.h"
#include <stdbool.h>
#include <stddef.h>

#define DNS_DEFAULT_LISTEN "127.0.0.1:10053"
#define DNS_CLUSTER_DOMAIN "cluster.local"

/* Serves cluster DNS on listen ("ADDR:PORT"); forward: NULL keeps names
 * outside the cluster REFUSED, "" forwards them to /etc/resolv.conf's
 * nameservers, "ADDR:PORT" to that one upstream; the controller reads and
 * writes through cc (kept until stop). Call after the API core is up. -1
 * with err when the listener cannot be opened. */
int dns_start(const ctrl_context *cc, const char *listen, const char *forward, char *err, size_t errlen);
/* Stops the controller and the listener. */
void dns_stop(void);

#endif
