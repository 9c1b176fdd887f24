/* test_watch_cache_remote.c - the cache over a remote store (the etcd
 * store's contract, played by an in-memory store whose watch thread
 * delivers changes a little late): revisions are the store's, conditions are
 * checked by the store (a write from "another server" makes a stale write
 * conflict), a write returns only once its own watch published it, a
 * changed final state is stored before the delete, values carry no
 * resourceVersion, and a second cache on the same store sees every write.
 * Group commit: concurrent writes share transactions (and revisions), a
 * stale write in a transaction fails alone, every acknowledged write is
 * watched once, and cache_wait never splits the events of one revision;
 * the committer's linger gathers clients that alternate, never a lone one. */
#include "test.h"
#include "watch_cache.h"
#include "watch_cache_internal.h" /* the linger's count */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

enum { MAXK = 1024, MAXE = 4096, MAXW = 2 };

typedef struct {
  store base;
  pthread_mutex_t mu;
  int64_t rev;
  struct { char key[128]; char *value; int64_t rev; } kv[MAXK];
  int nkv;
  struct { char key[128]; char *value; int64_t rev; } log[MAXE];
  int nlog;
  int batches;      /* transactions that committed */
  int max_batch;    /* the most writes in one */
  int delay_us;     /* each transaction takes this long (writes queue up meanwhile) */
  int duplicates;   /* transactions that named a key twice (etcd refuses them) */
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

/* Applies one write at revision F.rev. F.mu held. */
static void fk_apply(const store_op *op) {
  int i = fk_find(op->key);
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
}

/* etcd's Txn: every condition holds, then all writes at one new revision;
 * else nothing, and each key's revision */
static int fk_put_batch(store *s, const store_op *ops, const int64_t *expect, size_t n, int64_t *rev,
                        int64_t *current) {
  (void)s;
  if (F.delay_us) usleep((useconds_t)F.delay_us);
  pthread_mutex_lock(&F.mu);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < i; k++)
      if (!strcmp(ops[i].key, ops[k].key)) F.duplicates++;
    int j = fk_find(ops[i].key);
    current[i] = j >= 0 ? F.kv[j].rev : 0;
    if ((expect[i] >= 0 && current[i] != expect[i]) || (expect[i] < 0 && !ops[i].value && !current[i])) ok = false;
  }
  if (!ok) {
    *rev = F.rev;
    pthread_mutex_unlock(&F.mu);
    return 1;
  }
  *rev = ++F.rev;
  for (size_t i = 0; i < n; i++) fk_apply(&ops[i]);
  F.batches++;
  if ((int)n > F.max_batch) F.max_batch = (int)n;
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

/* Forgets everything stored (the watches are closed). */
static void fk_reset(void) {
  for (int i = 0; i < F.nkv; i++) free(F.kv[i].value);
  for (int i = 0; i < F.nlog; i++) free(F.log[i].value);
  pthread_mutex_t mu = F.mu;
  memset(&F, 0, sizeof F);
  F.mu = mu;
}

/* Two views of one store: two servers on one etcd. */
static store fake_store = {.load = fk_load, .commit = fk_commit, .close = fk_close, .error = fk_error,
                           .put_batch = fk_put_batch, .watch = fk_watch};
static store second_store = {.load = fk_load, .commit = fk_commit, .close = fk_close, .error = fk_error,
                             .put_batch = fk_put_batch, .watch = fk_watch};

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
  fk_reset();
}

/* One writer's work in a thread. */
typedef struct {
  cache *c;
  cache_bucket *b;
  char name[32];
  int64_t expect;
  int rc;
  int64_t rev, cur;
  cobj *out;
} job;

static void *run_put(void *arg) {
  job *j = arg;
  j->rc = put(j->c, j->b, j->name, j->expect, "1", &j->out, &j->cur);
  j->rev = j->out ? j->out->rev : 0;
  return NULL;
}

/* Writes queued while a transaction is in flight go out together in the
 * next one, at one revision; a stale write among them fails alone with its
 * key's revision, a second write of a key already in the transaction waits
 * for the next one (etcd refuses a key twice in one transaction); each
 * writer gets the published version of its own key. */
static void test_group_commit(void) {
  setenv("CKUBE_ETCD_COMMITTERS", "1", 1);
  setenv("CKUBE_ETCD_LINGER_US", "0", 1); /* the batches this test expects, without the linger's */
  char err[128];
  cache *a = cache_open(&fake_store, 1000, err, sizeof err);
  CHECK(a != NULL);
  if (!a) return;
  cache_bucket *b = cache_bucket_get(a, "core/configmaps");
  int64_t cur = 0;
  cobj *base = NULL;
  CHECK(put(a, b, "base", 0, "1", &base, &cur) == CW_OK && base);
  int64_t base_rev = base ? base->rev : 0;
  cobj_unref(base);

  F.delay_us = 40000;
  job blocker = {a, b, "block", 0, 0, 0, 0, NULL};
  pthread_t tb, t[8];
  pthread_create(&tb, NULL, run_put, &blocker);
  usleep(10000); /* "block" is in flight: the next ones queue up */
  job jobs[8];
  for (int i = 0; i < 8; i++) {
    jobs[i] = (job){a, b, "", 0, 0, 0, 0, NULL};
    if (i < 5) snprintf(jobs[i].name, sizeof jobs[i].name, "n%d", i);
    else if (i == 5) snprintf(jobs[i].name, sizeof jobs[i].name, "base"), jobs[i].expect = base_rev + 100;
    else snprintf(jobs[i].name, sizeof jobs[i].name, "dup");
    pthread_create(&t[i], NULL, run_put, &jobs[i]);
  }
  pthread_join(tb, NULL);
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  F.delay_us = 0;
  CHECK(blocker.rc == CW_OK);
  int64_t shared = jobs[0].rev;
  CHECK(shared > blocker.rev);
  for (int i = 0; i < 5; i++) {
    CHECK(jobs[i].rc == CW_OK && jobs[i].rev == shared);
    cobj *got = cache_get(a, b, "d", jobs[i].name);
    CHECK(got && got == jobs[i].out); /* the published version of its own key */
    cobj_unref(got);
  }
  CHECK(jobs[5].rc == CW_CONFLICT && jobs[5].cur == base_rev);
  job *won = jobs[6].rc == CW_OK ? &jobs[6] : &jobs[7], *lost = won == &jobs[6] ? &jobs[7] : &jobs[6];
  CHECK(won->rc == CW_OK && won->rev == shared);
  CHECK(lost->rc == CW_CONFLICT && lost->cur == shared);
  CHECK(F.duplicates == 0);
  /* the shared revision's events come in one cache_wait */
  int64_t cursor = blocker.rev;
  cache_event ev[CACHE_REVISION_WRITES_MAX];
  int n = cache_wait(a, b, &cursor, ev, CACHE_REVISION_WRITES_MAX, 1000, NULL);
  CHECK(n == 6 && cursor == shared);
  for (int i = 0; i < n; i++) CHECK(ev[i].rev == shared && ev[i].type == EV_ADDED);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  for (int i = 0; i < 8; i++) cobj_unref(jobs[i].out);
  cobj_unref(blocker.out);
  cache_close(a);
  fk_reset();
  unsetenv("CKUBE_ETCD_COMMITTERS");
}

enum { WRITERS = 16, EACH = 20 };

typedef struct {
  cache *c;
  cache_bucket *b;
  int id;
  int ok;
  struct { char name[32]; int64_t rev; } acked[2 * EACH];
  int nacked;
} writer;

/* creates EACH names, updates each once with the version it got */
static void *run_writer(void *arg) {
  writer *w = arg;
  for (int i = 0; i < EACH; i++) {
    char name[32];
    snprintf(name, sizeof name, "w%d-%d", w->id, i);
    cobj *o = NULL;
    int64_t cur;
    if (put(w->c, w->b, name, 0, "1", &o, &cur) != CW_OK || !o) continue;
    snprintf(w->acked[w->nacked].name, sizeof w->acked[0].name, "%s", name);
    w->acked[w->nacked++].rev = o->rev;
    int64_t rev = o->rev;
    cobj_unref(o);
    o = NULL;
    if (put(w->c, w->b, name, rev, "2", &o, &cur) != CW_OK || !o) continue;
    snprintf(w->acked[w->nacked].name, sizeof w->acked[0].name, "%s", name);
    w->acked[w->nacked++].rev = o->rev;
    cobj_unref(o);
    w->ok += 2;
  }
  return NULL;
}

/* Many writers at once over two transactions in flight: every write is
 * acknowledged, transactions carried several, and a watch from before sees
 * every acknowledged write exactly once, revisions never decreasing and
 * never split between two calls of cache_wait. */
static void test_concurrent_writers(void) {
  char err[128];
  cache *a = cache_open(&fake_store, 4000, err, sizeof err);
  CHECK(a != NULL);
  if (!a) return;
  cache_bucket *b = cache_bucket_get(a, "core/configmaps");
  int64_t start = cache_rev(a);
  F.delay_us = 1000;
  static writer ws[WRITERS];
  pthread_t t[WRITERS];
  for (int i = 0; i < WRITERS; i++) {
    ws[i] = (writer){.c = a, .b = b, .id = i};
    pthread_create(&t[i], NULL, run_writer, &ws[i]);
  }
  int total = 0;
  for (int i = 0; i < WRITERS; i++) pthread_join(t[i], NULL), total += ws[i].ok;
  F.delay_us = 0;
  CHECK(total == WRITERS * EACH * 2);
  CHECK(F.max_batch > 1 && F.batches < total);
  CHECK(F.duplicates == 0);
  int64_t cursor = start, prev_last = start;
  cache_event ev[CACHE_REVISION_WRITES_MAX];
  int seen = 0, n, calls = 0;
  static char seen_key[2 * WRITERS * EACH][40];
  static int64_t seen_rev[2 * WRITERS * EACH];
  while ((n = cache_wait(a, b, &cursor, ev, CACHE_REVISION_WRITES_MAX, 0, NULL)) > 0 && calls++ < 10000) {
    CHECK(ev[0].rev > prev_last); /* the revision before this call was delivered whole */
    for (int i = 0; i < n; i++) {
      CHECK(i == 0 || ev[i].rev >= ev[i - 1].rev);
      if (seen < 2 * WRITERS * EACH) {
        snprintf(seen_key[seen], sizeof seen_key[0], "%s", ev[i].obj->subkey);
        seen_rev[seen] = ev[i].rev;
      }
      seen++;
      prev_last = ev[i].rev;
      cache_event_release(&ev[i]);
    }
    CHECK(cursor == prev_last);
  }
  CHECK(n == 0 && seen == total);
  for (int i = 0; i < WRITERS; i++)
    for (int k = 0; k < ws[i].nacked; k++) {
      char sk[40];
      snprintf(sk, sizeof sk, "d/%s", ws[i].acked[k].name);
      int found = 0;
      for (int e = 0; e < seen && e < 2 * WRITERS * EACH; e++)
        found += !strcmp(seen_key[e], sk) && seen_rev[e] == ws[i].acked[k].rev;
      CHECK(found == 1);
    }
  cache_close(a);
  fk_reset();
}

/* Writes of another server's multi-key transaction: cache_wait hands out
 * whole revisions only, stops before one that does not fit, and refuses
 * (-1, list again) one larger than max; cache_wait_rev waits for a
 * revision without taking events. */
static void test_wait_whole_revisions(void) {
  char err[128];
  cache *a = cache_open(&fake_store, 100, err, sizeof err);
  CHECK(a != NULL);
  if (!a) return;
  cache_bucket *cm = cache_bucket_get(a, "core/configmaps"), *sec = cache_bucket_get(a, "core/secrets");
  int64_t r1, r2, r3, cur[3];
  int64_t none[3] = {0, 0, 0};
  store_op one = {"core/configmaps/d/x", "{}", 2, 0};
  CHECK(fk_put_batch(&second_store, &one, none, 1, &r1, cur) == 0);
  store_op group[3] = {{"core/configmaps/d/g1", "{}", 2, 0}, {"core/secrets/d/s1", "{}", 2, 0},
                       {"core/configmaps/d/g2", "{}", 2, 0}};
  CHECK(fk_put_batch(&second_store, group, none, 3, &r2, cur) == 0);
  store_op last = {"core/configmaps/d/y", "{}", 2, 0};
  CHECK(fk_put_batch(&second_store, &last, none, 1, &r3, cur) == 0);
  CHECK(r2 == r1 + 1 && r3 == r2 + 1);
  CHECK(cache_wait_rev(a, r3, 2000) == r3);

  cache_event ev[4];
  int64_t cursor = r1 - 1;
  int n = cache_wait(a, NULL, &cursor, ev, 3, 0, NULL); /* x fits, the group of 3 does not */
  CHECK(n == 1 && ev[0].rev == r1 && cursor == r1);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  n = cache_wait(a, NULL, &cursor, ev, 3, 0, NULL);
  CHECK(n == 3 && ev[0].rev == r2 && ev[2].rev == r2 && cursor == r2);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  n = cache_wait(a, NULL, &cursor, ev, 3, 0, NULL);
  CHECK(n == 1 && ev[0].rev == r3 && cursor == r3);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);

  /* one bucket: its two events of the group come together, the other bucket's is skipped */
  cursor = r1 - 1;
  n = cache_wait(a, cm, &cursor, ev, 2, 0, NULL);
  CHECK(n == 1 && cursor == r1);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  n = cache_wait(a, cm, &cursor, ev, 2, 0, NULL);
  CHECK(n == 2 && ev[0].bucket == cm && ev[1].bucket == cm && ev[1].rev == r2 && cursor == r2);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  cursor = r1;
  n = cache_wait(a, sec, &cursor, ev, 1, 0, NULL);
  CHECK(n == 1 && ev[0].bucket == sec && cursor >= r2);
  for (int i = 0; i < n; i++) cache_event_release(&ev[i]);
  cursor = r1;
  CHECK(cache_wait(a, cm, &cursor, ev, 1, 0, NULL) == -1); /* 2 events of cm at r2, room for 1 */

  CHECK(cache_wait_rev(a, r3 + 5, 50) == r3);
  cache_close(a);
  fk_reset();
}

typedef struct {
  cache *c;
  cache_bucket *b;
  int id, rounds;
} paced;

/* One client: a create, a short pause (its answer's trip), the next. */
static void *run_paced(void *arg) {
  paced *p = arg;
  for (int i = 0; i < p->rounds; i++) {
    char name[32];
    int64_t cur;
    snprintf(name, sizeof name, "p%d-%d", p->id, i);
    put(p->c, p->b, name, 0, "1", NULL, &cur);
    usleep(300);
  }
  return NULL;
}

/* Transactions for `rounds` creates of each of 8 paced clients. */
static int paced_batches(const char *linger_us, int rounds) {
  setenv("CKUBE_ETCD_LINGER_US", linger_us, 1);
  char err[128];
  cache *a = cache_open(&fake_store, 4000, err, sizeof err);
  CHECK(a != NULL);
  if (!a) return -1;
  F.delay_us = 100000; /* long: under load (ASan, CI) a client still comes back within the linger */
  paced ps[8];
  pthread_t t[8];
  for (int i = 0; i < 8; i++) {
    ps[i] = (paced){a, cache_bucket_get(a, "core/configmaps"), i, rounds};
    pthread_create(&t[i], NULL, run_paced, &ps[i]);
  }
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  F.delay_us = 0;
  int n = F.batches;
  cache_close(a);
  fk_reset();
  return n;
}

/* Sequential creates from threads that take turns (all alive: distinct
 * threads, as civetweb's workers serving a client's new connections). */
typedef struct {
  job j;
  int id, *turn;
  pthread_mutex_t *mu;
  pthread_cond_t *cond;
} turn_job;

static void *run_turn(void *arg) {
  turn_job *t = arg;
  pthread_mutex_lock(t->mu);
  while (*t->turn != t->id) pthread_cond_wait(t->cond, t->mu);
  pthread_mutex_unlock(t->mu);
  run_put(&t->j);
  pthread_mutex_lock(t->mu);
  (*t->turn)++;
  pthread_cond_broadcast(t->cond);
  pthread_mutex_unlock(t->mu);
  return NULL;
}

/* 10 sequential creates with 5 ms transactions, each from a thread of its
 * own when new_threads (a client whose every request comes over a new
 * connection, served by another thread) or all from this one; how many
 * times the committer lingered. */
static size_t sequential_lingers(bool new_threads) {
  setenv("CKUBE_ETCD_LINGER_US", "20000", 1);
  char err[128];
  cache *a = cache_open(&fake_store, 100, err, sizeof err);
  CHECK(a != NULL);
  if (!a) return 0;
  F.delay_us = 5000;
  turn_job ts[10];
  pthread_t t[10];
  int turn = 0;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  for (int i = 0; i < 10; i++) {
    ts[i] = (turn_job){.j = {.c = a, .b = cache_bucket_get(a, "core/configmaps")}, .id = i, .turn = &turn,
                       .mu = &mu, .cond = &cond};
    snprintf(ts[i].j.name, sizeof ts[i].j.name, "seq-%d", i);
    if (new_threads) pthread_create(&t[i], NULL, run_turn, &ts[i]);
    else run_turn(&ts[i]);
  }
  for (int i = 0; i < 10 && new_threads; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 10; i++) {
    CHECK(ts[i].j.rc == CW_OK);
    cobj_unref(ts[i].j.out);
  }
  F.delay_us = 0;
  pthread_mutex_lock(&a->wmu);
  size_t n = a->rlingers;
  pthread_mutex_unlock(&a->wmu);
  cache_close(a);
  fk_reset();
  return n;
}

/* Clients that come back while a transaction is in flight fall into two
 * alternating groups; the linger waits for the writers seen lately, so a
 * transaction carries all of them. A lone writer never lingers, nor one
 * whose writes come from another thread each time but never two at once. */
static void test_linger(void) {
  setenv("CKUBE_ETCD_COMMITTERS", "1", 1);
  int without = paced_batches("0", 5), with = paced_batches("50000", 5);
  printf("transactions for 40 paced creates: %d without the linger, %d with it\n", without, with);
  CHECK(with <= 7 && with < without);
  CHECK(sequential_lingers(false) == 0);
  CHECK(sequential_lingers(true) == 0);
  unsetenv("CKUBE_ETCD_LINGER_US");
}

TEST_MAIN(TEST(test_remote_writes), TEST(test_group_commit), TEST(test_concurrent_writers),
          TEST(test_wait_whole_revisions), TEST(test_linger))
