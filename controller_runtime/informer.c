/* informer.c - see informer.h. A factory's shared informers form a list
 * guarded by its registry_mu, keyed by cache bucket (two served versions of
 * one kind share a bucket and so an informer; NULL = every bucket). Each
 * informer has one thread that waits on the cache and hands every event
 * (references to the versions) to each handler's buffer; each handler has
 * its own delivery thread, as client-go's processorListener, so a slow
 * handler (the scheduler's, behind its lock) never delays another
 * controller's events. dispatch_mu guards an informer's handler list: a
 * registration's initial ADDED replay cannot interleave with events, and an
 * unregistration cannot race a hand-off. Lock order: a factory's
 * registry_mu, dispatch_mu, a handler's mu, the cache's locks. */
#include "informer.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct shared_informer shared_informer;

struct informer_factory {
  cache *cache; /* what every informer and lister of this factory reads */
  pthread_mutex_t registry_mu;
  shared_informer *shared; /* guarded by registry_mu */
};

/* One event waiting in a handler's buffer (holds references). */
typedef struct delivery {
  cache_event_type type;
  cobj *obj, *prev;
  struct delivery *next;
} delivery;

struct informer {
  shared_informer *si;
  informer_fn fn;
  void *ctx;
  informer *next;            /* in si->handlers, guarded by dispatch_mu */
  pthread_t thread;          /* calls fn for each buffered event in order */
  pthread_mutex_t mu;        /* guards head, tail, stop */
  pthread_cond_t cond;
  delivery *head, *tail;
  bool stop;
};

struct shared_informer {
  informer_factory *f;
  cache_bucket *bucket; /* NULL: every resource */
  pthread_t thread;
  atomic_bool stop;
  int64_t cursor;       /* the informer thread's alone */
  pthread_mutex_t dispatch_mu;
  informer *handlers;   /* guarded by dispatch_mu */
  int nhandlers;        /* guarded by registry_mu */
  shared_informer *next;
};

informer_factory *informer_factory_new(cache *c) {
  informer_factory *f = calloc(1, sizeof *f);
  f->cache = c;
  pthread_mutex_init(&f->registry_mu, NULL);
  return f;
}

void informer_factory_free(informer_factory *f) {
  if (!f) return;
  pthread_mutex_destroy(&f->registry_mu);
  free(f);
}

const char *informer_key(const cobj *o) { return o->subkey[0] == '/' ? o->subkey + 1 : o->subkey; }

/* Buffers one event for h (taking references); never blocks on h's fn. */
static void hand_off(informer *h, cache_event_type type, cobj *obj, cobj *prev) {
  delivery *d = malloc(sizeof *d);
  d->type = type;
  d->obj = cobj_ref(obj);
  d->prev = prev ? cobj_ref(prev) : NULL;
  d->next = NULL;
  pthread_mutex_lock(&h->mu);
  if (h->tail) h->tail->next = d;
  else h->head = d;
  h->tail = d;
  pthread_cond_signal(&h->cond);
  pthread_mutex_unlock(&h->mu);
}

static void delivery_free(delivery *d) {
  cobj_unref(d->obj);
  cobj_unref(d->prev);
  free(d);
}

static void *deliver(void *arg) {
  informer *h = arg;
  pthread_mutex_lock(&h->mu);
  for (;;) {
    while (!h->head && !h->stop) pthread_cond_wait(&h->cond, &h->mu);
    if (h->stop) break;
    delivery *d = h->head;
    h->head = d->next;
    if (!h->head) h->tail = NULL;
    pthread_mutex_unlock(&h->mu);
    h->fn(h->ctx, d->type, d->obj, d->prev);
    delivery_free(d);
    pthread_mutex_lock(&h->mu);
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

/* Every object of si's bucket (of every storage resource when NULL) as
 * ADDED to only, or to every handler when only is NULL. dispatch_mu held. */
static void replay(shared_informer *si, informer *only) {
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (registry_storage_resource(r) != r || !r->bucket || (si->bucket && r->bucket != si->bucket)) continue;
    cobj_vec all = {0};
    cache_list(si->f->cache, r->bucket, "", NULL, 0, &all);
    for (size_t k = 0; k < all.n; k++) {
      if (only) hand_off(only, EV_ADDED, all.items[k], NULL);
      else
        for (informer *h = si->handlers; h; h = h->next) hand_off(h, EV_ADDED, all.items[k], NULL);
    }
    cobj_vec_clear(&all);
    if (si->bucket) break;
  }
}

static void *run(void *arg) {
  shared_informer *si = arg;
  cache_event evs[128];
  while (!atomic_load(&si->stop)) {
    int n = cache_wait(si->f->cache, si->bucket, &si->cursor, evs, 128, 1000, &si->stop);
    pthread_mutex_lock(&si->dispatch_mu);
    if (n < 0) { /* fell out of the window: list again from now on */
      si->cursor = cache_rev(si->f->cache);
      replay(si, NULL);
    }
    for (int i = 0; i < n; i++) {
      if (!atomic_load(&si->stop))
        for (informer *h = si->handlers; h; h = h->next) hand_off(h, evs[i].type, evs[i].obj, evs[i].prev);
      cache_event_release(&evs[i]);
    }
    pthread_mutex_unlock(&si->dispatch_mu);
  }
  return NULL;
}

/* f's running informer of bucket, started when there is none. f->registry_mu held. */
static shared_informer *shared_for(informer_factory *f, cache_bucket *bucket) {
  for (shared_informer *si = f->shared; si; si = si->next)
    if (si->bucket == bucket) return si;
  shared_informer *si = calloc(1, sizeof *si);
  si->f = f;
  si->bucket = bucket;
  si->cursor = cache_rev(f->cache); /* every handler's replay lists at or after this */
  pthread_mutex_init(&si->dispatch_mu, NULL);
  if (pthread_create(&si->thread, NULL, run, si) != 0) {
    pthread_mutex_destroy(&si->dispatch_mu);
    free(si);
    return NULL;
  }
  si->next = f->shared;
  f->shared = si;
  return si;
}

/* Stops si's thread and frees it. Its factory's registry_mu held. */
static void shared_drop(shared_informer *si) {
  for (shared_informer **p = &si->f->shared; *p; p = &(*p)->next)
    if (*p == si) {
      *p = si->next;
      break;
    }
  atomic_store(&si->stop, true);
  cache_wake_all(si->f->cache);
  pthread_join(si->thread, NULL);
  pthread_mutex_destroy(&si->dispatch_mu);
  free(si);
}

informer *informer_start(informer_factory *f, const resource *r, informer_fn fn, void *ctx) {
  if (r) r = registry_storage_resource(r);
  if (r && !r->bucket) return NULL;
  pthread_mutex_lock(&f->registry_mu);
  shared_informer *si = shared_for(f, r ? r->bucket : NULL);
  if (!si) {
    pthread_mutex_unlock(&f->registry_mu);
    return NULL;
  }
  informer *h = calloc(1, sizeof *h);
  h->si = si;
  h->fn = fn;
  h->ctx = ctx;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cond, NULL);
  if (pthread_create(&h->thread, NULL, deliver, h) != 0) {
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cond);
    free(h);
    h = NULL;
  }
  if (!h && si->nhandlers == 0) { /* a fresh informer nobody follows */
    shared_drop(si);
    pthread_mutex_unlock(&f->registry_mu);
    return NULL;
  }
  if (!h) {
    pthread_mutex_unlock(&f->registry_mu);
    return NULL;
  }
  si->nhandlers++;
  pthread_mutex_lock(&si->dispatch_mu);
  replay(si, h);
  h->next = si->handlers;
  si->handlers = h;
  pthread_mutex_unlock(&si->dispatch_mu);
  pthread_mutex_unlock(&f->registry_mu);
  return h;
}

void informer_stop(informer *h) {
  if (!h) return;
  shared_informer *si = h->si;
  informer_factory *f = si->f;
  pthread_mutex_lock(&f->registry_mu);
  pthread_mutex_lock(&si->dispatch_mu);
  for (informer **p = &si->handlers; *p; p = &(*p)->next)
    if (*p == h) {
      *p = h->next;
      break;
    }
  pthread_mutex_unlock(&si->dispatch_mu);
  pthread_mutex_lock(&h->mu);
  h->stop = true;
  pthread_cond_signal(&h->cond);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->thread, NULL);
  for (delivery *d = h->head, *next; d; d = next) {
    next = d->next;
    delivery_free(d);
  }
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->cond);
  free(h);
  if (--si->nhandlers == 0) shared_drop(si);
  pthread_mutex_unlock(&f->registry_mu);
}

size_t informer_shared_count(informer_factory *f) {
  pthread_mutex_lock(&f->registry_mu);
  size_t n = 0;
  for (shared_informer *si = f->shared; si; si = si->next) n++;
  pthread_mutex_unlock(&f->registry_mu);
  return n;
}

static const char *scoped_ns(const resource *r, const char *ns) { return r->ref.namespaced && ns ? ns : ""; }

cobj *lister_get(informer_factory *f, const resource *r, const char *ns, const char *name) {
  return r && name ? cache_get(f->cache, r->bucket, scoped_ns(r, ns), name) : NULL;
}

cobj *lister_get_latest(informer_factory *f, const resource *r, const char *ns, const char *name) {
  return r && name ? cache_get_latest(f->cache, r->bucket, scoped_ns(r, ns), name) : NULL;
}

void lister_list(informer_factory *f, const resource *r, const char *ns, cobj_vec *out) {
  if (r) cache_list(f->cache, r->bucket, ns ? ns : "", NULL, 0, out);
}

size_t lister_count(informer_factory *f, const resource *r) { return r ? cache_count(f->cache, r->bucket) : 0; }
