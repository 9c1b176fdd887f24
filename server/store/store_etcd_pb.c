/* store_etcd_pb.c - etcd v3 protobuf requests and answers (contract in
 * store_etcd_pb.h). The protobuf wire format by hand: a message is a run of
 * fields, each a varint key (number << 3 | wire type) then a varint (type 0),
 * 8 or 4 bytes (1, 5) or a varint length and that many bytes (2: bytes,
 * strings, embedded messages). proto3 leaves zero values out, so an absent
 * field reads as 0, false or empty. */
#include "store_etcd_pb.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_BYTES = 2, WT_FIXED32 = 5 };

static void put_raw(etcd_pb *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n) cap *= 2;
    b->data = realloc(b->data, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_varint(etcd_pb *b, uint64_t v) {
  unsigned char tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  put_raw(b, tmp, n);
}

static void put_tag(etcd_pb *b, unsigned num, unsigned wt) { put_varint(b, (uint64_t)num << 3 | wt); }

static void put_bytes(etcd_pb *b, unsigned num, const void *p, size_t n) {
  put_tag(b, num, WT_BYTES);
  put_varint(b, n);
  put_raw(b, p, n);
}

/* An int64 or bool field, left out when zero as proto3 does. */
static void put_int(etcd_pb *b, unsigned num, int64_t v) {
  if (!v) return;
  put_tag(b, num, WT_VARINT);
  put_varint(b, (uint64_t)v);
}

/* Appends the embedded message m as field num and empties m for reuse. */
static void put_msg(etcd_pb *b, unsigned num, etcd_pb *m) {
  put_bytes(b, num, m->data, m->len);
  m->len = 0;
}

void etcd_pb_range_request(etcd_pb *out, const char *key, size_t key_len, const char *range_end, int64_t limit,
                           int64_t rev) {
  put_bytes(out, 1, key, key_len);
  if (range_end) put_bytes(out, 2, range_end, strlen(range_end));
  put_int(out, 3, limit);
  put_int(out, 4, rev);
}

/* Compare{result, target MOD, key, mod_revision}: mod_revision is in a
 * oneof, so it is sent even when 0 (absent would read as 0 too). */
static void mod_compare(etcd_pb *out, const char *key, int result, int64_t rev) {
  put_int(out, 1, result);
  put_int(out, 2, 2 /* MOD */);
  put_bytes(out, 3, key, strlen(key));
  put_tag(out, 6, WT_VARINT);
  put_varint(out, (uint64_t)rev);
}

void etcd_pb_txn_request(etcd_pb *out, const etcd_txn_op *ops, size_t n) {
  etcd_pb inner = {0}, op = {0};
  for (size_t i = 0; i < n; i++) {
    const char *key = ops[i].key;
    if (ops[i].expect_rev >= 0) mod_compare(&inner, key, 0 /* EQUAL */, ops[i].expect_rev);
    else if (!ops[i].value) mod_compare(&inner, key, 1 /* GREATER */, 0);
    if (inner.len) put_msg(out, 1, &inner);
  }
  for (size_t i = 0; i < n; i++) {
    put_bytes(&inner, 1, ops[i].key, strlen(ops[i].key));
    if (ops[i].value) {
      put_bytes(&inner, 2, ops[i].value, ops[i].len);
      put_msg(&op, 2 /* request_put */, &inner);
    } else put_msg(&op, 3 /* request_delete_range */, &inner);
    put_msg(out, 2, &op);
  }
  for (size_t i = 0; i < n; i++) {
    put_bytes(&inner, 1, ops[i].key, strlen(ops[i].key));
    put_int(&inner, 8 /* keys_only */, 1);
    put_msg(&op, 1 /* request_range */, &inner);
    put_msg(out, 3, &op);
  }
  free(inner.data);
  free(op.data);
}

/* Without prev_kv: the cache holds every previous state itself. */
void etcd_pb_watch_request(etcd_pb *out, const char *key, const char *range_end, int64_t start) {
  etcd_pb create = {0};
  put_bytes(&create, 1, key, strlen(key));
  put_bytes(&create, 2, range_end, strlen(range_end));
  put_int(&create, 3, start);
  put_msg(out, 1 /* create_request */, &create);
  free(create.data);
}

void etcd_pb_compaction_request(etcd_pb *out, int64_t rev) { put_int(out, 1, rev); }

/* ---- decoding ---- */

typedef struct {
  const unsigned char *p, *end;
} reader;

typedef struct {
  uint32_t num;
  unsigned wt;
  uint64_t v;              /* WT_VARINT */
  const unsigned char *b;  /* WT_BYTES */
  size_t blen;
} field;

static int get_varint(reader *r, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (r->p == r->end) return -1;
    unsigned char c = *r->p++;
    if (shift == 63 && c > 1) return -1; /* more than 64 bits */
    *v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return 0;
  }
  return -1;
}

/* The next field: 1, 0 at the end of the message, -1 when malformed. */
static int next_field(reader *r, field *f) {
  if (r->p == r->end) return 0;
  uint64_t key;
  if (get_varint(r, &key) != 0 || key >> 3 == 0 || key >> 3 > 0x1fffffff) return -1;
  f->num = (uint32_t)(key >> 3);
  f->wt = (unsigned)(key & 7);
  size_t left = (size_t)(r->end - r->p);
  switch (f->wt) {
  case WT_VARINT: return get_varint(r, &f->v) == 0 ? 1 : -1;
  case WT_FIXED64:
    if (left < 8) return -1;
    r->p += 8;
    return 1;
  case WT_FIXED32:
    if (left < 4) return -1;
    r->p += 4;
    return 1;
  case WT_BYTES: {
    uint64_t n;
    if (get_varint(r, &n) != 0 || n > (uint64_t)(r->end - r->p)) return -1;
    f->b = r->p;
    f->blen = (size_t)n;
    r->p += n;
    return 1;
  }
  default: return -1; /* groups: not in etcd's messages */
  }
}

/* A non-negative int64 (revisions) from a varint field. */
static int get_rev(const field *f, int64_t *v) {
  if (f->wt != WT_VARINT || (int64_t)f->v < 0) return -1;
  *v = (int64_t)f->v;
  return 0;
}

static int get_bool(const field *f, bool *v) {
  if (f->wt != WT_VARINT) return -1;
  *v = f->v != 0;
  return 0;
}

/* A NUL-terminated malloc'd copy of a bytes field (replacing *out). */
static int get_copy(const field *f, unsigned char **out, size_t *len) {
  if (f->wt != WT_BYTES) return -1;
  free(*out);
  *out = malloc(f->blen + 1);
  memcpy(*out, f->b, f->blen);
  (*out)[f->blen] = 0;
  *len = f->blen;
  return 0;
}

/* ResponseHeader: its revision (field 3). */
static int parse_header(const unsigned char *b, size_t len, int64_t *rev) {
  reader r = {b, b + len};
  field f;
  int rc;
  while ((rc = next_field(&r, &f)) > 0)
    if (f.num == 3 && get_rev(&f, rev) != 0) return -1;
  return rc;
}

/* A header field (number 1 of every answer): its revision; seen noted. */
static int get_header(const field *f, int64_t *rev, bool *seen) {
  *seen = true;
  return f->wt == WT_BYTES && parse_header(f->b, f->blen, rev) == 0 ? 0 : -1;
}

/* mvccpb.KeyValue: key 1, create_revision 2, mod_revision 3, value 5. */
static int parse_kv(const unsigned char *b, size_t len, etcd_kv *kv) {
  memset(kv, 0, sizeof *kv);
  reader r = {b, b + len};
  field f;
  int rc;
  unsigned char *key = NULL;
  while ((rc = next_field(&r, &f)) > 0) {
    if ((f.num == 1 && get_copy(&f, &key, &kv->key_len) != 0) ||
        (f.num == 2 && get_rev(&f, &kv->create_rev) != 0) || (f.num == 3 && get_rev(&f, &kv->mod_rev) != 0) ||
        (f.num == 5 && get_copy(&f, &kv->value, &kv->value_len) != 0)) {
      rc = -1;
      break;
    }
  }
  if (rc == 0) {
    if (!key) key = calloc(1, 1);
    if (!kv->value) kv->value = calloc(1, 1);
  }
  kv->key = (char *)key;
  if (rc != 0) {
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
    return -1;
  }
  return 0;
}

/* Appends one slot to a kv array of *n entries (capacity doubling). */
static etcd_kv *kv_slot(etcd_kv **kvs, size_t *n, size_t *cap) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 4;
    *kvs = realloc(*kvs, *cap * sizeof **kvs);
  }
  return &(*kvs)[(*n)++];
}

/* Parses a KeyValue field into a new slot; on failure the slot is given back. */
static int add_kv(const field *f, etcd_kv **kvs, size_t *n, size_t *cap) {
  if (f->wt != WT_BYTES) return -1;
  etcd_kv *kv = kv_slot(kvs, n, cap);
  if (parse_kv(f->b, f->blen, kv) == 0) return 0;
  (*n)--;
  return -1;
}

static void fail(char *err, size_t errlen, const char *what) { snprintf(err, errlen, "malformed etcd %s", what); }

/* RangeResponse: header 1, kvs 2, more 3. */
static int parse_range(const unsigned char *b, size_t len, etcd_range_result *out) {
  memset(out, 0, sizeof *out);
  reader r = {b, b + len};
  field f;
  int rc;
  size_t cap = 0;
  bool header = false;
  while ((rc = next_field(&r, &f)) > 0) {
    if (f.num == 1) rc = get_header(&f, &out->rev, &header);
    else if (f.num == 2) rc = add_kv(&f, &out->kvs, &out->n, &cap);
    else if (f.num == 3) rc = get_bool(&f, &out->more);
    if (rc < 0) break;
  }
  if (rc == 0 && header) return 0;
  etcd_kvs_free(out->kvs, out->n);
  memset(out, 0, sizeof *out);
  return -1;
}

int etcd_pb_parse_range(const unsigned char *buf, size_t len, etcd_range_result *out, char *err, size_t errlen) {
  if (parse_range(buf, len, out) == 0) return 0;
  fail(err, errlen, "range answer");
  return -1;
}

/* The mod revision in a failure branch's ResponseOp{response_range} (0: no key). */
static int range_mod_rev(const unsigned char *b, size_t len, int64_t *rev) {
  reader r = {b, b + len};
  field f;
  int rc;
  bool range = false;
  *rev = 0;
  while ((rc = next_field(&r, &f)) > 0) {
    if (f.num != 1) continue;
    etcd_range_result rr;
    if (f.wt != WT_BYTES || parse_range(f.b, f.blen, &rr) != 0) return -1;
    range = true;
    *rev = rr.n ? rr.kvs[0].mod_rev : 0;
    etcd_kvs_free(rr.kvs, rr.n);
  }
  return rc == 0 && range ? 0 : -1;
}

/* TxnResponse: header 1, succeeded 2, responses 3 (ResponseOp). */
int etcd_pb_parse_txn(const unsigned char *buf, size_t len, size_t n, etcd_txn_result *out, int64_t *current,
                      char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) current[i] = 0;
  reader r = {buf, buf + len};
  field f;
  int rc;
  bool header = false;
  size_t responses = 0;
  while ((rc = next_field(&r, &f)) > 0) {
    if (f.num == 1) rc = get_header(&f, &out->rev, &header);
    else if (f.num == 2) rc = get_bool(&f, &out->succeeded);
    else if (f.num == 3) {
      if (f.wt != WT_BYTES) rc = -1;
      responses++;
    }
    if (rc < 0) break;
  }
  if (rc == 0 && !header) rc = -1;
  if (rc == 0 && !out->succeeded) {
    /* the failure branch: one keys-only range per write, in order */
    if (responses != n) rc = -1;
    reader again = {buf, buf + len};
    size_t i = 0;
    while (rc == 0 && next_field(&again, &f) > 0)
      if (f.num == 3 && range_mod_rev(f.b, f.blen, &current[i++]) != 0) rc = -1;
    if (rc == 0 && n) out->current = current[0];
  }
  if (rc == 0) return 0;
  for (size_t i = 0; i < n; i++) current[i] = 0;
  memset(out, 0, sizeof *out);
  fail(err, errlen, "txn answer");
  return -1;
}

/* mvccpb.Event: type 1 (PUT 0, DELETE 1), kv 2; prev_kv 3 is not asked for. */
static int parse_event(const unsigned char *b, size_t len, etcd_kv *ev) {
  reader r = {b, b + len};
  field f;
  int rc;
  bool del = false, have_kv = false;
  memset(ev, 0, sizeof *ev);
  while ((rc = next_field(&r, &f)) > 0) {
    if (f.num == 1 && (f.wt != WT_VARINT || f.v > 1)) rc = -1;
    else if (f.num == 1) del = f.v == 1;
    else if (f.num == 2) {
      /* a repeated kv replaces the earlier one */
      free(ev->key);
      free(ev->value);
      memset(ev, 0, sizeof *ev);
      if (f.wt != WT_BYTES || parse_kv(f.b, f.blen, ev) != 0) rc = -1;
      have_kv = rc > 0;
    }
    if (rc < 0) break;
  }
  if (rc != 0 || !have_kv) {
    free(ev->key);
    free(ev->value);
    memset(ev, 0, sizeof *ev);
    return -1;
  }
  if (del) {
    ev->del = true;
    free(ev->value);
    ev->value = NULL;
    ev->value_len = 0;
  }
  return 0;
}

/* WatchResponse: header 1, created 3, canceled 4, compact_revision 5,
 * cancel_reason 6, events 11. */
int etcd_pb_parse_watch(const unsigned char *buf, size_t len, etcd_watch_msg *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  reader r = {buf, buf + len};
  field f;
  int rc;
  size_t cap = 0;
  bool header = false;
  while ((rc = next_field(&r, &f)) > 0) {
    switch (f.num) {
    case 1: rc = get_header(&f, &out->rev, &header); break;
    case 3: rc = get_bool(&f, &out->created); break;
    case 4: rc = get_bool(&f, &out->canceled); break;
    case 5: rc = get_rev(&f, &out->compact_rev); break;
    case 6:
      if (f.wt != WT_BYTES) rc = -1;
      else snprintf(out->reason, sizeof out->reason, "%.*s", (int)(f.blen < 159 ? f.blen : 159), (const char *)f.b);
      break;
    case 11:
      if (f.wt != WT_BYTES) rc = -1;
      else {
        etcd_kv *ev = kv_slot(&out->evs, &out->n, &cap);
        if (parse_event(f.b, f.blen, ev) != 0) {
          out->n--;
          rc = -1;
        }
      }
      break;
    default: break;
    }
    if (rc < 0) break;
  }
  if (rc == 0 && header) return 0;
  etcd_kvs_free(out->evs, out->n);
  memset(out, 0, sizeof *out);
  fail(err, errlen, "watch message");
  return -1;
}
