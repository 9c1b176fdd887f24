/* dns_wire.h - DNS messages on the wire (RFC 1035, EDNS0 of RFC 6891):
 * the defensive parser of one query (header, one question, the OPT record)
 * and the writer that builds an answer with name compression and stops
 * cleanly at a size limit. No allocation: the caller owns every buffer. */
#ifndef CKUBE_DNS_WIRE_H
#define CKUBE_DNS_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DNS_A = 1, DNS_NS = 2, DNS_CNAME = 5, DNS_SOA = 6, DNS_PTR = 12, DNS_TXT = 16, DNS_AAAA = 28,
       DNS_SRV = 33, DNS_OPT = 41, DNS_ANY = 255 };
enum { DNS_CLASS_IN = 1, DNS_CLASS_ANY = 255 };
enum { DNS_NOERROR = 0, DNS_FORMERR = 1, DNS_SERVFAIL = 2, DNS_NXDOMAIN = 3, DNS_NOTIMP = 4, DNS_REFUSED = 5,
       DNS_BADVERS = 16 };

#define DNS_HEADER_LEN 12
#define DNS_NAME_TEXT_MAX 1024 /* a 255-byte name with every byte escaped as \DDD */
#define DNS_UDP_MIN 512
#define DNS_MSG_MAX 65535

/* One query as parsed. name is in presentation form without the final
 * dot ("" for the root), bytes other than [A-Za-z0-9_-] escaped as \DDD so
 * that a name with a dot inside a label cannot match another name. */
typedef struct {
  uint16_t id;
  uint8_t opcode;
  bool rd, cd;
  char name[DNS_NAME_TEXT_MAX];
  uint16_t qtype, qclass;
  bool edns;            /* an OPT record came with it */
  uint8_t edns_version;
  bool edns_do;         /* DNSSEC OK, echoed */
  uint16_t udp_size;    /* the client's UDP limit: 512, or its EDNS size */
} dns_query;

/* Parses msg. Returns 0 for a query to answer, a DNS rcode (FORMERR,
 * NOTIMP) to answer with when the header was readable but the rest is not
 * a query we take, or -1 when nothing must be sent back (shorter than a
 * header, or a response rather than a query). q->id and q->opcode are set
 * whenever the result is >= 0. */
int dns_parse_query(const uint8_t *msg, size_t len, dns_query *q);

/* Reads the (possibly compressed) name at *off into out (presentation
 * form, as in dns_query.name) and moves *off past it. -1 on a malformed
 * name: pointer loops or forward pointers, labels or names too long,
 * reserved label types, running off the message. */
int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t outlen);

/* A response under construction. Writes past cap set overflow and are
 * dropped; dns_writer_mark/rewind undo a partial record. */
typedef struct {
  uint8_t *buf;
  size_t cap, len;
  bool overflow;
  size_t n_names; /* compression table: suffixes written so far */
  struct dns_suffix {
    uint16_t off;
    uint16_t len; /* of the suffix expanded (labels + root byte) */
  } names[64];
} dns_writer;

void dns_writer_init(dns_writer *w, uint8_t *buf, size_t cap);
typedef struct {
  size_t len, n_names;
} dns_mark;
dns_mark dns_writer_mark(const dns_writer *w);
/* Drops everything written after m (and the overflow flag with it). */
void dns_writer_rewind(dns_writer *w, dns_mark m);
/* The header: flags as on the wire (QR, opcode, AA, TC, RD, RA, rcode), counts. */
void dns_write_header(dns_writer *w, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                      uint16_t ar);
/* A name in presentation form (\DDD escapes as dns_read_name writes them),
 * compressed against the names written before. -1 when it is not a valid name. */
int dns_write_name(dns_writer *w, const char *name);
void dns_write_u16(dns_writer *w, uint16_t v);
void dns_write_u32(dns_writer *w, uint32_t v);
void dns_write_bytes(dns_writer *w, const void *p, size_t n);
/* Starts a resource record (owner, type, class, ttl) and returns where its
 * RDLENGTH goes; dns_rr_end fills it in once the RDATA is written. */
size_t dns_rr_begin(dns_writer *w, const char *owner, uint16_t type, uint16_t cls, uint32_t ttl);
void dns_rr_end(dns_writer *w, size_t rdlen_at);
/* Patches a 16-bit field already written (counts, flags). */
void dns_patch_u16(dns_writer *w, size_t at, uint16_t v);

#endif
