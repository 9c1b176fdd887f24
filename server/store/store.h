/* store.h - the storage backend interface: the durable log of record behind
 * the watch cache. The cache holds every object in memory; the store only
 * has to load the latest state at start and make a batch of writes durable
 * (all or nothing) before they are acknowledged. SQLite is the embedded
 * default (store_sqlite.c): the cache assigns revisions and commits batches.
 * A remote store (etcd, store_etcd.c) assigns revisions itself: the cache
 * writes batches of keys with compare-and-swap (put_batch) and publishes
 * what the store's watch delivers, its own writes and other servers' alike. */
#ifndef CKUBE_STORE_H
#define CKUBE_STORE_H
#include <stddef.h>
#include <stdint.h>

typedef struct store_op {
  const char *key;   /* "<storage>/<namespace>/<name>" */
  const char *value; /* serialized object; NULL deletes the key */
  size_t len;
  int64_t rev;       /* revision of this write */
} store_op;

typedef void (*store_load_fn)(void *ctx, const char *key, int64_t rev, const char *value, size_t len);

/* One change a remote store's watch delivers: value NULL when key was deleted. */
typedef struct store_event {
  const char *key; /* cache key, "<storage>/<namespace>/<name>" */
  const char *value;
  size_t len;
  int64_t rev;
} store_event;

/* Called from the store's watch thread with changes in revision order. */
typedef void (*store_watch_fn)(void *ctx, const store_event *evs, size_t n);
/* Called from the watch thread when changes were lost (the store's history
 * was compacted past the last delivered revision): the cache loads the whole
 * state again (load) and returns its revision, the watch resumes after it;
 * -1 when that failed (the store tries again). */
typedef int64_t (*store_reload_fn)(void *ctx);

typedef struct store store;
struct store {
  /* Calls fn for every live key; sets *rev to the last revision ever written
   * (deletes included). Returns 0 or -1. */
  int (*load)(store *s, store_load_fn fn, void *ctx, int64_t *rev);
  /* Makes ops durable in one transaction, in order. Returns 0 or -1 (and
   * nothing of the batch is applied). */
  int (*commit)(store *s, const store_op *ops, size_t n);
  void (*close)(store *s);
  /* Last error message (static to the store, valid until the next call). */
  const char *(*error)(store *s);

  /* Remote stores only (NULL for SQLite, whose commit is used instead). */
  /* Writes ops[0..n) (value NULL: delete; distinct keys) in one
   * transaction if every key's revision is its expect_rev[i] (0: absent;
   * -1: any, but a delete needs the key), all or none. Returns 0 with *rev
   * = the revision all of them share once the store committed it; 1 when a
   * condition failed (nothing written), with current[i] = each key's
   * revision (0: absent) and *rev = the store's revision; -1 on error
   * (error() in the calling thread). A single write is a batch of one. */
  int (*put_batch)(store *s, const store_op *ops, const int64_t *expect_rev, size_t n, int64_t *rev,
                   int64_t *current);
  /* Starts delivering every change after revision `after` to fn, in order,
   * until close (which joins the watch thread); reload when changes were
   * lost. Returns 0 or -1. */
  int (*watch)(store *s, int64_t after, store_watch_fn fn, store_reload_fn reload, void *ctx);
  /* A remote store keeps values without metadata.resourceVersion: the cache
   * sets it from the revision (at load and for watched changes). */

  /* Remote stores only: bookkeeping keys shared by the servers of a cluster
   * outside the object key space, "<prefix>/ranges/<name>" (load and watch
   * skip them), as kube-apiserver's /registry/ranges/serviceips. get_raw
   * sets *value (malloc'd, NULL when absent), *len and *rev (its mod
   * revision, 0 when absent); 0 or -1. put_raw_if writes value when the
   * key's mod revision is expect_rev (0: absent): 0 written, 1 the compare
   * failed (someone wrote it since), -1 error. */
  int (*get_raw)(store *s, const char *name, char **value, size_t *len, int64_t *rev);
  int (*put_raw_if)(store *s, const char *name, const char *value, size_t len, int64_t expect_rev);
};

/* Opens (creating if needed) the SQLite store at path, in WAL mode with
 * synchronous=FULL so a commit survives kill -9 and power loss. NULL + err. */
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* A store in this process's memory (store_memory.c): nothing survives the
 * process (unit tests run the API core over it). */
store *store_memory_open(void);
typedef struct {
  const char *servers;     /* "https://127.0.0.1:2379,..." */
  const char *ca, *cert, *key;
  const char *prefix;      /* key prefix, "/registry" */
  int compaction_seconds;  /* compact history older than this (kube-apiserver: 5 min); 0 = never */
  const char *transport;   /* "grpc" (NULL: the default) or "json" (the v3 JSON gateway) */
} store_etcd_config;

/* Connects to the etcd cluster (gRPC or the JSON gateway, over TLS) and
 * checks that it answers. NULL + err. */
store *store_etcd_open(const store_etcd_config *cfg, char *err, size_t errlen);

#endif
