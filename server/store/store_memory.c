/* store_memory.c - a store backend (store.h) that keeps the log of record in
 * this process's memory: commits apply all or nothing, a load returns the
 * live keys. Nothing survives the process; it lets the API core run over a
 * cache in unit tests without a file, and is the smallest example of the
 * interface an etcd backend fills. */
#include "store.h"
#include "strmap.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *value;
  size_t len;
} mem_value;

typedef struct {
  store base;
  pthread_mutex_t mu;
  strmap *kv;  /* key -> mem_value */
  int64_t rev; /* the last revision written (deletes included) */
} mem_store;

static void value_free(void *v) {
  mem_value *m = v;
  free(m->value);
  free(m);
}

static int mem_load(store *s, store_load_fn fn, void *ctx, int64_t *rev) {
  mem_store *m = (mem_store *)s;
  pthread_mutex_lock(&m->mu);
  strmap_iter it = {0};
  while (strmap_next(m->kv, &it)) {
    const mem_value *v = it.value;
    fn(ctx, it.key, m->rev, v->value, v->len);
  }
  *rev = m->rev;
  pthread_mutex_unlock(&m->mu);
  return 0;
}

static int mem_commit(store *s, const store_op *ops, size_t n) {
  mem_store *m = (mem_store *)s;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < n; i++) {
    void *old;
    if (ops[i].value) {
      mem_value *v = malloc(sizeof *v);
      v->value = malloc(ops[i].len + 1);
      memcpy(v->value, ops[i].value, ops[i].len);
      v->value[ops[i].len] = 0;
      v->len = ops[i].len;
      old = strmap_put(m->kv, ops[i].key, v);
    } else {
      old = strmap_remove(m->kv, ops[i].key);
    }
    if (old) value_free(old);
    if (ops[i].rev > m->rev) m->rev = ops[i].rev;
  }
  pthread_mutex_unlock(&m->mu);
  return 0;
}

static void mem_close(store *s) {
  mem_store *m = (mem_store *)s;
  strmap_free(m->kv, value_free);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

static const char *mem_error(store *s) {
  (void)s;
  return "";
}

store *store_memory_open(void) {
  mem_store *m = calloc(1, sizeof *m);
  m->base = (store){.load = mem_load, .commit = mem_commit, .close = mem_close, .error = mem_error};
  pthread_mutex_init(&m->mu, NULL);
  m->kv = strmap_new();
  return &m->base;
}
