/* store_etcd_wire.c - etcd v3 JSON gateway bodies and answers (contract in
 * store_etcd_wire.h). Every field of an answer is checked for its type before
 * use; anything malformed is an error, never a crash or a guess. */
#include "store_etcd_wire.h"
#include "go_errors.h"
#include "k8s_protobuf_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int etcd_parse_endpoints(const char *list, etcd_endpoint *eps, int max, char *err, size_t errlen) {
  char *copy = strdup(list), *save = NULL;
  int n = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char host[64];
    int port, used = 0;
    if (n == max || sscanf(tok, "https://%63[0-9.]:%d%n", host, &port, &used) != 2 ||
        (tok[used] && strcmp(tok + used, "/")) || port <= 0 || port > 65535) {
      snprintf(err, errlen, "--etcd-servers: want https://IPv4:PORT[,...], got %s", tok);
      free(copy);
      return -1;
    }
    snprintf(eps[n].host, sizeof eps[n].host, "%s", host);
    eps[n++].port = port;
  }
  free(copy);
  if (!n) snprintf(err, errlen, "--etcd-servers: no endpoint given");
  return n ? n : -1;
}

char *etcd_key_of(const char *prefix, const char *cache_key) {
  /* "<g>/<r>//<name>": cluster-scoped, the empty namespace left out */
  const char *s1 = strchr(cache_key, '/');
  const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
  char *out;
  int n;
  if (s2 && s2[1] == '/')
    n = asprintf(&out, "%s/%.*s/%s", prefix, (int)(s2 - cache_key), cache_key, s2 + 2);
  else n = asprintf(&out, "%s/%s", prefix, cache_key);
  return n < 0 ? NULL : out;
}

char *etcd_cache_key(const char *prefix, const char *key, size_t len) {
  size_t plen = strlen(prefix);
  if (len <= plen + 1 || memcmp(key, prefix, plen) != 0 || key[plen] != '/') return NULL;
  const char *p = key + plen + 1, *end = key + len;
  if (memchr(p, 0, (size_t)(end - p))) return NULL;
  /* parts: group, resource, [namespace,] name; none empty */
  const char *parts[5];
  size_t lens[5], np = 0;
  const char *start = p;
  for (const char *q = p; q <= end; q++) {
    if (q < end && *q != '/') continue;
    if (np == 4 || q == start) return NULL;
    parts[np] = start;
    lens[np++] = (size_t)(q - start);
    start = q + 1;
  }
  if (np < 3) return NULL;
  char *out;
  int n = np == 3 ? asprintf(&out, "%.*s/%.*s//%.*s", (int)lens[0], parts[0], (int)lens[1], parts[1],
                             (int)lens[2], parts[2])
                  : asprintf(&out, "%.*s", (int)(end - p), p);
  return n < 0 ? NULL : out;
}

void etcd_kvs_free(etcd_kv *kvs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(kvs[i].key);
    free(kvs[i].value);
  }
  free(kvs);
}

static json_t *b64(const char *s, size_t len) { return pbtext_base64((const unsigned char *)s, len); }

static json_t *int64_str(int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)v);
  return json_string(buf);
}

json_t *etcd_range_request(const char *key, size_t key_len, const char *range_end, int64_t limit, int64_t rev) {
  json_t *r = json_object();
  json_object_set_new(r, "key", b64(key, key_len));
  if (range_end) json_object_set_new(r, "range_end", b64(range_end, strlen(range_end)));
  if (limit > 0) json_object_set_new(r, "limit", int64_str(limit));
  if (rev > 0) json_object_set_new(r, "revision", int64_str(rev));
  return r;
}

static json_t *mod_compare(const char *key, const char *result, int64_t rev) {
  return json_pack("{s:o, s:s, s:s, s:o}", "key", b64(key, strlen(key)), "target", "MOD", "result", result,
                   "mod_revision", int64_str(rev));
}

json_t *etcd_txn_batch_request(const etcd_txn_op *ops, size_t n) {
  json_t *compare = json_array(), *success = json_array(), *failure = json_array();
  for (size_t i = 0; i < n; i++) {
    const char *key = ops[i].key;
    if (ops[i].expect_rev >= 0) json_array_append_new(compare, mod_compare(key, "EQUAL", ops[i].expect_rev));
    else if (!ops[i].value) json_array_append_new(compare, mod_compare(key, "GREATER", 0));
    if (ops[i].value)
      json_array_append_new(success, json_pack("{s:{s:o, s:o}}", "request_put", "key", b64(key, strlen(key)), "value",
                                               pbtext_base64(ops[i].value, ops[i].len)));
    else json_array_append_new(success, json_pack("{s:{s:o}}", "request_delete_range", "key", b64(key, strlen(key))));
    json_array_append_new(failure,
                          json_pack("{s:{s:o, s:b}}", "request_range", "key", b64(key, strlen(key)), "keys_only", 1));
  }
  return json_pack("{s:o, s:o, s:o}", "compare", compare, "success", success, "failure", failure);
}

json_t *etcd_txn_request(const char *key, const unsigned char *value, size_t len, int64_t expect_rev) {
  etcd_txn_op op = {key, value, len, expect_rev};
  return etcd_txn_batch_request(&op, 1);
}

/* Without prev_kv: the cache holds every previous state itself, and
 * previous values would cost etcd a read and the stream their bytes per event. */
json_t *etcd_watch_request(const char *key, const char *range_end, int64_t start) {
  return json_pack("{s:{s:o, s:o, s:o}}", "create_request", "key", b64(key, strlen(key)), "range_end",
                   b64(range_end, strlen(range_end)), "start_revision", int64_str(start));
}

json_t *etcd_compaction_request(int64_t rev) { return json_pack("{s:o}", "revision", int64_str(rev)); }

/* An int64 the gateway writes as a string (or, leniently, a number); absent
 * is 0 (proto3 leaves zero values out). -1 when it is something else. */
static int get_int64(const json_t *o, const char *field, int64_t *v) {
  const json_t *j = json_object_get(o, field);
  *v = 0;
  if (!j) return 0;
  if (json_is_integer(j)) {
    *v = json_integer_value(j);
    return *v < 0 ? -1 : 0;
  }
  if (!json_is_string(j)) return -1;
  const char *s = json_string_value(j);
  if (!*s || strlen(s) > 18) return -1;
  int64_t n = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    n = n * 10 + (*s - '0');
  }
  *v = n;
  return 0;
}

static bool get_bool(const json_t *o, const char *field) { return json_is_true(json_object_get(o, field)); }

/* base64 field into a malloc'd NUL-terminated buffer; absent is empty. */
static int get_bytes(const json_t *o, const char *field, unsigned char **out, size_t *len) {
  const json_t *j = json_object_get(o, field);
  *out = NULL;
  *len = 0;
  if (j && !json_is_string(j)) return -1;
  const char *s = j ? json_string_value(j) : "";
  *out = go_base64_decode(s, strlen(s), len);
  return *out ? 0 : -1;
}

static int parse_kv(const json_t *j, etcd_kv *kv) {
  memset(kv, 0, sizeof *kv);
  if (!json_is_object(j)) return -1;
  unsigned char *key;
  if (get_bytes(j, "key", &key, &kv->key_len) != 0) return -1;
  kv->key = (char *)key;
  if (get_bytes(j, "value", &kv->value, &kv->value_len) != 0 || get_int64(j, "mod_revision", &kv->mod_rev) != 0 ||
      get_int64(j, "create_revision", &kv->create_rev) != 0) {
    free(kv->key);
    free(kv->value);
    return -1;
  }
  return 0;
}

/* A kvs array (absent: none) into out and n. */
static int parse_kvs(const json_t *arr, etcd_kv **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!arr) return 0;
  if (!json_is_array(arr)) return -1;
  size_t cnt = json_array_size(arr);
  etcd_kv *kvs = calloc(cnt ? cnt : 1, sizeof *kvs);
  for (size_t i = 0; i < cnt; i++)
    if (parse_kv(json_array_get(arr, i), &kvs[i]) != 0) {
      etcd_kvs_free(kvs, i);
      return -1;
    }
  *out = kvs;
  *n = cnt;
  return 0;
}

/* Parses body as a JSON object; an {"error"/"message"} answer (the
 * gateway's error form) becomes -1 with its text. */
static json_t *load_answer(const char *body, size_t len, char *err, size_t errlen) {
  json_error_t jerr;
  json_t *j = json_loadb(body, len, 0, &jerr);
  if (!json_is_object(j)) {
    snprintf(err, errlen, "etcd answer is not a JSON object");
    json_decref(j);
    return NULL;
  }
  const json_t *e = json_object_get(j, "error");
  if (!e) e = json_object_get(j, "message");
  if (e && !json_object_get(j, "header") && !json_object_get(j, "result")) {
    snprintf(err, errlen, "etcd: %s", json_is_string(e) ? json_string_value(e) : "error");
    json_decref(j);
    return NULL;
  }
  return j;
}

static int header_rev(const json_t *o, int64_t *rev) {
  const json_t *h = json_object_get(o, "header");
  if (!json_is_object(h)) return -1;
  return get_int64(h, "revision", rev);
}

int64_t etcd_parse_header_rev(const char *body, size_t len, char *err, size_t errlen) {
  json_t *j = load_answer(body, len, err, errlen);
  if (!j) return -1;
  int64_t rev;
  int rc = header_rev(j, &rev);
  json_decref(j);
  if (rc != 0) snprintf(err, errlen, "etcd answer without a header revision");
  return rc ? -1 : rev;
}

int etcd_parse_range(const char *body, size_t len, etcd_range_result *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  json_t *j = load_answer(body, len, err, errlen);
  if (!j) return -1;
  int rc = header_rev(j, &out->rev) == 0 && parse_kvs(json_object_get(j, "kvs"), &out->kvs, &out->n) == 0 ? 0 : -1;
  out->more = get_bool(j, "more");
  json_decref(j);
  if (rc) snprintf(err, errlen, "malformed etcd range answer");
  return rc;
}

/* The mod revision in a failure branch's range response (0: no key). */
static int range_mod_rev(const json_t *response, int64_t *rev) {
  const json_t *range = json_object_get(response, "response_range");
  etcd_kv *kvs = NULL;
  size_t n = 0;
  *rev = 0;
  if (!json_is_object(range) || parse_kvs(json_object_get(range, "kvs"), &kvs, &n) != 0) return -1;
  if (n) *rev = kvs[0].mod_rev;
  etcd_kvs_free(kvs, n);
  return 0;
}

int etcd_parse_txn_batch(const char *body, size_t len, size_t n, etcd_txn_result *out, int64_t *current, char *err,
                         size_t errlen) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) current[i] = 0;
  json_t *j = load_answer(body, len, err, errlen);
  if (!j) return -1;
  int rc = header_rev(j, &out->rev);
  out->succeeded = get_bool(j, "succeeded");
  if (rc == 0 && !out->succeeded) {
    /* failure branch: responses[i].response_range.kvs[0].mod_revision */
    const json_t *resp = json_object_get(j, "responses");
    if (!json_is_array(resp) || json_array_size(resp) != n) rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) rc = range_mod_rev(json_array_get(resp, i), &current[i]);
    if (rc == 0 && n) out->current = current[0];
  }
  json_decref(j);
  if (rc) {
    for (size_t i = 0; i < n; i++) current[i] = 0;
    snprintf(err, errlen, "malformed etcd txn answer");
  }
  return rc;
}

int etcd_parse_txn(const char *body, size_t len, etcd_txn_result *out, char *err, size_t errlen) {
  int64_t current;
  return etcd_parse_txn_batch(body, len, 1, out, &current, err, errlen);
}

int etcd_parse_watch(const char *line, size_t len, etcd_watch_msg *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  json_t *j = load_answer(line, len, err, errlen);
  if (!j) return -1;
  const json_t *r = json_object_get(j, "result");
  int rc = json_is_object(r) && header_rev(r, &out->rev) == 0 && get_int64(r, "compact_revision", &out->compact_rev) == 0
               ? 0
               : -1;
  if (rc == 0) {
    out->created = get_bool(r, "created");
    out->canceled = get_bool(r, "canceled");
    const json_t *why = json_object_get(r, "cancel_reason");
    if (json_is_string(why)) snprintf(out->reason, sizeof out->reason, "%s", json_string_value(why));
    const json_t *evs = json_object_get(r, "events");
    if (evs && !json_is_array(evs)) rc = -1;
    size_t n = json_array_size(evs);
    out->evs = calloc(n ? n : 1, sizeof *out->evs);
    for (size_t i = 0; rc == 0 && i < n; i++) {
      const json_t *ev = json_array_get(evs, i);
      const json_t *type = json_object_get(ev, "type");
      if (parse_kv(json_object_get(ev, "kv"), &out->evs[i]) != 0) {
        rc = -1;
        break;
      }
      out->n = i + 1;
      if (type && (!json_is_string(type) ||
                   (strcmp(json_string_value(type), "PUT") && strcmp(json_string_value(type), "DELETE")))) {
        rc = -1;
        break;
      }
      if (type && !strcmp(json_string_value(type), "DELETE")) {
        out->evs[i].del = true;
        free(out->evs[i].value);
        out->evs[i].value = NULL;
        out->evs[i].value_len = 0;
      }
    }
    if (rc) {
      etcd_kvs_free(out->evs, out->n);
      out->evs = NULL;
      out->n = 0;
    }
  }
  json_decref(j);
  if (rc) snprintf(err, errlen, "malformed etcd watch message");
  return rc;
}
