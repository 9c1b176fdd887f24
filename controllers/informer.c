/* informer.c - see informer.h. */
#include "informer.h"
#include "api.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct informer {
  const resource *r;
  informer_fn fn;
  void *ctx;
  pthread_t thread;
  atomic_bool stop;
};

const char *informer_key(const cobj *o) { return o->subkey[0] == '/' ? o->subkey + 1 : o->subkey; }

static int64_t list_one(informer *inf, const resource *r) {
  cobj_vec all = {0};
  int64_t rev = cache_list(api_cache(), r->bucket, "", NULL, 0, &all);
  for (size_t i = 0; i < all.n; i++) inf->fn(inf->ctx, EV_ADDED, all.items[i], NULL);
  cobj_vec_clear(&all);
  return rev;
}

/* Lists r, or every stored resource when r is NULL; returns a revision from
 * which following the events misses nothing (events seen twice are fine:
 * handlers are idempotent). */
static int64_t list_all(informer *inf) {
  if (inf->r) return list_one(inf, inf->r);
  int64_t rev = cache_rev(api_cache());
  for (size_t i = 0; i < registry_count(); i++)
    if (registry_storage_resource(registry_at(i)) == registry_at(i)) list_one(inf, registry_at(i));
  return rev;
}

static void *run(void *arg) {
  informer *inf = arg;
  int64_t cursor = list_all(inf);
  cache_event evs[128];
  while (!atomic_load(&inf->stop)) {
    int n = cache_wait(api_cache(), inf->r ? inf->r->bucket : NULL, &cursor, evs, 128, 1000, &inf->stop);
    if (n < 0) {
      cursor = list_all(inf);
      continue;
    }
    for (int i = 0; i < n; i++) {
      if (!atomic_load(&inf->stop)) inf->fn(inf->ctx, evs[i].type, evs[i].obj, evs[i].prev);
      cache_event_release(&evs[i]);
    }
  }
  return NULL;
}

informer *informer_start(const resource *r, informer_fn fn, void *ctx) {
  informer *inf = calloc(1, sizeof *inf);
  inf->r = r;
  inf->fn = fn;
  inf->ctx = ctx;
  if (pthread_create(&inf->thread, NULL, run, inf) != 0) {
    free(inf);
    return NULL;
  }
  return inf;
}

void informer_stop(informer *inf) {
  if (!inf) return;
  atomic_store(&inf->stop, true);
  cache_wake_all(api_cache());
  pthread_join(inf->thread, NULL);
  free(inf);
}
