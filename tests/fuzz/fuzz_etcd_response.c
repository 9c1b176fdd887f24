/* fuzz_etcd_response.c - libFuzzer target for the etcd store's answer
 * parsers (server/store_etcd_wire.c): any bytes as a range, txn or watch
 * answer and as an etcd key are parsed or refused, never a crash, a leak or
 * an inconsistent result. The first byte picks the parser (for a batch
 * transaction's answer the second byte its number of writes). Seeds are in
 * corpus/fuzz_etcd_response/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_etcd_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  char err[160];
  switch (data[0] % 5) {
  case 0: {
    etcd_range_result r;
    if (etcd_parse_range(body, len, &r, err, sizeof err) == 0) {
      for (size_t i = 0; i < r.n; i++)
        if (r.kvs[i].mod_rev < 0 || !r.kvs[i].key || !r.kvs[i].value) abort();
      etcd_kvs_free(r.kvs, r.n);
    }
    break;
  }
  case 1: {
    etcd_txn_result t;
    if (etcd_parse_txn(body, len, &t, err, sizeof err) == 0 && (t.rev < 0 || t.current < 0)) abort();
    break;
  }
  case 2: {
    etcd_watch_msg m;
    if (etcd_parse_watch(body, len, &m, err, sizeof err) == 0) {
      for (size_t i = 0; i < m.n; i++)
        if (m.evs[i].del != (m.evs[i].value == NULL)) abort();
      etcd_kvs_free(m.evs, m.n);
    }
    break;
  }
  case 4: {
    if (len < 1) break;
    size_t n = (unsigned char)body[0] % 70;
    int64_t current[70];
    etcd_txn_result t;
    if (etcd_parse_txn_batch(body + 1, len - 1, n, &t, current, err, sizeof err) == 0) {
      if (t.rev < 0 || (n && t.current != current[0])) abort();
      for (size_t i = 0; i < n; i++)
        if (current[i] < 0 || (t.succeeded && current[i] != 0)) abort();
    }
    break;
  }
  default: {
    char *k = etcd_cache_key("/registry", body, len);
    if (k) {
      /* a cache key maps back to the same etcd key */
      char *back = etcd_key_of("/registry", k);
      if (!back || strlen(back) != len || memcmp(back, body, len) != 0) abort();
      free(back);
    }
    free(k);
  }
  }
  return 0;
}
