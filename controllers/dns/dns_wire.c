/* dns_wire.c - see dns_wire.h. The parser trusts nothing in the packet:
 * every length is checked against the message, compression pointers must
 * point strictly backwards (so a name always ends) and names keep to
 * RFC 1035's 63-byte labels and 255-byte total. The writer compresses a
 * name against every suffix written before it (RFC 1035 4.1.4), comparing
 * case-insensitively on the expanded wire form. */
#include "dns_wire.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static bool plain_char(uint8_t c) { return isalnum(c) || c == '-' || c == '_'; }

/* The uncompressed wire form of the name at off (length, or -1). */
static int expand(const uint8_t *msg, size_t len, size_t off, uint8_t out[256]) {
  size_t n = 0, pos = off;
  for (int hops = 0;;) {
    if (pos >= len) return -1;
    uint8_t l = msg[pos];
    if ((l & 0xC0) == 0xC0) {
      if (pos + 1 >= len || ++hops > 128) return -1;
      size_t target = (size_t)(l & 0x3F) << 8 | msg[pos + 1];
      if (target >= pos) return -1;
      pos = target;
      continue;
    }
    if (l & 0xC0) return -1;
    if (pos + 1 + l > len || n + 1 + l + 1 > 255) return -1;
    memcpy(out + n, msg + pos, (size_t)l + 1);
    n += (size_t)l + 1;
    if (l == 0) return (int)n;
    pos += (size_t)l + 1;
  }
}

int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t outlen) {
  uint8_t wire[256];
  int n = expand(msg, len, *off, wire);
  if (n < 0 || outlen < 1) return -1;
  /* where the name ends in the message: after its first pointer or its root label */
  size_t pos = *off;
  while (msg[pos] && (msg[pos] & 0xC0) != 0xC0) pos += (size_t)msg[pos] + 1;
  *off = pos + (msg[pos] ? 2 : 1);
  size_t o = 0;
  for (int i = 0; wire[i]; i += wire[i] + 1) {
    if (i && o + 1 < outlen) out[o++] = '.';
    for (int k = 1; k <= wire[i]; k++) {
      uint8_t c = wire[i + k];
      if (plain_char(c)) {
        if (o + 1 >= outlen) return -1;
        out[o++] = (char)c;
      } else {
        if (o + 4 >= outlen) return -1;
        o += (size_t)snprintf(out + o, outlen - o, "\\%03u", c);
      }
    }
  }
  out[o] = 0;
  return 0;
}

/* Presentation form to wire form (labels and the root byte); offsets of
 * each label in starts. Returns the wire length or -1. */
static int to_wire(const char *name, uint8_t wire[256], int starts[128], int *n_labels) {
  int n = 0, k = 0;
  *n_labels = 0;
  const char *p = strcmp(name, ".") ? name : "";
  while (*p) {
    if (n >= 254 || k >= 127) return -1;
    int at = n++, l = 0;
    starts[k++] = at;
    while (*p && *p != '.') {
      uint8_t c = (uint8_t)*p++;
      if (c == '\\') {
        if (isdigit((uint8_t)p[0]) && isdigit((uint8_t)p[1]) && isdigit((uint8_t)p[2])) {
          int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
          if (v > 255) return -1;
          c = (uint8_t)v;
          p += 3;
        } else if (*p) {
          c = (uint8_t)*p++;
        } else {
          return -1;
        }
      }
      if (++l > 63 || n >= 254) return -1;
      wire[n++] = c;
    }
    if (l == 0) return -1; /* empty label: "a..b" or a leading dot */
    wire[at] = (uint8_t)l;
    if (*p == '.') {
      p++;
      if (!*p) break; /* a final dot */
    }
  }
  wire[n++] = 0;
  *n_labels = k;
  return n;
}

void dns_writer_init(dns_writer *w, uint8_t *buf, size_t cap) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
}

dns_mark dns_writer_mark(const dns_writer *w) { return (dns_mark){w->len, w->n_names}; }

void dns_writer_rewind(dns_writer *w, dns_mark m) {
  w->len = m.len;
  w->n_names = m.n_names;
  w->overflow = false;
}

void dns_write_bytes(dns_writer *w, const void *p, size_t n) {
  if (w->overflow || w->len + n > w->cap) {
    w->overflow = true;
    return;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

void dns_write_u16(dns_writer *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  dns_write_bytes(w, b, 2);
}

void dns_write_u32(dns_writer *w, uint32_t v) {
  dns_write_u16(w, (uint16_t)(v >> 16));
  dns_write_u16(w, (uint16_t)v);
}

void dns_patch_u16(dns_writer *w, size_t at, uint16_t v) {
  if (at + 2 > w->len) return;
  w->buf[at] = (uint8_t)(v >> 8);
  w->buf[at + 1] = (uint8_t)v;
}

void dns_write_header(dns_writer *w, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                      uint16_t ar) {
  uint16_t h[6] = {id, flags, qd, an, ns, ar};
  for (int i = 0; i < 6; i++) dns_write_u16(w, h[i]);
}

static bool same_wire(const uint8_t *a, const uint8_t *b, int n) {
  for (int i = 0; i < n; i++)
    if (tolower(a[i]) != tolower(b[i])) return false;
  return true;
}

/* The offset of an earlier name equal to the wire suffix s (length n), or -1. */
static int find_suffix(const dns_writer *w, const uint8_t *s, int n) {
  uint8_t seen[256];
  for (size_t i = 0; i < w->n_names; i++) {
    if (w->names[i].len != n) continue;
    int m = expand(w->buf, w->len, w->names[i].off, seen);
    if (m == n && same_wire(seen, s, n)) return w->names[i].off;
  }
  return -1;
}

int dns_write_name(dns_writer *w, const char *name) {
  uint8_t wire[256];
  int starts[128], k;
  int n = to_wire(name, wire, starts, &k);
  if (n < 0) return -1;
  for (int i = 0; i < k; i++) {
    int at = find_suffix(w, wire + starts[i], n - starts[i]);
    if (at >= 0) {
      dns_write_u16(w, (uint16_t)(0xC000 | at));
      return 0;
    }
    if (!w->overflow && w->len < 0x4000 && w->n_names < sizeof w->names / sizeof *w->names)
      w->names[w->n_names++] = (struct dns_suffix){(uint16_t)w->len, (uint16_t)(n - starts[i])};
    dns_write_bytes(w, wire + starts[i], (size_t)wire[starts[i]] + 1);
  }
  dns_write_bytes(w, "", 1);
  return 0;
}

size_t dns_rr_begin(dns_writer *w, const char *owner, uint16_t type, uint16_t cls, uint32_t ttl) {
  dns_write_name(w, owner);
  dns_write_u16(w, type);
  dns_write_u16(w, cls);
  dns_write_u32(w, ttl);
  size_t at = w->len;
  dns_write_u16(w, 0);
  return at;
}

void dns_rr_end(dns_writer *w, size_t rdlen_at) {
  if (!w->overflow) dns_patch_u16(w, rdlen_at, (uint16_t)(w->len - rdlen_at - 2));
}

/* Skips one resource record at *off; the OPT record fills q. -1 when malformed. */
static int skip_rr(const uint8_t *msg, size_t len, size_t *off, dns_query *q, bool additional, int *opts) {
  char name[DNS_NAME_TEXT_MAX];
  if (dns_read_name(msg, len, off, name, sizeof name) < 0 || *off + 10 > len) return -1;
  const uint8_t *p = msg + *off;
  uint16_t type = get16(p), cls = get16(p + 2), rdlen = get16(p + 8);
  if (*off + 10 + rdlen > len) return -1;
  if (type == DNS_OPT) {
    if (!additional || name[0] || ++*opts > 1) return -1;
    q->edns = true;
    q->edns_version = p[5];
    q->edns_do = p[6] & 0x80;
    q->udp_size = cls < DNS_UDP_MIN ? DNS_UDP_MIN : cls;
  }
  *off += 10 + (size_t)rdlen;
  return 0;
}

int dns_parse_query(const uint8_t *msg, size_t len, dns_query *q) {
  memset(q, 0, sizeof *q);
  q->udp_size = DNS_UDP_MIN;
  if (len < DNS_HEADER_LEN) return -1;
  uint16_t flags = get16(msg + 2);
  if (flags & 0x8000) return -1; /* a response: never answer one (reflection loops) */
  q->id = get16(msg);
  q->opcode = (uint8_t)((flags >> 11) & 0xF);
  q->rd = flags & 0x0100;
  q->cd = flags & 0x0010;
  if (q->opcode != 0) return DNS_NOTIMP;
  uint16_t qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8), ar = get16(msg + 10);
  if (qd != 1) return DNS_FORMERR;
  size_t off = DNS_HEADER_LEN;
  if (dns_read_name(msg, len, &off, q->name, sizeof q->name) < 0 || off + 4 > len) return DNS_FORMERR;
  q->qtype = get16(msg + off);
  q->qclass = get16(msg + off + 2);
  off += 4;
  int opts = 0;
  for (unsigned i = 0; i < (unsigned)an + ns + ar; i++)
    if (skip_rr(msg, len, &off, q, i >= (unsigned)an + ns, &opts) < 0) return DNS_FORMERR;
  return 0;
}
