/* test_informer.c - shared informers over a real watch cache: two handlers
 * on one resource share one informer (one thread), each sees every object
 * and event in order; a handler registered later first gets the current
 * objects as ADDED; a handler stuck in its callback delays no other; the
 * last unregistration stops the informer; listers read the same objects. */
#include "test.h"
#include "api_harness.h"
#include "informer.h"
#include "registry.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
  pthread_mutex_t mu;
  int added, modified, deleted;
  atomic_bool block; /* stay in the callback while set */
} seen;

static void count(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  seen *s = ctx;
  while (atomic_load(&s->block)) usleep(1000);
  pthread_mutex_lock(&s->mu);
  if (type == EV_ADDED) s->added++;
  else if (type == EV_MODIFIED) s->modified++;
  else s->deleted++;
  pthread_mutex_unlock(&s->mu);
}

static int total(seen *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->added + s->modified + s->deleted;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static bool wait_total(seen *s, int n) {
  for (int i = 0; i < 2500 && total(s) < n; i++) usleep(2000);
  return total(s) >= n;
}

static api_harness h;
static cache *c;              /* h's */
static informer_factory *inf; /* h's */

static void put(const resource *r, const char *name, int64_t expect, bool del) {
  char err[128];
  int64_t cur = 0;
  json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name,
                        "namespace", "default");
  CHECK(cache_write(c, r->bucket, "default", name, expect, o, del, NULL, &cur, err, sizeof err) == CW_OK);
}

static void test_shared_handlers(void) {
  const resource *r = registry_find("", "v1", "configmaps");
  CHECK(r && r->bucket);
  if (!r || !r->bucket) return;
  put(r, "before", 0, false);
  seen a = {.mu = PTHREAD_MUTEX_INITIALIZER}, b = {.mu = PTHREAD_MUTEX_INITIALIZER},
       late = {.mu = PTHREAD_MUTEX_INITIALIZER};
  size_t base = informer_shared_count(inf);
  informer *ia = informer_start(inf, r, count, &a);
  informer *ib = informer_start(inf, r, count, &b);
  CHECK(informer_shared_count(inf) == base + 1); /* one informer for both */
  CHECK(wait_total(&a, 1) && wait_total(&b, 1));
  CHECK(a.added == 1 && b.added == 1); /* the initial list */
  atomic_store(&b.block, true);        /* b is stuck: a must still see events */
  put(r, "x", 0, false);
  put(r, "x", -1, false);
  CHECK(wait_total(&a, 3));
  CHECK(a.added == 2 && a.modified == 1);
  CHECK(total(&b) == 1);
  atomic_store(&b.block, false);
  CHECK(wait_total(&b, 3)); /* and b gets them afterwards, in order */
  CHECK(b.added == 2 && b.modified == 1);
  informer *il = informer_start(inf, r, count, &late);
  CHECK(wait_total(&late, 2));
  CHECK(late.added == 2 && late.modified == 0); /* the current objects, as ADDED */
  put(r, "x", -1, true);
  CHECK(wait_total(&a, 4) && wait_total(&late, 3));
  CHECK(a.deleted == 1 && late.deleted == 1);
  cobj_vec v = {0};
  lister_list(inf, r, "default", &v);
  CHECK(v.n == 1);
  cobj_vec_clear(&v);
  cobj *o = lister_get(inf, r, "default", "before");
  CHECK(o != NULL);
  cobj_unref(o);
  CHECK(lister_get(inf, r, "default", "x") == NULL);
  informer_stop(ia);
  informer_stop(il);
  CHECK(informer_shared_count(inf) == base + 1);
  informer_stop(ib);
  CHECK(informer_shared_count(inf) == base); /* the last one stops it */
  int after = total(&a);
  put(r, "y", 0, false);
  usleep(50000);
  CHECK(total(&a) == after); /* never called after stop */
}

/* One cache with the built-in resources, and informers over it. */
static void run_all(void) {
  api_harness_start(&h);
  c = h.srv.cache;
  inf = h.controllers.informers;
  test_shared_handlers();
  api_harness_stop(&h);
}

TEST_MAIN(TEST(run_all))
