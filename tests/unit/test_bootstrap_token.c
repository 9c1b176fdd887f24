/* test_bootstrap_token.c - bootstrap tokens: the token shape, the detached
 * JWS against a vector computed independently (Python hmac), tampering, the
 * CA public-key hash against `openssl pkey -pubin -outform der | sha256sum`,
 * Go durations and kubeadm's short TTLs. */
#include "test.h"
#include "bootstrap_token.h"
#include <stdlib.h>

static const char test_ca[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBeDCCAR+gAwIBAgIUSpokcBDiWHU+ObvYAYNPh+XzBsUwCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHdGVzdC1jYTAeFw0yNjEyMDYyMTUyMDFaFw0zNjEyMDMyMTUy\n"
    "MDFaMBIxEDAOBgNVBAMMB3Rlc3QtY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
    "AASLIXv9XG9JAbFVHqPy4fHoHssz3rbQ+g2SPKYtudO0Hqu0n3/6d2IvwgYylzWZ\n"
    "6ZzBdzSbGuSycc4SaOMPFgLyo1MwUTAdBgNVHQ4EFgQUxSA67Kxea8dNAch/G7AT\n"
    "OKUoakEwHwYDVR0jBBgwFoAUxSA67Kxea8dNAch/G7ATOKUoakEwDwYDVR0TAQH/\n"
    "BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAagx2g2Wk2PNKV5n137iAs02ZljGDA\n"
    "EztVckgSZc+3egIgQBILJbchfZfpQHxE8tvZaB0yItifc7ObN4GMsoqQf3Y=\n"
    "-----END CERTIFICATE-----\n";

static void test_parse(void) {
  char id[7], secret[17];
  CHECK(bt_parse("abcdef.0123456789abcdef", id, secret));
  CHECK_STR(id, "abcdef");
  CHECK_STR(secret, "0123456789abcdef");
  CHECK(!bt_parse("abcdef.0123456789abcde", id, secret));
  CHECK(!bt_parse("ABCDEF.0123456789abcdef", id, secret));
  CHECK(!bt_parse("abcdef:0123456789abcdef", id, secret));
  CHECK(!bt_parse("abcdef.0123456789abcdefg", id, secret));
  CHECK(!bt_parse("", id, secret));
  CHECK(bt_is_id("07yb15"));
  CHECK(!bt_is_id("07yb1"));
  char gid[7], gsecret[17], tok[24];
  bt_generate(gid, gsecret);
  snprintf(tok, sizeof tok, "%s.%s", gid, gsecret);
  CHECK(bt_parse(tok, id, secret));
}

static void test_jws(void) {
  char *jws = bt_jws_sign("apiVersion: v1\n", "abcdef", "0123456789abcdef");
  CHECK_STR(jws, "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..M0WwwazqCtbxfX8vK-251lAHYArkPr1YxlD-_oeCRZs");
  CHECK(bt_jws_verify("apiVersion: v1\n", jws, "abcdef", "0123456789abcdef"));
  CHECK(!bt_jws_verify("apiVersion: v2\n", jws, "abcdef", "0123456789abcdef"));
  CHECK(!bt_jws_verify("apiVersion: v1\n", jws, "abcdef", "0123456789abcdeX"));
  CHECK(!bt_jws_verify("apiVersion: v1\n", jws, "zzzzzz", "0123456789abcdef"));
  CHECK(!bt_jws_verify("apiVersion: v1\n", "garbage", "abcdef", "0123456789abcdef"));
  CHECK(!bt_jws_verify("apiVersion: v1\n", "e30..abc", "abcdef", "0123456789abcdef")); /* {} : no alg */
  free(jws);
}

static void test_ca_hash(void) {
  char hash[80];
  CHECK(bt_ca_hash(test_ca, sizeof test_ca - 1, hash, sizeof hash) == 0);
  CHECK_STR(hash, "sha256:f36af9cdce10ca81a7ee7e9c62f6c98b0fd9edbd715ad7e3dff92a62ae19e26b");
  CHECK(bt_ca_hash("not a pem", 9, hash, sizeof hash) == -1);
}

static void test_durations(void) {
  CHECK(bt_parse_duration("24h") == 86400);
  CHECK(bt_parse_duration("1h30m") == 5400);
  CHECK(bt_parse_duration("90s") == 90);
  CHECK(bt_parse_duration("0") == 0);
  CHECK(bt_parse_duration("1.5h") == 5400);
  CHECK(bt_parse_duration("24") == -1);
  CHECK(bt_parse_duration("x") == -1);
  CHECK(bt_parse_duration("") == -1);
  char out[16];
  bt_short_duration(86399, out, sizeof out);
  CHECK_STR(out, "23h");
  bt_short_duration(59, out, sizeof out);
  CHECK_STR(out, "59s");
  bt_short_duration(3599, out, sizeof out);
  CHECK_STR(out, "59m");
  bt_short_duration(86400 * 3, out, sizeof out);
  CHECK_STR(out, "3d");
  bt_short_duration(-5, out, sizeof out);
  CHECK_STR(out, "<invalid>");
}

TEST_MAIN(TEST(test_parse), TEST(test_jws), TEST(test_ca_hash), TEST(test_durations))
