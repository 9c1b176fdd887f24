/* fuzz_ws_bearer.c - libFuzzer target for the WebSocket subprotocol bearer
 * token parser (server/ws_bearer.c): any header value is found, absent or
 * refused, never a crash or an overrun of the output buffer (small on
 * purpose). Seeds are in corpus/fuzz_ws_bearer/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_bearer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = 0;
  char out[16];
  int r = ws_bearer_token(s, out, sizeof out);
  if (r == 1 && strlen(out) >= sizeof out) abort();
  free(s);
  return 0;
}
