/* decode_check.c - see decode_check.h. A scanner walks the body's bytes the
 * way json-iterator's decoders do (nextToken, ReadNil, readObjectStart,
 * ReadMapCB, decode slice, readUint32, the unmarshalers of Time, MicroTime,
 * Quantity and IntOrString, base64 for []byte), stops at the first value Go
 * would refuse, and words the error as json-iterator does: the operation,
 * the bytes around its read position, then on the way out each struct field
 * ("Data: "), struct type ("v1.ConfigMap.") and slice type ("[]v1.Container: ")
 * that held it. The body is valid JSON (it was parsed before). */
#include "decode_check.h"
#include "go_errors.h"
#include "quantity.h"
#include "status.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

enum { F_INLINE = 4, F_SKIP = 8, F_REPEATED = 16 };

typedef struct {
  const json_t *msgs;
  const char *buf;
  size_t len, pos;
  char *err; /* the message once a value is refused, prefixes added on the way out */
  int depth;
} scan;

static void prepend(scan *s, const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), le = strlen(s->err);
  char *n = malloc(la + lb + le + 1);
  memcpy(n, a, la);
  memcpy(n + la, b, lb);
  memcpy(n + la + lb, s->err, le + 1);
  free(s->err);
  s->err = n;
}

/* iter.ReportError: operation, message, and the bytes around the head. */
static void report(scan *s, const char *op, const char *msg) {
  if (s->err) return;
  size_t head = s->pos > s->len ? s->len : s->pos;
  size_t ps = head > 10 ? head - 10 : 0, pe = head + 10 < s->len ? head + 10 : s->len;
  size_t cs = head > 50 ? head - 50 : 0, ce = head + 50 < s->len ? head + 50 : s->len;
  size_t n = strlen(op) + strlen(msg) + (pe - ps) + (ce - cs) + 128;
  s->err = malloc(n);
  snprintf(s->err, n, "%s: %s, error found in #%zu byte of ...|%.*s|..., bigger context ...|%.*s|...", op, msg,
           head - ps, (int)(pe - ps), s->buf + ps, (int)(ce - cs), s->buf + cs);
}

static void report_char(scan *s, const char *op, const char *what, char c) {
  char msg[96];
  snprintf(msg, sizeof msg, "%s%c", what, c);
  report(s, op, msg);
}

static void skip_ws(scan *s) {
  while (s->pos < s->len && strchr(" \t\n\r", s->buf[s->pos]) && s->buf[s->pos]) s->pos++;
}

static char next_token(scan *s) {
  skip_ws(s);
  return s->pos < s->len ? s->buf[s->pos++] : 0;
}

static char peek(scan *s) {
  skip_ws(s);
  return s->pos < s->len ? s->buf[s->pos] : 0;
}

/* From just after an opening quote to just after the closing one. */
static void skip_string_body(scan *s) {
  while (s->pos < s->len && s->buf[s->pos] != '"') s->pos += s->buf[s->pos] == '\\' ? 2 : 1;
  s->pos++;
}

/* Skips one value; returns its first byte's offset. */
static size_t skip_value(scan *s) {
  skip_ws(s);
  size_t start = s->pos;
  if (s->pos >= s->len) return start;
  char c = s->buf[s->pos++];
  if (c == '"') {
    skip_string_body(s);
  } else if (c == '{' || c == '[') {
    int level = 1;
    while (s->pos < s->len && level) {
      char d = s->buf[s->pos++];
      if (d == '"') skip_string_body(s);
      else if (d == '{' || d == '[') level++;
      else if (d == '}' || d == ']') level--;
    }
  } else {
    while (s->pos < s->len && !strchr(",}] \t\n\r", s->buf[s->pos])) s->pos++;
  }
  return start;
}

/* The string value starting at the current position, unescaped (ASCII
 * escapes; \u sequences become UTF-8). Caller frees. */
static char *read_string(scan *s, size_t *out_len) {
  skip_ws(s);
  size_t start = s->pos + 1;
  skip_value(s);
  size_t end = s->pos - 1, n = 0;
  char *o = malloc(end - start + 1);
  for (size_t i = start; i < end; i++) {
    char c = s->buf[i];
    if (c != '\\') {
      o[n++] = c;
      continue;
    }
    c = s->buf[++i];
    if (c == 'u' && i + 4 < end) {
      unsigned cp = (unsigned)strtoul((char[]){s->buf[i + 1], s->buf[i + 2], s->buf[i + 3], s->buf[i + 4], 0}, NULL, 16);
      i += 4;
      if (cp < 0x80) o[n++] = (char)cp;
      else if (cp < 0x800) o[n++] = (char)(0xC0 | cp >> 6), o[n++] = (char)(0x80 | (cp & 0x3F));
      else o[n++] = (char)(0xE0 | cp >> 12), o[n++] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[n++] = (char)(0x80 | (cp & 0x3F));
    } else {
      o[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
    }
  }
  o[n] = 0;
  *out_len = n;
  return o;
}

static bool literal_null(scan *s) {
  if (peek(s) != 'n') return false;
  skip_value(s);
  return true;
}

/* What Go's encoding/json calls a JSON value in UnmarshalTypeError. */
static const char *json_kind(char c) {
  return c == '{' ? "object" : c == '[' ? "array" : (c == 't' || c == 'f') ? "bool" : c == '"' ? "string" : "number";
}

static void check_string(scan *s) {
  char c = next_token(s);
  if (c == '"') skip_string_body(s);
  else if (c == 'n') s->pos--, skip_value(s);
  else report_char(s, "ReadString", "expects \" or n, but found ", c);
}

static void check_bool(scan *s) {
  if (literal_null(s)) return;
  char c = next_token(s);
  if (c == 't' || c == 'f') {
    s->pos--;
    skip_value(s);
  } else {
    report_char(s, "ReadBool", "expect t or f, but found ", c);
  }
}

/* ReadInt32/ReadInt64 and the readUint32/readUint64 they call. */
static void check_int(scan *s, bool is64) {
  if (literal_null(s)) return;
  const char *rd = is64 ? "readUint64" : "readUint32", *top = is64 ? "ReadInt64" : "ReadInt32";
  char c = next_token(s);
  bool neg = c == '-';
  if (neg) c = s->pos < s->len ? s->buf[s->pos++] : 0;
  if (c < '0' || c > '9') {
    report(s, rd, "unexpected character: \xef\xbf\xbd"); /* Go prints byte 0xff, JSON shows U+FFFD */
    return;
  }
  unsigned long long v = (unsigned long long)(c - '0');
  bool overflow = false;
  if (c != '0')
    while (s->pos < s->len && s->buf[s->pos] >= '0' && s->buf[s->pos] <= '9') {
      if (v > (is64 ? 0xFFFFFFFFFFFFFFFFULL : 0xFFFFFFFFULL) / 10) overflow = true;
      v = v * 10 + (unsigned long long)(s->buf[s->pos++] - '0');
    }
  if (s->pos < s->len && s->buf[s->pos] == '.') {
    report(s, "assertInteger", "can not decode float as int");
    return;
  }
  if (overflow || (!is64 && v > 0xFFFFFFFFULL)) {
    report(s, rd, "overflow");
    return;
  }
  unsigned long long max = is64 ? 0x7FFFFFFFFFFFFFFFULL : 0x7FFFFFFFULL;
  if (v > max + (neg ? 1 : 0)) {
    char msg[64];
    snprintf(msg, sizeof msg, "overflow: %llu", v);
    report(s, top, msg);
  }
  /* an exponent after the digits is left for the caller's next token */
  while (s->pos < s->len && strchr("eE+-0123456789", s->buf[s->pos])) s->pos++;
}

static void check_number(scan *s) {
  if (literal_null(s)) return;
  char c = peek(s);
  if (c == '-' || (c >= '0' && c <= '9')) {
    skip_value(s);
    return;
  }
  report(s, "readFloat64SlowPath", "empty number");
}

/* base64Codec: a string of base64, null, or an array of bytes. */
static void check_bytes(scan *s) {
  if (literal_null(s)) return;
  char c = peek(s);
  if (c == '[') {
    skip_value(s);
    return;
  }
  if (c != '"') {
    report(s, "base64Codec", "invalid input");
    return;
  }
  size_t n;
  char *str = read_string(s, &n), why[128];
  if (go_base64_check(str, n, why, sizeof why)) report(s, "decode base64", why);
  free(str);
}

/* The unmarshalers with their own UnmarshalJSON: they see the raw value. */
static void check_unmarshaler(scan *s, const char *fqn) {
  skip_ws(s);
  char c = peek(s);
  size_t start = skip_value(s), n = s->pos - start;
  const char *raw = s->buf + start;
  char why[512] = "";
  if (strstr(fqn, ".resource.Quantity")) {
    if (n == 4 && !memcmp(raw, "null", 4)) return;
    char q[128];
    size_t a = 0, b = n;
    if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') a = 1, b = n - 1;
    while (a < b && strchr(" \t\n\r", raw[a])) a++;
    while (b > a && strchr(" \t\n\r", raw[b - 1])) b--;
    quantity parsed;
    if (b - a >= sizeof q || (snprintf(q, sizeof q, "%.*s", (int)(b - a), raw + a), quantity_parse(q, &parsed)))
      snprintf(why, sizeof why,
               "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  } else if (strstr(fqn, ".intstr.IntOrString")) {
    if (c == '"' || c == 'n') return;
    if (c == '{' || c == '[' || c == 't' || c == 'f') {
      snprintf(why, sizeof why, "json: cannot unmarshal %s into Go value of type int32", json_kind(c));
    } else {
      char *end, num[64];
      snprintf(num, sizeof num, "%.*s", (int)(n < 63 ? n : 63), raw);
      long long v = strtoll(num, &end, 10);
      if (*end || v > 2147483647LL || v < -2147483648LL)
        snprintf(why, sizeof why, "json: cannot unmarshal number %.*s into Go value of type int32", (int)n, raw);
    }
  } else { /* meta/v1 Time and MicroTime */
    if (c == 'n') return;
    if (c != '"') {
      snprintf(why, sizeof why, "json: cannot unmarshal %s into Go value of type string", json_kind(c));
    } else {
      s->pos = start;
      size_t sl;
      char *str = read_string(s, &sl);
      go_time_parse(str, sl, strstr(fqn, "MicroTime") != NULL, why, sizeof why) == 0 ? (void)(why[0] = 0) : (void)0;
      free(str);
    }
  }
  if (why[0]) report(s, "unmarshalerDecoder", why);
}

static void check_message(scan *s, const char *fqn);

/* The start of an object (a struct or a map) as json-iterator reads it:
 * true when members follow; false for null, {} or a refused value. */
static bool open_object(scan *s, const char *op) {
  char c = next_token(s);
  if (c == 'n') {
    s->pos--;
    skip_value(s);
    return false;
  }
  if (c != '{') {
    report_char(s, op, "expect { or n, but found ", c);
    return false;
  }
  if (peek(s) == '}') {
    s->pos++;
    return false;
  }
  return true;
}

/* One value of a field's element type: a scalar name or a message name. */
static void check_elem(scan *s, const json_t *type) {
  if (json_is_array(type)) { /* a map: string keys, then values of the second type */
    if (!open_object(s, "ReadMapCB")) return;
    do {
      skip_value(s); /* key */
      next_token(s); /* : */
      check_elem(s, json_array_get(type, 1));
      if (s->err) return;
    } while (next_token(s) == ',');
    return;
  }
  const char *t = json_string_value(type);
  if (!t) {
    skip_value(s);
  } else if (!strcmp(t, "string")) {
    check_string(s);
  } else if (!strcmp(t, "bool")) {
    check_bool(s);
  } else if (!strcmp(t, "int32") || !strcmp(t, "sint32") || !strcmp(t, "uint32") || !strcmp(t, "fixed32") ||
             !strcmp(t, "sfixed32")) {
    check_int(s, false);
  } else if (!strncmp(t, "int64", 5) || !strcmp(t, "sint64") || !strcmp(t, "uint64") || !strcmp(t, "fixed64") ||
             !strcmp(t, "sfixed64")) {
    check_int(s, true);
  } else if (!strcmp(t, "double") || !strcmp(t, "float")) {
    check_number(s);
  } else if (!strcmp(t, "bytes")) {
    check_bytes(s);
  } else if (strstr(t, ".resource.Quantity") || strstr(t, ".intstr.IntOrString") || strstr(t, ".meta.v1.Time") ||
             strstr(t, ".meta.v1.MicroTime")) {
    check_unmarshaler(s, t);
  } else if (strstr(t, ".runtime.RawExtension") || strstr(t, ".meta.v1.FieldsV1") || strstr(t, ".meta.v1.Duration") ||
             strstr(t, ".runtime.Unknown")) {
    skip_value(s);
  } else {
    check_message(s, t);
  }
}

/* "k8s.io.api.core.v1.Container" -> "v1.Container" */
static const char *go_type_name(const char *fqn, char *buf, size_t len) {
  const char *last = strrchr(fqn, '.');
  if (!last) return fqn;
  const char *p = last;
  while (p > fqn && p[-1] != '.') p--;
  snprintf(buf, len, "%s", p);
  return buf;
}

static void check_field(scan *s, const json_t *row) {
  const json_t *type = json_array_get(row, 2);
  int flags = (int)json_integer_value(json_array_get(row, 3));
  if (!(flags & F_REPEATED)) {
    check_elem(s, type);
    return;
  }
  char c = next_token(s);
  if (c == 'n') {
    s->pos--;
    skip_value(s);
    return;
  }
  if (c != '[') {
    report_char(s, "decode slice", "expect [ or n, but found ", c);
  } else if (peek(s) == ']') {
    s->pos++;
    return;
  } else {
    do check_elem(s, type);
    while (!s->err && next_token(s) == ',');
  }
  if (!s->err) return;
  const char *slice = json_string_value(json_array_get(row, 5));
  char buf[256], tn[160];
  if (!slice) {
    snprintf(buf, sizeof buf, "[]%s",
             json_is_string(type) ? go_type_name(json_string_value(type), tn, sizeof tn) : "interface {}");
    slice = buf;
  }
  prepend(s, slice, ": ");
}

/* The row of a message's field with JSON name key, or NULL; a field of an
 * inline member (Probe's Handler) comes with that member's row in *via. */
static const json_t *find_field(const json_t *msgs, const char *fqn, const char *key, size_t klen,
                                const json_t **via) {
  size_t i;
  const json_t *row;
  json_array_foreach(json_object_get(msgs, fqn), i, row) {
    int flags = (int)json_integer_value(json_array_get(row, 3));
    if (flags & F_SKIP) continue;
    if (flags & F_INLINE) {
      const char *inner = json_string_value(json_array_get(row, 2));
      const json_t *r = inner && !*via ? find_field(msgs, inner, key, klen, via) : NULL;
      if (r) {
        *via = row;
        return r;
      }
      continue;
    }
    const char *j = json_string_value(json_array_get(row, 1));
    if (j && strlen(j) == klen && !memcmp(j, key, klen)) return row;
  }
  return NULL;
}

/* The Go name of a field: the generated name when the schema has one,
 * else the JSON name with its first letter upper-cased. */
static const char *go_field_name(const json_t *row, char *buf, size_t len) {
  const char *go = json_string_value(json_array_get(row, 4));
  if (go) return go;
  snprintf(buf, len, "%s", json_string_value(json_array_get(row, 1)) ?: "");
  if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
  return buf;
}

static void check_message(scan *s, const char *fqn) {
  if (!json_object_get(s->msgs, fqn) || s->depth >= MAX_DEPTH) {
    skip_value(s);
    return;
  }
  if (!open_object(s, "readObjectStart")) return;
  s->depth++;
  do {
    skip_ws(s);
    size_t kstart = s->pos + 1;
    skip_value(s);
    size_t klen = s->pos - 1 - kstart;
    next_token(s); /* : */
    const json_t *via = NULL, *row = find_field(s->msgs, fqn, s->buf + kstart, klen, &via);
    if (!row) {
      skip_value(s);
      continue;
    }
    check_field(s, row);
    if (s->err) { /* json-iterator names the field, the inline member holding it, then the struct */
      char name[128], tn[160];
      prepend(s, go_field_name(row, name, sizeof name), ": ");
      if (via) prepend(s, go_field_name(via, name, sizeof name), ": ");
      prepend(s, go_type_name(fqn, tn, sizeof tn), ".");
      break;
    }
  } while (next_token(s) == ',');
  s->depth--;
}

/* Go's encoding/json writes each invalid UTF-8 byte as U+FFFD. */
static char *valid_utf8(const char *in) {
  size_t n = strlen(in);
  char *out = malloc(n * 3 + 1), *w = out;
  const unsigned char *p = (const unsigned char *)in;
  while (*p) {
    int len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
    bool ok = len > 0;
    for (int i = 1; ok && i < len; i++) ok = (p[i] >> 6) == 2;
    if (ok) {
      memcpy(w, p, (size_t)len);
      w += len, p += len;
    } else {
      memcpy(w, "\xef\xbf\xbd", 3);
      w += 3, p++;
    }
  }
  *w = 0;
  return out;
}

json_t *decode_check(const json_t *schema, const char *msg_fqn, const char *kind, const char *version,
                     const char *json, size_t len) {
  scan s = {.msgs = json_object_get(schema, "msgs"), .buf = json, .len = len};
  if (!s.msgs || !msg_fqn) return NULL;
  check_message(&s, msg_fqn);
  if (!s.err) return NULL;
  char *clean = valid_utf8(s.err);
  size_t n = strlen(clean) + 2 * strlen(kind) + strlen(version) + 64;
  char *msg = malloc(n);
  snprintf(msg, n, "%s in version \"%s\" cannot be handled as a %s: %s", kind, version, kind, clean);
  json_t *st = status_failure(400, "BadRequest", msg, NULL);
  free(msg);
  free(clean);
  free(s.err);
  return st;
}
