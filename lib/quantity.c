/* quantity.c - resource.Quantity semantics of k8s.io/apimachinery 1.20 on an
 * exact decimal (a 128-bit mantissa times a power of ten, kept normalized
 * with no trailing zeros in the mantissa). Parsing follows the upstream
 * scanner and rounding (up to nano units, away from zero; binary values
 * capped at 2^63-1); formatting follows Quantity.String(), including its
 * habit of echoing the input when the input already looks canonical, which
 * quantity_canonicalize reproduces. Inputs too long for 38 significant
 * digits are refused (Kubernetes would accept them with arbitrary
 * precision); everything else matches upstream. Pure functions, reentrant. */
#include "quantity.h"

#include <stdio.h>
#include <string.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

#define MAX_DIGITS 38
/* Exponents beyond this are refused so exponent arithmetic cannot overflow. */
#define MAX_EXP 1000000000

static const u128 U128_MAX = ~(u128)0;
static const i128 I128_MAX = (i128)(~(u128)0 >> 1);

static u128 pow10u(int n) {
  u128 r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

static int ndigits(u128 v) {
  int n = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}

static u128 uabs(i128 v) { return v < 0 ? (u128)0 - (u128)v : (u128)v; }

/* Moves factors of ten from the mantissa into the exponent. */
static quantity normalize(quantity q) {
  if (q.mantissa == 0) { q.exp10 = 0; return q; }
  while (q.mantissa % 10 == 0) { q.mantissa /= 10; q.exp10++; }
  return q;
}

/* Divides |m| by 10^n rounding away from zero (Kubernetes rounds up so that
 * a tiny request still gets something). */
static u128 div_round_up(u128 m, int n) {
  if (n > MAX_DIGITS) return m ? 1 : 0;
  u128 d = pow10u(n), r = m / d;
  return m % d ? r + 1 : r;
}

static int suffix_exp(const char *s, size_t n, int *base, long long *exp, quantity_format *fmt) {
  static const struct { const char *s; int base, exp; } tab[] = {
      {"", 10, 0}, {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3}, {"M", 10, 6},
      {"G", 10, 9}, {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18}, {"Ki", 2, 10}, {"Mi", 2, 20},
      {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60}};
  for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
    if (strlen(tab[i].s) == n && !memcmp(tab[i].s, s, n)) {
      *base = tab[i].base;
      *exp = tab[i].exp;
      *fmt = tab[i].base == 2 ? QTY_BINARY_SI : QTY_DECIMAL_SI;
      return 0;
    }
  }
  if (n < 2 || (s[0] != 'e' && s[0] != 'E')) return -1;
  /* strconv.ParseInt(s[1:], 10, 64) then a cast to int32, which wraps. */
  size_t i = 1;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
  if (i == n) return -1;
  unsigned long long v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (9223372036854775808ULL - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (!neg && v > 9223372036854775807ULL) return -1;
  unsigned long long w = neg ? 0 - v : v;
  *exp = (int32_t)(uint32_t)w;
  *base = 10;
  *fmt = QTY_DECIMAL_EXPONENT;
  return 0;
}

/* The pieces upstream's scanner finds: sign, integer digits (leading zeros
 * stripped), fraction digits and the suffix text. */
typedef struct {
  bool neg;
  const char *num, *den, *suf;
  size_t nnum, nden, nsuf;
} qparts;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int scan(const char *s, qparts *p) {
  size_t i = 0, n = strlen(s);
  memset(p, 0, sizeof *p);
  if (n == 0) return -1;
  if (s[0] == '-' || s[0] == '+') p->neg = s[i++] == '-';
  while (i < n && s[i] == '0') i++;
  p->num = s + i;
  while (i < n && is_digit(s[i])) i++;
  p->nnum = (size_t)(s + i - p->num);
  if (i < n && s[i] == '.') {
    i++;
    p->den = s + i;
    while (i < n && is_digit(s[i])) i++;
    p->nden = (size_t)(s + i - p->den);
  }
  p->suf = s + i;
  while (i < n && strchr("eEinumkKMGTP", s[i])) i++;
  if (i < n && (s[i] == '-' || s[i] == '+')) i++;
  while (i < n && is_digit(s[i])) i++;
  if (i != n) return -1;
  p->nsuf = (size_t)(s + n - p->suf);
  return 0;
}

int quantity_parse(const char *s, quantity *out) {
  qparts p;
  int base;
  long long exp;
  quantity_format fmt;
  if (!s || scan(s, &p) || suffix_exp(p.suf, p.nsuf, &base, &exp, &fmt)) return -1;

  /* Significant digits of num.den without leading/trailing zeros; tz counts
   * the dropped trailing zeros (they move into the exponent). */
  char digits[2 * MAX_DIGITS + 2];
  size_t nd = 0, total = p.nnum + p.nden;
  size_t first = 0, last = total; /* [first, last) in the concatenation */
  #define DIGIT(k) ((k) < p.nnum ? p.num[k] : p.den[(k) - p.nnum])
  while (first < total && DIGIT(first) == '0') first++;
  while (last > first && DIGIT(last - 1) == '0') last--;
  long long e10 = (long long)(total - last) - (long long)p.nden; /* exponent of the last kept digit */
  quantity q = {0, 0, fmt};
  if (first == last) {
    /* Zero: a binary zero keeps its format (it prints as "0" anyway). */
    if (out) *out = q;
    return 0;
  }
  bool sticky = false; /* a nonzero digit was dropped by nano rounding */
  if (base == 10) e10 += exp;
  /* Decimal values are rounded up to nano units right away; binary ones
   * after multiplying by the power of two. */
  if (base == 10 && e10 < -9) {
    long long drop = -9 - e10;
    if ((long long)(last - first) <= drop) {
      last = first;
      sticky = true;
    } else {
      for (size_t k = last - (size_t)drop; k < last; k++)
        if (DIGIT(k) != '0') sticky = true;
      last -= (size_t)drop;
    }
    e10 = -9;
  }
  if (last - first > MAX_DIGITS) return -1;
  for (size_t k = first; k < last; k++) digits[nd++] = DIGIT(k);
  #undef DIGIT
  u128 m = 0;
  for (size_t k = 0; k < nd; k++) m = m * 10 + (u128)(digits[k] - '0');
  if (base == 10) {
    if (sticky) m += 1;
    if (m > (u128)I128_MAX) return -1;
    if (e10 > MAX_EXP || e10 < -MAX_EXP) return -1;
  } else {
    /* value = m * 10^e10 * 2^exp, with e10 <= 0 here unless trailing zeros. */
    for (long long k = 0; k < exp; k++) {
      if (m > U128_MAX / 2) return -1;
      m *= 2;
    }
    while (e10 > 0) {
      if (m > U128_MAX / 10) { m = U128_MAX; break; }
      m *= 10;
      e10--;
    }
    if (e10 < -9) {
      m = div_round_up(m, (int)(-9 - e10));
      e10 = -9;
    }
    /* Binary quantities are capped at 2^63-1 in magnitude. */
    const u128 cap = (u128)9223372036854775807ULL;
    int dg = ndigits(m);
    bool over = e10 >= 0 ? (dg + e10 > 19 || m * pow10u((int)e10) > cap)
                         : (m / pow10u((int)-e10) > cap ||
                            (m / pow10u((int)-e10) == cap && m % pow10u((int)-e10)));
    if (over) { m = cap; e10 = 0; }
    if (e10 < 0 && m < pow10u((int)-e10)) q.format = QTY_DECIMAL_SI;
    if (m > (u128)I128_MAX) return -1;
  }
  q.mantissa = p.neg ? -(i128)m : (i128)m;
  q.exp10 = (int32_t)e10;
  q = normalize(q);
  if (out) *out = q;
  return 0;
}

/* Order of magnitude used to compare without overflowing: digits + exponent. */
static long long magnitude(const quantity *q) { return (long long)ndigits(uabs(q->mantissa)) + q->exp10; }

static int cmp_abs(const quantity *a, const quantity *b) {
  u128 ma = uabs(a->mantissa), mb = uabs(b->mantissa);
  if (ma == 0 || mb == 0) return ma ? 1 : (mb ? -1 : 0);
  long long ga = magnitude(a), gb = magnitude(b);
  if (ga != gb) return ga < gb ? -1 : 1;
  /* Same magnitude: scaling the shorter mantissa up cannot overflow. */
  if (a->exp10 > b->exp10) ma *= pow10u(a->exp10 - b->exp10);
  else if (b->exp10 > a->exp10) mb *= pow10u(b->exp10 - a->exp10);
  return ma < mb ? -1 : ma > mb;
}

int quantity_cmp(const quantity *a, const quantity *b) {
  int sa = (a->mantissa > 0) - (a->mantissa < 0), sb = (b->mantissa > 0) - (b->mantissa < 0);
  if (sa != sb) return sa < sb ? -1 : 1;
  int c = cmp_abs(a, b);
  return sa < 0 ? -c : c;
}

/* Exact when the aligned operands fit in 128 bits, which covers every value
 * a cluster holds; otherwise the smaller operand loses its low digits. */
static quantity add_signed(const quantity *a, i128 bm, int32_t be, quantity_format bfmt) {
  quantity r = {0, 0, a->format};
  if (a->mantissa == 0) {
    r.format = bfmt;
    r.mantissa = bm;
    r.exp10 = be;
    return normalize(r);
  }
  if (bm == 0) return normalize(*a);
  i128 am = a->mantissa;
  int32_t ae = a->exp10;
  /* Bring the larger exponent down while it fits, then the smaller up. */
  while (ae > be && uabs(am) <= (u128)I128_MAX / 20) { am *= 10; ae--; }
  while (be > ae && uabs(bm) <= (u128)I128_MAX / 20) { bm *= 10; be--; }
  /* Still apart: the operand with the smaller exponent is far below the
   * other's precision; truncate its low digits. */
  if (ae < be) { am = be - ae > MAX_DIGITS ? 0 : am / (i128)pow10u(be - ae); ae = be; }
  if (be < ae) { bm = ae - be > MAX_DIGITS ? 0 : bm / (i128)pow10u(ae - be); be = ae; }
  /* Both now below I128_MAX/2 in magnitude unless one was already huge. */
  if ((am > 0 && bm > I128_MAX - am) || (am < 0 && bm < -I128_MAX - am)) {
    am /= 10; bm /= 10; ae++;
  }
  r.mantissa = am + bm;
  r.exp10 = ae;
  return normalize(r);
}

quantity quantity_add(const quantity *a, const quantity *b) {
  return add_signed(a, b->mantissa, b->exp10, b->format);
}

quantity quantity_sub(const quantity *a, const quantity *b) {
  return add_signed(a, -b->mantissa, b->exp10, b->format);
}

/* ceil-away-from-zero(q * 10^shift) saturated to int64. */
static int64_t scaled(const quantity *q, int shift) {
  i128 m = q->mantissa;
  if (m == 0) return 0;
  long long e = (long long)q->exp10 + shift;
  u128 a = uabs(m);
  const u128 lim = m < 0 ? (u128)9223372036854775808ULL : (u128)9223372036854775807ULL;
  if (e >= 0) {
    if (e > 19 || ndigits(a) + e > 20) a = lim;
    else {
      a *= pow10u((int)e);
      if (a > lim) a = lim;
    }
  } else {
    a = div_round_up(a, (int)(-e > 40 ? 40 : -e));
    if (a > lim) a = lim;
  }
  return m < 0 ? (int64_t)(0 - (uint64_t)a) : (int64_t)a;
}

int64_t quantity_milli(const quantity *q) { return scaled(q, 3); }
int64_t quantity_value(const quantity *q) { return scaled(q, 0); }
int64_t quantity_nano(const quantity *q) { return scaled(q, 9); }

static void u128_str(u128 v, char *out) {
  char tmp[48];
  int n = 0;
  do { tmp[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
}

static const char *dec_suffix(long long e) {
  switch (e) {
    case -9: return "n";
    case -6: return "u";
    case -3: return "m";
    case 0: return "";
    case 3: return "k";
    case 6: return "M";
    case 9: return "G";
    case 12: return "T";
    case 15: return "P";
    case 18: return "E";
  }
  /* Upstream prints no suffix for exponents it has no name for. */
  return "";
}

char *quantity_format_str(const quantity *qin, char *buf, size_t len) {
  if (!buf || !len) return buf;
  quantity q = normalize(*qin);
  if (q.mantissa == 0) { snprintf(buf, len, "0"); return buf; }
  u128 a = uabs(q.mantissa);
  const char *sign = q.mantissa < 0 ? "-" : "";
  char digits[48];
  quantity_format fmt = q.format;
  if (fmt == QTY_BINARY_SI) {
    /* Binary only for integers of magnitude >= 1024; else decimal. */
    quantity k1024 = {1024, 0, QTY_DECIMAL_SI};
    quantity aq = {(i128)a, q.exp10, fmt};
    if (quantity_cmp(&aq, &k1024) < 0 || q.exp10 < 0 || ndigits(a) + q.exp10 > MAX_DIGITS) {
      fmt = QTY_DECIMAL_SI;
    } else {
      u128 v = a * pow10u(q.exp10);
      int k = 0;
      while (v % 1024 == 0) { v /= 1024; k++; }
      static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
      u128_str(v, digits);
      snprintf(buf, len, "%s%s%s", sign, digits, k <= 6 ? bin[k] : "");
      return buf;
    }
  }
  /* Exponent down to a multiple of three, the mantissa gaining zeros. */
  long long e = q.exp10;
  int zeros = 0;
  while (((e % 3) + 3) % 3) { e--; zeros++; }
  u128_str(a, digits);
  size_t dl = strlen(digits);
  while (zeros-- > 0) digits[dl++] = '0';
  digits[dl] = 0;
  if (fmt == QTY_DECIMAL_EXPONENT) {
    if (e == 0) snprintf(buf, len, "%s%s", sign, digits);
    else snprintf(buf, len, "%s%se%lld", sign, digits, e);
  } else {
    snprintf(buf, len, "%s%s%s", sign, digits, dec_suffix(e));
  }
  return buf;
}

/* Upstream keeps the caller's text as the canonical form when its fast path
 * sees a short number whose scale is a multiple of three without three
 * trailing zeros ("+1", "007", "1e3", "1500m" are echoed as written), or a
 * binary value not divisible by 8 ("1Ki", "1023Ki"). */
static bool echoes_input(const char *s) {
  qparts p;
  int base;
  long long exp;
  quantity_format fmt;
  if (scan(s, &p) || suffix_exp(p.suf, p.nsuf, &base, &exp, &fmt)) return false;
  size_t nnum = p.nnum ? p.nnum : 1; /* an empty integer part counts as "0" */
  if (fmt == QTY_BINARY_SI) {
    if (p.nden || 14 - (long long)nnum - 3 * (exp / 10) < 0) return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < p.nnum; i++) v = v * 10 + (unsigned)(p.num[i] - '0');
    return (v & 7) != 0;
  }
  if (18 - (long long)(nnum + p.nden) < 0) return false;
  int32_t scale = (int32_t)(uint32_t)((unsigned long long)exp - p.nden);
  if (scale < -9 || scale % 3 != 0) return false;
  if (p.nnum == 0) return false; /* shifted starts with '0' */
  char last3[3];
  size_t tot = p.nnum + p.nden;
  if (tot >= 3) {
    for (int i = 0; i < 3; i++) {
      size_t k = tot - 3 + (size_t)i;
      last3[i] = k < p.nnum ? p.num[k] : p.den[k - p.nnum];
    }
    if (!memcmp(last3, "000", 3)) return false;
  }
  return true;
}

int quantity_canonicalize(const char *s, char *buf, size_t len) {
  quantity q;
  if (quantity_parse(s, &q)) return -1;
  if (echoes_input(s)) snprintf(buf, len, "%s", s);
  else quantity_format_str(&q, buf, len);
  return 0;
}
