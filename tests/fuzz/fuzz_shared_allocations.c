/* fuzz_shared_allocations.c - libFuzzer target for what one server reads
 * that another wrote: the Service claim list (server/core/service_claims.c,
 * decoded, then encoded and decoded again to the same claims) and a sealed
 * kubeadm-certs value (server/setup/certificate_key.c, refused unless it
 * authenticates). The first byte picks the parser. Never a crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certificate_key.h"
#include "service_claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  char *text = malloc(size);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = 0;
  if (data[0] % 2 == 0) {
    svc_claims c = {0}, again = {0};
    if (svc_claims_decode(text, size - 1, 0, &c) == 0) {
      char *enc = svc_claims_encode(&c);
      if (svc_claims_decode(enc, strlen(enc), 0, &again) != 0 || again.n != c.n) abort();
      for (size_t i = 0; i < c.n; i++)
        if (again.v[i].ip != c.v[i].ip || again.v[i].port != c.v[i].port || strcmp(again.v[i].key, c.v[i].key)) abort();
      free(enc);
    }
    svc_claims_free(&c);
    svc_claims_free(&again);
  } else {
    size_t len;
    char *plain = certificate_key_open("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", text, &len);
    free(plain); /* a random text authenticating under the key would be a forgery */
    if (plain) abort();
  }
  free(text);
  return 0;
}
