/* test_spdy_frame.c - SPDY/3.1 framing: frame heads of every kind,
 * incomplete and malformed input, header blocks compressed with the SPDY/3
 * dictionary and decoded again across several blocks of one zlib stream
 * (as a connection sends them), and a SYN_STREAM as kubectl 1.20 sent it. */
#include "test.h"
#include "spdy_frame.h"
#include <stdlib.h>

static void test_data_frame(void) {
  size_t n;
  uint8_t *f = spdy_data_frame(5, SPDY_FLAG_FIN, "hello", 5, &n);
  CHECK(n == 13);
  spdy_frame p;
  CHECK(spdy_parse(f, n, &p) == 13);
  CHECK(!p.control && p.stream_id == 5 && p.flags == SPDY_FLAG_FIN && p.len == 5 && !memcmp(p.payload, "hello", 5));
  CHECK(spdy_parse(f, 12, &p) == 0); /* one byte short */
  CHECK(spdy_parse(f, 7, &p) == 0);
  free(f);
}

static void test_control_frames(void) {
  size_t n;
  spdy_frame p;
  uint8_t *f = spdy_rst_stream(7, 5, &n);
  CHECK(spdy_parse(f, n, &p) == 16 && p.control && p.type == SPDY_RST_STREAM && p.stream_id == 7 && p.status == 5);
  free(f);
  f = spdy_ping(42, &n);
  CHECK(spdy_parse(f, n, &p) == 12 && p.type == SPDY_PING && p.ping_id == 42);
  free(f);
  f = spdy_goaway(9, 1, &n);
  CHECK(spdy_parse(f, n, &p) == 16 && p.type == SPDY_GOAWAY && p.stream_id == 9 && p.status == 1);
  f[1] = 2; /* SPDY/2 */
  CHECK(spdy_parse(f, n, &p) == -1);
  free(f);
  /* a RST_STREAM whose payload is too short for its two words */
  uint8_t short_rst[12] = {0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1};
  CHECK(spdy_parse(short_rst, sizeof short_rst, &p) == -1);
  /* WINDOW_UPDATE, as a client sends it */
  uint8_t wu[16] = {0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0x10, 0};
  CHECK(spdy_parse(wu, sizeof wu, &p) == 16 && p.type == SPDY_WINDOW_UPDATE && p.stream_id == 3 && p.delta == 4096);
}

static void test_header_blocks(void) {
  spdy_zlib *out = spdy_zlib_new(true), *in = spdy_zlib_new(false);
  const char *names[] = {"streamtype", "port", "requestid"}, *values[] = {"data", "8080", "0"};
  for (int round = 0; round < 3; round++) { /* one zlib stream across frames */
    size_t n;
    uint8_t *f = spdy_syn_stream(out, (uint32_t)(2 * round + 1), 0, names, values, 3, &n);
    spdy_frame p;
    CHECK(spdy_parse(f, n, &p) == (long)n);
    CHECK(p.type == SPDY_SYN_STREAM && p.stream_id == (uint32_t)(2 * round + 1));
    spdy_headers h;
    CHECK(spdy_headers_decode(in, p.headers, p.headers_len, &h));
    CHECK(h.count == 3);
    CHECK_STR(spdy_header(&h, "streamType"), "data");
    CHECK_STR(spdy_header(&h, "port"), "8080");
    CHECK(spdy_header(&h, "missing") == NULL);
    spdy_headers_free(&h);
    free(f);
  }
  size_t n;
  uint8_t *f = spdy_syn_reply(out, 9, 0, NULL, NULL, 0, &n);
  spdy_frame p;
  spdy_headers h;
  CHECK(spdy_parse(f, n, &p) == (long)n && p.type == SPDY_SYN_REPLY && p.stream_id == 9);
  CHECK(spdy_headers_decode(in, p.headers, p.headers_len, &h) && h.count == 0);
  spdy_headers_free(&h);
  free(f);
  /* garbage is refused (and leaves no pairs) */
  spdy_zlib *fresh = spdy_zlib_new(false);
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK(!spdy_headers_decode(fresh, junk, sizeof junk, &h) && h.count == 0);
  spdy_zlib_free(fresh);
  spdy_zlib_free(out);
  spdy_zlib_free(in);
}

/* A block deflated by another zlib user (Python's, with the same
 * dictionary): streamtype=stdout and a two-valued x-extra ("a\0b"). */
static void test_foreign_block(void) {
  static const uint8_t block[] = {0x78, 0xbb, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0xe5, 0x0e, 0x70, 0x3a,
                                  0x2b, 0x29, 0x4a, 0x4d, 0xcc, 0x85, 0x16, 0x25, 0xc0, 0x14, 0x9b,
                                  0x92, 0x0f, 0x2e, 0x88, 0xd9, 0x2b, 0x74, 0x81, 0x6e, 0x28, 0x4a,
                                  0x04, 0x97, 0x96, 0x0c, 0x49, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff};
  spdy_zlib *in = spdy_zlib_new(false);
  spdy_headers h;
  CHECK(spdy_headers_decode(in, block, sizeof block, &h));
  CHECK(h.count == 2);
  CHECK_STR(spdy_header(&h, "streamType"), "stdout");
  CHECK(h.count == 2 && h.value_lens[1] == 3 && !memcmp(h.values[1], "a\0b", 3));
  spdy_headers_free(&h);
  spdy_zlib_free(in);
}

TEST_MAIN(TEST(test_data_frame), TEST(test_control_frames), TEST(test_header_blocks), TEST(test_foreign_block))
