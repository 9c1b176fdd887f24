/* store_etcd_wire.h - etcd v3's JSON gateway on the wire: the request bodies
 * the etcd store sends (/v3/kv/range, /v3/kv/txn, /v3/watch,
 * /v3/kv/compaction) and the parsers of its answers. Pure functions, no I/O:
 * the parsers take untrusted bytes (fuzz_etcd_response) and fail cleanly.
 * Keys and values travel as base64, int64 numbers as JSON strings. Key
 * layout: the cache key "<group>/<resource>/<ns>/<name>" is stored as
 * "<prefix>/<group>/<resource>/<ns>/<name>", a cluster-scoped one
 * ("<group>/<resource>//<name>") as "<prefix>/<group>/<resource>/<name>". */
#ifndef CKUBE_STORE_ETCD_WIRE_H
#define CKUBE_STORE_ETCD_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* One member of --etcd-servers. */
typedef struct {
  char host[64]; /* an IPv4 address */
  int port;
} etcd_endpoint;

/* Parses "https://IPv4:PORT[/],..." into eps (room for max): how many, or
 * -1 with err naming the flag and the bad entry (or an empty list). */
int etcd_parse_endpoints(const char *list, etcd_endpoint *eps, int max, char *err, size_t errlen);

/* The etcd key of a cache key (malloc'd, NUL-terminated). */
char *etcd_key_of(const char *prefix, const char *cache_key);

/* The cache key of an etcd key of len bytes (malloc'd), or NULL when it is
 * not "<prefix>/<group>/<resource>/[<ns>/]<name>" with non-empty parts. */
char *etcd_cache_key(const char *prefix, const char *key, size_t len);

/* One key-value (range answers) or one watch event, bytes decoded. */
typedef struct {
  char *key;            /* NUL-terminated copy of the key bytes */
  size_t key_len;
  unsigned char *value; /* NUL-terminated; NULL for a DELETE event */
  size_t value_len;
  int64_t mod_rev, create_rev;
  bool del; /* a watch event of type DELETE */
} etcd_kv;

void etcd_kvs_free(etcd_kv *kvs, size_t n);

/* Request bodies (new JSON objects). range_end NULL: the single key. rev 0:
 * the latest revision; limit 0: no limit. */
json_t *etcd_range_request(const char *key, size_t key_len, const char *range_end, int64_t limit, int64_t rev);
/* One write of a transaction: put value under key (value NULL: delete it)
 * if the key's mod revision is expect_rev (0: absent; -1: no condition,
 * except that a delete needs the key). */
typedef struct {
  const char *key;
  const unsigned char *value;
  size_t len;
  int64_t expect_rev;
} etcd_txn_op;

/* One transaction of n writes (distinct keys: etcd refuses a key twice):
 * compare = each write's condition, success = the writes in order, failure
 * = a keys-only range of each key in order (its mod revision tells which
 * conditions failed). */
json_t *etcd_txn_batch_request(const etcd_txn_op *ops, size_t n);
/* The transaction of the one write (key, value, len, expect_rev). */
json_t *etcd_txn_request(const char *key, const unsigned char *value, size_t len, int64_t expect_rev);
/* A watch on every key of [key, range_end) from revision start (no
 * previous values: the cache keeps them). */
json_t *etcd_watch_request(const char *key, const char *range_end, int64_t start);
json_t *etcd_compaction_request(int64_t rev);

typedef struct {
  int64_t rev; /* header.revision */
  bool more;
  etcd_kv *kvs;
  size_t n;
} etcd_range_result;

typedef struct {
  int64_t rev;     /* header.revision: the write's revision when succeeded */
  bool succeeded;
  int64_t current; /* not succeeded: the key's mod revision (0: absent) */
} etcd_txn_result;

typedef struct {
  int64_t rev; /* header.revision */
  bool created, canceled;
  int64_t compact_rev; /* > 0: the start revision was compacted away */
  char reason[160];    /* cancel_reason */
  etcd_kv *evs;
  size_t n;
} etcd_watch_msg;

/* Each parser reads one answer body of len bytes: 0 and *out filled (free
 * kvs/evs with etcd_kvs_free), or -1 with a message in err (the gateway's
 * own error text when it sent one) and nothing to free. */
int etcd_parse_range(const char *body, size_t len, etcd_range_result *out, char *err, size_t errlen);
int etcd_parse_txn(const char *body, size_t len, etcd_txn_result *out, char *err, size_t errlen);
/* The answer to etcd_txn_batch_request of n writes: when not succeeded,
 * current[i] = the mod revision of write i's key (0: absent) from the
 * failure branch's n ranges (out->current = current[0]); an answer without
 * exactly n range responses is malformed. */
int etcd_parse_txn_batch(const char *body, size_t len, size_t n, etcd_txn_result *out, int64_t *current, char *err,
                         size_t errlen);
/* One line of the /v3/watch stream: {"result":{...}} (or {"error":...}). */
int etcd_parse_watch(const char *line, size_t len, etcd_watch_msg *out, char *err, size_t errlen);
/* The header revision of any answer (compaction's), or -1 with err. */
int64_t etcd_parse_header_rev(const char *body, size_t len, char *err, size_t errlen);

#endif
