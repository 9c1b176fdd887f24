/* proxy_headers.c - the heads the proxy writes: the request to the
 * upstream (HTTP/1.1, hop-by-hop headers and the ones named in Connection
 * removed, X-Forwarded-For appended to, X-Forwarded-Proto/-Host/-Port,
 * X-Real-IP, X-Scheme set, X-Request-ID kept or made), the response to the
 * client (hop-by-hop removed, Connection: close when we will close) and
 * the proxy's own responses (404 default backend, 503, redirects, ...). */
#include "proxy_internal.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A head being written into a pbuf: appends stop at the first that does
 * not fit (ok false), and the caller then drops the partial head. Plain
 * copies, not printf: the heads are written twice per proxied request. */
typedef struct {
  pbuf *b;
  size_t mark;
  bool ok;
} head_out;

static head_out head_begin(pbuf *b) {
  pbuf_room(b); /* compacts now, so nothing moves while the head is written */
  return (head_out){b, b->end, true};
}

static void add(head_out *o, const char *p, size_t n) {
  if (!o->ok || PBUF_SIZE - o->b->end < n) {
    o->ok = false;
    return;
  }
  memcpy(o->b->d + o->b->end, p, n);
  o->b->end += n;
}

#define ADD_LIT(o, lit) add(o, lit, sizeof lit - 1)

static void add_str(head_out *o, const char *s) { add(o, s, strlen(s)); }

static void add_uint(head_out *o, unsigned v) {
  char d[12];
  size_t i = sizeof d;
  do d[--i] = (char)('0' + v % 10); while ((v /= 10) && i);
  add(o, d + i, sizeof d - i);
}

static void add_header(head_out *o, const char *name, size_t name_len, const char *value, size_t value_len) {
  add(o, name, name_len);
  ADD_LIT(o, ": ");
  add(o, value, value_len);
  ADD_LIT(o, "\r\n");
}

static bool head_end(head_out *o) {
  if (!o->ok) o->b->end = o->mark;
  return o->ok;
}

static bool name_is_n(const http_header *hd, const char *name, size_t n) {
  return hd->name_len == n && !strncasecmp(hd->name, name, n);
}
#define NAME_IS(hd, lit) name_is_n(hd, lit, sizeof lit - 1)

/* Hop-by-hop (RFC 9110 7.6.1) or named in the Connection header. */
static bool hop_by_hop(const http_head *h, const http_header *hd, bool keep_upgrade) {
  if (NAME_IS(hd, "connection") || NAME_IS(hd, "keep-alive") || NAME_IS(hd, "proxy-connection") || NAME_IS(hd, "te") ||
      NAME_IS(hd, "trailer"))
    return true;
  if (NAME_IS(hd, "upgrade")) return !keep_upgrade;
  if (!h->connection) return false;
  char name[64];
  if (hd->name_len >= sizeof name) return false;
  memcpy(name, hd->name, hd->name_len);
  name[hd->name_len] = 0;
  return http_token_in(h->connection, h->connection_len, name) && !NAME_IS(hd, "transfer-encoding");
}

bool build_upstream_head(const http_head *h, const forward_info *fi, pbuf *out) {
  head_out o = head_begin(out);
  const char *target = fi->rewritten && *fi->rewritten ? fi->rewritten : NULL;
  add(&o, h->method, h->method_len);
  ADD_LIT(&o, " ");
  if (target) add_str(&o, target);
  else add(&o, h->target, h->target_len);
  ADD_LIT(&o, " HTTP/1.1\r\n");
  const char *xff = NULL, *rid = NULL, *host = NULL;
  size_t xff_len = 0, host_len = 0;
  for (size_t i = 0; o.ok && i < h->n_headers; i++) {
    const http_header *hd = &h->headers[i];
    if (hop_by_hop(h, hd, h->upgrade)) continue;
    if (NAME_IS(hd, "x-forwarded-for")) {
      xff = hd->value, xff_len = hd->value_len;
      continue;
    }
    if (NAME_IS(hd, "x-request-id")) rid = hd->value;
    if (NAME_IS(hd, "host")) host = hd->value, host_len = hd->value_len;
    if (NAME_IS(hd, "x-forwarded-proto") || NAME_IS(hd, "x-forwarded-host") || NAME_IS(hd, "x-forwarded-port") ||
        NAME_IS(hd, "x-real-ip") || NAME_IS(hd, "x-scheme"))
      continue;
    add_header(&o, hd->name, hd->name_len, hd->value, hd->value_len);
  }
  if (h->upgrade) ADD_LIT(&o, "Connection: upgrade\r\n");
  if (!rid) {
    ADD_LIT(&o, "X-Request-ID: ");
    add_str(&o, fi->request_id);
    ADD_LIT(&o, "\r\n");
  }
  ADD_LIT(&o, "X-Forwarded-For: ");
  if (xff) {
    add(&o, xff, xff_len);
    ADD_LIT(&o, ", ");
  }
  add_str(&o, fi->client_ip);
  ADD_LIT(&o, "\r\n");
  /* X-Forwarded-Host carries the Host as sent (with its port), as ingress-nginx's $best_http_host */
  if (host) add_header(&o, "X-Forwarded-Host", 16, host, host_len);
  ADD_LIT(&o, "X-Real-IP: ");
  add_str(&o, fi->client_ip);
  ADD_LIT(&o, "\r\nX-Forwarded-Proto: ");
  add_str(&o, fi->scheme);
  ADD_LIT(&o, "\r\nX-Forwarded-Port: ");
  add_uint(&o, (unsigned)fi->port);
  ADD_LIT(&o, "\r\nX-Scheme: ");
  add_str(&o, fi->scheme);
  ADD_LIT(&o, "\r\n\r\n");
  return head_end(&o);
}

bool build_client_head(const http_head *h, bool close, const char *set_cookie, pbuf *out) {
  head_out o = head_begin(out);
  char status[3] = {(char)('0' + h->status / 100 % 10), (char)('0' + h->status / 10 % 10), (char)('0' + h->status % 10)};
  ADD_LIT(&o, "HTTP/1.1 ");
  add(&o, status, 3);
  ADD_LIT(&o, " ");
  add(&o, h->reason, h->reason_len);
  ADD_LIT(&o, "\r\n");
  for (size_t i = 0; o.ok && i < h->n_headers; i++) {
    const http_header *hd = &h->headers[i];
    if (!hop_by_hop(h, hd, h->status == 101)) add_header(&o, hd->name, hd->name_len, hd->value, hd->value_len);
  }
  if (set_cookie && *set_cookie) {
    ADD_LIT(&o, "Set-Cookie: ");
    add_str(&o, set_cookie);
    ADD_LIT(&o, "\r\n");
  }
  if (h->status == 101) ADD_LIT(&o, "Connection: upgrade\r\n");
  if (close) ADD_LIT(&o, "Connection: close\r\n");
  ADD_LIT(&o, "\r\n");
  return head_end(&o);
}

static const char *reason(int status) {
  switch (status) {
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 408: return "Request Timeout";
  case 413: return "Request Entity Too Large";
  case 431: return "Request Header Fields Too Large";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Temporarily Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "Error";
  }
}

bool build_local_response(int status, const char *location, bool close, pbuf *out) {
  char body[256];
  int n = snprintf(body, sizeof body,
                   "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"
                   "<hr><center>ckube</center>\r\n</body>\r\n</html>\r\n",
                   status, reason(status), status, reason(status));
  head_out o = head_begin(out);
  ADD_LIT(&o, "HTTP/1.1 ");
  add_uint(&o, (unsigned)status);
  ADD_LIT(&o, " ");
  add_str(&o, reason(status));
  ADD_LIT(&o, "\r\nContent-Type: text/html\r\nContent-Length: ");
  add_uint(&o, (unsigned)n);
  ADD_LIT(&o, "\r\n");
  if (location) {
    ADD_LIT(&o, "Location: ");
    add_str(&o, location);
    ADD_LIT(&o, "\r\n");
  }
  if (close) ADD_LIT(&o, "Connection: close\r\n");
  ADD_LIT(&o, "\r\n");
  add(&o, body, (size_t)n);
  return head_end(&o);
}
