/* proxy_rewrite.c - see proxy_rewrite.h. The rules are those of
 * apimachinery's proxy Transport (1.20): a URL is rewritten when its path
 * is absolute and its host is empty, the backend's or the request's; the
 * scheme and host are dropped unless the host is the request's; a path
 * already under the prefix stays; otherwise prefix and path are joined and
 * cleaned as Go's path.Join, a trailing slash kept. The HTML scan is a small
 * tokenizer (comments, declarations, end tags, raw-text elements such as
 * script skipped): only a rewritten attribute value changes, written in
 * double quotes and escaped as Go's html.EscapeString; every other byte is
 * copied. */
#include "proxy_rewrite.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define MAX_UNPACKED (64u << 20)

typedef struct {
  char *b;
  size_t n, cap;
} buf;

static void put(buf *o, const char *s, size_t len) {
  if (o->n + len + 1 > o->cap) {
    o->cap = (o->n + len + 1) * 2;
    o->b = realloc(o->b, o->cap);
  }
  memcpy(o->b + o->n, s, len);
  o->n += len;
  o->b[o->n] = 0;
}

static void puts_(buf *o, const char *s) { put(o, s, strlen(s)); }

/* Go's path.Clean of a rooted path: no empty or "." elements, ".." applied, no trailing slash. */
static void clean_path(const char *in, buf *o) {
  size_t start = o->n;
  put(o, "/", 1);
  for (const char *p = in; *p;) {
    size_t len = strcspn(p, "/");
    if (len == 2 && !strncmp(p, "..", 2)) {
      size_t n = o->n;
      while (n > start + 1 && o->b[n - 1] != '/') n--;
      o->n = n > start + 1 ? n - 1 : start + 1;
      o->b[o->n] = 0;
    } else if (len && !(len == 1 && *p == '.')) {
      if (o->n > start + 1) put(o, "/", 1);
      put(o, p, len);
    }
    p += len;
    if (*p) p++;
  }
}

char *proxy_join_path(const char *prefix, const char *path) {
  size_t pre = strlen(prefix), plen = strlen(path);
  char *joined = malloc(pre + plen + 2);
  memcpy(joined, prefix, pre);
  joined[pre] = '/';
  memcpy(joined + pre + 1, path, plen + 1);
  buf out = {0};
  clean_path(joined, &out);
  free(joined);
  if (plen && path[plen - 1] == '/') put(&out, "/", 1);
  return out.b;
}

static bool same(const char *a, size_t alen, const char *b) { return b && strlen(b) == alen && !strncmp(a, b, alen); }

char *proxy_rewrite_url(const char *url, const proxy_origin *o) {
  const char *p = url;
  size_t slen = 0;
  if (isalpha((unsigned char)*p)) {
    const char *q = p;
    while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.') q++;
    if (*q == ':') slen = (size_t)(q - p) + 1;
  }
  const char *rest = url + slen, *host = "";
  size_t hlen = 0;
  if (rest[0] == '/' && rest[1] == '/') {
    host = rest + 2;
    hlen = strcspn(host, "/?#");
    rest = host + hlen;
  }
  size_t plen = strcspn(rest, "?#");
  bool other_host = hlen && !same(host, hlen, o->backend_host) && !same(host, hlen, o->request_host);
  if (other_host || rest[0] != '/') return strdup(url);
  buf out = {0};
  if (hlen && same(host, hlen, o->request_host)) put(&out, url, (size_t)(host + hlen - url)); /* scheme and host kept */
  size_t pre = strlen(o->prepend);
  if (plen >= pre && !strncmp(rest, o->prepend, pre)) {
    put(&out, rest, plen);
  } else {
    char *path = strndup(rest, plen), *joined = proxy_join_path(o->prepend, path);
    puts_(&out, joined);
    free(joined);
    free(path);
  }
  puts_(&out, rest + plen);
  return out.b;
}

/* Whether attribute attr of element tag holds a URL (the table of apimachinery's proxy transport). */
static bool url_attribute(const char *tag, size_t tlen, const char *attr, size_t alen) {
  static const char *const table[] = {
      "a href",       "applet codebase", "area href",     "audio src",          "base href",   "blockquote cite",
      "body background", "button formaction", "command icon", "del cite",        "embed src",   "form action",
      "frame longdesc", "frame src",      "head profile",  "html manifest",      "iframe longdesc", "iframe src",
      "img longdesc", "img src",         "img usemap",    "input src",          "input usemap", "input formaction",
      "ins cite",     "link href",       "object classid", "object codebase",   "object data", "object usemap",
      "q cite",       "script src",      "source src",    "video poster",       "video src"};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const char *e = table[i], *sp = strchr(e, ' ');
    if ((size_t)(sp - e) == tlen && !strncasecmp(e, tag, tlen) && strlen(sp + 1) == alen &&
        !strncasecmp(sp + 1, attr, alen))
      return true;
  }
  return false;
}

/* Elements whose content is text up to their end tag. */
static bool raw_text(const char *tag, size_t tlen) {
  static const char *const raw[] = {"iframe", "noembed", "noframes", "noscript", "plaintext", "script",
                                    "style",  "textarea", "title",   "xmp"};
  for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
    if (strlen(raw[i]) == tlen && !strncasecmp(raw[i], tag, tlen)) return true;
  return false;
}

/* An attribute value with its character references undone (the common named ones and numeric ASCII). */
static char *unescape(const char *s, size_t len) {
  static const struct {
    const char *name;
    char c;
  } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
  char *out = malloc(len + 1);
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    if (s[i] == '&') {
      bool done = false;
      for (size_t k = 0; k < sizeof named / sizeof named[0] && !done; k++) {
        size_t nl = strlen(named[k].name);
        if (i + 1 + nl <= len && !strncmp(s + i + 1, named[k].name, nl)) out[n++] = named[k].c, i += 1 + nl, done = true;
      }
      if (!done && i + 2 < len && s[i + 1] == '#') {
        bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
        size_t j = i + 2 + hex;
        long v = 0;
        while (j < len && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])) && v < 256)
          v = v * (hex ? 16 : 10) + (isdigit((unsigned char)s[j]) ? s[j] - '0' : (tolower((unsigned char)s[j]) - 'a' + 10)), j++;
        if (j > i + 2 + hex && v > 0 && v < 128) {
          out[n++] = (char)v;
          i = j < len && s[j] == ';' ? j + 1 : j;
          done = true;
        }
      }
      if (done) continue;
    }
    out[n++] = s[i++];
  }
  out[n] = 0;
  return out;
}

static void put_escaped(buf *o, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': puts_(o, "&amp;"); break;
    case '\'': puts_(o, "&#39;"); break;
    case '<': puts_(o, "&lt;"); break;
    case '>': puts_(o, "&gt;"); break;
    case '"': puts_(o, "&#34;"); break;
    case '\r': puts_(o, "&#13;"); break;
    default: put(o, s, 1);
    }
  }
}

static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

/* A start tag at h[i] ('<' and a letter): copied with its URL attributes rewritten; returns the index
 * after it, *tag and *tlen naming the element. */
static size_t start_tag(const char *h, size_t len, size_t i, const proxy_origin *o, buf *out, const char **tag,
                        size_t *tlen) {
  size_t j = i + 1;
  while (j < len && !space(h[j]) && h[j] != '/' && h[j] != '>') j++;
  *tag = h + i + 1;
  *tlen = j - i - 1;
  put(out, h + i, j - i);
  while (j < len) {
    size_t k = j;
    while (k < len && (space(h[k]) || h[k] == '/')) k++;
    put(out, h + j, k - j);
    if (k >= len) return len;
    if (h[k] == '>') {
      put(out, ">", 1);
      return k + 1;
    }
    size_t a0 = k;
    while (k < len && !space(h[k]) && h[k] != '/' && h[k] != '>' && (h[k] != '=' || k == a0)) k++;
    size_t alen = k - a0, w = k;
    while (w < len && space(h[w])) w++;
    if (w >= len || h[w] != '=') { /* no value */
      put(out, h + a0, alen);
      j = k;
      continue;
    }
    size_t v0 = w + 1;
    while (v0 < len && space(h[v0])) v0++;
    size_t vs = v0, ve, end;
    if (v0 < len && (h[v0] == '"' || h[v0] == '\'')) {
      const char *close = memchr(h + v0 + 1, h[v0], len - v0 - 1);
      vs = v0 + 1;
      ve = close ? (size_t)(close - h) : len;
      end = close ? ve + 1 : len;
    } else {
      ve = v0;
      while (ve < len && !space(h[ve]) && h[ve] != '>') ve++;
      end = ve;
    }
    char *value = NULL, *rewritten = NULL;
    if (url_attribute(*tag, *tlen, h + a0, alen) && !memchr(h + vs, 0, ve - vs)) { /* a NUL: left alone */
      value = unescape(h + vs, ve - vs);
      rewritten = proxy_rewrite_url(value, o);
    }
    if (rewritten && strcmp(rewritten, value)) {
      put(out, h + a0, v0 - a0);
      put(out, "\"", 1);
      put_escaped(out, rewritten);
      put(out, "\"", 1);
    } else {
      put(out, h + a0, end - a0);
    }
    free(value);
    free(rewritten);
    j = end;
  }
  return len;
}

/* The index after the first occurrence of needle at or after i (len when there is none). */
static size_t past(const char *h, size_t len, size_t i, const char *needle) {
  size_t nl = strlen(needle);
  for (size_t k = i; k + nl <= len; k++)
    if (!memcmp(h + k, needle, nl)) return k + nl;
  return len;
}

char *proxy_rewrite_html(const char *h, size_t len, const proxy_origin *o, size_t *out_len) {
  buf out = {0};
  put(&out, "", 0);
  const char *raw = NULL; /* inside this raw-text element */
  size_t rawlen = 0;
  for (size_t i = 0; i < len;) {
    const char *lt = memchr(h + i, '<', len - i);
    size_t at = lt ? (size_t)(lt - h) : len;
    put(&out, h + i, at - i);
    i = at;
    if (i >= len) break;
    size_t next;
    if (raw) {
      bool closes = i + 2 + rawlen <= len && h[i + 1] == '/' && !strncasecmp(h + i + 2, raw, rawlen) &&
                    (i + 2 + rawlen == len || space(h[i + 2 + rawlen]) || h[i + 2 + rawlen] == '>' ||
                     h[i + 2 + rawlen] == '/');
      if (closes) raw = NULL;
      next = closes ? past(h, len, i, ">") : i + 1;
      put(&out, h + i, next - i);
    } else if (i + 4 <= len && !memcmp(h + i, "<!--", 4)) {
      next = past(h, len, i + 4, "-->");
      put(&out, h + i, next - i);
    } else if (i + 1 < len && (h[i + 1] == '!' || h[i + 1] == '?' || h[i + 1] == '/')) {
      next = past(h, len, i, ">");
      put(&out, h + i, next - i);
    } else if (i + 1 < len && isalpha((unsigned char)h[i + 1])) {
      const char *tag;
      size_t tlen;
      next = start_tag(h, len, i, o, &out, &tag, &tlen);
      if (raw_text(tag, tlen)) raw = tag, rawlen = tlen;
    } else {
      next = i + 1;
      put(&out, "<", 1);
    }
    i = next;
  }
  *out_len = out.n;
  return out.b;
}

/* gzip (windowBits 31) or raw deflate (-15), as Go's gzip and flate packages write them. */
static char *inflate_all(const char *in, size_t len, int bits, size_t *out_len) {
  z_stream z = {0};
  if (inflateInit2(&z, bits) != Z_OK) return NULL;
  buf out = {0};
  char chunk[16384];
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  int rc;
  do {
    z.next_out = (Bytef *)chunk;
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    put(&out, chunk, sizeof chunk - z.avail_out);
  } while (rc != Z_STREAM_END && out.n <= MAX_UNPACKED && (z.avail_in || !z.avail_out));
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    free(out.b);
    return NULL;
  }
  *out_len = out.n;
  return out.b ? out.b : strdup("");
}

static char *deflate_all(const char *in, size_t len, int bits, size_t *out_len) {
  z_stream z = {0};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
  size_t cap = deflateBound(&z, (uLong)len);
  char *out = malloc(cap);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  int rc = deflate(&z, Z_FINISH);
  *out_len = cap - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    free(out);
    return NULL;
  }
  return out;
}

char *proxy_rewrite_html_encoded(const char *body, size_t len, const char *encoding, const proxy_origin *o,
                                 size_t *out_len) {
  if (!*encoding || !strcasecmp(encoding, "identity")) return proxy_rewrite_html(body, len, o, out_len);
  int bits = !strcasecmp(encoding, "gzip") ? 31 : !strcasecmp(encoding, "deflate") ? -15 : 0;
  if (!bits) return NULL;
  size_t plain_len, html_len;
  char *plain = inflate_all(body, len, bits, &plain_len);
  if (!plain) return NULL;
  char *html = proxy_rewrite_html(plain, plain_len, o, &html_len);
  free(plain);
  char *packed = deflate_all(html, html_len, bits, out_len);
  free(html);
  return packed;
}
