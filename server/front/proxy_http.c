/* proxy_http.c - see proxy_http.h. A backend spoken to in HTTP/1.0 closes
 * after its answer, so the body is what follows the headers unless the
 * backend chose chunked coding anyway, which is undone here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, strcasestr */
#endif
#include "proxy_http.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool proxy_split_target(const char *id, char *scheme, size_t scheme_len, char *name, size_t name_len, char *port,
                        size_t port_len) {
  const char *parts[3] = {0};
  size_t lens[3] = {0};
  int n = 0;
  for (const char *p = id;; n++) {
    if (n == 3) return false;
    const char *colon = strchr(p, ':');
    parts[n] = p;
    lens[n] = colon ? (size_t)(colon - p) : strlen(p);
    if (!colon) {
      n++;
      break;
    }
    p = colon + 1;
  }
  int s = n == 3 ? 0 : -1, nm = n == 3 ? 1 : 0, pt = n == 1 ? -1 : n - 1;
  snprintf(scheme, scheme_len, "%.*s", s < 0 ? 0 : (int)lens[s], s < 0 ? "" : parts[s]);
  snprintf(name, name_len, "%.*s", (int)lens[nm], parts[nm]);
  snprintf(port, port_len, "%.*s", pt < 0 ? 0 : (int)lens[pt], pt < 0 ? "" : parts[pt]);
  if (!*name || (*scheme && strcmp(scheme, "http") && strcmp(scheme, "https"))) return false;
  return true;
}

/* The value of header name in the block, or NULL (copied into out). */
static const char *header(const char *h, size_t len, const char *name, char *out, size_t outlen) {
  size_t nl = strlen(name);
  for (const char *line = h; line < h + len;) {
    const char *end = memchr(line, '\n', (size_t)(h + len - line));
    if (!end) end = h + len;
    if ((size_t)(end - line) > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
      const char *v = line + nl + 1;
      while (v < end && (*v == ' ' || *v == '\t')) v++;
      size_t vl = (size_t)(end - v);
      while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ')) vl--;
      snprintf(out, outlen, "%.*s", (int)vl, v);
      return out;
    }
    line = end + 1;
  }
  return NULL;
}

/* Undoes chunked coding in place; the decoded length (what parsed before a malformed chunk). */
static size_t dechunk(char *b, size_t len) {
  size_t in = 0, out = 0;
  while (in < len) {
    char *end;
    unsigned long size = strtoul(b + in, &end, 16);
    char *eol = memchr(b + in, '\n', len - in);
    if (!eol || end == b + in) break;
    in = (size_t)(eol - b) + 1;
    if (size == 0 || size > len - in) break;
    memmove(b + out, b + in, size);
    out += size;
    in += size;
    if (in < len && b[in] == '\r') in++;
    if (in < len && b[in] == '\n') in++;
  }
  return out;
}

bool proxy_parse_response(char *buf, size_t len, proxy_response *out) {
  memset(out, 0, sizeof *out);
  int code = 0;
  if (len < 12 || strncmp(buf, "HTTP/1.", 7) || sscanf(buf + 8, " %3d", &code) != 1 || code < 100) return false;
  char *eol = memchr(buf, '\n', len);
  if (!eol) return false;
  char *h = eol + 1, *crlf = memmem(buf, len, "\r\n\r\n", 4), *lf = memmem(buf, len, "\n\n", 2), *blank;
  size_t blank_len;
  if (crlf && (!lf || crlf < lf)) blank = crlf, blank_len = 4;
  else if (lf) blank = lf, blank_len = 2;
  else return false;
  char *end = blank + blank_len, *headers_end = blank + blank_len / 2; /* the last header's line end kept */
  out->code = code;
  out->headers = h;
  out->headers_len = headers_end > h ? (size_t)(headers_end - h) : 0;
  out->body = end;
  out->body_len = (size_t)(buf + len - end);
  char te[64];
  if (header(h, out->headers_len, "Transfer-Encoding", te, sizeof te) && strcasestr(te, "chunked"))
    out->body_len = dechunk(out->body, out->body_len);
  return true;
}

bool proxy_hop_header(const char *name, size_t len) {
  static const char *const hop[] = {"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
                                    "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", NULL};
  for (int i = 0; hop[i]; i++)
    if (strlen(hop[i]) == len && !strncasecmp(name, hop[i], len)) return true;
  return false;
}
