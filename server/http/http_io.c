/* http_io.c - a request's I/O over its CivetWeb connection: the response
 * head (status line, content type and length, Warning headers, Cache-Control),
 * whole bodies, JSON or YAML by the negotiated form, Statuses, chunked streams
 * (watch), and the query parameters. No routing and no authentication: those
 * are front/http.c and front/http_auth.c. */
#include "audit_log.h"
#include "http.h"
#include "http_body.h"
#include "yaml_json.h"
#include <civetweb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *reason_phrase(int code) {
  switch (code) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 413: return "Request Entity Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}

/* A response being put together, so that its head (and a small body) goes
 * out in one TLS record and one system call instead of one per line. */
typedef struct {
  char *p;
  size_t len, cap;
  char small[2048];
} out_buf;

static void out_add(out_buf *o, const char *data, size_t n) {
  if (o->len + n > o->cap) {
    size_t cap = (o->len + n) * 2;
    char *p = malloc(cap);
    memcpy(p, o->p, o->len);
    if (o->p != o->small) free(o->p);
    o->p = p;
    o->cap = cap;
  }
  memcpy(o->p + o->len, data, n);
  o->len += n;
}

static void out_addf(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_addf(out_buf *o, const char *fmt, ...) {
  char line[1200], *p = line;
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  if (n >= (int)sizeof line && (p = malloc((size_t)n + 1))) vsnprintf(p, (size_t)n + 1, fmt, again);
  va_end(again);
  va_end(ap);
  if (n > 0 && p) out_add(o, p, (size_t)n);
  if (p != line) free(p);
}

static void out_init(out_buf *o) {
  o->p = o->small;
  o->len = 0;
  o->cap = sizeof o->small;
}

static void out_send(http_req *rq, out_buf *o) {
  mg_write(rq->conn, o->p, o->len);
  if (o->p != o->small) free(o->p);
}

static void head_to(out_buf *o, http_req *rq, int code, const char *ctype, long long len) {
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  rq->code = code;
  out_addf(o, "HTTP/1.1 %d %s\r\nCache-Control: no-cache, private\r\nDate: %s\r\n", code, reason_phrase(code), date);
  if (rq->audit) {
    out_addf(o, "Audit-Id: %s\r\n", audit_event_id(rq->audit));
    if (len < 0) audit_response_started(rq->audit, code);
  }
  if (ctype) out_addf(o, "Content-Type: %s\r\n", ctype);
  size_t i;
  json_t *w;
  json_array_foreach(rq->warnings, i, w) {
    const char *s = json_string_value(w);
    /* RFC 7234 warn-text is a quoted string: escape quotes and backslashes */
    char esc[1024];
    size_t k = 0;
    for (const char *p = s; *p && k < sizeof esc - 2; p++) {
      if (*p == '"' || *p == '\\') esc[k++] = '\\';
      esc[k++] = *p;
    }
    esc[k] = 0;
    out_addf(o, "Warning: 299 - \"%s\"\r\n", esc);
  }
  if (rq->close_after) out_addf(o, "Connection: close\r\n");
  if (len >= 0) out_addf(o, "Content-Length: %lld\r\n\r\n", len);
  else out_addf(o, "Transfer-Encoding: chunked\r\n\r\n");
}

void http_send_head(http_req *rq, int code, const char *ctype, long long len) {
  out_buf o;
  out_init(&o);
  head_to(&o, rq, code, ctype, len);
  out_send(rq, &o);
}

/* Bodies up to this size go out in the head's write. */
#define ONE_WRITE_MAX (64 * 1024)

void http_send_body(http_req *rq, int code, const char *ctype, const char *body, size_t len, const char *tail) {
  size_t tlen = strlen(tail), total = len + tlen;
  bool with_body = total && strcmp(rq->method, "HEAD") != 0;
  out_buf o;
  out_init(&o);
  head_to(&o, rq, code, ctype, (long long)total);
  if (with_body && total <= ONE_WRITE_MAX) {
    out_add(&o, body, len);
    out_add(&o, tail, tlen);
    with_body = false;
  }
  out_send(rq, &o);
  if (with_body) {
    mg_write(rq->conn, body, len);
    if (tlen) mg_write(rq->conn, tail, tlen);
  }
}

void http_send(http_req *rq, int code, const char *ctype, const char *body, size_t len) {
  http_send_body(rq, code, ctype, body, len, "");
}

bool http_pretty(http_req *rq) {
  /* kube-apiserver pretty-prints for curl and wget users and ?pretty=true */
  const char *ua = mg_get_header(rq->conn, "User-Agent");
  return http_query_bool(rq, "pretty") || (ua && (!strncmp(ua, "curl/", 5) || !strncmp(ua, "Wget/", 5)));
}

void http_send_json(http_req *rq, int code, const json_t *v) {
  audit_response(rq->audit, v);
  if (rq->form == OUT_YAML) {
    size_t n = 0;
    char *y = json_to_yaml_sorted(v, &n);
    http_send(rq, code, "application/yaml", y, n);
    free(y);
    return;
  }
  char *s = json_dumps(v, http_pretty(rq) ? JSON_INDENT(2) : JSON_COMPACT);
  http_send_body(rq, code, "application/json", s, strlen(s), "\n");
  free(s);
}

void http_send_status(http_req *rq, json_t *st) {
  int code = (int)json_integer_value(json_object_get(st, "code"));
  out_form f = rq->form;
  if (rq->form != OUT_YAML) rq->form = OUT_JSON; /* errors are never tables */
  http_send_json(rq, code ? code : 500, st);
  rq->form = f;
  json_decref(st);
}

bool http_stream_start(http_req *rq, const char *ctype) {
  http_send_head(rq, 200, ctype, -1);
  return true;
}

bool http_stream_write(http_req *rq, const char *data, size_t len) { return http_write_chunk(rq->conn, data, len); }

void http_stream_end(http_req *rq) { mg_send_chunk(rq->conn, "", 0); }

const char *http_query(const http_req *rq, const char *name, char *buf, size_t len) {
  if (!rq->query) return NULL;
  int n = mg_get_var(rq->query, strlen(rq->query), name, buf, len);
  return n >= 0 ? buf : NULL;
}

bool http_query_bool(const http_req *rq, const char *name) {
  char b[16];
  const char *v = http_query(rq, name, b, sizeof b);
  /* strconv.ParseBool's true spellings, as Kubernetes parses query booleans */
  return v && (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "true") || !strcmp(v, "TRUE") ||
               !strcmp(v, "True"));
}

