/* dns_answer.h - one DNS response from one zone snapshot, as CoreDNS's
 * kubernetes plugin answers for the cluster domain: authoritative answers,
 * NXDOMAIN or NODATA with the zone's SOA, pod names
 * (`1-2-3-4.ns.pod.cluster.local`, "pods insecure" as kubeadm configures),
 * CNAME chains followed inside the zone, SRV targets' addresses in the
 * additional section, EDNS0 echoed, TC for UDP answers over the limit.
 * Pure: no I/O, no locks; the server owns the sockets. */
#ifndef CKUBE_DNS_ANSWER_H
#define CKUBE_DNS_ANSWER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dns_zone.h"

#define DNS_EDNS_SIZE 1232 /* the UDP payload we advertise (DNS flag day 2020) */

/* Builds the response to the query msg (len bytes) into out (cap >= 512
 * bytes) from z (NULL: SERVFAIL). tcp lifts the UDP size limit (512 or the
 * client's EDNS size). recursion: outside names are forwarded (RA set).
 * Returns the response's length, 0 when nothing must be sent back.
 * *outside tells that the name is outside the cluster's zones; the
 * response then says REFUSED and a forwarder may answer instead. */
size_t dns_answer(const dns_zone *z, const uint8_t *msg, size_t len, bool tcp, bool recursion, uint8_t *out,
                  size_t cap, bool *outside);

#endif
