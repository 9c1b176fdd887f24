/* store_etcd_pb.h - etcd v3's gRPC messages (etcdserverpb, mvccpb; field
 * numbers of etcd 3.4's rpc.proto and kv.proto) encoded and decoded by hand:
 * the requests the etcd store sends over gRPC and the parsers of the
 * answers, producing the same C structs as the JSON parsers of
 * store_etcd_wire.h so store_etcd.c does not care which transport spoke.
 * Pure functions, no I/O: the parsers take untrusted bytes (fuzz_etcd_pb),
 * refuse anything malformed (wrong wire type for a known field, truncated
 * lengths or varints, negative revisions) and skip unknown fields. */
#ifndef CKUBE_STORE_ETCD_PB_H
#define CKUBE_STORE_ETCD_PB_H
#include "store_etcd_wire.h"
#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer the encoders append to; the caller frees data. */
typedef struct {
  unsigned char *data;
  size_t len, cap;
} etcd_pb;

/* RangeRequest: as etcd_range_request (range_end NULL: the single key;
 * limit 0: none; rev 0: the latest). */
void etcd_pb_range_request(etcd_pb *out, const char *key, size_t key_len, const char *range_end, int64_t limit,
                           int64_t rev);
/* TxnRequest: as etcd_txn_batch_request (compare each write's condition,
 * success = the writes, failure = a keys-only range of each key). */
void etcd_pb_txn_request(etcd_pb *out, const etcd_txn_op *ops, size_t n);
/* WatchRequest{create_request} on [key, range_end) from start, no prev_kv. */
void etcd_pb_watch_request(etcd_pb *out, const char *key, const char *range_end, int64_t start);
/* CompactionRequest at rev. */
void etcd_pb_compaction_request(etcd_pb *out, int64_t rev);

/* Each parser reads one answer message of len bytes: 0 and *out filled
 * (free kvs/evs with etcd_kvs_free), or -1 with a message in err and nothing
 * to free. The txn parser follows etcd_parse_txn_batch's contract. */
int etcd_pb_parse_range(const unsigned char *buf, size_t len, etcd_range_result *out, char *err, size_t errlen);
int etcd_pb_parse_txn(const unsigned char *buf, size_t len, size_t n, etcd_txn_result *out, int64_t *current,
                      char *err, size_t errlen);
int etcd_pb_parse_watch(const unsigned char *buf, size_t len, etcd_watch_msg *out, char *err, size_t errlen);

#endif
