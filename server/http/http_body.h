/* http_body.h - a response body written piece by piece through one bounded
 * buffer: a LIST of tens of thousands of objects is sent from the serialized
 * versions the watch cache holds without ever building the whole body
 * (memory per response: the buffer, HTTP_BODY_BUFFER bytes). With a known
 * total the response carries Content-Length; otherwise it is chunked, one
 * chunk (head, data and CRLF in one TLS write) per buffer. HEAD requests get
 * the head only. */
#ifndef CKUBE_HTTP_BODY_H
#define CKUBE_HTTP_BODY_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "http.h"

#define HTTP_BODY_BUFFER (256 * 1024)

typedef struct {
  http_req *rq;
  bool chunked, discard, ok;
  char *buf; /* HTTP_BODY_BUFFER of data after a chunk head's room */
  size_t len;
} http_body;

/* Writes the response head (Content-Length: total, chunked when total < 0)
 * and starts the body. */
void http_body_begin(http_body *b, http_req *rq, int code, const char *ctype, long long total);
/* Appends bytes (copied; sent when the buffer fills). */
void http_body_add(http_body *b, const void *data, size_t len);
void http_body_adds(http_body *b, const char *s);
/* Appends v's compact serialization, exactly json_dumps(v, JSON_COMPACT)'s bytes. */
void http_body_add_json(http_body *b, const json_t *v);
/* Sends what is buffered (and the last chunk); false when the client went away. */
bool http_body_end(http_body *b);

/* Frames data as one HTTP/1.1 chunk and writes it with a single write. */
bool http_write_chunk(struct mg_connection *conn, const char *data, size_t len);

#endif
