/* spdy_frame.h - SPDY/3.1 framing, the wire format kubectl's streams
 * (exec, attach, port-forward) use after "Upgrade: SPDY/3.1": an 8-byte
 * frame head (control frames: version 3, type, flags, length; data frames:
 * stream id, flags, length), control payloads, and header blocks
 * (name/value pairs compressed by one zlib stream per direction with the
 * SPDY/3 dictionary). Pure functions over buffers: no I/O. */
#ifndef CKUBE_SPDY_FRAME_H
#define CKUBE_SPDY_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPDY_DICTIONARY_LEN 1423
extern const unsigned char spdy_dictionary[SPDY_DICTIONARY_LEN];

enum {
  SPDY_SYN_STREAM = 1,
  SPDY_SYN_REPLY = 2,
  SPDY_RST_STREAM = 3,
  SPDY_SETTINGS = 4,
  SPDY_PING = 6,
  SPDY_GOAWAY = 7,
  SPDY_HEADERS = 8,
  SPDY_WINDOW_UPDATE = 9,
};
#define SPDY_FLAG_FIN 0x01
#define SPDY_FLAG_UNIDIRECTIONAL 0x02
#define SPDY_HEAD_LEN 8
#define SPDY_MAX_PAYLOAD (1u << 24) /* the length field's 24 bits */

/* One frame as read; payload points into the caller's buffer. */
typedef struct {
  bool control;
  int type;           /* control frames */
  uint32_t stream_id; /* data frames and the stream-bound control frames */
  uint8_t flags;
  const uint8_t *payload;
  size_t len;
  /* decoded control fields */
  uint32_t associated_id; /* SYN_STREAM */
  uint32_t status;        /* RST_STREAM, GOAWAY */
  uint32_t delta;         /* WINDOW_UPDATE */
  uint32_t ping_id;       /* PING */
  const uint8_t *headers; /* SYN_STREAM, SYN_REPLY, HEADERS: the compressed block */
  size_t headers_len;
} spdy_frame;

/* Parses the frame at the start of buf: its size when whole and valid, 0
 * when more bytes are needed, -1 when malformed (wrong version, a control
 * payload too short for its type). */
long spdy_parse(const uint8_t *buf, size_t len, spdy_frame *f);

/* Name/value pairs of a header block. */
typedef struct {
  size_t count;
  char **names, **values; /* NUL-terminated (a value may hold NUL-separated values) */
  size_t *value_lens;
} spdy_headers;

/* A direction's zlib state (one per direction per connection). */
typedef struct spdy_zlib spdy_zlib;
spdy_zlib *spdy_zlib_new(bool deflate);
void spdy_zlib_free(spdy_zlib *z);

/* Decompresses and decodes a header block into h (freed with
 * spdy_headers_free); false when it is not a valid block. */
bool spdy_headers_decode(spdy_zlib *in, const uint8_t *block, size_t len, spdy_headers *h);
/* The first value of header name (names compare case-insensitively), or NULL. */
const char *spdy_header(const spdy_headers *h, const char *name);
void spdy_headers_free(spdy_headers *h);

/* Frame builders: each returns a malloc'd frame and its size in *out_len. */
uint8_t *spdy_data_frame(uint32_t stream_id, uint8_t flags, const void *data, size_t len, size_t *out_len);
/* SYN_REPLY for stream_id with the given pairs (names lower case), compressed by out. */
uint8_t *spdy_syn_reply(spdy_zlib *out, uint32_t stream_id, uint8_t flags, const char *const *names,
                        const char *const *values, size_t count, size_t *out_len);
/* SYN_STREAM (used by tests and clients). */
uint8_t *spdy_syn_stream(spdy_zlib *out, uint32_t stream_id, uint8_t flags, const char *const *names,
                         const char *const *values, size_t count, size_t *out_len);
uint8_t *spdy_rst_stream(uint32_t stream_id, uint32_t status, size_t *out_len);
uint8_t *spdy_ping(uint32_t id, size_t *out_len);
uint8_t *spdy_goaway(uint32_t last_stream_id, uint32_t status, size_t *out_len);

#endif
