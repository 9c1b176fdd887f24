/* yaml_resolve.c - go-yaml v2's plain scalar resolution (YAML 1.1 booleans
 * y/yes/on/..., null/~, ints with Go base prefixes and '_' separators, floats
 * with .inf/.nan) and Go's shortest 'g' float formatting. Both the reader
 * (yaml_json.c) and the writer (yaml_emit.c) use these so a value written
 * out reads back as itself. Pure functions. */
#include "yaml_resolve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *s; yr_kind k; int v; } fixed[] = {
    {"y", YR_BOOL, 1}, {"Y", YR_BOOL, 1}, {"yes", YR_BOOL, 1}, {"Yes", YR_BOOL, 1}, {"YES", YR_BOOL, 1},
    {"true", YR_BOOL, 1}, {"True", YR_BOOL, 1}, {"TRUE", YR_BOOL, 1}, {"on", YR_BOOL, 1}, {"On", YR_BOOL, 1},
    {"ON", YR_BOOL, 1}, {"n", YR_BOOL, 0}, {"N", YR_BOOL, 0}, {"no", YR_BOOL, 0}, {"No", YR_BOOL, 0},
    {"NO", YR_BOOL, 0}, {"false", YR_BOOL, 0}, {"False", YR_BOOL, 0}, {"FALSE", YR_BOOL, 0},
    {"off", YR_BOOL, 0}, {"Off", YR_BOOL, 0}, {"OFF", YR_BOOL, 0}, {"", YR_NULL, 0}, {"~", YR_NULL, 0},
    {"null", YR_NULL, 0}, {"Null", YR_NULL, 0}, {"NULL", YR_NULL, 0}, {".nan", YR_FLOAT, 2},
    {".NaN", YR_FLOAT, 2}, {".NAN", YR_FLOAT, 2}, {".inf", YR_FLOAT, 1}, {".Inf", YR_FLOAT, 1},
    {".INF", YR_FLOAT, 1}, {"+.inf", YR_FLOAT, 1}, {"+.Inf", YR_FLOAT, 1}, {"+.INF", YR_FLOAT, 1},
    {"-.inf", YR_FLOAT, -1}, {"-.Inf", YR_FLOAT, -1}, {"-.INF", YR_FLOAT, -1}, {"<<", YR_MERGE, 0},
};

static bool dig(char c) { return c >= '0' && c <= '9'; }

static int digit_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

/* strconv.ParseUint/ParseInt core: digits of s[0..n) in base (0 = Go
 * prefixes 0x, 0o, 0b, leading 0 octal). Returns false on syntax/range. */
static bool parse_unsigned(const char *s, size_t n, int base, uint64_t *out) {
  if (base == 0) {
    base = 10;
    if (n >= 1 && s[0] == '0') {
      if (n >= 3 && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; n -= 2; }
      else if (n >= 3 && (s[1] == 'o' || s[1] == 'O')) { base = 8; s += 2; n -= 2; }
      else if (n >= 3 && (s[1] == 'b' || s[1] == 'B')) { base = 2; s += 2; n -= 2; }
      else if (n >= 2 && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'O' || s[1] == 'b' || s[1] == 'B'))
        return false;
      else { base = 8; s += 1; n -= 1; if (n == 0) { *out = 0; return true; } }
    }
  }
  if (n == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = digit_val(s[i]);
    if (d >= base) return false;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
    v = v * (uint64_t)base + (uint64_t)d;
  }
  *out = v;
  return true;
}

static bool parse_signed(const char *s, size_t n, int base, int64_t *out) {
  bool neg = false;
  if (n && (s[0] == '+' || s[0] == '-')) { neg = s[0] == '-'; s++; n--; }
  uint64_t u;
  if (!parse_unsigned(s, n, base, &u)) return false;
  if (neg) {
    if (u > (uint64_t)INT64_MAX + 1) return false;
    *out = (int64_t)(0 - u);
  } else {
    if (u > (uint64_t)INT64_MAX) return false;
    *out = (int64_t)u;
  }
  return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  if (i < n && s[i] == '.') {
    i++;
    size_t st = i;
    while (i < n && dig(s[i])) i++;
    if (i == st) return false;
  } else {
    size_t st = i;
    while (i < n && dig(s[i])) i++;
    if (i == st) return false;
    if (i < n && s[i] == '.') { i++; while (i < n && dig(s[i])) i++; }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t st = i;
    while (i < n && dig(s[i])) i++;
    if (i == st) return false;
  }
  return i == n;
}

/* strconv.ParseFloat for the decimal forms the callers pre-checked; fails
 * on overflow to infinity like Go's ErrRange. */
static bool parse_float(const char *s, size_t n, double *out) {
  char buf[512];
  if (n >= sizeof buf) {
    /* Long digit strings: strtod still handles them; copy to the heap. */
    char *h = malloc(n + 1);
    if (!h) return false;
    memcpy(h, s, n);
    h[n] = 0;
    double v = strtod(h, NULL);
    free(h);
    if (isinf(v)) return false;
    *out = v;
    return true;
  }
  memcpy(buf, s, n);
  buf[n] = 0;
  double v = strtod(buf, NULL);
  if (isinf(v)) return false;
  *out = v;
  return true;
}

/* Reads 1 or 2 digits (Go's getnum for non-padded layout fields). */
static bool num12(const char *s, size_t n, size_t *i, int *v) {
  if (*i >= n || !dig(s[*i])) return false;
  *v = s[(*i)++] - '0';
  if (*i < n && dig(s[*i])) *v = *v * 10 + (s[(*i)++] - '0');
  return true;
}

static bool num2(const char *s, size_t n, size_t *i, int *v) {
  if (*i + 2 > n || !dig(s[*i]) || !dig(s[*i + 1])) return false;
  *v = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
  *i += 2;
  return true;
}

/* go-yaml v2's parseTimestamp: time.Parse with the layouts
 * "2006-1-2T15:4:5.999999999Z07:00" (also lower-case t),
 * "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool is_timestamp(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && dig(s[i])) i++;
  if (i != 4 || i == n || s[i] != '-') return false;
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int mon, day, h, mi, sec;
  i++;
  if (!num12(s, n, &i, &mon) || mon < 1 || mon > 12) return false;
  if (i >= n || s[i++] != '-') return false;
  if (!num12(s, n, &i, &day)) return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day < 1 || day > mdays[mon - 1] || (mon == 2 && day == 29 && !leap)) return false;
  if (i == n) return true;
  char sep = s[i++];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  if (!num12(s, n, &i, &h) || h > 23) return false;
  if (i >= n || s[i++] != ':') return false;
  if (!num12(s, n, &i, &mi) || mi > 59) return false;
  if (i >= n || s[i++] != ':') return false;
  if (!num12(s, n, &i, &sec) || sec > 59) return false;
  if (i + 1 < n && (s[i] == '.' || s[i] == ',') && dig(s[i + 1])) {
    i++;
    while (i < n && dig(s[i])) i++;
  }
  if (sep == ' ') return i == n;
  if (i < n && s[i] == 'Z') return i + 1 == n;
  int zh, zm;
  if (i >= n || (s[i] != '+' && s[i] != '-')) return false;
  i++;
  if (!num2(s, n, &i, &zh) || i >= n || s[i++] != ':' || !num2(s, n, &i, &zm)) return false;
  return i == n && zh <= 24 && zm <= 59;
}

yr_kind yaml_resolve_plain(const char *s, size_t n, yr_value *out) {
  yr_value tmp;
  if (!out) out = &tmp;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    if (strlen(fixed[i].s) == n && !memcmp(fixed[i].s, s, n)) {
      out->kind = fixed[i].k;
      out->b = fixed[i].v == 1;
      if (fixed[i].k == YR_FLOAT) out->f = fixed[i].v == 2 ? NAN : fixed[i].v * INFINITY;
      return out->kind;
    }
  }
  char c = s[0];
  if (c == '.') {
    /* Go's ParseFloat on something starting with '.': ".5", ".5e3". */
    if (yaml_style_float(s, n) && parse_float(s, n, &out->f)) return out->kind = YR_FLOAT;
    return out->kind = YR_STR;
  }
  if (!(dig(c) || c == '+' || c == '-')) return out->kind = YR_STR;
  if (is_timestamp(s, n)) return out->kind = YR_TIMESTAMP;

  char sbuf[128];
  char *plain = n < sizeof sbuf ? sbuf : malloc(n + 1);
  if (!plain) return out->kind = YR_STR;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] != '_') plain[m++] = s[i];
  plain[m] = 0;
  yr_kind k = YR_STR;
  uint64_t u;
  if (parse_signed(plain, m, 0, &out->i)) k = YR_INT;
  else if (m && plain[0] != '+' && plain[0] != '-' && parse_unsigned(plain, m, 0, &u)) { out->u = u; k = YR_UINT; }
  else if (yaml_style_float(plain, m) && parse_float(plain, m, &out->f)) k = YR_FLOAT;
  else if (m >= 2 && !memcmp(plain, "0b", 2)) {
    if (parse_signed(plain + 2, m - 2, 2, &out->i)) k = YR_INT;
    else if (m > 2 && plain[2] != '+' && plain[2] != '-' && parse_unsigned(plain + 2, m - 2, 2, &u)) {
      out->u = u;
      k = YR_UINT;
    }
  } else if (m >= 3 && !memcmp(plain, "-0b", 3)) {
    /* Go parses "-" + rest in base 2. */
    if (m > 3 && plain[3] != '+' && plain[3] != '-') {
      plain[2] = '-';
      if (parse_signed(plain + 2, m - 2, 2, &out->i)) k = YR_INT;
    }
  }
  if (plain != sbuf) free(plain);
  return out->kind = k;
}

bool yaml_is_base60_float(const char *s, size_t n) {
  /* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
  if (!n || !memchr(s, ':', n)) return false;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') i++;
  if (i >= n || !dig(s[i])) return false;
  i++;
  while (i < n && (dig(s[i]) || s[i] == '_')) i++;
  int groups = 0;
  while (i < n && s[i] == ':') {
    i++;
    /* [0-5]?[0-9]: one or two digits, a two-digit group starting 0-5. */
    if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && dig(s[i + 1])) i += 2;
    else if (i < n && dig(s[i])) i++;
    else return false;
    groups++;
  }
  if (!groups) return false;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && (dig(s[i]) || s[i] == '_')) i++;
  }
  return i == n;
}

void yaml_go_format_float(double v, int bits, char *buf, size_t len) {
  if (bits == 32) v = (float)v; /* before the checks: a large double is an infinite float */
  if (isnan(v)) { snprintf(buf, len, ".nan"); return; }
  if (isinf(v)) { snprintf(buf, len, v > 0 ? ".inf" : "-.inf"); return; }
  /* Shortest digits that read back as the same value at this precision. */
  char e[64];
  int maxp = bits == 32 ? 9 : 17;
  for (int p = 1; p <= maxp; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    double back = strtod(e, NULL);
    if (bits == 32 ? (float)back == (float)v : back == v) break;
  }
  /* e is "-d.ddde+XX": split into sign, digits and decimal exponent. */
  bool neg = e[0] == '-';
  const char *p = e + (neg ? 1 : 0);
  char digs[32];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (dig(*p)) digs[nd++] = *p;
  int x = atoi(p + 1);
  while (nd > 1 && digs[nd - 1] == '0') nd--;
  if (nd == 1 && digs[0] == '0') x = 0;
  char out[64];
  size_t o = 0;
  if (neg) out[o++] = '-';
  if (x < -4 || x >= 6) {
    out[o++] = digs[0];
    if (nd > 1) {
      out[o++] = '.';
      for (int i = 1; i < nd; i++) out[o++] = digs[i];
    }
    o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
  } else {
    int dp = x + 1; /* digits before the decimal point */
    if (dp > 0) {
      for (int i = 0; i < dp; i++) out[o++] = i < nd ? digs[i] : '0';
    } else {
      out[o++] = '0';
    }
    int frac = nd - dp;
    if (frac > 0) {
      out[o++] = '.';
      for (int i = 0; i < frac; i++) {
        int k = dp + i;
        out[o++] = k >= 0 && k < nd ? digs[k] : '0';
      }
    }
    out[o] = 0;
  }
  out[o] = 0;
  snprintf(buf, len, "%s", out);
}
