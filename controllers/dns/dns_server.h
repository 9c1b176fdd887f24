/* dns_server.h - the DNS listener: UDP and TCP on one address, answering
 * from the current zone snapshot (dns_answer.h) on threads of its own,
 * apart from the API's. Names outside the cluster are REFUSED unless
 * forwarding is on (dns_forward.h). */
#ifndef CKUBE_DNS_SERVER_H
#define CKUBE_DNS_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include "dns_zone.h"

/* Splits "HOST:PORT" / "[v6]:PORT" (numeric host) into a socket address.
 * -1 when it is none. */
struct sockaddr_storage;
int dns_parse_addr(const char *addr, struct sockaddr_storage *ss, unsigned *len);

/* Binds addr (UDP and TCP) and starts serving; forward: names outside the
 * cluster go to the upstreams of dns_forward_init. -1 with err when a
 * socket cannot be had. */
int dns_server_start(const char *addr, bool forward, char *err, size_t errlen);
/* Makes z (a reference the server takes over) the snapshot answered from. */
void dns_server_swap(dns_zone *z);
/* Closes the sockets, waits for the threads (bounded), drops the snapshot. */
void dns_server_stop(void);

#endif
