/* test_cert_user.c - a client certificate's user (server/cert_user.c): CN
 * the name, each O a group plus system:authenticated; no CN, no user. The
 * certificates are the fuzz target's seeds (tests/fuzz/corpus/fuzz_cert_user). */
#include "cert_user.h"
#include "test.h"
#include <openssl/x509.h>
#include <stdio.h>

static X509 *load(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  X509 *x = d2i_X509_fp(f, NULL);
  fclose(f);
  return x;
}

static void test_cn_and_organizations(void) {
  X509 *x = load("fuzz/corpus/fuzz_cert_user/satellite.der");
  CHECK(x != NULL);
  json_t *u = cert_user_from_x509(x);
  CHECK(u != NULL);
  char *s = json_dumps(u, JSON_SORT_KEYS | JSON_COMPACT);
  CHECK_STR(s, "{\"groups\":[\"dev\",\"ops\",\"system:authenticated\"],\"username\":\"satellite\"}");
  free(s);
  json_decref(u);
  X509_free(x);
}

static void test_no_common_name_is_no_user(void) {
  X509 *x = load("fuzz/corpus/fuzz_cert_user/no-cn.der");
  CHECK(x != NULL);
  CHECK(cert_user_from_x509(x) == NULL);
  CHECK(cert_user_from_x509(NULL) == NULL);
  X509_free(x);
}

TEST_MAIN(TEST(test_cn_and_organizations), TEST(test_no_common_name_is_no_user))
