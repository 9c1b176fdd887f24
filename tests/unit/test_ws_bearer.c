/* test_ws_bearer.c - the WebSocket subprotocol bearer token (server/
 * ws_bearer.c): found among other protocols, unpadded base64url decoded,
 * and refused when empty, padded, in the standard alphabet or too long. */
#include "test.h"
#include "ws_bearer.h"

static void test_found_and_decoded(void) {
  char t[64];
  /* "abc?>~" encodes to "YWJjPz5-" in base64url (with '-' where standard has '+') */
  CHECK(ws_bearer_token("v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.YWJjPz5-", t, sizeof t) == 1);
  CHECK_STR(t, "abc?>~");
  CHECK(ws_bearer_token("base64url.bearer.authorization.k8s.io.dG9rZW4,v4.channel.k8s.io", t, sizeof t) == 1);
  CHECK_STR(t, "token");
}

static void test_absent(void) {
  char t[64];
  CHECK(ws_bearer_token(NULL, t, sizeof t) == 0);
  CHECK(ws_bearer_token("v5.channel.k8s.io, v4.channel.k8s.io", t, sizeof t) == 0);
  CHECK(ws_bearer_token("", t, sizeof t) == 0);
}

static void test_refused(void) {
  char t[8];
  CHECK(ws_bearer_token("base64url.bearer.authorization.k8s.io.dG9rZW4=", t, sizeof t) == -1); /* padded */
  CHECK(ws_bearer_token("base64url.bearer.authorization.k8s.io.YWJjPz5+", t, sizeof t) == -1); /* '+' */
  CHECK(ws_bearer_token("base64url.bearer.authorization.k8s.io.!!!!", t, sizeof t) == -1);
  CHECK(ws_bearer_token("base64url.bearer.authorization.k8s.io.YWJjZGVmZ2hpamtsbW5vcA", t, sizeof t) == -1); /* too long */
  CHECK(ws_bearer_token("base64url.bearer.authorization.k8s.io.AA", t, sizeof t) == -1); /* a NUL byte */
}

TEST_MAIN(TEST(test_found_and_decoded), TEST(test_absent), TEST(test_refused))
