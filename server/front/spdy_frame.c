/* spdy_frame.c - see spdy_frame.h. Numbers are big-endian. A header block
 * inflates to at most 64 KiB (more is refused as malformed: kubectl's
 * blocks are a few hundred bytes); zlib asks for the SPDY/3 dictionary on
 * the first block of a connection and keeps its window across blocks, so
 * each direction of a connection has one spdy_zlib for its lifetime. */
#include "spdy_frame.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define MAX_HEADER_BLOCK (64u * 1024)

struct spdy_zlib {
  z_stream z;
  bool deflate;
};

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The minimum control payload of each type (0: unknown types are accepted and skipped). */
static size_t control_min(int type) {
  switch (type) {
  case SPDY_SYN_STREAM: return 10;
  case SPDY_SYN_REPLY: case SPDY_HEADERS: case SPDY_SETTINGS: case SPDY_PING: return 4;
  case SPDY_RST_STREAM: case SPDY_GOAWAY: case SPDY_WINDOW_UPDATE: return 8;
  default: return 0;
  }
}

long spdy_parse(const uint8_t *buf, size_t len, spdy_frame *f) {
  if (len < SPDY_HEAD_LEN) return 0;
  size_t plen = (size_t)buf[5] << 16 | (size_t)buf[6] << 8 | buf[7];
  memset(f, 0, sizeof *f);
  f->control = buf[0] & 0x80;
  f->flags = buf[4];
  if (f->control) {
    if ((((buf[0] & 0x7f) << 8) | buf[1]) != 3) return -1;
    f->type = buf[2] << 8 | buf[3];
    if (plen < control_min(f->type)) return -1;
  } else {
    f->stream_id = get32(buf) & 0x7fffffff;
  }
  if (len - SPDY_HEAD_LEN < plen) return 0;
  const uint8_t *p = buf + SPDY_HEAD_LEN;
  f->payload = p;
  f->len = plen;
  if (!f->control) return (long)(SPDY_HEAD_LEN + plen);
  switch (f->type) {
  case SPDY_SYN_STREAM:
    f->stream_id = get32(p) & 0x7fffffff;
    f->associated_id = get32(p + 4) & 0x7fffffff;
    f->headers = p + 10, f->headers_len = plen - 10;
    break;
  case SPDY_SYN_REPLY:
  case SPDY_HEADERS:
    f->stream_id = get32(p) & 0x7fffffff;
    f->headers = p + 4, f->headers_len = plen - 4;
    break;
  case SPDY_RST_STREAM:
    f->stream_id = get32(p) & 0x7fffffff;
    f->status = get32(p + 4);
    break;
  case SPDY_GOAWAY:
    f->stream_id = get32(p) & 0x7fffffff;
    f->status = get32(p + 4);
    break;
  case SPDY_WINDOW_UPDATE:
    f->stream_id = get32(p) & 0x7fffffff;
    f->delta = get32(p + 4) & 0x7fffffff;
    break;
  case SPDY_PING:
    f->ping_id = get32(p);
    break;
  }
  return (long)(SPDY_HEAD_LEN + plen);
}

spdy_zlib *spdy_zlib_new(bool deflate) {
  spdy_zlib *s = calloc(1, sizeof *s);
  s->deflate = deflate;
  int rc = deflate ? deflateInit(&s->z, Z_DEFAULT_COMPRESSION) : inflateInit(&s->z);
  if (rc != Z_OK) {
    free(s);
    return NULL;
  }
  if (deflate) deflateSetDictionary(&s->z, spdy_dictionary, SPDY_DICTIONARY_LEN);
  return s;
}

void spdy_zlib_free(spdy_zlib *s) {
  if (!s) return;
  if (s->deflate) deflateEnd(&s->z);
  else inflateEnd(&s->z);
  free(s);
}

/* Inflates a block into a malloc'd buffer; NULL when invalid or too large. */
static uint8_t *inflate_block(spdy_zlib *s, const uint8_t *block, size_t len, size_t *out_len) {
  uint8_t *out = malloc(MAX_HEADER_BLOCK);
  s->z.next_in = (Bytef *)block;
  s->z.avail_in = (uInt)len;
  s->z.next_out = out;
  s->z.avail_out = MAX_HEADER_BLOCK;
  while (s->z.avail_in > 0 && s->z.avail_out > 0) {
    int rc = inflate(&s->z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT && inflateSetDictionary(&s->z, spdy_dictionary, SPDY_DICTIONARY_LEN) == Z_OK) continue;
    if (rc == Z_BUF_ERROR && s->z.avail_in == 0) break;
    if (rc != Z_OK) {
      free(out);
      return NULL;
    }
  }
  if (s->z.avail_in > 0) { /* larger than the limit */
    free(out);
    return NULL;
  }
  *out_len = MAX_HEADER_BLOCK - s->z.avail_out;
  return out;
}

void spdy_headers_free(spdy_headers *h) {
  for (size_t i = 0; i < h->count; i++) free(h->names[i]), free(h->values[i]);
  free(h->names);
  free(h->values);
  free(h->value_lens);
  memset(h, 0, sizeof *h);
}

/* A length-prefixed string at *p (advanced); NULL when it overruns end. */
static char *take_string(const uint8_t **p, const uint8_t *end, size_t *len) {
  if (end - *p < 4) return NULL;
  uint32_t n = get32(*p);
  *p += 4;
  if ((size_t)(end - *p) < n) return NULL;
  char *s = malloc((size_t)n + 1);
  memcpy(s, *p, n);
  s[n] = 0;
  *p += n;
  *len = n;
  return s;
}

bool spdy_headers_decode(spdy_zlib *in, const uint8_t *block, size_t len, spdy_headers *h) {
  memset(h, 0, sizeof *h);
  size_t n;
  uint8_t *raw = inflate_block(in, block, len, &n);
  if (!raw) return false;
  const uint8_t *p = raw, *end = raw + n;
  bool ok = n >= 4;
  uint32_t count = ok ? get32(p) : 0;
  p += ok ? 4 : 0;
  if (count > n / 8) ok = false; /* every pair takes at least 8 bytes */
  if (ok) {
    h->names = calloc(count ? count : 1, sizeof *h->names);
    h->values = calloc(count ? count : 1, sizeof *h->values);
    h->value_lens = calloc(count ? count : 1, sizeof *h->value_lens);
  }
  for (uint32_t i = 0; ok && i < count; i++) {
    size_t nl, vl;
    char *name = take_string(&p, end, &nl);
    char *value = name ? take_string(&p, end, &vl) : NULL;
    if (!value) {
      free(name);
      ok = false;
      break;
    }
    h->names[h->count] = name, h->values[h->count] = value, h->value_lens[h->count] = vl;
    h->count++;
  }
  free(raw);
  if (!ok) spdy_headers_free(h);
  return ok;
}

const char *spdy_header(const spdy_headers *h, const char *name) {
  for (size_t i = 0; i < h->count; i++)
    if (!strcasecmp(h->names[i], name)) return h->values[i];
  return NULL;
}

static uint8_t *frame(bool control, uint32_t first, uint8_t flags, size_t plen, size_t *out_len) {
  uint8_t *f = malloc(SPDY_HEAD_LEN + plen + 1);
  put32(f, control ? 0x80030000u | first : first & 0x7fffffff);
  put32(f + 4, (uint32_t)flags << 24 | (uint32_t)plen);
  *out_len = SPDY_HEAD_LEN + plen;
  return f;
}

uint8_t *spdy_data_frame(uint32_t stream_id, uint8_t flags, const void *data, size_t len, size_t *out_len) {
  uint8_t *f = frame(false, stream_id, flags, len, out_len);
  if (len) memcpy(f + SPDY_HEAD_LEN, data, len);
  return f;
}

/* The compressed header block of the pairs, malloc'd. */
static uint8_t *encode_headers(spdy_zlib *out, const char *const *names, const char *const *values, size_t count,
                               size_t *len) {
  size_t raw_len = 4;
  for (size_t i = 0; i < count; i++) raw_len += 8 + strlen(names[i]) + strlen(values[i]);
  uint8_t *raw = malloc(raw_len), *p = raw;
  put32(p, (uint32_t)count), p += 4;
  for (size_t i = 0; i < count; i++) {
    const char *s[2] = {names[i], values[i]};
    for (int k = 0; k < 2; k++) {
      size_t n = strlen(s[k]);
      put32(p, (uint32_t)n), p += 4;
      memcpy(p, s[k], n), p += n;
    }
  }
  size_t cap = deflateBound(&out->z, (uLong)raw_len) + 64;
  uint8_t *z = malloc(cap);
  out->z.next_in = raw;
  out->z.avail_in = (uInt)raw_len;
  out->z.next_out = z;
  out->z.avail_out = (uInt)cap;
  deflate(&out->z, Z_SYNC_FLUSH);
  *len = cap - out->z.avail_out;
  free(raw);
  return z;
}

static uint8_t *headers_frame(int type, size_t fixed, spdy_zlib *out, uint32_t stream_id, uint8_t flags,
                              const char *const *names, const char *const *values, size_t count, size_t *out_len) {
  size_t zlen;
  uint8_t *z = encode_headers(out, names, values, count, &zlen);
  uint8_t *f = frame(true, (uint32_t)type, flags, fixed + zlen, out_len);
  memset(f + SPDY_HEAD_LEN, 0, fixed);
  put32(f + SPDY_HEAD_LEN, stream_id & 0x7fffffff);
  memcpy(f + SPDY_HEAD_LEN + fixed, z, zlen);
  free(z);
  return f;
}

uint8_t *spdy_syn_reply(spdy_zlib *out, uint32_t stream_id, uint8_t flags, const char *const *names,
                        const char *const *values, size_t count, size_t *out_len) {
  return headers_frame(SPDY_SYN_REPLY, 4, out, stream_id, flags, names, values, count, out_len);
}

uint8_t *spdy_syn_stream(spdy_zlib *out, uint32_t stream_id, uint8_t flags, const char *const *names,
                         const char *const *values, size_t count, size_t *out_len) {
  return headers_frame(SPDY_SYN_STREAM, 10, out, stream_id, flags, names, values, count, out_len);
}

static uint8_t *two_words(int type, uint32_t a, uint32_t b, size_t *out_len) {
  uint8_t *f = frame(true, (uint32_t)type, 0, 8, out_len);
  put32(f + SPDY_HEAD_LEN, a);
  put32(f + SPDY_HEAD_LEN + 4, b);
  return f;
}

uint8_t *spdy_rst_stream(uint32_t stream_id, uint32_t status, size_t *out_len) {
  return two_words(SPDY_RST_STREAM, stream_id & 0x7fffffff, status, out_len);
}

uint8_t *spdy_goaway(uint32_t last_stream_id, uint32_t status, size_t *out_len) {
  return two_words(SPDY_GOAWAY, last_stream_id & 0x7fffffff, status, out_len);
}

uint8_t *spdy_ping(uint32_t id, size_t *out_len) {
  uint8_t *f = frame(true, SPDY_PING, 0, 4, out_len);
  put32(f + SPDY_HEAD_LEN, id);
  return f;
}
