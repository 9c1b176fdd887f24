/* dns_forward.h - the opt-in forwarder for names outside the cluster, as
 * CoreDNS's `forward . /etc/resolv.conf`: the query goes as it came to the
 * first upstream that answers (UDP, or TCP when it came over TCP), and the
 * upstream's response goes back unchanged. Off unless configured. */
#ifndef CKUBE_DNS_FORWARD_H
#define CKUBE_DNS_FORWARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* spec: "ADDR:PORT" for one upstream, or NULL/"" for the nameservers of
 * /etc/resolv.conf (port 53) other than self ("HOST:PORT" of our own
 * listener). Returns the number of upstreams; 0 leaves forwarding off. */
int dns_forward_init(const char *spec, const char *self);
/* The upstream's response to msg into out, or 0 when none answered within
 * two seconds per upstream. */
size_t dns_forward_query(const uint8_t *msg, size_t len, bool tcp, uint8_t *out, size_t cap);

#endif
