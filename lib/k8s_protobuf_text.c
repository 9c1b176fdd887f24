/* k8s_protobuf_text.c - Go's JSON spelling of decoded protobuf values
 * (see k8s_protobuf_text.h): UTF-8 repair, base64, RFC 3339 times computed
 * with a proleptic Gregorian day count (no libc time zone state, so
 * thread-safe and valid for any int64), and Go's Duration.String(). */
#include "k8s_protobuf_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (Go's rules: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if the byte at s is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else return 0;
  if (len < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return n;
}

json_t *pbtext_string(const unsigned char *s, size_t len) {
  size_t i = 0, bad = 0;
  while (i < len) {
    size_t n = utf8_seq(s + i, len - i);
    if (!n) { bad++; n = 1; }
    i += n;
  }
  if (!bad) return json_stringn((const char *)s, len);
  /* Each invalid byte (1 byte) becomes U+FFFD (3 bytes). */
  char *out = malloc(len + 2 * bad);
  if (!out) return NULL;
  size_t o = 0;
  for (i = 0; i < len;) {
    size_t n = utf8_seq(s + i, len - i);
    if (n) {
      memcpy(out + o, s + i, n);
      o += n;
      i += n;
    } else {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    }
  }
  json_t *j = json_stringn(out, o);
  free(out);
  return j;
}

json_t *pbtext_base64(const unsigned char *s, size_t len) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t olen = (len + 2) / 3 * 4;
  char *out = malloc(olen + 1);
  if (!out) return NULL;
  size_t o = 0, i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
    out[o++] = tab[v >> 18 & 63];
    out[o++] = tab[v >> 12 & 63];
    out[o++] = tab[v >> 6 & 63];
    out[o++] = tab[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t)s[i] << 16;
    if (i + 1 < len) v |= (uint32_t)s[i + 1] << 8;
    out[o++] = tab[v >> 18 & 63];
    out[o++] = tab[v >> 12 & 63];
    out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  json_t *j = json_stringn(out, o);
  free(out);
  return j;
}

/* Splits sec + nsec/1e9 into whole seconds and [0, 1e9) nanoseconds
 * without overflow (128-bit intermediate). */
static void normalize(int64_t sec, int64_t nsec, __int128 *s, int64_t *ns) {
  __int128 total = (__int128)sec + nsec / 1000000000;
  int64_t r = nsec % 1000000000;
  if (r < 0) {
    r += 1000000000;
    total -= 1;
  }
  *s = total;
  *ns = r;
}

/* Go's zero Time is January 1, year 1, 00:00:00 UTC. */
#define GO_ZERO_UNIX (-62135596800LL)

int pbtext_time_is_zero(int64_t sec, int64_t nsec) {
  __int128 s;
  int64_t ns;
  normalize(sec, nsec, &s, &ns);
  return s == GO_ZERO_UNIX && ns == 0;
}

char *pbtext_time(int64_t sec, int64_t nsec, int micro, char *buf, size_t len) {
  __int128 s;
  int64_t ns;
  normalize(sec, nsec, &s, &ns);
  __int128 days = s / 86400, rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  /* Civil date from a day count since 1970-01-01 (400-year eras). */
  __int128 z = days + 719468;
  __int128 era = (z >= 0 ? z : z - 146096) / 146097;
  __int128 doe = z - era * 146097;
  __int128 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  __int128 y = yoe + era * 400;
  __int128 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  __int128 mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1);
  int m = (int)(mp < 10 ? mp + 3 : mp - 9);
  if (m <= 2) y += 1;
  int hh = (int)(rem / 3600), mm = (int)(rem / 60 % 60), ss = (int)(rem % 60);
  long long year = (long long)y; /* |y| < 3e11 for any int64 seconds */
  char ybuf[32];
  if (year < 0) snprintf(ybuf, sizeof ybuf, "-%04lld", -year);
  else snprintf(ybuf, sizeof ybuf, "%04lld", year);
  if (micro)
    snprintf(buf, len, "%s-%02d-%02dT%02d:%02d:%02d.%06lldZ", ybuf, m, d, hh,
             mm, ss, (long long)(ns / 1000));
  else
    snprintf(buf, len, "%s-%02d-%02dT%02d:%02d:%02dZ", ybuf, m, d, hh, mm, ss);
  return buf;
}

/* Appends the decimal digits of v, then the fraction frac/10^prec without
 * trailing zeros (and without the point when it is zero). */
static size_t put_num_frac(char *out, uint64_t v, uint64_t frac, int prec) {
  size_t o = (size_t)sprintf(out, "%llu", (unsigned long long)v);
  if (frac) {
    char digits[16];
    snprintf(digits, sizeof digits, "%0*llu", prec, (unsigned long long)frac);
    int n = prec;
    while (n > 0 && digits[n - 1] == '0') n--;
    out[o++] = '.';
    memcpy(out + o, digits, (size_t)n);
    o += (size_t)n;
    out[o] = 0;
  }
  return o;
}

char *pbtext_duration(int64_t d, char *buf, size_t len) {
  char tmp[64];
  size_t o = 0;
  uint64_t u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
  if (d < 0) tmp[o++] = '-';
  if (u == 0) {
    snprintf(buf, len, "0s");
    return buf;
  }
  if (u < 1000000000ULL) {
    const char *unit;
    uint64_t scale;
    int prec;
    if (u < 1000ULL) unit = "ns", scale = 1, prec = 0;
    else if (u < 1000000ULL) unit = "\xC2\xB5s", scale = 1000, prec = 3;
    else unit = "ms", scale = 1000000, prec = 6;
    o += put_num_frac(tmp + o, u / scale, u % scale, prec);
    snprintf(tmp + o, sizeof tmp - o, "%s", unit);
  } else {
    uint64_t secs = u / 1000000000ULL, frac = u % 1000000000ULL;
    uint64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
    if (h) o += (size_t)sprintf(tmp + o, "%lluh", (unsigned long long)h);
    if (h || m) o += (size_t)sprintf(tmp + o, "%llum", (unsigned long long)m);
    o += put_num_frac(tmp + o, s, frac, 9);
    snprintf(tmp + o, sizeof tmp - o, "s");
  }
  snprintf(buf, len, "%s", tmp);
  return buf;
}
