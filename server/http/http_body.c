/* http_body.c - bounded, buffered response bodies (see http_body.h). A TLS
 * write per piece would cost a record and a system call per object: pieces
 * are gathered into one buffer and written when it fills. */
#include "http_body.h"
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_HEAD 10 /* "%x\r\n" of a size below 2^32 fits in 10 bytes */

bool http_write_chunk(struct mg_connection *conn, const char *data, size_t len) {
  char small[4096];
  size_t need = len + CHUNK_HEAD + 2;
  char *f = need <= sizeof small ? small : malloc(need);
  int h = snprintf(f, CHUNK_HEAD + 1, "%zx\r\n", len);
  memcpy(f + h, data, len);
  memcpy(f + h + len, "\r\n", 2);
  size_t total = (size_t)h + len + 2;
  bool ok = mg_write(conn, f, total) == (int)total;
  if (f != small) free(f);
  return ok;
}

void http_body_begin(http_body *b, http_req *rq, int code, const char *ctype, long long total) {
  memset(b, 0, sizeof *b);
  b->rq = rq;
  b->chunked = total < 0;
  b->discard = !strcmp(rq->method, "HEAD");
  b->ok = true;
  http_send_head(rq, code, ctype, total);
  if (!b->discard) b->buf = malloc(CHUNK_HEAD + HTTP_BODY_BUFFER + 2);
}

static void flush(http_body *b) {
  if (!b->len || !b->ok) {
    b->len = 0;
    return;
  }
  char *data = b->buf + CHUNK_HEAD, *start = data;
  size_t n = b->len;
  if (b->chunked) { /* the head goes right before the data, CRLF after it */
    char head[CHUNK_HEAD + 1];
    int h = snprintf(head, sizeof head, "%zx\r\n", n);
    start = data - h;
    memcpy(start, head, (size_t)h);
    memcpy(data + n, "\r\n", 2);
    n += (size_t)h + 2;
  }
  b->ok = mg_write(b->rq->conn, start, n) == (int)n;
  b->len = 0;
}

void http_body_add(http_body *b, const void *data, size_t len) {
  if (b->discard || !b->ok) return;
  const char *p = data;
  while (len) {
    size_t room = HTTP_BODY_BUFFER - b->len, n = len < room ? len : room;
    memcpy(b->buf + CHUNK_HEAD + b->len, p, n);
    b->len += n;
    p += n;
    len -= n;
    if (b->len == HTTP_BODY_BUFFER) flush(b);
  }
}

void http_body_adds(http_body *b, const char *s) { http_body_add(b, s, strlen(s)); }

static int dump_piece(const char *buffer, size_t size, void *data) {
  http_body_add(data, buffer, size);
  return 0;
}

void http_body_add_json(http_body *b, const json_t *v) {
  if (!b->discard && b->ok) json_dump_callback(v, dump_piece, b, JSON_COMPACT);
}

bool http_body_end(http_body *b) {
  if (!b->discard) {
    flush(b);
    if (b->chunked && b->ok) b->ok = mg_write(b->rq->conn, "0\r\n\r\n", 5) == 5;
  }
  free(b->buf);
  b->buf = NULL;
  return b->ok;
}
