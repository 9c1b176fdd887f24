/* test_service_claims.c - the shared claim list of Service allocations
 * (server/core/service_claims.c): encode/decode both ways, claims older
 * than CLAIM_MS dropped, and malformed lists or claims (no address, a
 * port out of range) refused. */
#include "test.h"
#include "service_claims.h"
#include <stdlib.h>

static void test_round_trip(void) {
  svc_claims c = {0};
  svc_claims_add(&c, 0x7F010007u, 0, 1000000, "default/web", 812);
  svc_claims_add(&c, 0, 30001, 1000500, "default/np", 0);
  char *text = svc_claims_encode(&c);
  CHECK_STR(text, "{\"claims\":[{\"ip\":\"127.1.0.7\",\"at\":1000000,\"for\":\"default/web\",\"base\":812},"
                  "{\"port\":30001,\"at\":1000500,\"for\":\"default/np\",\"base\":0}]}");
  svc_claims d = {0};
  CHECK(svc_claims_decode(text, strlen(text), 1000000 + 1000, &d) == 0);
  CHECK(d.n == 2 && d.v[0].ip == 0x7F010007u && d.v[0].port == 0 && !strcmp(d.v[0].key, "default/web") && d.v[0].base == 812);
  CHECK(d.n == 2 && d.v[1].ip == 0 && d.v[1].port == 30001 && d.v[1].at_ms == 1000500);
  svc_claims_free(&d);
  /* at CLAIM_MS the first claim has lapsed, the second not yet */
  CHECK(svc_claims_decode(text, strlen(text), 1000000 + CLAIM_MS, &d) == 0);
  CHECK(d.n == 1 && d.v[0].port == 30001);
  svc_claims_free(&d);
  free(text);
  svc_claims_free(&c);
}

static void test_malformed(void) {
  svc_claims d = {0};
  const char *bad[] = {"", "[]", "{\"claims\":{}}", "{", "null"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(svc_claims_decode(bad[i], strlen(bad[i]), 0, &d) == -1);
  const char *odd = "{\"claims\":[{\"ip\":\"nope\",\"at\":5},{\"port\":0,\"at\":5},{\"at\":5},7,"
                    "{\"ip\":\"0.0.0.0\",\"at\":5},{\"port\":70000,\"at\":5},{\"port\":4294997296,\"at\":5}]}";
  CHECK(svc_claims_decode(odd, strlen(odd), 10, &d) == 0 && d.n == 0);
  svc_claims_free(&d);
}

TEST_MAIN(TEST(test_round_trip), TEST(test_malformed))
