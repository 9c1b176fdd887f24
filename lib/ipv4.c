/* ipv4.c - dotted IPv4 text <-> host-order integers through inet_pton and
 * inet_ntop, so the accepted forms are the C library's. */
#include "ipv4.h"
#include <arpa/inet.h>
#include <stdio.h>

bool ipv4_parse(const char *s, uint32_t *ip) {
  struct in_addr a;
  if (!s || inet_pton(AF_INET, s, &a) != 1) return false;
  *ip = ntohl(a.s_addr);
  return true;
}

void ipv4_format(uint32_t ip, char *buf, size_t len) {
  struct in_addr a = {htonl(ip)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, text, sizeof text);
  snprintf(buf, len, "%s", text);
}
