/* fuzz_etcd_pb.c - libFuzzer target for the etcd store's protobuf answer
 * parsers (server/store/store_etcd_pb.c, the gRPC transport): any bytes as
 * a RangeResponse, TxnResponse or WatchResponse are parsed or refused, never
 * a crash, a leak or an inconsistent result. The first byte picks the parser
 * (for a transaction's answer the second byte its number of writes). Seeds
 * are in corpus/fuzz_etcd_pb/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_etcd_pb.h"

static void check_kvs(const etcd_kv *kvs, size_t n, bool watch) {
  for (size_t i = 0; i < n; i++) {
    if (kvs[i].mod_rev < 0 || kvs[i].create_rev < 0 || !kvs[i].key || kvs[i].key[kvs[i].key_len]) abort();
    if (watch ? kvs[i].del != (kvs[i].value == NULL) : !kvs[i].value) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const unsigned char *body = data + 1;
  size_t len = size - 1;
  char err[160];
  switch (data[0] % 3) {
  case 0: {
    etcd_range_result r;
    if (etcd_pb_parse_range(body, len, &r, err, sizeof err) == 0) {
      if (r.rev < 0) abort();
      check_kvs(r.kvs, r.n, false);
      etcd_kvs_free(r.kvs, r.n);
    } else if (r.kvs || r.n) abort();
    break;
  }
  case 1: {
    if (len < 1) break;
    size_t n = body[0] % 70;
    int64_t current[70];
    etcd_txn_result t;
    if (etcd_pb_parse_txn(body + 1, len - 1, n, &t, current, err, sizeof err) == 0) {
      if (t.rev < 0 || (n && t.current != current[0])) abort();
      for (size_t i = 0; i < n; i++)
        if (current[i] < 0 || (t.succeeded && current[i] != 0)) abort();
    }
    break;
  }
  default: {
    etcd_watch_msg m;
    if (etcd_pb_parse_watch(body, len, &m, err, sizeof err) == 0) {
      if (m.rev < 0 || m.compact_rev < 0 || strlen(m.reason) >= sizeof m.reason) abort();
      check_kvs(m.evs, m.n, true);
      etcd_kvs_free(m.evs, m.n);
    } else if (m.evs || m.n) abort();
  }
  }
  return 0;
}
