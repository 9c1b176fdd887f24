/* ipv4.h - IPv4 addresses as host-order integers, the form the Service
 * allocators, the claims record and the node's service table do arithmetic
 * on, written once for server, controllers and node: dotted text to
 * integer and back. Pure functions; reentrant. */
#ifndef CKUBE_IPV4_H
#define CKUBE_IPV4_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest dotted IPv4 text plus its NUL ("255.255.255.255"). */
#define IPV4_TEXT_LEN 16

/* Parses dotted IPv4 text into *ip (host order): true when s is one
 * (inet_pton's rules: exactly four decimal parts); false for NULL. */
bool ipv4_parse(const char *s, uint32_t *ip);

/* Writes ip (host order) as dotted text into buf (IPV4_TEXT_LEN suffice). */
void ipv4_format(uint32_t ip, char *buf, size_t len);

#endif
