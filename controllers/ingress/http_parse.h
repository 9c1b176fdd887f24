/* http_parse.h - HTTP/1.x message heads and chunked framing for the
 * Ingress data plane. Pure and allocation-free: a head is parsed in place
 * from the connection's buffer (names and values point into it), and the
 * chunked tracker only counts where a chunked body ends, so bodies pass
 * through byte for byte without being decoded or buffered whole.
 * Strict where a lax parser lets requests be smuggled: bare CR, obs-fold,
 * Content-Length with Transfer-Encoding, differing Content-Lengths and
 * unknown transfer codings are refused. */
#ifndef CKUBE_INGRESS_HTTP_PARSE_H
#define CKUBE_INGRESS_HTTP_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS 100

typedef struct {
  const char *name, *value;
  size_t name_len, value_len;
} http_header;

typedef struct {
  const char *method, *target; /* requests */
  size_t method_len, target_len;
  int status;                  /* responses */
  const char *reason;          /* responses: the reason phrase */
  size_t reason_len;
  int minor;                   /* HTTP/1.minor */
  size_t n_headers;
  size_t head_len;             /* bytes of the head, final CRLF included */
  long long content_length;    /* -1 when absent */
  bool chunked;
  bool keep_alive;             /* after this message (version + Connection) */
  bool upgrade;                /* Connection: upgrade with an Upgrade header */
  bool expect_continue;
  const char *connection;      /* the Connection header's value, NULL when absent */
  size_t connection_len;
  http_header headers[HTTP_MAX_HEADERS]; /* last: a parse clears only what comes before */
} http_head;

/* Parses a request head from buf. Returns head_len (> 0) when complete, 0
 * when more bytes are needed, or -status for a bad request: -400 malformed,
 * -431 more than HTTP_MAX_HEADERS headers, -501 unknown transfer coding,
 * -505 a version other than HTTP/1.0 or 1.1. */
int http_parse_request(const char *buf, size_t len, http_head *h);
/* The same for a response head (-502 when malformed). */
int http_parse_response(const char *buf, size_t len, http_head *h);
/* The header's value, or NULL; *len set when found. Case-insensitive. */
const char *http_header_get(const http_head *h, const char *name, size_t *len);
/* Whether a comma-separated header value list contains token (case-insensitive). */
bool http_token_in(const char *value, size_t len, const char *token);

/* Tracks a chunked body: feed it the bytes that follow; it says how many
 * belong to the body. */
typedef struct {
  int state;
  unsigned long long size; /* left in the current chunk / size being read */
  bool done;
} http_chunked;

/* Returns how many of the len bytes belong to the body (all of them unless
 * the body ends inside buf; then c->done), or -1 when malformed. */
ssize_t http_chunked_feed(http_chunked *c, const char *buf, size_t len);

#endif
