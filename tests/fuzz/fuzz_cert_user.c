/* fuzz_cert_user.c - libFuzzer target for the client certificate subject
 * mapping (server/cert_user.c): any DER that OpenSSL reads as a certificate
 * gives a user with a non-empty UTF-8 name or none, never a crash or leak.
 * Seeds are in corpus/fuzz_cert_user/. */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "cert_user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const unsigned char *p = data;
  X509 *x = d2i_X509(NULL, &p, (long)size);
  if (!x) return 0;
  json_t *u = cert_user_from_x509(x);
  if (u && !json_string_length(json_object_get(u, "username"))) abort();
  json_decref(u);
  X509_free(x);
  return 0;
}
