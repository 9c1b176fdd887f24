/* fuzz_proxy_rewrite.c - libFuzzer target for the pods/services proxy's
 * link rewriting (server/front/proxy_rewrite.c): arbitrary bytes as an
 * HTML body (plain and as a gzip body) and, up to the first NUL, as one URL;
 * text without a tag comes back byte for byte, and every output is a
 * whole allocation (ASan checks the reads). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const proxy_origin o = {"/api/v1/namespaces/ns/pods/web:80/proxy", "10.0.0.1:80", "127.0.0.1:6443", "/"};
  size_t n;
  char *html = proxy_rewrite_html((const char *)data, size, &o, &n);
  assert(html && (memchr(data, '<', size) || (n == size && !memcmp(html, data, size))));
  free(html);
  char *gz = proxy_rewrite_html_encoded((const char *)data, size, "gzip", &o, &n);
  free(gz);
  char *url = strndup((const char *)data, size);
  char *out = proxy_rewrite_url(url, &o);
  assert(out);
  free(out);
  free(url);
  return 0;
}
