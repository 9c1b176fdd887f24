/* fuzz_spdy_frame.c - the SPDY/3.1 frame parser and header-block decoder
 * on arbitrary bytes, as a client's connection would feed them: frames are
 * taken one after the other, and every SYN_STREAM/SYN_REPLY/HEADERS block
 * goes through one inflate stream. */
#include "spdy_frame.h"
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  spdy_zlib *in = spdy_zlib_new(false);
  size_t off = 0;
  for (;;) {
    spdy_frame f;
    long used = spdy_parse(data + off, size - off, &f);
    if (used <= 0) break;
    if (f.control && f.headers) {
      spdy_headers h;
      if (spdy_headers_decode(in, f.headers, f.headers_len, &h)) {
        (void)spdy_header(&h, "streamType");
        spdy_headers_free(&h);
      }
    }
    off += (size_t)used;
  }
  spdy_zlib_free(in);
  return 0;
}
