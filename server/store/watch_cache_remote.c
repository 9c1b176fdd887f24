/* watch_cache_remote.c - the watch cache over a remote store (etcd:
 * st->put_batch; docs/ETCD.md). Revisions are the store's: a write
 * (remote_write) is a compare-and-swap that watch_cache_remote_commit.c
 * group-commits with other writers' into one store transaction, and the
 * writer then waits until the store's watch published that revision here.
 * The watch thread is the only publisher (remote_apply), of this server's
 * writes and other servers' alike; the writes of one transaction share its
 * revision and are published together. remote_reload replaces the state
 * when the store lost changes. */
#include "watch_cache_internal.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whether a and b are equal but for metadata.resourceVersion. */
static bool equal_but_rv(const json_t *a, const json_t *b) {
  json_t *x = json_copy((json_t *)a), *y = json_copy((json_t *)b);
  json_t *mx = json_object_get(x, "metadata"), *my = json_object_get(y, "metadata");
  if (json_is_object(mx)) json_object_set_new(x, "metadata", mx = json_copy(mx)), json_object_del(mx, "resourceVersion");
  if (json_is_object(my)) json_object_set_new(y, "metadata", my = json_copy(my)), json_object_del(my, "resourceVersion");
  bool eq = json_equal(x, y);
  json_decref(x);
  json_decref(y);
  return eq;
}

/* Waits until subkey is gone from b's published state; false after timeout_ms. */
static bool wait_absent(cache *c, cache_bucket *b, const char *sk, int timeout_ms) {
  for (int waited = 0;; waited += 20) {
    cobj *o = wc_published_get(c, b, sk);
    cobj_unref(o);
    if (!o) return true;
    if (waited >= timeout_ms) return false;
    struct timespec t = {0, 20 * 1000000L};
    nanosleep(&t, NULL);
  }
}

int remote_write(cache *c, cache_bucket *b, const char *sk, int64_t expect_rev, json_t *obj, bool del,
                 cobj **out, int64_t *current, char *err, size_t errlen) {
  char *key;
  if (asprintf(&key, "%s/%s", b->name, sk) < 0) key = NULL;
  /* the store keeps no resourceVersion: it is the key's mod revision */
  json_t *md = json_object_get(obj, "metadata");
  if (json_is_object(md)) json_object_del(md, "resourceVersion");
  int64_t rev = 0, cur = 0;
  int rc = CW_OK;
  if (del) {
    /* a final state that differs from the stored one is stored first, then
     * deleted (as kube-apiserver does): the DELETED event shows it */
    cobj *pub = wc_published_get(c, b, sk);
    if (pub && (expect_rev < 0 || pub->rev == expect_rev) && !equal_but_rv(pub->obj, obj)) {
      char *data = json_dumps(obj, JSON_COMPACT);
      rc = remote_put(c, key, data, strlen(data), expect_rev, &rev, &cur, err, errlen);
      free(data);
      if (rc == CW_OK) expect_rev = rev;
    }
    cobj_unref(pub);
  }
  if (rc == CW_OK) {
    char *data = del ? NULL : json_dumps(obj, JSON_COMPACT);
    rc = remote_put(c, key, data, data ? strlen(data) : 0, expect_rev, &rev, &cur, err, errlen);
    free(data);
  }
  if (rc == CW_CONFLICT) {
    /* the other write may not have reached this cache yet: catch up first,
     * so that a retry reads the state the store compared against (the
     * key's revision, or its absence; the store's own revision may belong
     * to keys outside this cache's prefix) */
    if (cur > 0) cache_wait_rev(c, cur, 5000);
    else wait_absent(c, b, sk, 2000);
    if (current) *current = cur;
  }
  if (rc == CW_OK && cache_wait_rev(c, rev, 30000) < rev) {
    snprintf(err, errlen, "etcd committed revision %lld but its watch has not delivered it", (long long)rev);
    rc = CW_ERROR;
  }
  if (rc == CW_OK && out) {
    /* the published version (this key's event among the events at rev: a
     * transaction's writes share it), else the same state built here */
    *out = NULL;
    pthread_rwlock_rdlock(&c->lock);
    for (size_t i = wc_ring_seek(c, rev - 1); i < c->count && !*out; i++) {
      cache_event *e = &c->ring[(c->head + i) % c->win];
      if (e->rev != rev) break;
      if (!strcmp(e->obj->key, key)) *out = cobj_ref(e->obj);
    }
    pthread_rwlock_unlock(&c->lock);
    if (!*out) {
      wc_set_rv(obj, rev);
      *out = wc_cobj_new(key, strlen(b->name), rev, obj, NULL, 0);
      obj = NULL;
    }
  }
  json_decref(obj);
  free(key);
  return rc;
}

/* Removes subkey from b; returns the removed version (the caller's reference) or NULL. */
static cobj *bucket_remove(cache_bucket *b, const char *subkey) {
  bool found;
  size_t i = wc_bucket_find(b, subkey, &found);
  if (!found) return NULL;
  cobj *prev = b->items[i];
  memmove(&b->items[i], &b->items[i + 1], (b->n - i - 1) * sizeof *b->items);
  b->n--;
  return prev;
}

/* The store's watch: publishes each change as the committer would, then
 * runs the write hooks and wakes writers and watchers. Only this thread
 * changes the published state of a remote cache. */
void remote_apply(void *ctx, const store_event *evs, size_t n) {
  cache *c = ctx;
  cache_bucket *hooked[64];
  size_t nh = 0;
  bool overflow = false; /* more buckets than hooked holds: wake them all */
  pthread_rwlock_wrlock(&c->lock);
  for (size_t i = 0; i < n; i++) {
    size_t blen = 0;
    cache_bucket *b = wc_bucket_of_key(c, evs[i].key, &blen);
    if (!b) continue;
    cache_event ev = {evs[i].rev, EV_ADDED, b, NULL, NULL};
    if (evs[i].value) {
      json_error_t jerr;
      json_t *obj = json_loadb(evs[i].value, evs[i].len, 0, &jerr);
      if (!json_is_object(obj)) {
        LOGW("ignoring an unreadable stored object %s at revision %lld", evs[i].key, (long long)evs[i].rev);
        json_decref(obj);
        continue;
      }
      wc_set_rv(obj, evs[i].rev);
      ev.obj = wc_cobj_new(evs[i].key, blen, evs[i].rev, obj, NULL, 0);
      ev.prev = wc_bucket_put(b, ev.obj, false);
      if (ev.prev) ev.type = EV_MODIFIED;
    } else {
      ev.prev = bucket_remove(b, evs[i].key + blen + 1);
      if (!ev.prev) continue; /* never seen here: nothing to announce */
      json_t *last = json_deep_copy(ev.prev->obj);
      wc_set_rv(last, evs[i].rev);
      ev.obj = wc_cobj_new(evs[i].key, blen, evs[i].rev, last, NULL, 0);
      ev.type = EV_DELETED;
    }
    wc_ring_push(c, ev);
    c->pub_rev = evs[i].rev;
    bool seen = false;
    for (size_t k = 0; k < nh; k++) seen |= hooked[k] == b;
    if (!seen && nh < sizeof hooked / sizeof *hooked) hooked[nh++] = b;
    else if (!seen) overflow = true;
  }
  if (n && evs[n - 1].rev > c->pub_rev) c->pub_rev = evs[n - 1].rev;
  pthread_rwlock_unlock(&c->lock);
  for (size_t k = 0; k < nh; k++) {
    void (*hook)(void) = atomic_load(&hooked[k]->on_write);
    if (hook) hook();
  }
  pthread_mutex_lock(&c->bucket_mu);
  cache_bucket *first = c->buckets;
  pthread_mutex_unlock(&c->bucket_mu);
  pthread_mutex_lock(&c->pmu);
  /* the written buckets' watchers (every bucket's after a batch over more resources than hooked holds) */
  for (cache_bucket *b = first; b; b = b->next) {
    bool written = overflow;
    for (size_t k = 0; k < nh && !written; k++) written = hooked[k] == b;
    if (written && b->notify_rev < c->pub_rev) {
      b->notify_rev = c->pub_rev;
      pthread_cond_broadcast(&b->cond);
    }
  }
  c->notify_rev = c->pub_rev;
  pthread_cond_broadcast(&c->pcond);
  pthread_mutex_unlock(&c->pmu);
  if (c->on_publish) c->on_publish(c->on_publish_arg);
}

/* The store lost changes (its history was compacted past this cache's
 * revision): the whole state is loaded again at the store's revision and
 * replaces the published one, and the event window restarts there, so
 * watches from before get 410 Gone and list again (as kube-apiserver's
 * cache does after its etcd watch fails). Returns the revision or -1. */
int64_t remote_reload(void *ctx) {
  cache *c = ctx;
  cobj_vec loaded = {0};
  load_ctx lc = {c, 0, &loaded};
  int64_t rev = 0;
  if (c->st->load(c->st, wc_load_one, &lc, &rev) != 0) {
    LOGE("reloading from the store failed: %s", c->st->error(c->st));
    cobj_vec_clear(&loaded);
    return -1;
  }
  pthread_mutex_lock(&c->bucket_mu);
  cache_bucket *first = c->buckets;
  pthread_mutex_unlock(&c->bucket_mu);
  pthread_rwlock_wrlock(&c->lock);
  for (cache_bucket *b = first; b; b = b->next) {
    for (size_t i = 0; i < b->n; i++) cobj_unref(b->items[i]);
    b->n = 0;
  }
  for (size_t i = 0; i < loaded.n; i++) {
    size_t blen = 0;
    cache_bucket *b = wc_bucket_of_key(c, loaded.items[i]->key, &blen);
    cobj_unref(wc_bucket_put(b, loaded.items[i], false));
  }
  for (size_t i = 0; i < c->count; i++) cache_event_release(&c->ring[(c->head + i) % c->win]);
  c->head = c->count = 0;
  c->pub_rev = c->window_start = rev;
  pthread_mutex_lock(&c->bucket_mu);
  first = c->buckets;
  pthread_mutex_unlock(&c->bucket_mu);
  pthread_rwlock_unlock(&c->lock);
  for (cache_bucket *b = first; b; b = b->next) {
    void (*hook)(void) = atomic_load(&b->on_write);
    if (hook) hook();
  }
  LOGW("reloaded %zu objects from the store at revision %lld; older watches must list again", loaded.n,
       (long long)rev);
  cobj_vec_clear(&loaded);
  pthread_mutex_lock(&c->pmu);
  c->notify_rev = rev;
  c->wake_gen++;
  for (cache_bucket *b = first; b; b = b->next) {
    if (b->notify_rev < rev) b->notify_rev = rev;
    pthread_cond_broadcast(&b->cond);
  }
  pthread_cond_broadcast(&c->pcond);
  pthread_mutex_unlock(&c->pmu);
  if (c->on_publish) c->on_publish(c->on_publish_arg);
  return rev;
}
