/* k8s_protobuf.c - Kubernetes protobuf bodies -> the JSON Go would print.
 *
 * A message is read in two phases. First its fields are scanned in wire
 * order into one slot per schema field, with the semantics of the
 * go-to-protobuf generated Unmarshal code: scalars last-wins, repeated
 * fields (packed or not) append, map entries insert, and a non-repeated
 * message field that occurs several times is merged (we keep all its byte
 * ranges and decode them as one stream, which is what merging means on the
 * wire). Then the JSON object is built in the schema's (Go struct) order,
 * applying encoding/json's rules: absent non-pointer fields hold Go zero
 * values, omitempty drops zero scalars and empty slices/maps but never
 * structs, nil pointers/slices without omitempty print null, inline
 * (embedded) structs merge into their parent, map keys are sorted.
 * The apimachinery types with their own JSON form (Time, MicroTime,
 * Duration, Quantity, IntOrString, RawExtension, FieldsV1, list wrappers
 * such as ExtraValue) are converted by name. Errors quote Go's decoder. */
#include "k8s_protobuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_protobuf_text.h"
#include "quantity.h"

#define META "k8s.io.apimachinery.pkg.apis.meta.v1."
#define MSG_TIME META "Time"
#define MSG_MICROTIME META "MicroTime"
#define MSG_DURATION META "Duration"
#define MSG_FIELDSV1 META "FieldsV1"
#define MSG_QUANTITY "k8s.io.apimachinery.pkg.api.resource.Quantity"
#define MSG_INTORSTRING "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
#define MSG_RAWEXT "k8s.io.apimachinery.pkg.runtime.RawExtension"

enum { F_OMITEMPTY = 1, F_POINTER = 2, F_INLINE = 4, F_SKIP = 8, F_REPEATED = 16 };

typedef enum {
  T_BAD, T_STRING, T_BYTES, T_BOOL, T_INT32, T_INT64, T_UINT32, T_UINT64,
  T_SINT32, T_SINT64, T_FIXED32, T_FIXED64, T_SFIXED32, T_SFIXED64, T_FLOAT,
  T_DOUBLE, T_MESSAGE
} pb_type;

static const struct { const char *name; pb_type type; } type_names[] = {
    {"string", T_STRING},     {"bytes", T_BYTES},       {"bool", T_BOOL},
    {"int32", T_INT32},       {"int64", T_INT64},       {"uint32", T_UINT32},
    {"uint64", T_UINT64},     {"sint32", T_SINT32},     {"sint64", T_SINT64},
    {"fixed32", T_FIXED32},   {"fixed64", T_FIXED64},   {"sfixed32", T_SFIXED32},
    {"sfixed64", T_SFIXED64}, {"float", T_FLOAT},       {"double", T_DOUBLE},
};

typedef struct {
  const json_t *msgs;  /* schema "msgs" */
  const json_t *lists; /* schema "lists" */
  char *err;
  size_t errlen;
  int failed;
} pb_ctx;

typedef struct {
  const unsigned char *p;
  size_t len;
} pb_seg;

/* One schema field of the message being decoded. */
typedef struct {
  uint64_t num;
  const char *json;
  const char *goname; /* NULL: json name with its first letter upper-cased */
  pb_type type, ktype;  /* ktype != T_BAD: a map, type is the value's */
  const char *msg;      /* message name of type (or of the map value) */
  int flags;
} pb_row;

/* What the scan found for one field. */
typedef struct {
  json_t *val;   /* scalar (last), array (repeated) or object (map) */
  pb_seg *segs;  /* non-repeated message: every occurrence, in order */
  size_t nsegs, cap;
} pb_slot;

static void fail(pb_ctx *c, const char *fmt, ...) {
  if (c->failed) return;
  c->failed = 1;
  if (!c->err || !c->errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
}

static const char *short_name(const char *fqn) {
  const char *d = strrchr(fqn, '.');
  return d ? d + 1 : fqn;
}

static const char *go_name(const pb_row *r, char *buf, size_t len) {
  if (r->goname) return r->goname;
  snprintf(buf, len, "%s", r->json);
  if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
  return buf;
}

static void fail_wiretype(pb_ctx *c, const pb_row *r, int wt) {
  char buf[128];
  fail(c, "proto: wrong wireType = %d for field %s", wt, go_name(r, buf, sizeof buf));
}

/* ---- wire reading -------------------------------------------------------- */

/* Reads a varint at *pos like the generated code: at most 10 bytes (bits
 * past 64 dropped), "proto: integer overflow" beyond, EOF if cut short. */
static int rd_varint(pb_ctx *c, const unsigned char *p, size_t len, size_t *pos,
                     uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (shift >= 64) {
      fail(c, "proto: integer overflow");
      return -1;
    }
    if (*pos >= len) {
      fail(c, "unexpected EOF");
      return -1;
    }
    unsigned char b = p[(*pos)++];
    v |= (uint64_t)(b & 0x7F) << shift;
    if (b < 0x80) break;
  }
  *out = v;
  return 0;
}

/* Reads a length prefix and checks the bytes are there. */
static int rd_len(pb_ctx *c, const unsigned char *p, size_t len, size_t *pos,
                  size_t *out) {
  uint64_t n;
  if (rd_varint(c, p, len, pos, &n)) return -1;
  if ((int64_t)n < 0) {
    fail(c, "proto: negative length found during unmarshaling");
    return -1;
  }
  if (n > len - *pos) {
    fail(c, "unexpected EOF");
    return -1;
  }
  *out = (size_t)n;
  return 0;
}

/* Skips one value of wire type wt at *pos (groups included, nested). */
static int skip_value(pb_ctx *c, const unsigned char *p, size_t len, size_t *pos,
                      int wt) {
  int depth = wt == 3 ? 1 : 0;
  for (;;) {
    uint64_t v;
    size_t n;
    switch (wt) {
    case 0:
      if (rd_varint(c, p, len, pos, &v)) return -1;
      break;
    case 1:
    case 5:
      n = wt == 1 ? 8 : 4;
      if (n > len - *pos) {
        fail(c, "unexpected EOF");
        return -1;
      }
      *pos += n;
      break;
    case 2:
      if (rd_len(c, p, len, pos, &n)) return -1;
      *pos += n;
      break;
    case 3:
      break; /* depth already counted */
    case 4:
      if (depth == 0) {
        fail(c, "proto: unexpected end of group");
        return -1;
      }
      depth--;
      break;
    default:
      fail(c, "proto: illegal wireType %d", wt);
      return -1;
    }
    if (depth == 0) return 0;
    if (rd_varint(c, p, len, pos, &v)) return -1;
    wt = (int)(v & 7);
    if (wt == 3) depth++;
  }
}

/* A scan over a message's segments, read as one stream. */
typedef struct {
  const pb_seg *segs;
  size_t nsegs, si, pos;
} pb_iter;

typedef struct {
  uint64_t num;
  int wt;
  uint64_t v;            /* wire types 0, 1, 5 */
  const unsigned char *p; /* wire type 2: the bytes */
  size_t len;
  const pb_seg *seg;     /* wire type 3: where the group starts */
  size_t at;
} pb_field;

/* 1: *f holds the next field; 0: end; -1: error. Values of wire types
 * 0/1/2/5 are consumed; for 3 the caller must skip (unknown) or fail. */
static int pb_next(pb_ctx *c, pb_iter *it, pb_field *f, const char *msg) {
  while (it->si < it->nsegs && it->pos >= it->segs[it->si].len) {
    it->si++;
    it->pos = 0;
  }
  if (it->si >= it->nsegs) return 0;
  const unsigned char *p = it->segs[it->si].p;
  size_t len = it->segs[it->si].len;
  uint64_t key;
  if (rd_varint(c, p, len, &it->pos, &key)) return -1;
  f->num = key >> 3;
  f->wt = (int)(key & 7);
  if (f->wt == 4) {
    fail(c, "proto: %s: wiretype end group for non-group", short_name(msg));
    return -1;
  }
  if (f->num == 0 || f->num > INT32_MAX) {
    fail(c, "proto: %s: illegal tag %d (wire type %d)", short_name(msg),
         (int)(int32_t)(uint32_t)f->num, f->wt);
    return -1;
  }
  switch (f->wt) {
  case 0:
    return rd_varint(c, p, len, &it->pos, &f->v) ? -1 : 1;
  case 1:
  case 5: {
    size_t n = f->wt == 1 ? 8 : 4;
    if (n > len - it->pos) {
      fail(c, "unexpected EOF");
      return -1;
    }
    f->v = 0;
    for (size_t i = 0; i < n; i++) f->v |= (uint64_t)p[it->pos + i] << (8 * i);
    it->pos += n;
    return 1;
  }
  case 2:
    if (rd_len(c, p, len, &it->pos, &f->len)) return -1;
    f->p = p + it->pos;
    it->pos += f->len;
    return 1;
  case 3:
    f->seg = &it->segs[it->si];
    f->at = it->pos;
    return 1;
  default:
    fail(c, "proto: illegal wireType %d", f->wt);
    return -1;
  }
}

/* Skips an unknown field whose header pb_next returned. */
static int pb_skip_unknown(pb_ctx *c, pb_iter *it, const pb_field *f) {
  if (f->wt != 3) return 0;
  return skip_value(c, f->seg->p, f->seg->len, &it->pos, 3);
}

/* ---- schema ---------------------------------------------------------------- */

static pb_type type_of(const json_t *t, const char **msg) {
  const char *s = json_string_value(t);
  *msg = NULL;
  if (!s) return T_BAD;
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (!strcmp(s, type_names[i].name)) return type_names[i].type;
  *msg = s;
  return T_MESSAGE;
}

static int row_parse(const json_t *row, pb_row *r) {
  memset(r, 0, sizeof *r);
  if (!json_is_array(row) || json_array_size(row) < 4) return -1;
  json_int_t num = json_integer_value(json_array_get(row, 0));
  r->json = json_string_value(json_array_get(row, 1));
  r->flags = (int)json_integer_value(json_array_get(row, 3));
  r->goname = json_string_value(json_array_get(row, 4));
  if (num <= 0 || !r->json) return -1;
  r->num = (uint64_t)num;
  const json_t *t = json_array_get(row, 2);
  if (json_is_array(t)) {
    const char *kmsg;
    r->ktype = type_of(json_array_get(t, 0), &kmsg);
    r->type = type_of(json_array_get(t, 1), &r->msg);
    if (r->ktype == T_BAD || r->ktype == T_MESSAGE || r->type == T_BAD) return -1;
  } else {
    r->type = type_of(t, &r->msg);
    if (r->type == T_BAD) return -1;
  }
  return 0;
}

static int is_list_wrapper(const pb_ctx *c, const char *msg) {
  size_t i;
  const json_t *v;
  json_array_foreach(c->lists, i, v) {
    const char *s = json_string_value(v);
    if (s && !strcmp(s, msg)) return 1;
  }
  return 0;
}

/* ---- scalars --------------------------------------------------------------- */

static int wire_type_for(pb_type t) {
  switch (t) {
  case T_FIXED64: case T_SFIXED64: case T_DOUBLE: return 1;
  case T_FIXED32: case T_SFIXED32: case T_FLOAT: return 5;
  case T_STRING: case T_BYTES: case T_MESSAGE: return 2;
  default: return 0;
  }
}

static json_t *real_json(pb_ctx *c, double d) {
  if (d != d || d - d != 0) {
    fail(c, "json: unsupported value: %s", d != d ? "NaN" : d > 0 ? "+Inf" : "-Inf");
    return NULL;
  }
  return json_real(d);
}

/* JSON for a numeric value read with the type's wire type. */
static json_t *number_json(pb_ctx *c, pb_type t, uint64_t v) {
  switch (t) {
  case T_BOOL: return json_boolean(v != 0);
  case T_INT32: case T_SFIXED32: return json_integer((int32_t)(uint32_t)v);
  case T_UINT32: case T_FIXED32: return json_integer((uint32_t)v);
  case T_INT64: case T_SFIXED64: return json_integer((json_int_t)(int64_t)v);
  case T_UINT64: case T_FIXED64:
    return v > INT64_MAX ? json_real((double)v) : json_integer((json_int_t)v);
  case T_SINT32: {
    uint32_t u = (uint32_t)v;
    return json_integer((int32_t)((u >> 1) ^ (0u - (u & 1))));
  }
  case T_SINT64:
    return json_integer((json_int_t)(int64_t)((v >> 1) ^ (0 - (v & 1))));
  case T_FLOAT: {
    uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, sizeof f);
    return real_json(c, f);
  }
  case T_DOUBLE: {
    double d;
    memcpy(&d, &v, sizeof d);
    return real_json(c, d);
  }
  default: return NULL;
  }
}

static json_t *zero_json(pb_type t) {
  switch (t) {
  case T_STRING: return json_string("");
  case T_BOOL: return json_false();
  case T_BYTES: return json_null(); /* a nil []byte */
  default: return json_integer(0);
  }
}

static int is_zero(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING: return json_string_length(v) == 0;
  case JSON_INTEGER: return json_integer_value(v) == 0;
  case JSON_REAL: return json_real_value(v) == 0;
  case JSON_FALSE: case JSON_NULL: return 1;
  case JSON_ARRAY: return json_array_size(v) == 0;
  case JSON_OBJECT: return json_object_size(v) == 0;
  default: return 0;
  }
}

/* Appends the values of a repeated numeric field: one value, or a packed
 * run of them. */
static int append_numbers(pb_ctx *c, const pb_row *r, const pb_field *f,
                          json_t *arr) {
  int want = wire_type_for(r->type);
  if (f->wt == want) {
    json_t *v = number_json(c, r->type, f->v);
    return v && !json_array_append_new(arr, v) ? 0 : -1;
  }
  if (f->wt != 2) {
    fail_wiretype(c, r, f->wt);
    return -1;
  }
  size_t pos = 0;
  while (pos < f->len) {
    uint64_t v = 0;
    if (want == 0) {
      if (rd_varint(c, f->p, f->len, &pos, &v)) return -1;
    } else {
      size_t n = want == 1 ? 8 : 4;
      if (n > f->len - pos) {
        fail(c, "unexpected EOF");
        return -1;
      }
      for (size_t i = 0; i < n; i++) v |= (uint64_t)f->p[pos + i] << (8 * i);
      pos += n;
    }
    json_t *j = number_json(c, r->type, v);
    if (!j || json_array_append_new(arr, j)) return -1;
  }
  return 0;
}

static json_t *decode_msg(pb_ctx *c, const char *name, const pb_seg *segs,
                          size_t nsegs, int depth);

/* JSON of one length-delimited value of type t (string/bytes/message). */
static json_t *delimited_json(pb_ctx *c, pb_type t, const char *msg,
                              const unsigned char *p, size_t len, int depth) {
  if (t == T_STRING) return pbtext_string(p, len);
  if (t == T_BYTES) return pbtext_base64(p, len);
  pb_seg s = {p, len};
  return decode_msg(c, msg, &s, 1, depth + 1);
}

/* ---- maps ------------------------------------------------------------------ */

/* One map entry: key = field 1, value = field 2, read with the types'
 * encodings whatever the wire type says (as the generated code does). */
static int map_entry(pb_ctx *c, const pb_row *r, const unsigned char *p,
                     size_t len, json_t *obj, int depth) {
  json_t *key = NULL, *val = NULL;
  size_t pos = 0;
  int rc = -1;
  while (pos < len) {
    uint64_t tag;
    if (rd_varint(c, p, len, &pos, &tag)) goto out;
    uint64_t num = tag >> 3;
    pb_type t = num == 1 ? r->ktype : r->type;
    if (num != 1 && num != 2) {
      if (skip_value(c, p, len, &pos, (int)(tag & 7))) goto out;
      continue;
    }
    json_t *j;
    int wt = wire_type_for(t);
    if (wt == 2) {
      size_t n;
      if (rd_len(c, p, len, &pos, &n)) goto out;
      j = delimited_json(c, t, num == 1 ? NULL : r->msg, p + pos, n, depth);
      pos += n;
    } else {
      uint64_t v = 0;
      if (wt == 0) {
        if (rd_varint(c, p, len, &pos, &v)) goto out;
      } else {
        size_t n = wt == 1 ? 8 : 4;
        if (n > len - pos) {
          fail(c, "unexpected EOF");
          goto out;
        }
        for (size_t i = 0; i < n; i++) v |= (uint64_t)p[pos + i] << (8 * i);
        pos += n;
      }
      j = number_json(c, t, v);
    }
    if (!j) goto out;
    json_t **dst = num == 1 ? &key : &val;
    json_decref(*dst);
    *dst = j;
  }
  if (!key) key = zero_json(r->ktype);
  if (!val) {
    if (r->type == T_MESSAGE) val = decode_msg(c, r->msg, NULL, 0, depth + 1);
    else if (r->type == T_BYTES) val = json_string(""); /* Go makes []byte{} */
    else val = zero_json(r->type);
  }
  if (!key || !val) goto out;
  if (json_is_string(key)) {
    rc = json_object_setn(obj, json_string_value(key), json_string_length(key), val);
  } else {
    char kb[64];
    if (json_is_integer(key))
      snprintf(kb, sizeof kb, "%lld", (long long)json_integer_value(key));
    else snprintf(kb, sizeof kb, "%s", json_is_true(key) ? "true" : "false");
    rc = json_object_set(obj, kb, val);
  }
  if (rc) fail(c, "out of memory");
out:
  json_decref(key);
  json_decref(val);
  return rc;
}

typedef struct {
  const char *key;
  size_t len;
  json_t *val;
} kv;

static int kv_cmp(const void *a, const void *b) {
  const kv *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int r = memcmp(x->key, y->key, n);
  return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Go's encoding/json writes map keys sorted bytewise: rebuild in order. */
static json_t *sorted_object(json_t *obj) {
  size_t n = json_object_size(obj), i = 0;
  kv *items = calloc(n ? n : 1, sizeof *items);
  json_t *out = json_object();
  if (!items || !out) goto fail;
  void *it = json_object_iter(obj);
  for (; it && i < n; it = json_object_iter_next(obj, it), i++) {
    items[i].key = json_object_iter_key(it);
    items[i].len = json_object_iter_key_len(it);
    items[i].val = json_object_iter_value(it);
  }
  qsort(items, i, sizeof *items, kv_cmp);
  for (size_t k = 0; k < i; k++)
    if (json_object_setn(out, items[k].key, items[k].len, items[k].val)) goto fail;
  free(items);
  return out;
fail:
  free(items);
  json_decref(out);
  return NULL;
}

/* ---- special types ----------------------------------------------------------- */

/* Scans segs for the listed scalar fields (last wins). vals[i] is set to
 * the raw varint/fixed value, or for wire type 2 ptrs/lens; found[i] set. */
typedef struct {
  uint64_t num;
  pb_type type;
  const char *goname;
  int found;
  uint64_t v;
  const unsigned char *p;
  size_t len;
} pb_want;

static int scan_simple(pb_ctx *c, const char *msg, const pb_seg *segs,
                       size_t nsegs, pb_want *w, size_t nw) {
  pb_iter it = {segs, nsegs, 0, 0};
  pb_field f;
  int r;
  while ((r = pb_next(c, &it, &f, msg)) == 1) {
    size_t i;
    for (i = 0; i < nw && w[i].num != f.num; i++) {}
    if (i == nw) {
      if (pb_skip_unknown(c, &it, &f)) return -1;
      continue;
    }
    if (f.wt != wire_type_for(w[i].type)) {
      fail(c, "proto: wrong wireType = %d for field %s", f.wt, w[i].goname);
      return -1;
    }
    w[i].found = 1;
    w[i].v = f.v;
    w[i].p = f.p;
    w[i].len = f.len;
  }
  return r;
}

/* metav1.Time drops the nanoseconds when decoding (its JSON has none);
 * MicroTime keeps them. An empty encoding is the zero time: null. */
static json_t *decode_time(pb_ctx *c, const pb_seg *segs, size_t nsegs, int micro) {
  if (!nsegs || !segs[nsegs - 1].len) return json_null();
  pb_want w[] = {{1, T_INT64, "Seconds", 0, 0, 0, 0}, {2, T_INT32, "Nanos", 0, 0, 0, 0}};
  if (scan_simple(c, "Timestamp", &segs[nsegs - 1], 1, w, 2)) return NULL;
  int64_t sec = (int64_t)w[0].v;
  int64_t ns = micro ? (int32_t)(uint32_t)w[1].v : 0;
  if (pbtext_time_is_zero(sec, ns)) return json_null();
  char buf[64];
  return json_string(pbtext_time(sec, ns, micro, buf, sizeof buf));
}

static json_t *decode_quantity(pb_ctx *c, const pb_seg *segs, size_t nsegs) {
  if (!nsegs) return json_string("0");
  pb_want w[] = {{1, T_STRING, "String_", 0, 0, 0, 0}};
  if (scan_simple(c, "Quantity", &segs[nsegs - 1], 1, w, 1)) return NULL;
  if (!w[0].found) return json_string("0");
  char in[128], out[64];
  if (w[0].len >= sizeof in || memchr(w[0].p, 0, w[0].len)) goto bad;
  memcpy(in, w[0].p, w[0].len);
  in[w[0].len] = 0;
  if (quantity_canonicalize(in, out, sizeof out)) goto bad;
  return json_string(out);
bad:
  fail(c, "quantities must match the regular expression "
          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  return NULL;
}

static json_t *decode_intorstring(pb_ctx *c, const pb_seg *segs, size_t nsegs) {
  pb_want w[] = {{1, T_INT64, "Type", 0, 0, 0, 0},
                 {2, T_INT32, "IntVal", 0, 0, 0, 0},
                 {3, T_STRING, "StrVal", 0, 0, 0, 0}};
  if (scan_simple(c, "IntOrString", segs, nsegs, w, 3)) return NULL;
  if (w[0].v == 0) return json_integer((int32_t)(uint32_t)w[1].v);
  if (w[0].v == 1) return w[2].found ? pbtext_string(w[2].p, w[2].len) : json_string("");
  fail(c, "json: error calling MarshalJSON for type *intstr.IntOrString: "
          "impossible IntOrString.Type");
  return NULL;
}

static json_t *decode_duration(pb_ctx *c, const pb_seg *segs, size_t nsegs) {
  pb_want w[] = {{1, T_INT64, "Duration", 0, 0, 0, 0}};
  if (scan_simple(c, "Duration", segs, nsegs, w, 1)) return NULL;
  char buf[64];
  return json_string(pbtext_duration((int64_t)w[0].v, buf, sizeof buf));
}

/* RawExtension and FieldsV1 hold JSON text; nil prints null. */
static json_t *decode_raw_json(pb_ctx *c, const char *msg, const char *gotype,
                               const pb_seg *segs, size_t nsegs) {
  pb_want w[] = {{1, T_BYTES, "Raw", 0, 0, 0, 0}};
  if (scan_simple(c, short_name(msg), segs, nsegs, w, 1)) return NULL;
  if (!w[0].found) return json_null();
  json_error_t e;
  json_t *v = json_loadb((const char *)w[0].p, w[0].len, JSON_DECODE_ANY, &e);
  if (!v)
    fail(c, "json: error calling MarshalJSON for type %s: %s", gotype,
         w[0].len ? e.text : "unexpected end of JSON input");
  return v;
}

/* Go type `X []T` carried as message { repeated T items = 1 }. */
static json_t *decode_list(pb_ctx *c, const char *msg, const pb_seg *segs,
                           size_t nsegs) {
  pb_iter it = {segs, nsegs, 0, 0};
  pb_field f;
  int r;
  json_t *arr = json_array();
  if (!arr) return NULL;
  while ((r = pb_next(c, &it, &f, msg)) == 1) {
    if (f.num != 1) {
      if (pb_skip_unknown(c, &it, &f)) break;
      continue;
    }
    if (f.wt != 2) {
      fail(c, "proto: wrong wireType = %d for field Items", f.wt);
      r = -1;
      break;
    }
    if (json_array_append_new(arr, pbtext_string(f.p, f.len))) {
      r = -1;
      break;
    }
  }
  if (r < 0 || c->failed) {
    json_decref(arr);
    return NULL;
  }
  if (json_array_size(arr)) return arr;
  json_decref(arr);
  return json_null(); /* a nil slice */
}

/* ---- messages ---------------------------------------------------------------- */

static int slot_add_seg(pb_slot *s, const unsigned char *p, size_t len) {
  if (s->nsegs == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 2;
    pb_seg *n = realloc(s->segs, cap * sizeof *n);
    if (!n) return -1;
    s->segs = n;
    s->cap = cap;
  }
  s->segs[s->nsegs++] = (pb_seg){p, len};
  return 0;
}

/* Records one occurrence of a known field into its slot. */
static int scan_field(pb_ctx *c, const pb_row *r, pb_slot *s, const pb_field *f,
                      int depth) {
  if (r->ktype != T_BAD) { /* map */
    if (f->wt != 2) goto wrong;
    if (!s->val && !(s->val = json_object())) return -1;
    return map_entry(c, r, f->p, f->len, s->val, depth);
  }
  if (r->flags & F_REPEATED) {
    if (!s->val && !(s->val = json_array())) return -1;
    if (wire_type_for(r->type) != 2) return append_numbers(c, r, f, s->val);
    if (f->wt != 2) goto wrong;
    json_t *v = delimited_json(c, r->type, r->msg, f->p, f->len, depth);
    return v && !json_array_append_new(s->val, v) ? 0 : -1;
  }
  if (f->wt != wire_type_for(r->type)) goto wrong;
  if (r->type == T_MESSAGE) return slot_add_seg(s, f->p, f->len);
  json_t *v = f->wt == 2 ? delimited_json(c, r->type, NULL, f->p, f->len, depth)
                         : number_json(c, r->type, f->v);
  if (!v) return -1;
  json_decref(s->val);
  s->val = v;
  return 0;
wrong:
  fail_wiretype(c, r, f->wt);
  return -1;
}

/* Adds one field's JSON to obj following encoding/json's rules. */
static int emit_field(pb_ctx *c, json_t *obj, const pb_row *r, pb_slot *s,
                      int depth) {
  int omit = r->flags & F_OMITEMPTY;
  json_t *v = NULL;
  if (r->flags & F_SKIP) return 0;
  if (r->ktype != T_BAD) {
    if (s->val && json_object_size(s->val)) v = sorted_object(s->val);
    else if (omit) return 0;
    else v = json_null();
  } else if (r->flags & F_REPEATED) {
    if (s->val && json_array_size(s->val)) v = json_incref(s->val);
    else if (omit) return 0;
    else v = json_null();
  } else if (r->type == T_MESSAGE) {
    if (!s->nsegs && (r->flags & F_POINTER)) {
      if (omit || (r->flags & F_INLINE)) return 0;
      v = json_null();
    } else {
      v = decode_msg(c, r->msg, s->segs, s->nsegs, depth + 1);
      /* Slices in disguise (ExtraValue) follow the slice rules. */
      if (v && omit && json_is_null(v) && is_list_wrapper(c, r->msg)) {
        json_decref(v);
        return 0;
      }
    }
    if (v && (r->flags & F_INLINE) && json_is_object(v)) {
      int rc = json_object_update_missing(obj, v);
      json_decref(v);
      return rc;
    }
  } else if (s->val) {
    if (omit && is_zero(s->val) && !(r->flags & F_POINTER)) return 0;
    v = json_incref(s->val);
  } else {
    if (omit) return 0;
    v = (r->flags & F_POINTER) ? json_null() : zero_json(r->type);
  }
  if (!v) return -1;
  return json_object_set_new(obj, r->json, v);
}

static json_t *decode_generic(pb_ctx *c, const char *name, const pb_seg *segs,
                              size_t nsegs, int depth) {
  const json_t *fields = json_object_get(c->msgs, name);
  if (!json_is_array(fields)) {
    fail(c, "no protobuf schema for message %s", name);
    return NULL;
  }
  size_t n = json_array_size(fields);
  pb_row *rows = calloc(n ? n : 1, sizeof *rows);
  pb_slot *slots = calloc(n ? n : 1, sizeof *slots);
  json_t *obj = NULL;
  if (!rows || !slots) goto out;
  for (size_t i = 0; i < n; i++)
    if (row_parse(json_array_get(fields, i), &rows[i])) {
      fail(c, "bad protobuf schema entry in %s", name);
      goto out;
    }
  pb_iter it = {segs, nsegs, 0, 0};
  pb_field f;
  int r;
  while ((r = pb_next(c, &it, &f, name)) == 1) {
    size_t i;
    for (i = 0; i < n && rows[i].num != f.num; i++) {}
    if (i == n) {
      if (pb_skip_unknown(c, &it, &f)) goto out;
      continue;
    }
    if (scan_field(c, &rows[i], &slots[i], &f, depth)) goto out;
  }
  if (r < 0 || !(obj = json_object())) goto out;
  for (size_t i = 0; i < n; i++)
    if (emit_field(c, obj, &rows[i], &slots[i], depth)) {
      json_decref(obj);
      obj = NULL;
      goto out;
    }
out:
  if (!obj) fail(c, "out of memory"); /* no-op when an error is already set */
  for (size_t i = 0; slots && i < n; i++) {
    json_decref(slots[i].val);
    free(slots[i].segs);
  }
  free(slots);
  free(rows);
  return obj;
}

static json_t *decode_msg(pb_ctx *c, const char *name, const pb_seg *segs,
                          size_t nsegs, int depth) {
  if (c->failed) return NULL;
  if (!name) {
    fail(c, "bad protobuf schema: field without a type");
    return NULL;
  }
  if (depth > K8S_PROTOBUF_MAX_DEPTH) {
    fail(c, "proto: exceeded maximum nesting depth %d", K8S_PROTOBUF_MAX_DEPTH);
    return NULL;
  }
  json_t *v;
  if (!strcmp(name, MSG_TIME)) v = decode_time(c, segs, nsegs, 0);
  else if (!strcmp(name, MSG_MICROTIME)) v = decode_time(c, segs, nsegs, 1);
  else if (!strcmp(name, MSG_QUANTITY)) v = decode_quantity(c, segs, nsegs);
  else if (!strcmp(name, MSG_INTORSTRING)) v = decode_intorstring(c, segs, nsegs);
  else if (!strcmp(name, MSG_DURATION)) v = decode_duration(c, segs, nsegs);
  else if (!strcmp(name, MSG_RAWEXT))
    v = decode_raw_json(c, name, "runtime.RawExtension", segs, nsegs);
  else if (!strcmp(name, MSG_FIELDSV1))
    v = decode_raw_json(c, name, "*v1.FieldsV1", segs, nsegs);
  else if (is_list_wrapper(c, name)) v = decode_list(c, name, segs, nsegs);
  else v = decode_generic(c, name, segs, nsegs, depth);
  if (!v) fail(c, "out of memory");
  return v;
}

/* ---- public ------------------------------------------------------------------ */

static const unsigned char magic[4] = {'k', '8', 's', 0};

int k8s_protobuf_has_magic(const unsigned char *buf, size_t len) {
  return buf && len >= 4 && !memcmp(buf, magic, 4);
}

static void ctx_init(pb_ctx *c, const json_t *schema, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  c->msgs = json_object_get(schema, "msgs");
  c->lists = json_object_get(schema, "lists");
  c->err = err;
  c->errlen = errlen;
  if (err && errlen) err[0] = 0;
}

json_t *k8s_protobuf_message_to_json(const json_t *schema, const char *message_name,
                                     const unsigned char *buf, size_t len,
                                     char *err, size_t errlen) {
  pb_ctx c;
  ctx_init(&c, schema, err, errlen);
  pb_seg s = {buf, len};
  json_t *v = decode_msg(&c, message_name, &s, buf ? 1 : 0, 0);
  if (c.failed) {
    json_decref(v);
    return NULL;
  }
  return v;
}

const char *k8s_protobuf_message_for(const json_t *schema, const char *api_version,
                                     const char *kind) {
  const json_t *kinds = json_object_get(schema, "kinds");
  if (!api_version || !kind || !*kind) return NULL;
  size_t n = strlen(api_version) + strlen(kind) + 2;
  char *key = malloc(n);
  if (!key) return NULL;
  snprintf(key, n, "%s/%s", api_version, kind);
  const char *m = json_string_value(json_object_get(kinds, key));
  free(key);
  /* meta/v1 kinds every group version serves (DeleteOptions, ...). */
  if (!m && *api_version) m = json_string_value(json_object_get(kinds, kind));
  return m;
}

/* Go's %q of a string, close enough for the messages below. */
static void quote(char *out, size_t len, const char *s) {
  size_t o = 0;
  if (len < 3) return;
  out[o++] = '"';
  for (; *s && o + 6 < len; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      out[o++] = '\\';
      out[o++] = (char)ch;
    } else if (ch < 0x20 || ch == 0x7F) {
      o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
    } else out[o++] = (char)ch;
  }
  out[o++] = '"';
  out[o] = 0;
}

json_t *k8s_protobuf_to_json_defaults(const json_t *schema, const unsigned char *buf,
                                      size_t len, const char *def_api_version,
                                      const char *def_kind, char *err,
                                      size_t errlen) {
  pb_ctx c;
  ctx_init(&c, schema, err, errlen);
  if (!k8s_protobuf_has_magic(buf, len)) {
    fail(&c, "provided data does not appear to be a protobuf message, "
             "expected prefix [107 56 115 0]");
    return NULL;
  }
  /* runtime.Unknown{typeMeta=1 (merged), raw=2, contentEncoding=3,
   * contentType=4}; the last two are read and ignored, like Kubernetes. */
  pb_seg body = {buf + 4, len - 4};
  pb_slot tm = {0};
  pb_want w[] = {{2, T_BYTES, "Raw", 0, 0, 0, 0},
                 {3, T_STRING, "ContentEncoding", 0, 0, 0, 0},
                 {4, T_STRING, "ContentType", 0, 0, 0, 0}};
  pb_iter it = {&body, 1, 0, 0};
  pb_field f;
  int r;
  json_t *out = NULL, *obj = NULL, *jav = NULL, *jkind = NULL;
  char *api_version = NULL, *kind = NULL;
  while ((r = pb_next(&c, &it, &f, "Unknown")) == 1) {
    size_t i;
    if (f.num == 1) {
      if (f.wt != 2) {
        fail(&c, "proto: wrong wireType = %d for field TypeMeta", f.wt);
        goto done;
      }
      if (slot_add_seg(&tm, f.p, f.len)) goto done;
      continue;
    }
    for (i = 0; i < 3 && w[i].num != f.num; i++) {}
    if (i == 3) {
      if (pb_skip_unknown(&c, &it, &f)) goto done;
      continue;
    }
    if (f.wt != 2) {
      fail(&c, "proto: wrong wireType = %d for field %s", f.wt, w[i].goname);
      goto done;
    }
    w[i].found = 1;
    w[i].p = f.p;
    w[i].len = f.len;
  }
  if (r < 0) goto done;
  pb_want t[] = {{1, T_STRING, "APIVersion", 0, 0, 0, 0},
                 {2, T_STRING, "Kind", 0, 0, 0, 0}};
  if (scan_simple(&c, "TypeMeta", tm.segs, tm.nsegs, t, 2)) goto done;
  api_version = strndup(t[0].found ? (const char *)t[0].p : "", t[0].found ? t[0].len : 0);
  kind = strndup(t[1].found ? (const char *)t[1].p : "", t[1].found ? t[1].len : 0);
  if (!api_version || !kind) goto done;
  if (!*api_version && def_api_version && *def_api_version) {
    free(api_version);
    if (!(api_version = strdup(def_api_version))) goto done;
  }
  if (!*kind && def_kind && *def_kind) {
    free(kind);
    if (!(kind = strdup(def_kind))) goto done;
  }
  if (!*kind || !*api_version) {
    char qa[256], qk[256];
    quote(qa, sizeof qa, api_version);
    quote(qk, sizeof qk, kind);
    fail(&c, "Object '%s' is missing in 'runtime.TypeMeta{APIVersion:%s, Kind:%s}'",
         *kind ? "apiVersion" : "Kind", qa, qk);
    goto done;
  }
  const char *msg = k8s_protobuf_message_for(schema, api_version, kind);
  if (!msg) {
    /* kube-apiserver's scheme is named after its source line. */
    char qk[256], qv[256];
    quote(qk, sizeof qk, kind);
    quote(qv, sizeof qv, api_version);
    fail(&c, "no kind %s is registered for version %s in scheme "
             "\"pkg/api/legacyscheme/scheme.go:30\"", qk, qv);
    goto done;
  }
  pb_seg raw = {w[0].p, w[0].len};
  obj = decode_msg(&c, msg, &raw, w[0].found ? 1 : 0, 0);
  if (!obj || c.failed) goto done;
  if (!json_is_object(obj)) {
    fail(&c, "message %s is not an object", msg);
    goto done;
  }
  /* TypeMeta comes first in every Kubernetes object: kind, apiVersion. */
  jkind = pbtext_string((const unsigned char *)kind, strlen(kind));
  jav = pbtext_string((const unsigned char *)api_version, strlen(api_version));
  out = json_object();
  if (!out || !jkind || !jav || json_object_set(out, "kind", jkind) ||
      json_object_set(out, "apiVersion", jav) || json_object_update(out, obj)) {
    fail(&c, "out of memory");
    json_decref(out);
    out = NULL;
  }
done:
  json_decref(obj);
  json_decref(jkind);
  json_decref(jav);
  free(tm.segs);
  free(api_version);
  free(kind);
  if (c.failed) {
    json_decref(out);
    return NULL;
  }
  return out;
}

json_t *k8s_protobuf_to_json(const json_t *schema, const unsigned char *buf,
                             size_t len, char *err, size_t errlen) {
  return k8s_protobuf_to_json_defaults(schema, buf, len, NULL, NULL, err, errlen);
}
