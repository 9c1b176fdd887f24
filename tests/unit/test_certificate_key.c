/* test_certificate_key.c - the certificate key's sealing (server/setup/
 * certificate_key.c): a round trip, a fresh nonce per seal, and refusal of a
 * wrong key, an altered or truncated text and a malformed key. */
#include "test.h"
#include "certificate_key.h"
#include <stdlib.h>

static void test_round_trip(void) {
  char key[65];
  certificate_key_new(key);
  CHECK(strlen(key) == 64);
  const char *pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE...\n-----END EC PRIVATE KEY-----\n";
  char *a = certificate_key_seal(key, pem, strlen(pem)), *b = certificate_key_seal(key, pem, strlen(pem));
  CHECK(a && b && strcmp(a, b) != 0); /* a random nonce each time */
  size_t len = 0;
  char *plain = certificate_key_open(key, a, &len);
  CHECK_STR(plain, pem);
  CHECK(len == strlen(pem));
  free(plain);
  char *empty = certificate_key_seal(key, "", 0);
  plain = certificate_key_open(key, empty, &len);
  CHECK(plain && len == 0);
  free(plain);
  free(empty);
  free(a);
  free(b);
}

static void test_refusals(void) {
  char key[65], other[65];
  certificate_key_new(key);
  certificate_key_new(other);
  char *sealed = certificate_key_seal(key, "secret", 6);
  size_t len;
  CHECK(certificate_key_open(other, sealed, &len) == NULL);
  char *altered = strdup(sealed);
  altered[20] = altered[20] == 'A' ? 'B' : 'A';
  CHECK(certificate_key_open(key, altered, &len) == NULL);
  CHECK(certificate_key_open(key, "AAAA", &len) == NULL);
  CHECK(certificate_key_open(key, "not base64!", &len) == NULL);
  CHECK(certificate_key_seal("abc", "x", 1) == NULL);
  CHECK(certificate_key_seal("zz" "00000000000000000000000000000000000000000000000000000000000000", "x", 1) == NULL);
  CHECK(certificate_key_open("abc", sealed, &len) == NULL);
  free(altered);
  free(sealed);
}

TEST_MAIN(TEST(test_round_trip), TEST(test_refusals))
