/* fuzz_auth_tokens.c - libFuzzer target for the bearer token parsers the
 * authenticator runs on what a client sends: ServiceAccount JWTs
 * (sa_token_verify: header, claims and signature parsing; a fuzzed token
 * never verifies, so the cache behind it is not reached), bootstrap tokens
 * (bt_parse), their durations (bt_parse_duration) and the cluster-info JWS
 * (bt_jws_verify). The first byte picks the parser: 'S', 'B', 'D', else
 * the JWS. Seeds are in corpus/fuzz_auth_tokens/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap_token.h"
#include "sa_token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char dir[] = "/tmp/fuzz-auth-XXXXXX", err[256];
  if (!mkdtemp(dir) || sa_token_init(dir, err, sizeof err) != 0) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  char *s = malloc(size);
  if (!s) return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = 0;
  char user[600], id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1];
  switch (data[0]) {
  case 'S':
    if (sa_token_verify(NULL, s, user, sizeof user)) abort(); /* nothing unsigned may authenticate */
    break;
  case 'B': bt_parse(s, id, secret); break;
  case 'D': bt_parse_duration(s); break;
  default: bt_jws_verify("cluster-info content", s, "abcdef", "0123456789abcdef"); break;
  }
  free(s);
  return 0;
}
