/* http_parse.c - see http_parse.h. The head is scanned once, line by line
 * (CRLF, or a bare LF as nginx also accepts); the framing headers are
 * interpreted as RFC 9112 section 6 says, refusing what it marks as a
 * smuggling risk instead of guessing. */
#include "http_parse.h"
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar (a switch, not strchr: strchr would also find the NUL). */
static bool is_tchar(unsigned char c) {
  if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
  case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
  default: return false;
  }
}

/* The end of the line starting at p (the LF), or NULL when incomplete. */
static const char *line_end(const char *p, const char *end) { return memchr(p, '\n', (size_t)(end - p)); }

/* The line [p, lf) without a CR before the LF; false on a CR elsewhere. */
static bool line_bounds(const char *p, const char *lf, size_t *len) {
  size_t n = (size_t)(lf - p);
  if (n && p[n - 1] == '\r') n--;
  if (memchr(p, '\r', n)) return false;
  *len = n;
  return true;
}

static int parse_version(const char *p, size_t n) {
  if (n != 8 || memcmp(p, "HTTP/1.", 7)) return n >= 5 && !memcmp(p, "HTTP/", 5) ? -505 : -400;
  if (p[7] == '0') return 0;
  if (p[7] == '1') return 1;
  return -505;
}

bool http_token_in(const char *v, size_t len, const char *token) {
  size_t tl = strlen(token), i = 0;
  while (i < len) {
    while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t start = i;
    while (i < len && v[i] != ',') i++;
    size_t stop = i;
    while (stop > start && (v[stop - 1] == ' ' || v[stop - 1] == '\t')) stop--;
    if (stop - start == tl && !strncasecmp(v + start, token, tl)) return true;
  }
  return false;
}

const char *http_header_get(const http_head *h, const char *name, size_t *len) {
  size_t nl = strlen(name);
  for (size_t i = 0; i < h->n_headers; i++)
    if (h->headers[i].name_len == nl && !strncasecmp(h->headers[i].name, name, nl)) {
      if (len) *len = h->headers[i].value_len;
      return h->headers[i].value;
    }
  return NULL;
}

static bool parse_length(const char *v, size_t n, long long *out) {
  if (!n || n > 18) return false;
  long long x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    x = x * 10 + (v[i] - '0');
  }
  *out = x;
  return true;
}

/* Header lines from p to the empty line; fills h and returns the head length. */
static int parse_fields(const char *buf, const char *p, const char *end, http_head *h, int bad) {
  bool conn_close = false, conn_keep = false, conn_upgrade = false, has_upgrade = false, has_te = false;
  h->content_length = -1;
  for (;;) {
    const char *lf = line_end(p, end);
    if (!lf) return 0;
    size_t n;
    if (!line_bounds(p, lf, &n)) return bad;
    if (n == 0) {
      h->head_len = (size_t)(lf + 1 - buf);
      break;
    }
    if (p[0] == ' ' || p[0] == '\t') return bad; /* obs-fold */
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p) return bad;
    for (const char *q = p; q < colon; q++)
      if (!is_tchar((unsigned char)*q)) return bad;
    const char *v = colon + 1, *ve = p + n;
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    for (const char *q = v; q < ve; q++)
      if (*q == 0 || (*q < 32 && *q != '\t') || *q == 127) return bad;
    if (h->n_headers == HTTP_MAX_HEADERS) return bad == -400 ? -431 : bad;
    http_header *hd = &h->headers[h->n_headers++];
    hd->name = p, hd->name_len = (size_t)(colon - p), hd->value = v, hd->value_len = (size_t)(ve - v);
    if (hd->name_len == 14 && !strncasecmp(p, "content-length", 14)) {
      long long cl;
      if (!parse_length(v, hd->value_len, &cl) || (h->content_length >= 0 && h->content_length != cl)) return bad;
      h->content_length = cl;
    } else if (hd->name_len == 17 && !strncasecmp(p, "transfer-encoding", 17)) {
      if (has_te || hd->value_len != 7 || strncasecmp(v, "chunked", 7)) return bad == -400 ? -501 : bad;
      has_te = true;
    } else if (hd->name_len == 10 && !strncasecmp(p, "connection", 10)) {
      if (!h->connection) h->connection = v, h->connection_len = hd->value_len;
      conn_close |= http_token_in(v, hd->value_len, "close");
      conn_keep |= http_token_in(v, hd->value_len, "keep-alive");
      conn_upgrade |= http_token_in(v, hd->value_len, "upgrade");
    } else if (hd->name_len == 7 && !strncasecmp(p, "upgrade", 7)) {
      has_upgrade = true;
    } else if (hd->name_len == 6 && !strncasecmp(p, "expect", 6)) {
      h->expect_continue = hd->value_len == 12 && !strncasecmp(v, "100-continue", 12);
    }
    p = lf + 1;
  }
  if (has_te && h->content_length >= 0) return bad;
  h->chunked = has_te;
  h->keep_alive = h->minor == 1 ? !conn_close : conn_keep && !conn_close;
  h->upgrade = conn_upgrade && has_upgrade;
  return (int)h->head_len;
}

int http_parse_request(const char *buf, size_t len, http_head *h) {
  memset(h, 0, offsetof(http_head, headers)); /* not the 3 KiB of header slots */
  const char *end = buf + len, *p = buf;
  while (p < end && (*p == '\r' || *p == '\n')) p++; /* RFC 9112 2.2: ignore leading empty lines */
  if (p - buf > 8) return -400;
  const char *lf = line_end(p, end);
  if (!lf) return 0;
  size_t n;
  if (!line_bounds(p, lf, &n)) return -400;
  const char *sp1 = memchr(p, ' ', n);
  if (!sp1 || sp1 == p) return -400;
  const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(p + n - sp1 - 1));
  if (!sp2 || sp2 == sp1 + 1) return -400;
  for (const char *q = p; q < sp1; q++)
    if (!is_tchar((unsigned char)*q)) return -400;
  for (const char *q = sp1 + 1; q < sp2; q++)
    if ((unsigned char)*q <= 32 || *q == 127) return -400;
  if (sp1[1] != '/' && (size_t)(sp2 - sp1 - 1) != 1) return -400; /* origin-form (or "*") only */
  int minor = parse_version(sp2 + 1, (size_t)(p + n - sp2 - 1));
  if (minor < 0) return minor;
  h->method = p, h->method_len = (size_t)(sp1 - p);
  h->target = sp1 + 1, h->target_len = (size_t)(sp2 - sp1 - 1);
  h->minor = minor;
  return parse_fields(buf, lf + 1, end, h, -400);
}

int http_parse_response(const char *buf, size_t len, http_head *h) {
  memset(h, 0, offsetof(http_head, headers)); /* not the 3 KiB of header slots */
  const char *end = buf + len;
  const char *lf = line_end(buf, end);
  if (!lf) return 0;
  size_t n;
  if (!line_bounds(buf, lf, &n) || n < 12 || buf[8] != ' ') return -502;
  int minor = parse_version(buf, 8);
  if (minor < 0) return -502;
  int st = 0;
  for (int i = 9; i < 12; i++) {
    if (buf[i] < '0' || buf[i] > '9') return -502;
    st = st * 10 + (buf[i] - '0');
  }
  if (st < 100 || (n > 12 && buf[12] != ' ')) return -502;
  h->status = st;
  h->minor = minor;
  h->reason = n > 13 ? buf + 13 : "";
  h->reason_len = n > 13 ? n - 13 : 0;
  return parse_fields(buf, lf + 1, end, h, -502);
}

enum { CH_SIZE, CH_SIZE_DIGITS, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER_START, CH_TRAILER,
       CH_END_LF };

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

ssize_t http_chunked_feed(http_chunked *c, const char *buf, size_t len) {
  size_t i = 0;
  while (i < len && !c->done) {
    char ch = buf[i];
    switch (c->state) {
    case CH_SIZE:
    case CH_SIZE_DIGITS: {
      int v = hexval(ch);
      if (v >= 0) {
        if (c->size >> 56) return -1;
        c->size = c->size * 16 + (unsigned)v;
        c->state = CH_SIZE_DIGITS;
      } else if (c->state == CH_SIZE) {
        return -1;
      } else if (ch == ';' || ch == ' ' || ch == '\t') {
        c->state = CH_EXT;
      } else if (ch == '\r') {
        c->state = CH_SIZE_LF;
      } else if (ch == '\n') {
        c->state = c->size ? CH_DATA : CH_TRAILER_START;
      } else {
        return -1;
      }
      i++;
      break;
    }
    case CH_EXT:
      if (ch == '\n') c->state = c->size ? CH_DATA : CH_TRAILER_START;
      else if (ch == '\r') c->state = CH_SIZE_LF;
      i++;
      break;
    case CH_SIZE_LF:
      if (ch != '\n') return -1;
      c->state = c->size ? CH_DATA : CH_TRAILER_START;
      i++;
      break;
    case CH_DATA: {
      size_t take = len - i < c->size ? len - i : (size_t)c->size;
      c->size -= take;
      i += take;
      if (!c->size) c->state = CH_DATA_CR;
      break;
    }
    case CH_DATA_CR:
      if (ch == '\r') c->state = CH_DATA_LF;
      else if (ch == '\n') c->state = CH_SIZE;
      else return -1;
      i++;
      break;
    case CH_DATA_LF:
      if (ch != '\n') return -1;
      c->state = CH_SIZE;
      i++;
      break;
    case CH_TRAILER_START: /* an empty line ends the body; anything else is a trailer field */
      if (ch == '\r') c->state = CH_END_LF;
      else if (ch == '\n') c->done = true;
      else c->state = CH_TRAILER;
      i++;
      break;
    case CH_TRAILER:
      if (ch == '\n') c->state = CH_TRAILER_START;
      i++;
      break;
    case CH_END_LF:
      if (ch != '\n') return -1;
      c->done = true;
      i++;
      break;
    }
  }
  return (ssize_t)i;
}
