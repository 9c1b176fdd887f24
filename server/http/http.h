/* http.h - a request as every handler sees it: the object that carries what
 * every phase needs (its server, path split into API coordinates, query,
 * body, negotiated output form, warnings, user) and the response writers
 * (http_io.c). Phases of a request, in order: front/http.c (accept, read,
 * authenticate with http_auth.c, route) -> rest*.c / discovery.c /
 * openapi.c (handle) -> api*.c (core) -> watch_cache.c (store). */
#ifndef CKUBE_HTTP_H
#define CKUBE_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "api.h"
#include "api_server.h"

struct mg_connection;

typedef enum { OUT_JSON, OUT_YAML, OUT_TABLE, OUT_META } out_form;

typedef struct http_req {
  struct mg_connection *conn;
  api_server *srv;   /* the server this front serves (its store and cache) */
  const char *method;
  const char *path;  /* decoded path */
  const char *query; /* raw query string or NULL */
  char *body;        /* request body (NUL-terminated) or NULL */
  size_t body_len;
  const char *content_type;
  const char *accept;
  out_form form;
  const char *table_version; /* "v1" or "v1beta1" for Table output */
  json_t *warnings;          /* array of strings, sent as Warning headers */
  int code;                  /* status code sent (for metrics and logs) */
  json_t *user;              /* authentication/v1 UserInfo of the requester ({username, groups}), or NULL */
  /* API coordinates (filled by the router for resource requests) */
  const resource *res;
  char ns[256], name[256], sub[64];
  bool watch;
  struct audit_event *audit; /* the audit event (audit_log.h), or NULL */
  bool close_after; /* the head says Connection: close (a stream that ends with its connection) */
} http_req;

/* Query parameter (URL-decoded into buf) or NULL when absent. */
const char *http_query(const http_req *rq, const char *name, char *buf, size_t len);
bool http_query_bool(const http_req *rq, const char *name);

/* Whether JSON should be indented (curl/wget user agents, ?pretty=true). */
bool http_pretty(http_req *rq);

/* The response head: status line, content type, length (-1: chunked), the
 * request's Warning headers. */
void http_send_head(http_req *rq, int code, const char *content_type, long long len);
/* Writes a complete response. body may be NULL. */
void http_send(http_req *rq, int code, const char *content_type, const char *body, size_t len);
/* http_send of body followed by tail (a string, "" for none); a small
 * response goes out in one write, head and body together. */
void http_send_body(http_req *rq, int code, const char *content_type, const char *body, size_t len,
                    const char *tail);
/* Writes JSON (or YAML when negotiated) and releases nothing. */
void http_send_json(http_req *rq, int code, const json_t *v);
/* Writes a Status, using its code. Steals st. */
void http_send_status(http_req *rq, json_t *st);

/* Starts a chunked streaming response (watch). */
bool http_stream_start(http_req *rq, const char *content_type);
bool http_stream_write(http_req *rq, const char *data, size_t len);
void http_stream_end(http_req *rq);

#endif
