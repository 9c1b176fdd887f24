/* ws_bearer.c - see ws_bearer.h. The token is base64.RawURLEncoding, as
 * client-go's and kube-apiserver's websocket protocol authenticator use it. */
#include "ws_bearer.h"
#include "go_errors.h"
#include <stdlib.h>
#include <string.h>

int ws_bearer_token(const char *protocols, char *out, size_t outlen) {
  const size_t plen = strlen(WS_BEARER_PREFIX);
  for (const char *p = protocols; p && *p;) {
    while (*p == ' ' || *p == ',' || *p == '\t') p++;
    const char *end = p + strcspn(p, ", \t");
    if ((size_t)(end - p) > plen && !strncmp(p, WS_BEARER_PREFIX, plen)) {
      const char *v = p + plen;
      size_t n = (size_t)(end - v);
      if (n > 4 * outlen / 3 + 4) return -1;
      char *std = malloc(n + 4);
      if (!std) return -1;
      for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '+' || c == '/' || c == '=') { /* not the URL alphabet */
          free(std);
          return -1;
        }
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
      }
      size_t m = n;
      while (m % 4) std[m++] = '=';
      size_t got = 0;
      unsigned char *raw = go_base64_decode(std, m, &got);
      free(std);
      if (!raw || !got || got >= outlen || memchr(raw, 0, got)) {
        free(raw);
        return -1;
      }
      memcpy(out, raw, got);
      out[got] = 0;
      free(raw);
      return 1;
    }
    p = end;
  }
  return 0;
}
