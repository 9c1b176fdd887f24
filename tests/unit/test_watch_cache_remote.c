/* test_watch_cache_remote.c - the cache over a remote store (the etcd
 * store's contract, played by an in-memory store whose watch thread
 * delivers changes a little late): revisions are the store's, conditions are
 * checked by the store (a write from "another server" makes a stale write
 * conflict), a write returns only once its own watch published it, a
 * changed final state is stored before the delete, values carry no
 * resourceVersion, and a second cache on the same store sees every write. */
#include "test.h"
#include "watch_cache.h"
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

enum { MAXK = 64, MAXE = 256, MAXW = 2 };

typedef struct {
  store base;
  pthread_mutex_t mu;
  int64_t rev;
  struct { char key[128]; char *value; int64_t rev; } kv[MAXK];
  int nkv;
  struct { char key[128]; char *value; int64_t rev; } log[MAXE];
  int nlog;
  struct {
    store *owner;
    store_watch_fn fn;
    store_reload_fn reload;
    void *ctx;
    int64_t after;
    pthread_t t;
    volatile int stop, paused, compacted; /* compacted: the history it needs is gone */
  } w[MAXW];
  int nw;
} fake;

static fake F;

static int fk_find(const char *key) {
  for (int i = 0; i < F.nkv; i++)
    if (!strcmp(F.kv[i].key, key)) return i;
  return -1;
}

static int fk_load(store *s, store_load_fn fn, void *ctx, int64_t *rev) {
  (void)s;
  pthread_mutex_lock(&F.mu);
  for (int i = 0; i < F.nkv; i++) fn(ctx, F.kv[i].key, F.kv[i].rev, F.kv[i].value, strlen(F.kv[i].value));
  *rev = F.rev;
  pthread_mutex_unlock(&F.mu);
  return 0;
}

static int fk_put_if(store *s, const store_op *op, int64_t expect, int64_t *rev, int64_t *current) {
  (void)s;
  pthread_mutex_lock(&F.mu);
  int i = fk_find(op->key);
  int64_t cur = i >= 0 ? F.kv[i].rev : 0;
  if ((expect >= 0 && cur != expect) || (expect < 0 && !op->value && !cur)) {
    *current = cur;
    *rev = F.rev;
    pthread_mutex_unlock(&F.mu);
    return 1;
  }
  *rev = ++F.rev;
  if (op->value) {
    if (i < 0) i = F.nkv++, snprintf(F.kv[i].key, sizeof F.kv[i].key, "%s", op->key), F.kv[i].value = NULL;
    free(F.kv[i].value);
    F.kv[i].value = strndup(op->value, op->len);
    F.kv[i].rev = F.rev;
  } else {
    free(F.kv[i].value);
    F.kv[i] = F.kv[--F.nkv];
  }
  snprintf(F.log[F.nlog].key, sizeof F.log[F.nlog].key, "%s", op->key);
  F.log[F.nlog].value = op->value ? strndup(op->value, op->len) : NULL;
  F.log[F.nlog++].rev = F.rev;
  pthread_mutex_unlock(&F.mu);
  return 0;
}

/* each watch delivers what is new every 2 ms, in order */
static void *fk_watch_main(void *arg) {
  int w = (int)(intptr_t)arg;
  while (!F.w[w].stop) {
    usleep(2000);
    if (F.w[w].paused) continue;
    if (F.w[w].compacted) {
      int64_t rev = F.w[w].reload(F.w[w].ctx);
      if (rev > 0) F.w[w].after = rev, F.w[w].compacted = 0;
      continue;
    }
    store_event evs[MAXE];
    size_t n = 0;
    pthread_mutex_lock(&F.mu);
    for (int i = 0; i < F.nlog; i++)
      if (F.log[i].rev > F.w[w].after)
        evs[n++] = (store_event){F.log[i].key, F.log[i].value, F.log[i].value ? strlen(F.log[i].value) : 0,
                                 F.log[i].rev};
    pthread_mutex_unlock(&F.mu);
    if (n) {
      F.w[w].fn(F.w[w].ctx, evs, n);
      F.w[w].after = evs[n - 1].rev;
    }
  }
  return NULL;
}

static int fk_watch(store *s, int64_t after, store_watch_fn fn, store_reload_fn reload, void *ctx) {
  int w = F.nw++;
  F.w[w].owner = s, F.w[w].stop = 0, F.w[w].fn = fn, F.w[w].reload = reload, F.w[w].ctx = ctx;
  F.w[w].after = after, F.w[w].paused = F.w[w].compacted = 0;
  return pthread_create(&F.w[w].t, NULL, fk_watch_main, (void *)(intptr_t)w);
}

static int fk_commit(store *s, const store_op *ops, size_t n) {
  (void)s, (void)ops, (void)n;
  return -1;
}
static const char *fk_error(store *s) {
  (void)s;
  return "fake";
}
/* Stops and forgets the watches of this view of the store. */
static void fk_close(store *s) {
  for (int i = 0; i < F.nw; i++)
    if (F.w[i].owner == s) {
      F.w[i].stop = 1;
      pthread_join(F.w[i].t, NULL);
      F.w[i--] = F.w[--F.nw];
    }
}

/* Two views of one store: two servers on one etcd. */
static store fake_store = {.load = fk_load, .commit = fk_commit, .close = fk_close, .error = fk_error,
                           .put_if = fk_put_if, .watch = fk_watch};
static store second_store = {.load = fk_load, .commit = fk_commit, .close = fk_close, .error = fk_error,
                             .put_if = fk_put_if, .watch = fk_watch};

static json_t *mk(const char *name, const char *v) {
  return json_pack("{s:s,s:{s:s,s:s,s:s},s:{s:s}}", "kind", "ConfigMap", "metadata", "name", name, "namespace", "d",
                   "resourceVersion", "999", "data", "v", v);
}

static int put(cache *c, cache_bucket *b, const char *name, int64_t expect, const char *v, cobj **out, int64_t *cur) {
  char err[128];
  return cache_write(c, b, "d", name, expect, mk(name, v), false, out, cur, err, sizeof err);
}

static void test_remote_writes(void) {
  pthread_mutex_init(&F.mu, NULL);
  char err[128];
  cache *a = cache_open(&fake_store, 100, err, sizeof err);
  cache *b2 = cache_open(&second_store, 100, err, sizeof err);
  CHECK(a && b2);
  if (!a || !b2) return;
  cache_bucket *ba = cache_bucket_get(a, "core/configmaps"), *bb = cache_bucket_get(b2, "core/configmaps");

  cobj *o = NULL;
  int64_t cur = -7;
  CHECK(put(a, ba, "x", 0, "1", &o, &cur) == CW_OK);
  /* the store's revision, published before the write returned, the stored value without resourceVersion */
  CHECK(o && o->rev == 1 && cache_rev(a) >= 1);
  CHECK(o && !strcmp(json_string_value(json_object_get(json_object_get(o->obj, "metadata"), "resourceVersion")), "1"));
  CHECK(strstr(F.kv[0].value, "resourceVersion") == NULL);
  cobj *got = cache_get(a, ba, "d", "x");
  CHECK(got == o); /* the writer gets the published version itself */
  cobj_unref(got);
  cobj_unref(o);

  /* "the other server" updates x; a's stale update conflicts at the store, with the current revision */
  o = NULL;
  CHECK(put(b2, bb, "x", 1, "2", &o, &cur) == CW_OK && o && o->rev == 2);
  cobj_unref(o);
  CHECK(put(a, ba, "x", 1, "3", NULL, &cur) == CW_CONFLICT && cur == 2);
  /* a conflict returns once the cache caught up with the key: a retry reads revision 2 */
  cobj *fresh = cache_get_latest(a, ba, "d", "x");
  CHECK(fresh && fresh->rev == 2);
  cobj_unref(fresh);
  CHECK(put(a, ba, "x", 0, "3", NULL, &cur) == CW_CONFLICT && cur == 2); /* create of an existing key */
  /* a's own watch brings the other write within a moment */
  int64_t cursor = 1;
  cache_event ev[4];
  int n = cache_wait(a, ba, &cursor, ev, 4, 2000, NULL);
  CHECK(n == 1 && ev[0].type == EV_MODIFIED && ev[0].rev == 2 && ev[0].prev && ev[0].prev->rev == 1);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);

  /* a delete whose final state differs: stored first (MODIFIED), then DELETED showing that state */
  json_t *final = mk("x", "final");
  o = NULL;
  CHECK(cache_write(a, ba, "d", "x", 2, final, true, &o, &cur, err, sizeof err) == CW_OK);
  CHECK(o && o->rev == 4);
  CHECK(o && !strcmp(json_string_value(json_object_get(json_object_get(o->obj, "data"), "v")), "final"));
  cobj_unref(o);
  CHECK(cache_get(a, ba, "d", "x") == NULL);
  cursor = 2;
  n = cache_wait(a, ba, &cursor, ev, 4, 2000, NULL);
  CHECK(n == 2 && ev[0].type == EV_MODIFIED && ev[1].type == EV_DELETED && ev[1].rev == 4);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  /* an unconditional delete of an absent key conflicts (not found) */
  CHECK(cache_write(a, ba, "d", "x", -1, mk("x", "1"), true, NULL, &cur, err, sizeof err) == CW_CONFLICT && cur == 0);

  /* the second cache saw it all: x gone, at the same revision */
  usleep(50000);
  CHECK(cache_get(b2, bb, "d", "x") == NULL && cache_rev(b2) == 4);

  /* b2's watch stalls while a writes, then its history is compacted away:
   * b2 reloads the store's state, and its window restarts at that revision */
  int wb = F.w[0].owner == &second_store ? 0 : 1;
  F.w[wb].paused = 1;
  usleep(10000);
  CHECK(put(a, ba, "z", 0, "1", NULL, &cur) == CW_OK);
  CHECK(cache_get(b2, bb, "d", "z") == NULL);
  F.w[wb].compacted = 1;
  F.w[wb].paused = 0;
  int64_t old_cursor = 4;
  n = cache_wait(b2, bb, &old_cursor, ev, 4, 2000, NULL);
  CHECK(n == -1); /* 410 for a watch from before the reload */
  cobj *z = cache_get(b2, bb, "d", "z");
  CHECK(z && z->rev == 5 && cache_rev(b2) == 5 && cache_window_start(b2) == 5);
  cobj_unref(z);
  CHECK(put(a, ba, "z", 5, "2", NULL, &cur) == CW_OK); /* and it follows the store again */
  usleep(50000);
  z = cache_get(b2, bb, "d", "z");
  CHECK(z && z->rev == 6);
  cobj_unref(z);
  cache_close(b2);

  /* a cache opened later loads the store's state with its revisions */
  CHECK(put(a, ba, "y", 0, "1", NULL, &cur) == CW_OK);
  cache_close(a);
  cache *c = cache_open(&fake_store, 100, err, sizeof err);
  CHECK(c != NULL);
  if (!c) return;
  cobj *y = cache_get(c, cache_bucket_get(c, "core/configmaps"), "d", "y");
  CHECK(y && y->rev == 7 && strstr(y->data, "\"resourceVersion\":\"7\""));
  cobj_unref(y);
  cache_close(c);
  for (int i = 0; i < F.nkv; i++) free(F.kv[i].value);
  for (int i = 0; i < F.nlog; i++) free(F.log[i].value);
}

TEST_MAIN(TEST(test_remote_writes))
