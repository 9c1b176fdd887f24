/* store_etcd_transport.h - how the etcd store reaches etcd: one small
 * table of calls with two implementations, etcd's native gRPC API
 * (store_etcd_grpc.c, the default) and its JSON gateway
 * (store_etcd_json.c), chosen by --etcd-transport. Every call answers with
 * the parsed structs of store_etcd_wire.h, so store_etcd.c's logic is the
 * same over both. Both keep the same rules: an answer means etcd committed
 * (or refused) the request; a request goes to the next member only when the
 * first cannot have received it; a call that may have reached etcd and then
 * failed is reported, never re-sent. range/txn/compact are thread-safe; a
 * watch belongs to the one thread that opened it. */
#ifndef CKUBE_STORE_ETCD_TRANSPORT_H
#define CKUBE_STORE_ETCD_TRANSPORT_H
#include "store.h"
#include "store_etcd_wire.h"
#include <stdatomic.h>

typedef struct etcd_transport etcd_transport;
typedef struct etcd_watch etcd_watch;

struct etcd_transport {
  const char *name; /* "grpc" or "json", for messages */
  /* A range (etcd_range_request's arguments): 0 and *out (free out->kvs
   * with etcd_kvs_free), or -1 + err. */
  int (*range)(etcd_transport *t, const char *key, size_t key_len, const char *range_end, int64_t limit,
               int64_t rev, etcd_range_result *out, char *err, size_t errlen);
  /* The transaction of n writes (etcd_txn_batch_request): 0 with *out and
   * current[n] as etcd_parse_txn_batch fills them, or -1 + err. */
  int (*txn)(etcd_transport *t, const etcd_txn_op *ops, size_t n, etcd_txn_result *out, int64_t *current, char *err,
             size_t errlen);
  /* Compacts history before rev: 0, or -1 + err. */
  int (*compact)(etcd_transport *t, int64_t rev, char *err, size_t errlen);
  /* A watch of [key, range_end) from revision start on the first member
   * that accepts it (trying each once), or NULL + err. */
  etcd_watch *(*watch_open)(etcd_transport *t, const char *key, const char *range_end, int64_t start, char *err,
                            size_t errlen);
  /* The next WatchResponse into *m (free m->evs with etcd_kvs_free): 1; 0
   * when timeout_ms passed without one or *stop became true; -1 + err when
   * the stream ended, failed or sent something malformed. */
  int (*watch_next)(etcd_watch *w, etcd_watch_msg *m, int timeout_ms, const atomic_bool *stop, char *err,
                    size_t errlen);
  /* Ends the stream (cancelling it at the member) and frees it; NULL is fine. */
  void (*watch_close)(etcd_watch *w);
  void (*free)(etcd_transport *t);
};

/* Each checks the configuration (endpoints, CA, client certificate) without
 * contacting etcd: NULL + err when it is unusable. */
etcd_transport *etcd_transport_json(const store_etcd_config *cfg, char *err, size_t errlen);
etcd_transport *etcd_transport_grpc(const store_etcd_config *cfg, char *err, size_t errlen);

#endif
