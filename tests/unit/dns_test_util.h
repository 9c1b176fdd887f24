/* dns_test_util.h - for the DNS unit tests: a query built with the
 * writer, and a response read back into a few comparable strings. */
#ifndef CKUBE_DNS_TEST_UTIL_H
#define CKUBE_DNS_TEST_UTIL_H
#include "dns_wire.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* A query for name/type into buf; edns_size 0 = no OPT record. Its length. */
static inline size_t make_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type, uint16_t edns_size) {
  dns_writer w;
  dns_writer_init(&w, buf, cap);
  dns_write_header(&w, id, 0x0100, 1, 0, 0, edns_size ? 1 : 0);
  dns_write_name(&w, name);
  dns_write_u16(&w, type);
  dns_write_u16(&w, DNS_CLASS_IN);
  if (edns_size) {
    dns_write_bytes(&w, "", 1);
    dns_write_u16(&w, DNS_OPT);
    dns_write_u16(&w, edns_size);
    dns_write_u32(&w, 0);
    dns_write_u16(&w, 0);
  }
  return w.len;
}

typedef struct {
  int rcode;
  unsigned flags, an, ns, ar;
  char rr[80][300]; /* "owner TYPE data" of every record, all sections */
  int n;
} dns_resp;

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Reads a response; -1 when it is malformed. */
static inline int read_resp(const uint8_t *m, size_t len, dns_resp *r) {
  memset(r, 0, sizeof *r);
  if (len < 12) return -1;
  r->flags = rd16(m + 2);
  r->rcode = r->flags & 0xF;
  r->an = rd16(m + 6), r->ns = rd16(m + 8), r->ar = rd16(m + 10);
  size_t off = 12;
  char name[DNS_NAME_TEXT_MAX], target[DNS_NAME_TEXT_MAX];
  for (unsigned q = rd16(m + 4); q; q--) {
    if (dns_read_name(m, len, &off, name, sizeof name) < 0) return -1;
    off += 4;
  }
  for (unsigned i = 0; i < r->an + r->ns + r->ar && r->n < 80; i++) {
    if (dns_read_name(m, len, &off, name, sizeof name) < 0 || off + 10 > len) return -1;
    uint16_t type = rd16(m + off), rdlen = rd16(m + off + 8);
    size_t rd = off + 10;
    off = rd + rdlen;
    if (off > len) return -1;
    char *o = r->rr[r->n++];
    char ip[64];
    size_t t = rd;
    switch (type) {
    case DNS_A: snprintf(o, 300, "%s A %s", name, inet_ntop(AF_INET, m + rd, ip, sizeof ip)); break;
    case DNS_AAAA: snprintf(o, 300, "%s AAAA %s", name, inet_ntop(AF_INET6, m + rd, ip, sizeof ip)); break;
    case DNS_CNAME:
    case DNS_PTR:
    case DNS_NS:
      if (dns_read_name(m, len, &t, target, sizeof target) < 0) return -1;
      snprintf(o, 300, "%s %s %s", name, type == DNS_CNAME ? "CNAME" : type == DNS_PTR ? "PTR" : "NS", target);
      break;
    case DNS_SRV:
      t += 6;
      if (dns_read_name(m, len, &t, target, sizeof target) < 0) return -1;
      snprintf(o, 300, "%s SRV %u %u %u %s", name, rd16(m + rd), rd16(m + rd + 2), rd16(m + rd + 4), target);
      break;
    case DNS_SOA:
      if (dns_read_name(m, len, &t, target, sizeof target) < 0) return -1;
      snprintf(o, 300, "%s SOA %s", name, target);
      break;
    case DNS_TXT: snprintf(o, 300, "%s TXT %.*s", name, m[rd], (const char *)m + rd + 1); break;
    case DNS_OPT: snprintf(o, 300, "OPT %u ext=%u", rd16(m + rd - 8), m[rd - 6]); break;
    default: snprintf(o, 300, "%s TYPE%u", name, type);
    }
  }
  return off == len ? 0 : -1;
}

#endif
