/* store.h - the storage backend interface: the durable log of record behind
 * the watch cache. The cache holds every object in memory; the store only
 * has to load the latest state at start and make a batch of writes durable
 * (all or nothing) before they are acknowledged. SQLite is the embedded
 * default (store_sqlite.c); an etcd backend fits the same vtable. */
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
};

/* Opens (creating if needed) the SQLite store at path, in WAL mode with
 * synchronous=FULL so a commit survives kill -9 and power loss. NULL + err. */
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* A store in this process's memory (store_memory.c): nothing survives the
 * process (unit tests run the API core over it). */
store *store_memory_open(void);

#endif
