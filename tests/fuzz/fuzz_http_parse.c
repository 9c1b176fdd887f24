/* fuzz_http_parse.c - libFuzzer target for the Ingress proxy's HTTP/1.x
 * parser (controllers/ingress/http_parse.c): request and response heads
 * on arbitrary bytes, the head's fields checked to lie inside the input,
 * and the chunked-body tracker fed the rest in two pieces. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http_parse.h"

static void check_head(const http_head *h, const char *buf, size_t size, int r) {
  if (r <= 0) return;
  assert((size_t)r == h->head_len && h->head_len <= size);
  for (size_t i = 0; i < h->n_headers; i++) {
    const http_header *hd = &h->headers[i];
    assert(hd->name >= buf && hd->name + hd->name_len <= buf + size);
    assert(hd->value >= buf && hd->value + hd->value_len <= buf + size);
  }
  assert(!(h->chunked && h->content_length >= 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  http_head h;
  int r = http_parse_request(buf, size, &h);
  check_head(&h, buf, size, r);
  if (r > 0) {
    size_t n;
    http_header_get(&h, "host", &n);
    http_chunked c = {0};
    size_t rest = size - (size_t)r, half = rest / 2;
    ssize_t a = http_chunked_feed(&c, buf + r, half);
    if (a >= 0 && !c.done) {
      ssize_t b = http_chunked_feed(&c, buf + r + half, rest - half);
      assert(b < 0 || (size_t)b <= rest - half);
    }
  }
  r = http_parse_response(buf, size, &h);
  check_head(&h, buf, size, r);
  return 0;
}
