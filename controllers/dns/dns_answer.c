/* dns_answer.c - see dns_answer.h. A response is written in phases:
 * header and question, the answer (a CNAME chain of at most 8 links, then
 * the records of the type asked), the SOA in the authority section when
 * the answer is empty, the additional section (addresses of SRV targets;
 * dropped rather than truncated when it does not fit, RFC 2181 9), the OPT
 * record. An answer or authority that does not fit leaves the question
 * alone with TC set, so the client asks again over TCP. */
#include "dns_answer.h"
#include "dns_wire.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define CNAME_HOPS 8
#define OPT_LEN 11
#define SOA_REFRESH 7200
#define SOA_RETRY 1800
#define SOA_EXPIRE 86400

typedef struct {
  const dns_zone *z;
  const dns_query *q;
  dns_writer w;
  char name[DNS_NAME_TEXT_MAX]; /* the question's name, lower case */
  const char *apex;             /* the zone the name is in */
  uint16_t an, ns, ar;
  int rcode;
  const char *srv_targets[32];  /* for the additional section */
  size_t n_targets;
} reply;

static void lower(char *dst, const char *src, size_t len) {
  size_t i = 0;
  for (; src[i] && i + 1 < len; i++) dst[i] = (char)tolower((unsigned char)src[i]);
  dst[i] = 0;
}

static bool under(const char *name, const char *zone) {
  size_t n = strlen(name), l = strlen(zone);
  return n == l ? !strcmp(name, zone) : n > l && name[n - l - 1] == '.' && !strcmp(name + n - l, zone);
}

static void put_rr(reply *r, const char *owner, const dns_rr *rr) {
  dns_mark m = dns_writer_mark(&r->w);
  size_t at = dns_rr_begin(&r->w, owner, rr->type, DNS_CLASS_IN, DNS_TTL);
  int ok = 0;
  switch (rr->type) {
  case DNS_A: dns_write_bytes(&r->w, rr->addr, 4); break;
  case DNS_AAAA: dns_write_bytes(&r->w, rr->addr, 16); break;
  case DNS_CNAME:
  case DNS_PTR:
  case DNS_NS: ok = dns_write_name(&r->w, rr->target); break;
  case DNS_SRV:
    dns_write_u16(&r->w, rr->priority);
    dns_write_u16(&r->w, rr->weight);
    dns_write_u16(&r->w, rr->port);
    ok = dns_write_name(&r->w, rr->target);
    break;
  case DNS_TXT: {
    size_t n = strlen(rr->target);
    uint8_t l = (uint8_t)(n > 255 ? 255 : n);
    dns_write_bytes(&r->w, &l, 1);
    dns_write_bytes(&r->w, rr->target, l);
    break;
  }
  }
  if (ok < 0) { /* a target that is no name: leave the record out */
    dns_writer_rewind(&r->w, m);
    return;
  }
  dns_rr_end(&r->w, at);
}

static bool wanted(uint16_t qtype, uint16_t type) { return qtype == type || qtype == DNS_ANY; }

static void put_soa(reply *r) {
  char mname[300], rname[300];
  snprintf(mname, sizeof mname, "ns.dns.%s", r->z->domain);
  snprintf(rname, sizeof rname, "hostmaster.%s", r->z->domain);
  size_t at = dns_rr_begin(&r->w, r->apex, DNS_SOA, DNS_CLASS_IN, DNS_TTL);
  dns_write_name(&r->w, mname);
  dns_write_name(&r->w, rname);
  uint32_t v[5] = {r->z->serial, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE, DNS_TTL};
  for (int i = 0; i < 5; i++) dns_write_u32(&r->w, v[i]);
  dns_rr_end(&r->w, at);
}

static void remember_target(reply *r, const char *t) {
  for (size_t i = 0; i < r->n_targets; i++)
    if (!strcmp(r->srv_targets[i], t)) return;
  if (r->n_targets < sizeof r->srv_targets / sizeof *r->srv_targets) r->srv_targets[r->n_targets++] = t;
}

/* The records of node matching the question's type, under owner. */
static void put_node(reply *r, const char *owner, const dns_node *n) {
  for (size_t i = 0; i < n->n; i++) {
    if (!wanted(r->q->qtype, n->rrs[i].type)) continue;
    put_rr(r, owner, &n->rrs[i]);
    r->an++;
    if (n->rrs[i].type == DNS_SRV) remember_target(r, n->rrs[i].target);
  }
}

/* `a-b-c-d.<ns>.pod.<domain>` (dashes for the dots, or for the colons of
 * an IPv6 address): its address record, whatever the pods. */
static bool pod_record(reply *r) {
  char suffix[300], label[80];
  snprintf(suffix, sizeof suffix, ".pod.%s", r->z->domain);
  const char *dot = strchr(r->name, '.');
  if (!dot || (size_t)(dot - r->name) >= sizeof label) return false;
  const char *ns_end = strchr(dot + 1, '.');
  if (!ns_end || ns_end == dot + 1 || strcmp(ns_end, suffix)) return false;
  memcpy(label, r->name, (size_t)(dot - r->name));
  label[dot - r->name] = 0;
  dns_rr rr = {0};
  char v4[80], v6[80];
  for (size_t i = 0; i <= strlen(label); i++) {
    v4[i] = label[i] == '-' ? '.' : label[i];
    v6[i] = label[i] == '-' ? ':' : label[i];
  }
  if (inet_pton(AF_INET, v4, rr.addr) == 1) rr.type = DNS_A;
  else if (inet_pton(AF_INET6, v6, rr.addr) == 1) rr.type = DNS_AAAA;
  else return false;
  if (wanted(r->q->qtype, rr.type)) put_rr(r, r->q->name, &rr), r->an++;
  return true;
}

/* The zone apex: SOA and NS, synthesized. */
static bool apex_record(reply *r) {
  if (strcmp(r->name, r->apex)) return false;
  if (wanted(r->q->qtype, DNS_SOA)) put_soa(r), r->an++;
  if (wanted(r->q->qtype, DNS_NS) && !strcmp(r->apex, r->z->domain)) {
    char ns[300];
    snprintf(ns, sizeof ns, "ns.dns.%s", r->z->domain);
    dns_rr rr = {.type = DNS_NS, .target = ns};
    put_rr(r, r->apex, &rr);
    r->an++;
  }
  return true;
}

static void answer(reply *r) {
  if (pod_record(r) || apex_record(r)) return;
  const char *owner = r->q->name;
  char cur[DNS_NAME_TEXT_MAX];
  snprintf(cur, sizeof cur, "%s", r->name);
  for (int hop = 0; hop < CNAME_HOPS; hop++) {
    const dns_node *n = dns_zone_find(r->z, cur);
    if (!n) {
      if (!hop) r->rcode = DNS_NXDOMAIN;
      return;
    }
    const dns_rr *cname = NULL;
    for (size_t i = 0; i < n->n && !cname; i++)
      if (n->rrs[i].type == DNS_CNAME) cname = &n->rrs[i];
    if (!cname || wanted(r->q->qtype, DNS_CNAME)) {
      put_node(r, owner, n);
      return;
    }
    put_rr(r, owner, cname);
    r->an++;
    owner = cname->target;
    lower(cur, cname->target, sizeof cur);
    if (!under(cur, r->z->domain)) return;
  }
}

static void additional(reply *r) {
  for (size_t i = 0; i < r->n_targets; i++) {
    char low[DNS_NAME_TEXT_MAX];
    lower(low, r->srv_targets[i], sizeof low);
    const dns_node *n = dns_zone_find(r->z, low);
    for (size_t k = 0; n && k < n->n; k++)
      if (n->rrs[k].type == DNS_A || n->rrs[k].type == DNS_AAAA) put_rr(r, r->srv_targets[i], &n->rrs[k]), r->ar++;
  }
}

/* The zone a name belongs to, or NULL when it is not ours. */
static const char *zone_of(const dns_zone *z, const char *name) {
  if (under(name, z->domain)) return z->domain;
  if (dns_zone_find(z, name)) return under(name, "in-addr.arpa") ? "in-addr.arpa" : under(name, "ip6.arpa") ? "ip6.arpa" : NULL;
  return NULL;
}

static size_t header_only(uint8_t *out, size_t cap, uint16_t id, uint16_t flags) {
  dns_writer w;
  dns_writer_init(&w, out, cap);
  dns_write_header(&w, id, flags, 0, 0, 0, 0);
  return w.len;
}

size_t dns_answer(const dns_zone *z, const uint8_t *msg, size_t len, bool tcp, bool recursion, uint8_t *out,
                  size_t cap, bool *outside) {
  dns_query q;
  *outside = false;
  int rc = dns_parse_query(msg, len, &q);
  if (rc < 0 || cap < DNS_UDP_MIN) return 0;
  uint16_t flags = (uint16_t)(0x8000 | q.opcode << 11 | (q.rd ? 0x0100 : 0) | (recursion ? 0x0080 : 0));
  if (rc > 0) return header_only(out, cap, q.id, (uint16_t)(flags | rc));
  reply r = {.z = z, .q = &q};
  lower(r.name, q.name, sizeof r.name);
  size_t limit = tcp ? cap : q.udp_size > cap ? cap : q.udp_size;
  if (!tcp && limit > 4096) limit = 4096;
  dns_writer_init(&r.w, out, limit - (q.edns ? OPT_LEN : 0));
  dns_write_header(&r.w, q.id, 0, 1, 0, 0, 0);
  dns_write_name(&r.w, q.name);
  dns_write_u16(&r.w, q.qtype);
  dns_write_u16(&r.w, q.qclass);
  dns_mark after_question = dns_writer_mark(&r.w);
  bool aa = false;
  if (q.edns && q.edns_version > 0) {
    r.rcode = DNS_BADVERS;
  } else if (!z) {
    r.rcode = DNS_SERVFAIL;
  } else if (!(r.apex = zone_of(z, r.name))) {
    *outside = true;
    r.rcode = DNS_REFUSED;
  } else if (q.qclass != DNS_CLASS_IN && q.qclass != DNS_CLASS_ANY) {
    r.rcode = DNS_REFUSED;
  } else {
    aa = true;
    answer(&r);
    if (!r.an) put_soa(&r), r.ns++;
    if (r.w.overflow) {
      dns_writer_rewind(&r.w, after_question);
      r.an = r.ns = 0;
      flags |= 0x0200; /* TC */
    } else {
      dns_mark before = dns_writer_mark(&r.w);
      additional(&r);
      if (r.w.overflow) dns_writer_rewind(&r.w, before), r.ar = 0;
    }
  }
  r.w.cap = limit;
  if (q.edns) {
    dns_write_bytes(&r.w, "", 1);
    dns_write_u16(&r.w, DNS_OPT);
    dns_write_u16(&r.w, DNS_EDNS_SIZE);
    dns_write_u32(&r.w, (uint32_t)(r.rcode >> 4) << 24 | (q.edns_do ? 0x8000u : 0));
    dns_write_u16(&r.w, 0);
    r.ar++;
  }
  flags |= (uint16_t)((aa ? 0x0400 : 0) | (r.rcode & 0xF));
  dns_patch_u16(&r.w, 2, flags);
  dns_patch_u16(&r.w, 6, r.an);
  dns_patch_u16(&r.w, 8, r.ns);
  dns_patch_u16(&r.w, 10, r.ar);
  return r.w.overflow ? 0 : r.w.len;
}
