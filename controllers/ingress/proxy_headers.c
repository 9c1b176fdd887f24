/* proxy_headers.c - the heads the proxy writes: the request to the
 * upstream (HTTP/1.1, hop-by-hop headers and the ones named in Connection
 * removed, X-Forwarded-For appended to, X-Forwarded-Proto/-Host/-Port,
 * X-Real-IP, X-Scheme set, X-Request-ID kept or made), the response to the
 * client (hop-by-hop removed, Connection: close when we will close) and
 * the proxy's own responses (404 default backend, 503, redirects, ...). */
#include "proxy_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool name_is(const http_header *hd, const char *name) {
  size_t n = strlen(name);
  return hd->name_len == n && !strncasecmp(hd->name, name, n);
}

/* Hop-by-hop (RFC 9110 7.6.1) or named in the Connection header. */
static bool hop_by_hop(const http_head *h, const http_header *hd, bool keep_upgrade) {
  static const char *const hop[] = {"connection", "keep-alive", "proxy-connection", "te", "trailer", NULL};
  for (size_t i = 0; hop[i]; i++)
    if (name_is(hd, hop[i])) return true;
  if (name_is(hd, "upgrade")) return !keep_upgrade;
  size_t cl;
  const char *conn = http_header_get(h, "connection", &cl);
  if (!conn) return false;
  char name[64];
  if (hd->name_len >= sizeof name) return false;
  memcpy(name, hd->name, hd->name_len);
  name[hd->name_len] = 0;
  return http_token_in(conn, cl, name) && !name_is(hd, "transfer-encoding");
}

static bool put(pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool put(pbuf *b, const char *fmt, ...) {
  size_t room = pbuf_room(b);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->d + b->end, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room) return false;
  b->end += (size_t)n;
  return true;
}

static bool put_header(pbuf *b, const http_header *hd) {
  return put(b, "%.*s: %.*s\r\n", (int)hd->name_len, hd->name, (int)hd->value_len, hd->value);
}

bool build_upstream_head(const http_head *h, const forward_info *fi, pbuf *out) {
  size_t mark = out->end;
  const char *target = fi->rewritten && *fi->rewritten ? fi->rewritten : NULL;
  bool ok = put(out, "%.*s %.*s HTTP/1.1\r\n", (int)h->method_len, h->method, target ? (int)strlen(target) : (int)h->target_len,
                target ? target : h->target);
  const char *xff = NULL, *rid = NULL, *host = NULL;
  size_t xff_len = 0, host_len = 0;
  for (size_t i = 0; ok && i < h->n_headers; i++) {
    const http_header *hd = &h->headers[i];
    if (hop_by_hop(h, hd, h->upgrade)) continue;
    if (name_is(hd, "x-forwarded-for")) {
      xff = hd->value, xff_len = hd->value_len;
      continue;
    }
    if (name_is(hd, "x-request-id")) rid = hd->value;
    if (name_is(hd, "host")) host = hd->value, host_len = hd->value_len;
    if (name_is(hd, "x-forwarded-proto") || name_is(hd, "x-forwarded-host") || name_is(hd, "x-forwarded-port") ||
        name_is(hd, "x-real-ip") || name_is(hd, "x-scheme"))
      continue;
    ok = put_header(out, hd);
  }
  if (ok && h->upgrade) ok = put(out, "Connection: upgrade\r\n");
  if (ok && !rid) ok = put(out, "X-Request-ID: %s\r\n", fi->request_id);
  if (ok && xff) ok = put(out, "X-Forwarded-For: %.*s, %s\r\n", (int)xff_len, xff, fi->client_ip);
  else if (ok) ok = put(out, "X-Forwarded-For: %s\r\n", fi->client_ip);
  /* X-Forwarded-Host carries the Host as sent (with its port), as ingress-nginx's $best_http_host */
  if (ok && host) ok = put(out, "X-Forwarded-Host: %.*s\r\n", (int)host_len, host);
  if (ok)
    ok = put(out, "X-Real-IP: %s\r\nX-Forwarded-Proto: %s\r\nX-Forwarded-Port: %d\r\nX-Scheme: %s\r\n\r\n", fi->client_ip,
             fi->scheme, fi->port, fi->scheme);
  if (!ok) out->end = mark;
  return ok;
}

bool build_client_head(const http_head *h, bool close, const char *set_cookie, pbuf *out) {
  size_t mark = out->end;
  bool ok = put(out, "HTTP/1.1 %03d %.*s\r\n", h->status, (int)h->reason_len, h->reason);
  for (size_t i = 0; ok && i < h->n_headers; i++)
    if (!hop_by_hop(h, &h->headers[i], h->status == 101)) ok = put_header(out, &h->headers[i]);
  if (ok && set_cookie && *set_cookie) ok = put(out, "Set-Cookie: %s\r\n", set_cookie);
  if (ok && h->status == 101) ok = put(out, "Connection: upgrade\r\n");
  if (ok && close) ok = put(out, "Connection: close\r\n");
  if (ok) ok = put(out, "\r\n");
  if (!ok) out->end = mark;
  return ok;
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
  size_t mark = out->end;
  bool ok = put(out, "HTTP/1.1 %d %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n", status, reason(status), n);
  if (ok && location) ok = put(out, "Location: %s\r\n", location);
  if (ok && close) ok = put(out, "Connection: close\r\n");
  if (ok) ok = put(out, "\r\n%s", body);
  if (!ok) out->end = mark;
  return ok;
}
