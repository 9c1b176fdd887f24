/* selector.c - label and field selectors with the grammar and error messages
 * of k8s.io/apimachinery 1.20 (pkg/labels, pkg/fields, metav1 helpers).
 * Label selectors are lexed into a token array, then parsed by recursive
 * descent that follows the upstream parser's decisions step by step, because
 * clients see the exact error text ("unable to parse requirement: ...").
 * Requirements are kept sorted by key like upstream, which makes the first
 * reported validation failure the same. Everything here is reentrant: no
 * static mutable state; every selector owns its strings. */
#include "selector.h"
#include "errbuf.h"
#include "strutil.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small growable string, used to build error messages ---- */

typedef struct {
  char *p;
  size_t len, cap;
  bool oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 64;
    while (nc < b->len + n + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) { b->oom = true; return; }
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  if (s[0] < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1F; }
  else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0F; }
  else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07; }
  else return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/* Appends s quoted the way Go's %q does, so messages match byte for byte for
 * ordinary input (non-ASCII printable runes are kept, bad bytes become \xNN). */
static void sb_goquote(sbuf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  sb_putn(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    char tmp[8];
    if (c >= 0x80) {
      size_t l = utf8_len(p + i, n - i);
      if (l) { sb_putn(b, s + i, l); i += l; continue; }
      snprintf(tmp, sizeof tmp, "\\x%02x", c);
      sb_puts(b, tmp);
    } else if (c == '"' || c == '\\') {
      tmp[0] = '\\'; tmp[1] = (char)c;
      sb_putn(b, tmp, 2);
    } else if (c >= 0x20 && c < 0x7f) {
      sb_putn(b, (const char *)&c, 1);
    } else {
      const char *esc = NULL;
      switch (c) {
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
      }
      if (esc) sb_puts(b, esc);
      else { snprintf(tmp, sizeof tmp, "\\x%02x", c); sb_puts(b, tmp); }
    }
    i++;
  }
  sb_putn(b, "\"", 1);
}

static void set_err(char *err, size_t errlen, const char *msg) {
  if (!err || !errlen) return;
  snprintf(err, errlen, "%s", msg ? msg : "out of memory");
}

/* ---- validation (k8s.io/apimachinery/pkg/util/validation) ---- */

#define QNAME_MSG "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define LVALUE_MSG "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
#define DNS_SUB_MSG "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
#define DNS_SUB_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

static bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$ on s[0..n) */
static bool match_qname(const char *s, size_t n) {
  if (n == 0 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1])) return false;
  for (size_t i = 1; i + 1 < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

/* The DNS-1123 subdomain regex: dot-separated labels of [a-z0-9-], each
 * starting and ending with [a-z0-9]. */
static bool match_dns_subdomain(const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '.') {
      if (i == start) return false;
      unsigned char f = (unsigned char)s[start], l = (unsigned char)s[i - 1];
      if (!((f >= 'a' && f <= 'z') || (f >= '0' && f <= '9'))) return false;
      if (!((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9'))) return false;
      start = i + 1;
    } else {
      unsigned char c = (unsigned char)s[i];
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
  }
  return true;
}

/* Go's RegexError text for the given examples. */
static void sb_regex_error(sbuf *b, const char *msg, const char *fmt, const char *const *ex, size_t nex) {
  sb_puts(b, msg);
  sb_puts(b, " (e.g. ");
  for (size_t i = 0; i < nex; i++) {
    if (i) sb_puts(b, " or ");
    sb_puts(b, "'");
    sb_puts(b, ex[i]);
    sb_puts(b, "', ");
  }
  sb_puts(b, "regex used for validation is '");
  sb_puts(b, fmt);
  sb_puts(b, "')");
}

static const char *const qname_examples[] = {"MyName", "my.name", "123-abc"};

/* IsQualifiedName: appends the "; "-joined errors to b; returns error count. */
static int qualified_name_errors(sbuf *b, const char *k) {
  int n = 0;
  const char *slash = strchr(k, '/');
  const char *name = k;
#define SEP() do { if (n++) sb_puts(b, "; "); } while (0)
  if (slash && strchr(slash + 1, '/')) {
    SEP();
    sb_puts(b, "a qualified name ");
    sb_regex_error(b, QNAME_MSG, QNAME_FMT, qname_examples, 3);
    sb_puts(b, " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return n;
  }
  if (slash) {
    size_t plen = (size_t)(slash - k);
    name = slash + 1;
    if (plen == 0) {
      SEP();
      sb_puts(b, "prefix part must be non-empty");
    } else {
      if (plen > 253) { SEP(); sb_puts(b, "prefix part must be no more than 253 characters"); }
      if (!match_dns_subdomain(k, plen)) {
        static const char *const ex[] = {"example.com"};
        SEP();
        sb_puts(b, "prefix part ");
        sb_regex_error(b, DNS_SUB_MSG, DNS_SUB_FMT, ex, 1);
      }
    }
  }
  size_t nl = strlen(name);
  if (nl == 0) { SEP(); sb_puts(b, "name part must be non-empty"); }
  else if (nl > 63) { SEP(); sb_puts(b, "name part must be no more than 63 characters"); }
  if (!match_qname(name, nl)) {
    SEP();
    sb_puts(b, "name part ");
    sb_regex_error(b, QNAME_MSG, QNAME_FMT, qname_examples, 3);
  }
#undef SEP
  return n;
}

/* validateLabelKey: 0, or -1 with the upstream message in err. */
static int validate_label_key(const char *k, char *err, size_t errlen) {
  sbuf e = {0};
  if (!qualified_name_errors(&e, k)) { free(e.p); return 0; }
  sbuf m = {0};
  sb_puts(&m, "invalid label key ");
  sb_goquote(&m, k);
  sb_puts(&m, ": ");
  sb_puts(&m, e.p ? e.p : "");
  set_err(err, errlen, m.oom || e.oom ? NULL : m.p);
  free(e.p);
  free(m.p);
  return -1;
}

static int validate_label_value(const char *k, const char *v, char *err, size_t errlen) {
  size_t n = strlen(v);
  bool too_long = n > 63, bad = n > 0 && !match_qname(v, n);
  if (!too_long && !bad) return 0;
  static const char *const ex[] = {"MyValue", "my_value", "12345"};
  sbuf m = {0};
  sb_puts(&m, "invalid label value: ");
  sb_goquote(&m, v);
  sb_puts(&m, ": at key: ");
  sb_goquote(&m, k);
  sb_puts(&m, ": ");
  if (too_long) sb_puts(&m, "must be no more than 63 characters");
  if (too_long && bad) sb_puts(&m, "; ");
  if (bad) sb_regex_error(&m, LVALUE_MSG, "(" QNAME_FMT ")?", ex, 3);
  set_err(err, errlen, m.oom ? NULL : m.p);
  free(m.p);
  return -1;
}

/* ---- label selector representation ---- */

typedef enum { OP_IN, OP_NOTIN, OP_EQ, OP_DEQ, OP_NEQ, OP_EXISTS, OP_NOTEXISTS, OP_GT, OP_LT } label_op;

typedef struct {
  char *key;
  label_op op;
  char **vals; /* sorted, unique for parsed selectors */
  size_t nvals;
} requirement;

struct label_selector {
  bool nothing; /* a nil metav1.LabelSelector: matches no object */
  requirement *reqs;
  size_t n, cap;
};

static void req_free(requirement *r) {
  free(r->key);
  for (size_t i = 0; i < r->nvals; i++) free(r->vals[i]);
  free(r->vals);
}

void label_selector_free(label_selector *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) req_free(&s->reqs[i]);
  free(s->reqs);
  free(s);
}

static bool parse_i64(const char *s, long long *out) {
  /* strconv.ParseInt(s, 10, 64): optional sign, digits only, in range. */
  const char *p = s;
  bool neg = false;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (!*p) return false;
  unsigned long long v = 0, lim = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    unsigned d = (unsigned)(*p - '0');
    if (v > (lim - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? (long long)(0 - v) : (long long)v;
  return true;
}

/* NewRequirement: validates and appends (taking ownership of key and vals even
 * on failure). Returns 0 or -1 with err set. */
static int add_requirement(label_selector *s, char *key, label_op op, char **vals, size_t nvals,
                           char *err, size_t errlen) {
  requirement r = {key, op, vals, nvals};
  const char *msg = NULL;
  if (validate_label_key(key, err, errlen)) goto fail;
  switch (op) {
    case OP_IN: case OP_NOTIN:
      if (nvals == 0) msg = "for 'in', 'notin' operators, values set can't be empty";
      break;
    case OP_EQ: case OP_DEQ: case OP_NEQ:
      if (nvals != 1) msg = "exact-match compatibility requires one single value";
      break;
    case OP_EXISTS: case OP_NOTEXISTS:
      if (nvals != 0) msg = "values set must be empty for exists and does not exist";
      break;
    case OP_GT: case OP_LT: {
      long long dummy;
      if (nvals != 1) msg = "for 'Gt', 'Lt' operators, exactly one value is required";
      else if (!parse_i64(vals[0], &dummy)) msg = "for 'Gt', 'Lt' operators, the value must be an integer";
      break;
    }
  }
  if (msg) { set_err(err, errlen, msg); goto fail; }
  for (size_t i = 0; i < nvals; i++)
    if (validate_label_value(key, vals[i], err, errlen)) goto fail;
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 4;
    requirement *nr = realloc(s->reqs, nc * sizeof *nr);
    if (!nr) { set_err(err, errlen, NULL); goto fail; }
    s->reqs = nr;
    s->cap = nc;
  }
  s->reqs[s->n++] = r;
  return 0;
fail:
  req_free(&r);
  return -1;
}

static int req_cmp(const void *a, const void *b) {
  return strcmp(((const requirement *)a)->key, ((const requirement *)b)->key);
}

static void sort_requirements(label_selector *s) {
  if (s->n > 1) qsort(s->reqs, s->n, sizeof *s->reqs, req_cmp);
}

/* ---- lexer ---- */

typedef enum {
  T_EOS, T_CPAR, T_COMMA, T_NOT, T_DEQ, T_EQ, T_GT, T_ID, T_IN, T_LT, T_NEQ, T_NOTIN, T_OPAR
} tok_t;

typedef struct {
  tok_t t;
  char *lit;
} token;

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_special(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* Tokenizes all of s. Special symbols are matched longest-first ("==", "!="
 * before "=", "!"), identifiers run to the next blank or special symbol and
 * become keywords only when exactly "in" / "notin". Returns the count or -1. */
static long lex_all(const char *s, token **out) {
  size_t n = 0, cap = 8;
  token *v = malloc(cap * sizeof *v);
  if (!v) return -1;
  const char *p = s ? s : "";
  for (;;) {
    while (is_ws(*p)) p++;
    token t = {T_EOS, NULL};
    size_t len = 0;
    if (!*p) {
      len = 0;
    } else if (is_special(*p)) {
      if ((p[0] == '=' || p[0] == '!') && p[1] == '=') {
        t.t = p[0] == '=' ? T_DEQ : T_NEQ;
        len = 2;
      } else {
        len = 1;
        switch (*p) {
          case '=': t.t = T_EQ; break;
          case '!': t.t = T_NOT; break;
          case '(': t.t = T_OPAR; break;
          case ')': t.t = T_CPAR; break;
          case ',': t.t = T_COMMA; break;
          case '>': t.t = T_GT; break;
          default: t.t = T_LT; break;
        }
      }
    } else {
      while (p[len] && !is_special(p[len]) && !is_ws(p[len])) len++;
      t.t = T_ID;
      if (len == 2 && !memcmp(p, "in", 2)) t.t = T_IN;
      else if (len == 5 && !memcmp(p, "notin", 5)) t.t = T_NOTIN;
    }
    t.lit = strndup(p, len);
    if (!t.lit) goto oom;
    if (n == cap) {
      token *nv = realloc(v, (cap *= 2) * sizeof *v);
      if (!nv) { free(t.lit); goto oom; }
      v = nv;
    }
    v[n++] = t;
    p += len;
    if (t.t == T_EOS) break;
  }
  *out = v;
  return (long)n;
oom:
  for (size_t i = 0; i < n; i++) free(v[i].lit);
  free(v);
  return -1;
}

/* ---- parser ---- */

typedef struct {
  token *toks;
  size_t n, pos;
  char *err;
  size_t errlen;
} parser;

/* In the values context "in"/"notin" are plain identifiers ("x in (in)"). */
static tok_t p_peek(parser *p, bool values, const char **lit) {
  size_t i = p->pos < p->n ? p->pos : p->n - 1;
  tok_t t = p->toks[i].t;
  if (lit) *lit = p->toks[i].lit;
  if (values && (t == T_IN || t == T_NOTIN)) t = T_ID;
  return t;
}

static tok_t p_next(parser *p, bool values, const char **lit) {
  tok_t t = p_peek(p, values, lit);
  if (p->pos < p->n) p->pos++;
  return t;
}

/* A small sorted set of strings (sets.String.List()). */
typedef struct {
  char **v;
  size_t n, cap;
} strset;

static int strset_add(strset *s, const char *x) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->v[i], x)) return 0;
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 4;
    char **nv = realloc(s->v, nc * sizeof *nv);
    if (!nv) return -1;
    s->v = nv;
    s->cap = nc;
  }
  if (!(s->v[s->n] = strdup(x))) return -1;
  s->n++;
  return 0;
}

static void strset_free(strset *s) {
  for (size_t i = 0; i < s->n; i++) free(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

static int perr(parser *p, const char *fmt, const char *lit) {
  errbuf_printf(p->err, p->errlen, fmt, lit);
  return -1;
}

#define SET_ADD(set, x) do { if (strset_add(set, x)) { set_err(p->err, p->errlen, NULL); return -1; } } while (0)

/* The items between "(" and ")", empty items allowed ("(a,,b)", "(,)"). */
static int parse_identifiers(parser *p, strset *set) {
  for (;;) {
    const char *lit, *lit2;
    tok_t t = p_next(p, true, &lit);
    if (t == T_ID) {
      SET_ADD(set, lit);
      tok_t t2 = p_peek(p, true, &lit2);
      if (t2 == T_COMMA) continue;
      if (t2 == T_CPAR) return 0;
      return perr(p, "found '%s', expected: ',' or ')'", lit2);
    } else if (t == T_COMMA) {
      if (set->n == 0) SET_ADD(set, "");
      tok_t t2 = p_peek(p, true, NULL);
      if (t2 == T_CPAR) { SET_ADD(set, ""); return 0; }
      if (t2 == T_COMMA) { p_next(p, true, NULL); SET_ADD(set, ""); }
    } else {
      return perr(p, "found '%s', expected: ',', or identifier", lit);
    }
  }
}

static int parse_values(parser *p, strset *set) {
  const char *lit;
  tok_t t = p_next(p, true, &lit);
  if (t != T_OPAR) return perr(p, "found '%s' expected: '('", lit);
  t = p_peek(p, true, &lit);
  if (t == T_ID || t == T_COMMA) {
    if (parse_identifiers(p, set)) return -1;
    if (p_next(p, true, NULL) != T_CPAR) return perr(p, "found '%s', expected: ')'", lit);
    return 0;
  }
  if (t == T_CPAR) {
    p_next(p, true, NULL);
    SET_ADD(set, "");
    return 0;
  }
  return perr(p, "found '%s', expected: ',', ')' or identifier", lit);
}

static int parse_exact_value(parser *p, strset *set) {
  const char *lit;
  tok_t t = p_peek(p, true, NULL);
  if (t == T_EOS || t == T_COMMA) { SET_ADD(set, ""); return 0; }
  t = p_next(p, true, &lit);
  if (t == T_ID) { SET_ADD(set, lit); return 0; }
  return perr(p, "found '%s', expected: identifier", lit);
}

/* One requirement, appended to s. Errors are left unprefixed in p->err. */
static int parse_requirement(parser *p, label_selector *s) {
  const char *lit;
  bool negated = false;
  tok_t t = p_next(p, true, &lit);
  if (t == T_NOT) { negated = true; t = p_next(p, true, &lit); }
  if (t != T_ID) return perr(p, "found '%s', expected: identifier", lit);
  if (validate_label_key(lit, p->err, p->errlen)) return -1;
  char *key = strdup(lit);
  if (!key) { set_err(p->err, p->errlen, NULL); return -1; }
  tok_t la = p_peek(p, true, NULL);
  if (negated || la == T_EOS || la == T_COMMA)
    return add_requirement(s, key, negated ? OP_NOTEXISTS : OP_EXISTS, NULL, 0, p->err, p->errlen);

  label_op op;
  t = p_next(p, false, &lit);
  switch (t) {
    case T_IN: op = OP_IN; break;
    case T_EQ: op = OP_EQ; break;
    case T_DEQ: op = OP_DEQ; break;
    case T_GT: op = OP_GT; break;
    case T_LT: op = OP_LT; break;
    case T_NOTIN: op = OP_NOTIN; break;
    case T_NEQ: op = OP_NEQ; break;
    default:
      free(key);
      return perr(p, "found '%s', expected: '=', '!=', '==', 'in', notin'", lit);
  }
  strset set = {0};
  int rc = (op == OP_IN || op == OP_NOTIN) ? parse_values(p, &set) : parse_exact_value(p, &set);
  if (rc) { strset_free(&set); free(key); return -1; }
  if (set.n > 1) qsort(set.v, set.n, sizeof *set.v, strp_cmp);
  return add_requirement(s, key, op, set.v, set.n, p->err, p->errlen);
}

static label_selector *new_selector(char *err, size_t errlen) {
  label_selector *s = calloc(1, sizeof *s);
  if (!s) set_err(err, errlen, NULL);
  return s;
}

label_selector *label_selector_parse(const char *str, char *err, size_t errlen) {
  label_selector *s = new_selector(err, errlen);
  if (!s) return NULL;
  token *toks;
  long nt = lex_all(str, &toks);
  if (nt < 0) { set_err(err, errlen, NULL); free(s); return NULL; }
  parser p = {toks, (size_t)nt, 0, err, errlen};
  bool ok = false;
  for (;;) {
    const char *lit;
    tok_t t = p_peek(&p, true, &lit);
    if (t == T_EOS) { ok = true; break; }
    if (t != T_ID && t != T_NOT) {
      perr(&p, "found '%s', expected: !, identifier, or 'end of string'", lit);
      break;
    }
    if (parse_requirement(&p, s)) {
      if (err && errlen) {
        char *inner = strdup(err);
        errbuf_printf(err, errlen, "unable to parse requirement: %s", inner ? inner : "out of memory");
        free(inner);
      }
      break;
    }
    t = p_next(&p, true, &lit);
    if (t == T_EOS) { ok = true; break; }
    if (t != T_COMMA) {
      perr(&p, "found '%s', expected: ',' or 'end of string'", lit);
      break;
    }
    t = p_peek(&p, true, &lit);
    if (t != T_ID && t != T_NOT) {
      perr(&p, "found '%s', expected: identifier after ','", lit);
      break;
    }
  }
  for (long i = 0; i < nt; i++) free(toks[i].lit);
  free(toks);
  if (!ok) { label_selector_free(s); return NULL; }
  sort_requirements(s);
  return s;
}

label_selector *label_selector_from_json(const json_t *sel, char *err, size_t errlen) {
  label_selector *s = new_selector(err, errlen);
  if (!s) return NULL;
  if (!sel || json_is_null(sel)) { s->nothing = true; return s; }
  if (!json_is_object(sel)) {
    set_err(err, errlen, "json: cannot unmarshal selector: expected an object");
    goto fail;
  }
  json_t *ml = json_object_get(sel, "matchLabels");
  json_t *me = json_object_get(sel, "matchExpressions");
  if (ml && !json_is_null(ml)) {
    if (!json_is_object(ml)) { set_err(err, errlen, "json: matchLabels must be an object"); goto fail; }
    const char *k;
    json_t *v;
    json_object_foreach(ml, k, v) {
      /* Go decodes a JSON null into a string field as "". */
      if (!json_is_string(v) && !json_is_null(v)) {
        set_err(err, errlen, "json: matchLabels values must be strings");
        goto fail;
      }
      char *key = strdup(k), **vals = malloc(sizeof *vals);
      char *val = strdup(json_is_string(v) ? json_string_value(v) : "");
      if (!key || !vals || !val) {
        free(key); free(vals); free(val);
        set_err(err, errlen, NULL);
        goto fail;
      }
      vals[0] = val;
      if (add_requirement(s, key, OP_EQ, vals, 1, err, errlen)) goto fail;
    }
  }
  if (me && !json_is_null(me)) {
    if (!json_is_array(me)) { set_err(err, errlen, "json: matchExpressions must be an array"); goto fail; }
    size_t i;
    json_t *e;
    json_array_foreach(me, i, e) {
      if (!json_is_object(e)) { set_err(err, errlen, "json: matchExpressions items must be objects"); goto fail; }
      json_t *jk = json_object_get(e, "key"), *jo = json_object_get(e, "operator");
      json_t *jv = json_object_get(e, "values");
      if ((jk && !json_is_string(jk) && !json_is_null(jk)) || (jo && !json_is_string(jo) && !json_is_null(jo)) ||
          (jv && !json_is_array(jv) && !json_is_null(jv))) {
        set_err(err, errlen, "json: matchExpressions item has fields of the wrong type");
        goto fail;
      }
      const char *ops = json_is_string(jo) ? json_string_value(jo) : "";
      label_op op;
      if (!strcmp(ops, "In")) op = OP_IN;
      else if (!strcmp(ops, "NotIn")) op = OP_NOTIN;
      else if (!strcmp(ops, "Exists")) op = OP_EXISTS;
      else if (!strcmp(ops, "DoesNotExist")) op = OP_NOTEXISTS;
      else {
        sbuf m = {0};
        sb_goquote(&m, ops);
        sb_puts(&m, " is not a valid pod selector operator");
        set_err(err, errlen, m.oom ? NULL : m.p);
        free(m.p);
        goto fail;
      }
      size_t nv = json_is_array(jv) ? json_array_size(jv) : 0;
      char *key = strdup(json_is_string(jk) ? json_string_value(jk) : "");
      char **vals = calloc(nv ? nv : 1, sizeof *vals);
      if (!key || !vals) { free(key); free(vals); set_err(err, errlen, NULL); goto fail; }
      for (size_t j = 0; j < nv; j++) {
        json_t *x = json_array_get(jv, j);
        bool ok_type = json_is_string(x) || json_is_null(x);
        if (!ok_type || !(vals[j] = strdup(json_is_string(x) ? json_string_value(x) : ""))) {
          for (size_t q = 0; q < j; q++) free(vals[q]);
          free(vals);
          free(key);
          set_err(err, errlen, ok_type ? NULL : "json: matchExpressions values must be strings");
          goto fail;
        }
      }
      if (add_requirement(s, key, op, vals, nv, err, errlen)) goto fail;
    }
  }
  sort_requirements(s);
  return s;
fail:
  label_selector_free(s);
  return NULL;
}

static bool req_has(const requirement *r, const char *v) {
  for (size_t i = 0; i < r->nvals; i++)
    if (!strcmp(r->vals[i], v)) return true;
  return false;
}

static bool req_matches(const requirement *r, const json_t *labels) {
  json_t *jv = labels ? json_object_get(labels, r->key) : NULL;
  /* A label with a non-string value cannot come from a valid object; treat
   * it as absent rather than guessing a value. */
  const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
  switch (r->op) {
    case OP_IN: case OP_EQ: case OP_DEQ: return v && req_has(r, v);
    case OP_NOTIN: case OP_NEQ: return !v || !req_has(r, v);
    case OP_EXISTS: return v != NULL;
    case OP_NOTEXISTS: return v == NULL;
    case OP_GT: case OP_LT: {
      long long lv, rv;
      if (!v || r->nvals != 1 || !parse_i64(v, &lv) || !parse_i64(r->vals[0], &rv)) return false;
      return r->op == OP_GT ? lv > rv : lv < rv;
    }
  }
  return false;
}

bool label_selector_matches(const label_selector *s, const json_t *labels) {
  if (!s || s->nothing) return false;
  if (labels && !json_is_object(labels)) labels = NULL;
  for (size_t i = 0; i < s->n; i++)
    if (!req_matches(&s->reqs[i], labels)) return false;
  return true;
}

bool label_selector_is_empty(const label_selector *s) {
  return s && !s->nothing && s->n == 0;
}

/* ---- field selectors ---- */

typedef struct {
  char *field, *value;
  bool negate;
} field_req;

struct field_selector {
  field_req *reqs;
  size_t n;
};

void field_selector_free(field_selector *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) {
    free(s->reqs[i].field);
    free(s->reqs[i].value);
  }
  free(s->reqs);
  free(s);
}

/* Appends the rune starting at p (n bytes left) to b the way Go's
 * WriteRune(range-decoded rune) would: invalid bytes become U+FFFD.
 * Returns the number of input bytes consumed. */
static size_t sb_put_rune(sbuf *b, const char *p, size_t n) {
  size_t l = utf8_len((const unsigned char *)p, n);
  if (l) { sb_putn(b, p, l); return l; }
  sb_puts(b, "\xEF\xBF\xBD");
  return 1;
}

/* UnescapeValue: returns a malloc'd value or NULL with err set. */
static char *unescape_value(const char *s, char *err, size_t errlen) {
  if (!strpbrk(s, "\\,=")) {
    char *d = strdup(s);
    if (!d) set_err(err, errlen, NULL);
    return d;
  }
  sbuf b = {0};
  sb_putn(&b, "", 0);
  size_t n = strlen(s);
  bool in_slash = false;
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if (in_slash) {
      if (c == '\\' || c == ',' || c == '=') {
        sb_putn(&b, &c, 1);
        i++;
      } else {
        sbuf seq = {0};
        sb_puts(&seq, "invalid field selector: invalid escape sequence: \\");
        sb_put_rune(&seq, s + i, n - i);
        set_err(err, errlen, seq.oom ? NULL : seq.p);
        free(seq.p);
        free(b.p);
        return NULL;
      }
      in_slash = false;
      continue;
    }
    if (c == '\\') { in_slash = true; i++; }
    else if (c == ',' || c == '=') {
      errbuf_printf(err, errlen, "invalid field selector: unescaped character in value: %d", c);
      free(b.p);
      return NULL;
    } else {
      i += sb_put_rune(&b, s + i, n - i);
    }
  }
  if (in_slash) {
    set_err(err, errlen, "invalid field selector: invalid escape sequence: \\");
    free(b.p);
    return NULL;
  }
  if (b.oom) { free(b.p); set_err(err, errlen, NULL); return NULL; }
  return b.p;
}

/* Appends the "invalid selector: '<sel>'; can't understand '<part>'" error. */
static void bad_term(const char *sel, const char *part, char *err, size_t errlen) {
  errbuf_printf(err, errlen, "invalid selector: '%s'; can't understand '%s'", sel, part);
}

field_selector *field_selector_parse(const char *str, char *err, size_t errlen) {
  field_selector *s = calloc(1, sizeof *s);
  if (!s) { set_err(err, errlen, NULL); return NULL; }
  if (!str || !*str) return s;
  /* Split on commas not preceded by a backslash escape; the terms keep their
   * escapes, and are sorted like upstream so errors name the same term. */
  size_t len = strlen(str), nterms = 1;
  for (size_t i = 0; i < len; i++) {
    if (str[i] == '\\') i++;
    else if (str[i] == ',') nterms++;
  }
  char **terms = calloc(nterms, sizeof *terms);
  s->reqs = calloc(nterms, sizeof *s->reqs);
  if (!terms || !s->reqs) goto oom;
  size_t t = 0, start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < len; i++) {
    if (in_slash) in_slash = false;
    else if (str[i] == '\\') in_slash = true;
    else if (str[i] == ',') {
      if (!(terms[t++] = strndup(str + start, i - start))) goto oom;
      start = i + 1;
    }
  }
  if (!(terms[t++] = strndup(str + start, len - start))) goto oom;
  nterms = t;
  qsort(terms, nterms, sizeof *terms, strp_cmp);
  for (size_t i = 0; i < nterms; i++) {
    const char *part = terms[i];
    if (!*part) continue;
    /* The first operator occurrence splits; "!=" and "==" win over "=". */
    const char *op = NULL;
    size_t oplen = 0;
    for (const char *q = part; *q && !op; q++) {
      if ((q[0] == '!' || q[0] == '=') && q[1] == '=') { op = q; oplen = 2; }
      else if (q[0] == '=') { op = q; oplen = 1; }
    }
    if (!op) { bad_term(str, part, err, errlen); goto fail; }
    char *value = unescape_value(op + oplen, err, errlen);
    if (!value) goto fail;
    char *field = strndup(part, (size_t)(op - part));
    if (!field) { free(value); goto oom; }
    s->reqs[s->n++] = (field_req){field, value, op[0] == '!'};
  }
  for (size_t i = 0; i < nterms; i++) free(terms[i]);
  free(terms);
  return s;
oom:
  set_err(err, errlen, NULL);
fail:
  if (terms)
    for (size_t i = 0; i < nterms; i++) free(terms[i]);
  free(terms);
  field_selector_free(s);
  return NULL;
}

size_t field_selector_count(const field_selector *s) { return s ? s->n : 0; }

const char *field_selector_field(const field_selector *s, size_t i) {
  return s && i < s->n ? s->reqs[i].field : NULL;
}

const char *field_selector_equals(const field_selector *s, const char *field) {
  if (!s || !field) return NULL;
  for (size_t i = 0; i < s->n; i++)
    if (!s->reqs[i].negate && !strcmp(s->reqs[i].field, field)) return s->reqs[i].value;
  return NULL;
}

bool field_selector_matches(const field_selector *s, field_getter get, void *ctx) {
  if (!s) return true;
  for (size_t i = 0; i < s->n; i++) {
    const char *v = get ? get(s->reqs[i].field, ctx) : NULL;
    bool eq = !strcmp(v ? v : "", s->reqs[i].value);
    if (eq == s->reqs[i].negate) return false;
  }
  return true;
}
