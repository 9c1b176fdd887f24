/* test_ipv4.c - lib/ipv4.c: dotted text parses to host order and formats
 * back; anything that is not four decimal parts, and NULL, is refused. */
#include "test.h"
#include "ipv4.h"

static void test_parse(void) {
  uint32_t ip = 7;
  CHECK(ipv4_parse("10.96.0.1", &ip) && ip == 0x0a600001u);
  CHECK(ipv4_parse("0.0.0.0", &ip) && ip == 0);
  CHECK(ipv4_parse("255.255.255.255", &ip) && ip == 0xffffffffu);
  ip = 7;
  CHECK(!ipv4_parse(NULL, &ip) && !ipv4_parse("", &ip) && !ipv4_parse("10.96.0", &ip));
  CHECK(!ipv4_parse("10.96.0.256", &ip) && !ipv4_parse("::1", &ip) && !ipv4_parse("10.96.0.1 ", &ip));
  CHECK(ip == 7); /* untouched when refused */
}

static void test_format(void) {
  char b[IPV4_TEXT_LEN];
  ipv4_format(0x0a600001u, b, sizeof b);
  CHECK_STR(b, "10.96.0.1");
  ipv4_format(0xffffffffu, b, sizeof b);
  CHECK_STR(b, "255.255.255.255");
  uint32_t back;
  CHECK(ipv4_parse(b, &back) && back == 0xffffffffu);
  char small[5];
  ipv4_format(0x0a600001u, small, sizeof small);
  CHECK_STR(small, "10.9"); /* truncated, still terminated */
}

TEST_MAIN(TEST(test_parse), TEST(test_format))
