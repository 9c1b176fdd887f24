/* watch_cache.c - in-memory object set, group-committed write path and the
 * event ring (contract in watch_cache.h).
 *
 * Locks, always taken in this order:
 *   wmu   - writer side: last assigned revision, the queue of writes waiting
 *           for the committer, the in-flight batch. Held across the
 *           precondition check and revision assignment so writes serialize.
 *   lock  - rwlock over the published state: bucket arrays, event ring,
 *           pub_rev, window_start.
 *   pmu   - publication notices: notify_rev (global and per bucket) and
 *           each pending write's done flag. Each pending write's own
 *           condition wakes its writer once it is durable (one condition for
 *           all writers woke those of the next batch at every commit, only to
 *           sleep again, all contending for pmu); each bucket's cond wakes
 *           only the watchers of that bucket (a commit to ConfigMaps leaves
 *           pod watchers asleep), pcond those of every bucket.
 * bucket_mu guards only the bucket list (buckets are never freed).
 *
 * With a remote store (etcd: st->put_batch) this file's committer is not
 * used: writes are compare-and-swaps in the store, group-committed by
 * watch_cache_remote_commit.c, and the store's watch thread is the only
 * publisher (watch_cache_remote.c). The writes of one store transaction
 * share its revision, so the ring may hold several events of one revision;
 * cache_wait hands them out together. */
#include "watch_cache_internal.h"
#include "log.h"
#include "timestamp.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

cobj *cobj_ref(cobj *o) {
  if (o) atomic_fetch_add(&o->refs, 1);
  return o;
}

void cobj_unref(cobj *o) {
  if (!o || atomic_fetch_sub(&o->refs, 1) != 1) return;
  json_decref_const(o->obj);
  free(o->data);
  free(o->key);
  free(o);
}

/* FNV-1a over a serialization; never 0 (0 means "not known yet"). */
static uint64_t fingerprint(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h ? h : 1;
}

/* Whether o->obj still serializes as it did when published. */
static bool cobj_unchanged(cobj *o) {
  char *now = json_dumps(o->obj, JSON_COMPACT);
  uint64_t h = fingerprint(now, strlen(now));
  free(now);
  uint64_t want = 0;
  if (atomic_compare_exchange_strong(&o->print, &want, h)) return true;
  return want == h;
}

size_t cache_check_published(cache *c) {
  /* references taken under the read lock, serialized after it: the check
   * must not hold up the committer's publication */
  cobj_vec all = {0};
  pthread_mutex_lock(&c->bucket_mu);
  cache_bucket *first = c->buckets;
  pthread_mutex_unlock(&c->bucket_mu);
  pthread_rwlock_rdlock(&c->lock);
  for (cache_bucket *b = first; b; b = b->next)
    for (size_t i = 0; i < b->n; i++) cobj_vec_push(&all, cobj_ref(b->items[i]));
  pthread_rwlock_unlock(&c->lock);
  size_t changed = 0;
  for (size_t i = 0; i < all.n; i++)
    if (!cobj_unchanged(all.items[i])) {
      LOGE("published object %s (revision %lld) was changed after publication", all.items[i]->key,
           (long long)all.items[i]->rev);
      changed++;
    }
  cobj_vec_clear(&all);
  return changed;
}

cobj *wc_cobj_new(const char *key, size_t bucket_len, int64_t rev, json_t *obj, const char *data, size_t len) {
  cobj *o = calloc(1, sizeof *o);
  o->refs = 1;
  o->rev = rev;
  o->key = strdup(key);
  o->subkey = o->key + bucket_len + 1;
  o->obj = obj;
  if (data) {
    o->data = malloc(len + 1);
    memcpy(o->data, data, len);
    o->data[len] = 0;
    o->len = len;
  } else {
    o->data = json_dumps(obj, JSON_COMPACT);
    o->len = strlen(o->data);
    o->print = fingerprint(o->data, o->len);
  }
  return o;
}

void cobj_vec_push(cobj_vec *v, cobj *o) {
  if (v->n == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 64;
    v->items = realloc(v->items, v->cap * sizeof *v->items);
  }
  v->items[v->n++] = o;
}

void cobj_vec_clear(cobj_vec *v) {
  for (size_t i = 0; i < v->n; i++) cobj_unref(v->items[i]);
  free(v->items);
  memset(v, 0, sizeof *v);
}

static void init_cond(pthread_cond_t *cond) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(cond, &ca);
  pthread_condattr_destroy(&ca);
}

cache_bucket *cache_bucket_get(cache *c, const char *storage) {
  pthread_mutex_lock(&c->bucket_mu);
  cache_bucket *b;
  for (b = c->buckets; b; b = b->next)
    if (strcmp(b->name, storage) == 0) break;
  if (!b) {
    b = calloc(1, sizeof *b);
    b->name = strdup(storage);
    init_cond(&b->cond);
    b->next = c->buckets;
    c->buckets = b;
  }
  pthread_mutex_unlock(&c->bucket_mu);
  return b;
}

const char *cache_bucket_name(const cache_bucket *b) { return b->name; }

/* Index of the first item whose subkey is >= key; *found when equal. */
size_t wc_bucket_find(const cache_bucket *b, const char *subkey, bool *found) {
  size_t lo = 0, hi = b->n;
  *found = false;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int cmp = strcmp(b->items[mid]->subkey, subkey);
    if (cmp == 0) {
      *found = true;
      return mid;
    }
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Installs o (taking a reference) or removes subkey; returns the previous
 * version (the bucket's reference, now the caller's) or NULL. */
cobj *wc_bucket_put(cache_bucket *b, cobj *o, bool del) {
  bool found;
  size_t i = wc_bucket_find(b, o->subkey, &found);
  cobj *prev = found ? b->items[i] : NULL;
  if (del) {
    if (found) memmove(&b->items[i], &b->items[i + 1], (b->n - i - 1) * sizeof *b->items), b->n--;
  } else if (found) {
    b->items[i] = cobj_ref(o);
  } else {
    if (b->n == b->cap) {
      b->cap = b->cap ? b->cap * 2 : 64;
      b->items = realloc(b->items, b->cap * sizeof *b->items);
    }
    memmove(&b->items[i + 1], &b->items[i], (b->n - i) * sizeof *b->items);
    b->items[i] = cobj_ref(o);
    b->n++;
  }
  return prev;
}

static char *make_subkey(const char *ns, const char *name) {
  char *k;
  if (asprintf(&k, "%s/%s", ns ? ns : "", name) < 0) return NULL;
  return k;
}

int64_t cache_rev(cache *c) {
  pthread_rwlock_rdlock(&c->lock);
  int64_t r = c->pub_rev;
  pthread_rwlock_unlock(&c->lock);
  return r;
}

int64_t cache_window_start(cache *c) {
  pthread_rwlock_rdlock(&c->lock);
  int64_t r = c->window_start;
  pthread_rwlock_unlock(&c->lock);
  return r;
}

cobj *wc_published_get(cache *c, cache_bucket *b, const char *subkey) {
  bool found;
  pthread_rwlock_rdlock(&c->lock);
  size_t i = wc_bucket_find(b, subkey, &found);
  cobj *o = found ? cobj_ref(b->items[i]) : NULL;
  pthread_rwlock_unlock(&c->lock);
  return o;
}

cobj *cache_get(cache *c, cache_bucket *b, const char *ns, const char *name) {
  char *sk = make_subkey(ns, name);
  cobj *o = wc_published_get(c, b, sk);
  free(sk);
  return o;
}

/* Latest version under wmu: queued writes, then the in-flight batch, then the
 * published state. *hit tells whether a pending write decided it (a pending
 * delete yields NULL with *hit set). */
static cobj *latest_locked(cache *c, cache_bucket *b, const char *subkey) {
  pending *last = NULL;
  for (pending *p = c->inflight; p; p = p->next)
    if (p->b == b && strcmp(p->obj->subkey, subkey) == 0) last = p;
  for (pending *p = c->queue; p; p = p->next)
    if (p->b == b && strcmp(p->obj->subkey, subkey) == 0) last = p;
  if (last) return last->del ? NULL : cobj_ref(last->obj);
  return wc_published_get(c, b, subkey);
}

cobj *cache_get_latest(cache *c, cache_bucket *b, const char *ns, const char *name) {
  char *sk = make_subkey(ns, name);
  pthread_mutex_lock(&c->wmu);
  cobj *o = latest_locked(c, b, sk);
  pthread_mutex_unlock(&c->wmu);
  free(sk);
  return o;
}

int64_t cache_list(cache *c, cache_bucket *b, const char *ns, const char *after_subkey, size_t limit,
                   cobj_vec *out) {
  char prefix[320] = "";
  size_t plen = 0;
  if (ns && *ns) plen = (size_t)snprintf(prefix, sizeof prefix, "%s/", ns);
  pthread_rwlock_rdlock(&c->lock);
  bool found;
  size_t i = 0;
  if (after_subkey && (!plen || strcmp(after_subkey, prefix) >= 0)) {
    i = wc_bucket_find(b, after_subkey, &found);
    if (found) i++;
  } else if (plen) {
    i = wc_bucket_find(b, prefix, &found);
  }
  size_t taken = 0;
  for (; i < b->n && (!limit || taken < limit); i++) {
    if (plen && strncmp(b->items[i]->subkey, prefix, plen) != 0) break;
    cobj_vec_push(out, cobj_ref(b->items[i]));
    taken++;
  }
  int64_t rev = c->pub_rev;
  pthread_rwlock_unlock(&c->lock);
  return rev;
}

static bool in_range(const cobj *o, const char *prefix, size_t plen, const char *after) {
  if (plen && strncmp(o->subkey, prefix, plen) != 0) return false;
  return !after || strcmp(o->subkey, after) > 0;
}

/* One key changed after the wanted revision, with its state then. */
typedef struct {
  const char *subkey;
  int64_t rev; /* of its first event after the wanted revision */
  cobj *then;  /* state at the wanted revision, NULL when it did not exist */
} change;

static int cmp_change(const void *a, const void *b) {
  const change *x = a, *y = b;
  int c = strcmp(x->subkey, y->subkey);
  return c ? c : (x->rev > y->rev) - (x->rev < y->rev);
}

int64_t cache_list_at(cache *c, cache_bucket *b, const char *ns, const char *after_subkey, size_t limit,
                      int64_t rev, cobj_vec *out) {
  char prefix[320] = "";
  size_t plen = ns && *ns ? (size_t)snprintf(prefix, sizeof prefix, "%s/", ns) : 0;
  pthread_rwlock_rdlock(&c->lock);
  if (rev < c->window_start || rev > c->pub_rev) {
    pthread_rwlock_unlock(&c->lock);
    return -1;
  }
  size_t nch = 0, cap = 0;
  change *ch = NULL;
  for (size_t i = wc_ring_seek(c, rev); i < c->count; i++) {
    cache_event *e = &c->ring[(c->head + i) % c->win];
    if (e->bucket != b || !in_range(e->obj, prefix, plen, after_subkey)) continue;
    if (nch == cap) ch = realloc(ch, (cap = cap ? cap * 2 : 64) * sizeof *ch);
    ch[nch++] = (change){e->obj->subkey, e->rev, e->prev};
  }
  if (nch) qsort(ch, nch, sizeof *ch, cmp_change);
  /* merge the current items (sorted) with the changed keys (sorted, first event per key) */
  bool found;
  size_t i = after_subkey ? wc_bucket_find(b, after_subkey, &found) : plen ? wc_bucket_find(b, prefix, &found) : 0;
  size_t k = 0;
  while ((!limit || out->n < limit) && (i < b->n || k < nch)) {
    cobj *cur = i < b->n && in_range(b->items[i], prefix, plen, after_subkey) ? b->items[i] : NULL;
    if (i < b->n && !cur && plen && strncmp(b->items[i]->subkey, prefix, plen) > 0) i = b->n;
    if (i < b->n && !cur) {
      i++;
      continue;
    }
    if (!cur && k >= nch) break;
    int cmp = !cur ? 1 : k >= nch ? -1 : strcmp(cur->subkey, ch[k].subkey);
    if (cmp < 0) {
      cobj_vec_push(out, cobj_ref(cur));
      i++;
    } else {
      if (ch[k].then) cobj_vec_push(out, cobj_ref(ch[k].then));
      const char *key = ch[k].subkey;
      while (k < nch && !strcmp(ch[k].subkey, key)) k++;
      if (cmp == 0) i++;
    }
  }
  pthread_rwlock_unlock(&c->lock);
  free(ch);
  return rev;
}

size_t cache_count_after(cache *c, cache_bucket *b, const char *ns, const char *after_subkey) {
  char lo[320], hi[320];
  bool scoped = ns && *ns, found;
  snprintf(lo, sizeof lo, "%s", after_subkey);
  /* namespace range: "<ns>/" up to "<ns>0" ('0' follows '/') */
  if (scoped) snprintf(hi, sizeof hi, "%s0", ns);
  pthread_rwlock_rdlock(&c->lock);
  size_t start = wc_bucket_find(b, lo, &found) + (found ? 1 : 0);
  size_t end = scoped ? wc_bucket_find(b, hi, &found) : b->n;
  pthread_rwlock_unlock(&c->lock);
  return end > start ? end - start : 0;
}

size_t cache_count(cache *c, cache_bucket *b) {
  pthread_rwlock_rdlock(&c->lock);
  size_t n = b->n;
  pthread_rwlock_unlock(&c->lock);
  return n;
}

void cache_event_release(cache_event *e) {
  cobj_unref(e->obj);
  cobj_unref(e->prev);
  e->obj = e->prev = NULL;
}

/* Appends an event (taking its references), evicting the oldest when full. */
void wc_ring_push(cache *c, cache_event ev) {
  if (c->count == c->win) {
    cache_event *old = &c->ring[c->head];
    c->window_start = old->rev;
    cache_event_release(old);
    c->head = (c->head + 1) % c->win;
    c->count--;
  }
  c->ring[(c->head + c->count) % c->win] = ev;
  c->count++;
}

void wc_set_rv(json_t *obj, int64_t rev) {
  json_t *md = json_object_get(obj, "metadata");
  if (!json_is_object(md)) {
    md = json_object();
    json_object_set_new(obj, "metadata", md);
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)rev);
  json_object_set_new(md, "resourceVersion", json_string(buf));
}

int cache_write(cache *c, cache_bucket *b, const char *ns, const char *name, int64_t expect_rev,
                json_t *obj, bool del, cobj **out, int64_t *current, char *err, size_t errlen) {
  char *sk = make_subkey(ns, name);
  if (c->remote) {
    int rc = remote_write(c, b, sk, expect_rev, obj, del, out, current, err, errlen);
    free(sk);
    return rc;
  }
  pthread_mutex_lock(&c->wmu);
  if (c->stopping) {
    pthread_mutex_unlock(&c->wmu);
    free(sk);
    json_decref(obj);
    snprintf(err, errlen, "storage is shutting down");
    return CW_ERROR;
  }
  cobj *cur = latest_locked(c, b, sk);
  int64_t cur_rev = cur ? cur->rev : 0;
  cobj_unref(cur);
  bool ok = expect_rev < 0 ? (!del || cur_rev) : expect_rev == cur_rev;
  if (!ok) {
    pthread_mutex_unlock(&c->wmu);
    free(sk);
    json_decref(obj);
    if (current) *current = cur_rev;
    return CW_CONFLICT;
  }
  int64_t rev = ++c->last_rev;
  wc_set_rv(obj, rev);
  char *key;
  if (asprintf(&key, "%s/%s", b->name, sk) < 0) key = NULL;
  free(sk);
  pending *p = calloc(1, sizeof *p);
  p->b = b;
  p->del = del;
  p->obj = wc_cobj_new(key, strlen(b->name), rev, obj, NULL, 0);
  pthread_cond_init(&p->done_cond, NULL);
  free(key);
  if (c->queue_tail) c->queue_tail->next = p;
  else c->queue = p;
  c->queue_tail = p;
  pthread_cond_signal(&c->wcond);
  pthread_mutex_unlock(&c->wmu);

  pthread_mutex_lock(&c->pmu);
  while (!p->done) pthread_cond_wait(&p->done_cond, &c->pmu);
  pthread_mutex_unlock(&c->pmu);
  pthread_cond_destroy(&p->done_cond);
  int status = p->status;
  if (status == CW_OK) {
    void (*hook)(void) = atomic_load(&b->on_write);
    if (hook) hook();
    if (out) *out = cobj_ref(p->obj);
  } else {
    snprintf(err, errlen, "%s", p->err);
  }
  cobj_unref(p->obj);
  free(p);
  return status;
}

/* Marks a list of writes done with status and wakes their writers, then
 * (when published) the watchers of the buckets they wrote. */
static void finish(cache *c, pending *list, int status, const char *msg) {
  pthread_mutex_lock(&c->pmu);
  for (pending *p = list; p; p = p->next) /* p stays valid: its writer waits for pmu */
    if (status == CW_OK && p->b->notify_rev < p->obj->rev) {
      p->b->notify_rev = p->obj->rev;
      pthread_cond_broadcast(&p->b->cond);
    }
  for (pending *p = list, *next; p; p = next) {
    next = p->next;
    p->status = status;
    if (msg) snprintf(p->err, sizeof p->err, "%s", msg);
    p->done = true; /* once pmu is released the writer owns and frees p */
    pthread_cond_signal(&p->done_cond);
  }
  c->notify_rev = c->pub_rev;
  pthread_cond_broadcast(&c->pcond);
  pthread_mutex_unlock(&c->pmu);
}

static void publish(cache *c, pending *batch) {
  pthread_rwlock_wrlock(&c->lock);
  for (pending *p = batch; p; p = p->next) {
    cobj *prev = wc_bucket_put(p->b, p->obj, p->del);
    cache_event ev = {p->obj->rev, p->del ? EV_DELETED : prev ? EV_MODIFIED : EV_ADDED, p->b,
                      cobj_ref(p->obj), prev};
    wc_ring_push(c, ev);
    c->pub_rev = p->obj->rev;
  }
  pthread_rwlock_unlock(&c->lock);
}

static void *committer_main(void *arg) {
  cache *c = arg;
  store_op *ops = NULL;
  size_t ops_cap = 0;
  pthread_mutex_lock(&c->wmu);
  for (;;) {
    while (!c->queue && !c->stopping) pthread_cond_wait(&c->wcond, &c->wmu);
    if (!c->queue) break;
    pending *batch = c->queue;
    c->queue = c->queue_tail = NULL;
    c->inflight = batch;
    pthread_mutex_unlock(&c->wmu);

    size_t n = 0;
    for (pending *p = batch; p; p = p->next) {
      if (n == ops_cap) {
        ops_cap = ops_cap ? ops_cap * 2 : 256;
        ops = realloc(ops, ops_cap * sizeof *ops);
      }
      ops[n++] = (store_op){p->obj->key, p->del ? NULL : p->obj->data, p->obj->len, p->obj->rev};
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = c->st->commit(c->st, ops, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (c->observe)
      c->observe((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, (int)n);
    if (rc == 0) publish(c, batch);

    pthread_mutex_lock(&c->wmu);
    c->inflight = NULL;
    if (rc != 0) {
      /* Queued writes were checked against the failed batch: fail them too
       * and hand out revisions again from the last durable one. */
      LOGE("store commit failed: %s", c->st->error(c->st));
      snprintf(c->commit_error, sizeof c->commit_error, "%s", c->st->error(c->st));
      pending *rest = c->queue;
      c->queue = c->queue_tail = NULL;
      c->last_rev = c->pub_rev;
      pthread_mutex_unlock(&c->wmu);
      finish(c, batch, CW_ERROR, c->st->error(c->st));
      finish(c, rest, CW_ERROR, "an earlier write failed to commit");
    } else {
      c->commit_error[0] = 0;
      pthread_mutex_unlock(&c->wmu);
      finish(c, batch, CW_OK, NULL);
      if (c->on_publish) c->on_publish(c->on_publish_arg);
    }
    pthread_mutex_lock(&c->wmu);
  }
  pthread_mutex_unlock(&c->wmu);
  free(ops);
  return NULL;
}


/* The bucket named by a key's first two parts, with their length. */
cache_bucket *wc_bucket_of_key(cache *c, const char *key, size_t *blen) {
  const char *s1 = strchr(key, '/');
  const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
  if (!s2) return NULL;
  char storage[256];
  snprintf(storage, sizeof storage, "%.*s", (int)(s2 - key), key);
  *blen = (size_t)(s2 - key);
  return cache_bucket_get(c, storage);
}

void wc_load_one(void *ctx, const char *key, int64_t rev, const char *value, size_t len) {
  load_ctx *lc = ctx;
  size_t blen = 0;
  cache_bucket *b = wc_bucket_of_key(lc->c, key, &blen);
  json_error_t jerr;
  json_t *obj = b ? json_loadb(value, len, 0, &jerr) : NULL;
  if (!json_is_object(obj)) {
    LOGW("skipping unreadable stored object %s", key);
    json_decref(obj);
    return;
  }
  /* a remote store keeps no resourceVersion in its values: set and serialize */
  if (lc->c->remote) wc_set_rv(obj, rev);
  cobj *o = lc->c->remote ? wc_cobj_new(key, blen, rev, obj, NULL, 0) : wc_cobj_new(key, blen, rev, obj, value, len);
  lc->n++;
  if (lc->into) {
    cobj_vec_push(lc->into, o);
    return;
  }
  cobj_unref(wc_bucket_put(b, o, false));
  cobj_unref(o);
}

cache *cache_open(store *st, size_t window, char *err, size_t errlen) {
  cache *c = calloc(1, sizeof *c);
  c->st = st;
  c->win = window ? window : 1;
  c->ring = calloc(c->win, sizeof *c->ring);
  pthread_mutex_init(&c->bucket_mu, NULL);
  pthread_rwlock_init(&c->lock, NULL);
  pthread_mutex_init(&c->wmu, NULL);
  pthread_cond_init(&c->wcond, NULL);
  pthread_mutex_init(&c->pmu, NULL);
  init_cond(&c->pcond);
  c->remote = st->put_batch != NULL;
  load_ctx lc = {c, 0, NULL};
  int64_t rev = 0;
  if (st->load(st, wc_load_one, &lc, &rev) != 0) {
    snprintf(err, errlen, "%s", st->error(st));
    cache_close(c);
    return NULL;
  }
  c->pub_rev = c->last_rev = c->window_start = c->notify_rev = rev;
  LOGI("loaded %zu objects at revision %lld", lc.n, (long long)rev);
  if (c->remote) {
    if (st->watch(st, rev, remote_apply, remote_reload, c) != 0) {
      snprintf(err, errlen, "%s", st->error(st));
      cache_close(c);
      return NULL;
    }
    if (remote_start(c, err, errlen) != 0) {
      cache_close(c);
      return NULL;
    }
    return c;
  }
  if (pthread_create(&c->committer, NULL, committer_main, c) != 0) {
    snprintf(err, errlen, "cannot start committer thread");
    c->committer = 0;
    cache_close(c);
    return NULL;
  }
  return c;
}

void cache_close(cache *c) {
  if (!c) return;
  pthread_mutex_lock(&c->wmu);
  c->stopping = true;
  pthread_cond_signal(&c->wcond);
  pthread_mutex_unlock(&c->wmu);
  if (c->committer) pthread_join(c->committer, NULL);
  if (c->remote) remote_stop(c);
  /* a remote store's watch thread publishes until its store is closed */
  if (c->remote && c->st) c->st->close(c->st), c->st = NULL;
  cache_wake_all(c);
  for (size_t i = 0; i < c->count; i++) cache_event_release(&c->ring[(c->head + i) % c->win]);
  free(c->ring);
  if (c->st) c->st->close(c->st);
  for (cache_bucket *b = c->buckets, *next; b; b = next) {
    next = b->next;
    for (size_t i = 0; i < b->n; i++) cobj_unref(b->items[i]);
    free(b->items);
    free(b->name);
    free(b);
  }
  free(c);
}

void cache_reset_window(cache *c) {
  pthread_rwlock_wrlock(&c->lock);
  for (size_t i = 0; i < c->count; i++) cache_event_release(&c->ring[(c->head + i) % c->win]);
  c->head = c->count = 0;
  c->window_start = c->pub_rev;
  pthread_rwlock_unlock(&c->lock);
}

void cache_set_commit_observer(cache *c, void (*fn)(double seconds, int ops)) { c->observe = fn; }

void cache_bucket_on_write(cache_bucket *b, void (*fn)(void)) { atomic_store(&b->on_write, fn); }

store *cache_store(cache *c) { return c->st; }

bool cache_store_healthy(cache *c, char *why, size_t len) {
  pthread_mutex_lock(&c->wmu);
  bool ok = !c->commit_error[0];
  snprintf(why, len, "%s", c->commit_error);
  pthread_mutex_unlock(&c->wmu);
  return ok;
}

void cache_wake_all(cache *c) {
  pthread_mutex_lock(&c->bucket_mu);
  cache_bucket *first = c->buckets;
  pthread_mutex_unlock(&c->bucket_mu);
  pthread_mutex_lock(&c->pmu);
  c->wake_gen++;
  pthread_cond_broadcast(&c->pcond);
  for (cache_bucket *b = first; b; b = b->next) pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&c->pmu);
}

void cache_on_publish(cache *c, void (*fn)(void *arg), void *arg) {
  c->on_publish_arg = arg;
  c->on_publish = fn;
}

size_t wc_ring_seek(cache *c, int64_t after) {
  size_t lo = 0, hi = c->count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c->ring[(c->head + mid) % c->win].rev <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Copies into evs (up to max) the events of bucket b (NULL: all) after
 * *cursor, whole revisions only, and advances *cursor past what it looked
 * at: the events of a revision that do not all fit are left for the next
 * call (*cursor stops before that revision). Returns how many, or -1 when
 * a single revision has more than max events of b. Read lock held. */
static int ring_take(cache *c, cache_bucket *b, int64_t *cursor, cache_event *evs, int max) {
  int n = 0;
  int64_t last = *cursor;
  for (size_t i = wc_ring_seek(c, *cursor); i < c->count; i++) {
    cache_event *e = &c->ring[(c->head + i) % c->win];
    if (n == max && e->rev != last) break; /* full, at a revision boundary */
    last = e->rev;
    if (b && e->bucket != b) continue;
    if (n == max) {
      /* revision `last` does not fit: give back its events taken so far */
      while (n > 0 && evs[n - 1].rev == last) cache_event_release(&evs[--n]);
      if (n == 0) {
        LOGW("revision %lld has more than %d events: the watcher must list again", (long long)last, max);
        return -1;
      }
      last--;
      break;
    }
    evs[n] = *e;
    cobj_ref(evs[n].obj);
    cobj_ref(evs[n].prev);
    n++;
  }
  *cursor = last;
  return n;
}

int cache_wait(cache *c, cache_bucket *b, int64_t *cursor, cache_event *evs, int max, int timeout_ms,
               const atomic_bool *stop) {
  struct timespec deadline = deadline_in_ms(CLOCK_MONOTONIC, timeout_ms);
  for (;;) {
    pthread_mutex_lock(&c->pmu);
    unsigned gen = c->wake_gen;
    int rc = 0;
    int64_t *notify = b ? &b->notify_rev : &c->notify_rev;
    pthread_cond_t *cond = b ? &b->cond : &c->pcond;
    while (*notify <= *cursor && !(stop && atomic_load(stop)) && gen == c->wake_gen && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(cond, &c->pmu, &deadline);
    bool have = *notify > *cursor;
    pthread_mutex_unlock(&c->pmu);
    if ((stop && atomic_load(stop)) || !have) return 0;

    pthread_rwlock_rdlock(&c->lock);
    int n = *cursor < c->window_start ? -1 : ring_take(c, b, cursor, evs, max);
    pthread_rwlock_unlock(&c->lock);
    if (n != 0) return n;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
      return 0;
  }
}

int64_t cache_wait_rev(cache *c, int64_t rev, int timeout_ms) {
  struct timespec deadline = deadline_in_ms(CLOCK_MONOTONIC, timeout_ms);
  pthread_mutex_lock(&c->pmu);
  int rc = 0;
  while (c->notify_rev < rev && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&c->pcond, &c->pmu, &deadline);
  int64_t got = c->notify_rev;
  pthread_mutex_unlock(&c->pmu);
  return got;
}
