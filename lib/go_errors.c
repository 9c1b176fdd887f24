/* go_errors.c - see go_errors.h. The walks follow Go 1.15's time.Parse
 * (the Go Kubernetes 1.20 was built with: quote() adds bare double quotes)
 * over the two layouts element by element, and encoding/base64's
 * decodeQuantum for the offsets it reports. */
#include "go_errors.h"
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool digit_at(const char *s, size_t n, size_t i) { return i < n && s[i] >= '0' && s[i] <= '9'; }

/* Go's atoi over s[0:n] (sign, then digits only). */
static bool go_atoi(const char *s, size_t n, int *out) {
  bool neg = false;
  if (n && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', s++, n--;
  long long x = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || x > 100000000000LL) return false;
    x = x * 10 + (s[i] - '0');
  }
  *out = (int)(neg ? -x : x);
  return true;
}

/* getnum: one or two digits (fixed: exactly two). Advances *v on success. */
static bool getnum(const char **v, size_t *n, bool fixed, int *out) {
  if (!digit_at(*v, *n, 0)) return false;
  if (!digit_at(*v, *n, 1)) {
    if (fixed) return false;
    *out = (*v)[0] - '0';
    (*v)++, (*n)--;
    return true;
  }
  *out = ((*v)[0] - '0') * 10 + ((*v)[1] - '0');
  *v += 2, *n -= 2;
  return true;
}

static int days_in(int month, int year) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) return 29;
  return d[month - 1];
}

enum { E_YEAR, E_MONTH, E_DAY, E_HOUR, E_MIN, E_SEC, E_FRAC6, E_TZ, E_END };

int go_time_parse(const char *s, size_t len, int micro, char *err, size_t errlen) {
  const char *layout = micro ? "2006-01-02T15:04:05.000000Z07:00" : "2006-01-02T15:04:05Z07:00";
  /* (prefix, element) pairs of the layout, as nextStdChunk cuts it */
  static const struct {
    const char *prefix, *std;
    int e;
  } plain[] = {{"", "2006", E_YEAR}, {"-", "01", E_MONTH}, {"-", "02", E_DAY}, {"T", "15", E_HOUR},
               {":", "04", E_MIN}, {":", "05", E_SEC},  {"", "Z07:00", E_TZ}, {"", NULL, E_END}},
    microl[] = {{"", "2006", E_YEAR}, {"-", "01", E_MONTH},    {"-", "02", E_DAY},    {"T", "15", E_HOUR},
                {":", "04", E_MIN},   {":", "05", E_SEC},      {"", ".000000", E_FRAC6}, {"", "Z07:00", E_TZ},
                {"", NULL, E_END}};
  const char *v = s;
  size_t n = len;
  int year = 0, month = 0, day = 0, x = 0;
  for (int i = 0;; i++) {
    const char *prefix = micro ? microl[i].prefix : plain[i].prefix;
    const char *std = micro ? microl[i].std : plain[i].std;
    int e = micro ? microl[i].e : plain[i].e;
    for (const char *p = prefix; *p; p++) {
      if (!n || *v != *p) {
        snprintf(err, errlen, "parsing time \"%.*s\" as \"%s\": cannot parse \"%.*s\" as \"%s\"", (int)len, s, layout,
                 (int)n, v, prefix);
        return -1;
      }
      v++, n--;
    }
    if (e == E_END) {
      if (n) {
        snprintf(err, errlen, "parsing time \"%.*s\": extra text: %.*s", (int)len, s, (int)n, v);
        return -1;
      }
      break;
    }
    bool ok = true;
    const char *range = NULL;
    switch (e) {
    case E_YEAR:
      if (n < 4 || !digit_at(v, n, 0)) ok = false;
      else ok = go_atoi(v, 4, &year), v += 4, n -= 4;
      break;
    case E_MONTH:
      ok = getnum(&v, &n, true, &month);
      if (ok && (month <= 0 || month > 12)) range = "month";
      break;
    case E_DAY:
      ok = getnum(&v, &n, true, &day);
      break;
    case E_HOUR:
      ok = getnum(&v, &n, false, &x);
      if (ok && x >= 24) range = "hour";
      break;
    case E_MIN:
      ok = getnum(&v, &n, true, &x);
      if (ok && x >= 60) range = "minute";
      break;
    case E_SEC:
      ok = getnum(&v, &n, true, &x);
      if (ok && x >= 60) range = "second";
      else if (ok && !micro && n >= 2 && v[0] == '.' && digit_at(v, n, 1)) {
        size_t k = 2; /* a fraction the layout lacks is taken anyway */
        while (digit_at(v, n, k)) k++;
        v += k, n -= k;
      }
      break;
    case E_FRAC6:
      if (n < 7) {
        ok = false;
        break;
      }
      ok = v[0] == '.' && go_atoi(v + 1, 6, &x);
      if (ok && x < 0) range = "fractional second";
      v += 7, n -= 7; /* Go moves on before it reports */
      break;
    case E_TZ:
      if (n >= 1 && v[0] == 'Z') {
        v++, n--;
        break;
      }
      if (n < 6 || v[3] != ':') {
        ok = false;
        break;
      }
      {
        const char *t = v;
        int h, m;
        v += 6, n -= 6;
        ok = go_atoi(t + 1, 2, &h) && go_atoi(t + 4, 2, &m) && (t[0] == '+' || t[0] == '-');
      }
      break;
    }
    if (range) {
      snprintf(err, errlen, "parsing time \"%.*s\": %s out of range", (int)len, s, range);
      return -1;
    }
    if (!ok) {
      snprintf(err, errlen, "parsing time \"%.*s\" as \"%s\": cannot parse \"%.*s\" as \"%s\"", (int)len, s, layout,
               (int)n, v, std);
      return -1;
    }
  }
  if (day < 1 || day > days_in(month, year)) {
    snprintf(err, errlen, "parsing time \"%.*s\": day out of range", (int)len, s);
    return -1;
  }
  return 0;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

static int corrupt(size_t at, char *err, size_t errlen) {
  snprintf(err, errlen, "illegal base64 data at input byte %zu", at);
  return -1;
}

int go_base64_check(const char *s, size_t len, char *err, size_t errlen) {
  size_t si = 0;
  while (si < len) { /* one quantum of four characters, newlines skipped */
    for (int j = 0; j < 4; j++) {
      if (si == len) {
        if (j == 0) return 0;
        return corrupt(si - (size_t)j, err, errlen);
      }
      unsigned char in = (unsigned char)s[si++];
      if (b64_value(in) >= 0) continue;
      if (in == '\n' || in == '\r') {
        j--;
        continue;
      }
      if (in != '=') return corrupt(si - 1, err, errlen);
      if (j < 2) return corrupt(si - 1, err, errlen);
      if (j == 2) {
        while (si < len && (s[si] == '\n' || s[si] == '\r')) si++;
        if (si == len) return corrupt(len, err, errlen);
        if (s[si] != '=') return corrupt(si - 1, err, errlen);
        si++;
      }
      while (si < len && (s[si] == '\n' || s[si] == '\r')) si++;
      if (si < len) return corrupt(si, err, errlen);
      return 0;
    }
  }
  return 0;
}

unsigned char *go_base64_decode(const char *s, size_t len, size_t *outlen) {
  char err[64];
  if (go_base64_check(s, len, err, sizeof err) != 0) return NULL;
  unsigned char *out = malloc(len / 4 * 3 + 4);
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len && s[i] != '='; i++) {
    int v = b64_value((unsigned char)s[i]);
    if (v < 0) continue; /* a newline: the check allowed nothing else */
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  out[o] = 0;
  *outlen = o;
  return out;
}

char *go_base64_encode(const void *data, size_t len) {
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (out) EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  return out;
}

char *go_base64url_encode(const void *data, size_t len) {
  char *out = go_base64_encode(data, len);
  if (!out) return NULL;
  size_t m = strlen(out);
  while (m > 0 && out[m - 1] == '=') m--;
  out[m] = 0;
  for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return out;
}
