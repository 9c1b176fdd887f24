/* http.h - the HTTPS front: one CivetWeb context serving the API, a request
 * object that carries what every phase needs (path split into API
 * coordinates, query, body, negotiated output form, warnings), and the
 * response writers every handler uses. Phases of a request, in order:
 * http.c (accept, read, authenticate, route) -> rest*.c / discovery.c /
 * openapi.c (handle) -> api*.c (core) -> watch_cache.c (store). */
#ifndef CKUBE_HTTP_H
#define CKUBE_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "api.h"

struct mg_connection;

typedef enum { OUT_JSON, OUT_YAML, OUT_TABLE, OUT_META } out_form;

typedef struct http_req {
  struct mg_connection *conn;
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
  bool close_after; /* the head says Connection: close (a stream that ends with its connection) */
} http_req;

typedef struct {
  const char *listen;   /* "127.0.0.1:6443" */
  const char *cert_pem; /* key + certificate */
  const char *ca_file;  /* client CA */
  const char *token;    /* admin bearer token */
  int threads;
} http_config;

/* Starts serving; 0 or -1 + err. */
int http_start(const http_config *cfg, char *err, size_t errlen);
void http_stop(void);
/* Checks a bearer token (the admin token or a ServiceAccount token): user
 * name into user and, when groups is an array, the user's groups appended. */
bool http_authenticate_token(const char *token, char *user, size_t len, json_t *groups);
/* The authenticated and authorized user of a connection (client certificate
 * or bearer token, impersonation applied; new reference), or NULL. */
json_t *http_connection_user(struct mg_connection *conn);
/* True once http_start returned 0 and until http_stop. */
bool http_ready(void);

/* Query parameter (URL-decoded into buf) or NULL when absent. */
const char *http_query(const http_req *rq, const char *name, char *buf, size_t len);
bool http_query_bool(const http_req *rq, const char *name);

/* Whether JSON should be indented (curl/wget user agents, ?pretty=true). */
bool http_pretty(http_req *rq);

/* Writes the response head: Content-Length len, or chunked when len < 0. */
void http_send_head(http_req *rq, int code, const char *content_type, long long len);
/* Writes a complete response. body may be NULL. */
void http_send(http_req *rq, int code, const char *content_type, const char *body, size_t len);
/* Writes JSON (or YAML when negotiated) and releases nothing. */
void http_send_json(http_req *rq, int code, const json_t *v);
/* Writes a Status, using its code. Steals st. */
void http_send_status(http_req *rq, json_t *st);
/* Writes an API result in the negotiated form (object, YAML or Table). Clears res. */
void http_send_result(http_req *rq, api_result *res);

/* Starts a chunked streaming response (watch). */
bool http_stream_start(http_req *rq, const char *content_type);
bool http_stream_write(http_req *rq, const char *data, size_t len);
void http_stream_end(http_req *rq);

#endif
