/* test_dns_wire.c - the DNS message parser and writer
 * (controllers/dns/dns_wire.c): queries read back as written, every kind
 * of malformed packet refused with the right answer (none, FORMERR,
 * NOTIMP), names with odd bytes escaped, compression pointers, the size
 * limit; then a standalone fuzz loop of 200,000 mutated queries that must
 * parse or fail without touching memory outside the packet. */
#include "dns_test_util.h"
#include "test.h"
#include <stdlib.h>

static void test_query_roundtrip(void) {
  uint8_t b[512];
  dns_query q;
  size_t n = make_query(b, sizeof b, 0x1234, "Web.Default.svc.cluster.local", DNS_SRV, 0);
  CHECK(dns_parse_query(b, n, &q) == 0);
  CHECK(q.id == 0x1234 && q.qtype == DNS_SRV && q.qclass == DNS_CLASS_IN && q.rd && !q.edns);
  CHECK_STR(q.name, "Web.Default.svc.cluster.local");
  CHECK(q.udp_size == 512);
  n = make_query(b, sizeof b, 7, "a.b.", DNS_A, 4096);
  CHECK(dns_parse_query(b, n, &q) == 0);
  CHECK(q.edns && q.udp_size == 4096 && q.edns_version == 0);
  CHECK_STR(q.name, "a.b");
  n = make_query(b, sizeof b, 7, "a", DNS_A, 100); /* an EDNS size under 512 counts as 512 */
  CHECK(dns_parse_query(b, n, &q) == 0 && q.udp_size == 512);
  n = make_query(b, sizeof b, 7, "", DNS_NS, 0);
  CHECK(dns_parse_query(b, n, &q) == 0 && q.name[0] == 0);
}

static void test_malformed(void) {
  uint8_t b[600];
  dns_query q;
  size_t n = make_query(b, sizeof b, 1, "x.cluster.local", DNS_A, 0);
  CHECK(dns_parse_query(b, 11, &q) == -1); /* no header */
  b[2] |= 0x80;                             /* a response */
  CHECK(dns_parse_query(b, n, &q) == -1);
  b[2] &= 0x7F;
  CHECK(dns_parse_query(b, n - 1, &q) == DNS_FORMERR); /* question cut short */
  b[2] |= 4 << 3;                                       /* opcode NOTIFY */
  CHECK(dns_parse_query(b, n, &q) == DNS_NOTIMP && q.id == 1);
  b[2] &= (uint8_t) ~(0xF << 3);
  b[5] = 2; /* two questions */
  CHECK(dns_parse_query(b, n, &q) == DNS_FORMERR);
  b[5] = 1;
  b[11] = 1; /* an additional record that is not there */
  CHECK(dns_parse_query(b, n, &q) == DNS_FORMERR);
  b[11] = 0;
  /* names: a pointer to itself, a forward pointer, reserved label types, too long */
  uint8_t loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  CHECK(dns_parse_query(loop, sizeof loop, &q) == DNS_FORMERR);
  uint8_t fwd[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0, 0, 1, 0, 1};
  CHECK(dns_parse_query(fwd, sizeof fwd, &q) == DNS_FORMERR);
  uint8_t ext[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1};
  CHECK(dns_parse_query(ext, sizeof ext, &q) == DNS_FORMERR);
  memset(b, 0, sizeof b);
  b[5] = 1;
  size_t o = 12;
  for (int i = 0; i < 5; i++) { /* 5 labels of 60: 305 bytes */
    b[o++] = 60;
    memset(b + o, 'a', 60);
    o += 60;
  }
  b[o++] = 0;
  b[o + 1] = 1, b[o + 3] = 1;
  CHECK(dns_parse_query(b, o + 4, &q) == DNS_FORMERR);
}

static void test_edns_records(void) {
  uint8_t b[512];
  dns_query q;
  size_t n = make_query(b, sizeof b, 9, "a", DNS_A, 1232);
  b[n - 11 + 6] = 1;    /* EDNS version 1 */
  b[n - 11 + 7] = 0x80; /* DO */
  CHECK(dns_parse_query(b, n, &q) == 0 && q.edns_version == 1 && q.edns_do);
  memcpy(b + n, b + n - 11, 11); /* a second OPT */
  b[11] = 2;
  CHECK(dns_parse_query(b, n + 11, &q) == DNS_FORMERR);
  b[11] = 1;
  b[n - 11] = 1; /* an OPT whose owner is not the root: the name byte becomes a label */
  CHECK(dns_parse_query(b, n, &q) == DNS_FORMERR);
}

static void test_names(void) {
  uint8_t b[512];
  dns_writer w;
  dns_writer_init(&w, b, sizeof b);
  CHECK(dns_write_name(&w, "a\\046b.x\\\\y.example.com") == 0); /* "a.b" and "x\y" as labels */
  size_t first = w.len;
  CHECK(dns_write_name(&w, "www.EXAMPLE.com.") == 0);
  CHECK(w.len - first == 6); /* "www" then a pointer to example.com */
  CHECK(dns_write_name(&w, "a..b") == -1);
  CHECK(dns_write_name(&w, ".a") == -1);
  char label[70];
  memset(label, 'x', 64);
  label[64] = 0;
  CHECK(dns_write_name(&w, label) == -1);
  char out[DNS_NAME_TEXT_MAX];
  size_t off = 0;
  CHECK(dns_read_name(b, w.len, &off, out, sizeof out) == 0);
  CHECK_STR(out, "a\\046b.x\\092y.example.com");
  CHECK(off == first);
  CHECK(dns_read_name(b, w.len, &off, out, sizeof out) == 0);
  CHECK_STR(out, "www.example.com"); /* the suffix as first written */
  CHECK(off == w.len);
  off = 0;
  CHECK(dns_read_name(b, w.len, &off, out, 8) == -1); /* too small an output */
}

static void test_writer_limit(void) {
  uint8_t b[20];
  dns_writer w;
  dns_writer_init(&w, b, sizeof b);
  dns_write_header(&w, 1, 0, 0, 0, 0, 0);
  dns_mark m = dns_writer_mark(&w);
  dns_write_name(&w, "long.example.com");
  CHECK(w.overflow && w.len <= sizeof b);
  dns_writer_rewind(&w, m);
  CHECK(!w.overflow && w.len == 12);
  dns_write_name(&w, "a.b");
  CHECK(!w.overflow && w.len == 17);
}

static uint32_t rng = 12345;
static uint32_t next(void) { return rng = rng * 1103515245u + 12345u; }

static void test_fuzz_loop(void) {
  uint8_t seed[600], b[600];
  size_t n = make_query(seed, sizeof seed, 3, "_http._tcp.web.default.svc.cluster.local", DNS_SRV, 1232);
  int ok = 0;
  for (int i = 0; i < 200000; i++) {
    size_t len = n;
    memcpy(b, seed, n);
    for (int k = 1 + (int)(next() % 6); k; k--) {
      uint32_t r = next();
      if (r % 7 == 0 && len > 1) len = 1 + next() % len;
      else b[next() % len] = (uint8_t)(r >> 8);
    }
    dns_query q;
    uint8_t *heap = malloc(len); /* exactly len bytes: ASan sees any read past the packet */
    memcpy(heap, b, len);
    int rc = dns_parse_query(heap, len, &q);
    if (rc == 0) {
      ok++;
      CHECK(strlen(q.name) < sizeof q.name);
    }
    free(heap);
  }
  CHECK(ok > 1000); /* the mutations keep some queries valid */
}

TEST_MAIN(TEST(test_query_roundtrip), TEST(test_malformed), TEST(test_edns_records), TEST(test_names),
          TEST(test_writer_limit), TEST(test_fuzz_loop))
