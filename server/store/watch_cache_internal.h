/* watch_cache_internal.h - what the watch cache's files share (watch_cache.c:
 * the cache, its reads, the SQLite committer, the event ring;
 * watch_cache_remote.c and watch_cache_remote_commit.c: the path over a remote
 * store). Not for use outside server/store/watch_cache*.c. */
#ifndef CKUBE_WATCH_CACHE_INTERNAL_H
#define CKUBE_WATCH_CACHE_INTERNAL_H
#include "watch_cache.h"
#include <pthread.h>
#include <stdint.h>

enum { REMOTE_COMMITTERS_MAX = 8 };

typedef struct remote_op remote_op;

struct cache_bucket {
  char *name;
  cobj **items; /* sorted by subkey */
  size_t n, cap;
  struct cache_bucket *next;
  void (*_Atomic on_write)(void); /* cache_bucket_on_write */
  pthread_cond_t cond;            /* under pmu: events published in this bucket */
  int64_t notify_rev;             /* under pmu: revision of its newest published event */
};

typedef struct pending {
  cache_bucket *b;
  cobj *obj; /* for deletes: the tombstone (final state at delete revision) */
  bool del;
  bool done;
  pthread_cond_t done_cond; /* under pmu: signalled when done is set */
  int status; /* CW_OK or CW_ERROR once done */
  char err[160];
  struct pending *next;
} pending;

struct cache {
  store *st;
  pthread_mutex_t bucket_mu;
  cache_bucket *buckets;

  pthread_rwlock_t lock;
  cache_event *ring;
  size_t win, head, count;
  int64_t pub_rev, window_start;

  pthread_mutex_t wmu;
  pthread_cond_t wcond;
  pending *queue, *queue_tail, *inflight;
  int64_t last_rev;
  bool stopping;
  pthread_t committer;

  pthread_mutex_t pmu;
  pthread_cond_t pcond;
  int64_t notify_rev;
  unsigned wake_gen;
  void (*observe)(double seconds, int ops);
  void (*on_publish)(void *arg); /* cache_on_publish */
  void *on_publish_arg;
  char commit_error[160]; /* why the last commit failed; "" after a good one (under wmu) */
  bool remote;            /* st->put_batch: revisions are the store's, its watch publishes */

  /* remote store only (watch_cache_remote_commit.c): the writes waiting for
   * a committer, oldest first (under wmu; wcond wakes a committer) */
  remote_op *rqueue, *rqueue_tail;
  pthread_t rcommitters[REMOTE_COMMITTERS_MAX];
  int nrcommitters;
  /* the committer's linger (under wmu): the threads that wrote lately
   * (each has at most one write queued; busy: queued or in a transaction,
   * at_ns: since when), how many writes are queued and in
   * transactions, the most at once in this window of time and the one
   * before (rpeak, rpeak_prev; the window began at rpeak_ns), how many
   * times it waited, the last transaction's duration, the longest linger */
  struct { uintptr_t thread; int64_t at_ns; bool busy; } rwriters[CACHE_REVISION_WRITES_MAX];
  size_t nrwriters, rqueued, rinflight, rpeak, rpeak_prev, rlingers;
  int64_t rpeak_ns, rlast_txn_ns, rlinger_max_ns;
};

typedef struct {
  cache *c;
  size_t n;
  cobj_vec *into; /* a reload gathers the versions here instead of installing them */
} load_ctx;

/* A version built from its parts; steals obj; serializes when data is NULL. */
cobj *wc_cobj_new(const char *key, size_t bucket_len, int64_t rev, json_t *obj, const char *data, size_t len);
/* Index of the first item of b whose subkey is >= subkey; *found when equal. */
size_t wc_bucket_find(const cache_bucket *b, const char *subkey, bool *found);
/* Installs o (taking a reference) or removes its subkey; returns the
 * previous version (the bucket's reference, now the caller's) or NULL.
 * Write lock held. */
cobj *wc_bucket_put(cache_bucket *b, cobj *o, bool del);
/* The published version of subkey in b (a reference) or NULL; takes the read lock. */
cobj *wc_published_get(cache *c, cache_bucket *b, const char *subkey);
/* Appends an event (taking its references), evicting the oldest when full. Write lock held. */
void wc_ring_push(cache *c, cache_event ev);
/* Ring position of the first event with rev > after (count when none). Lock held. */
size_t wc_ring_seek(cache *c, int64_t after);
/* Sets obj's metadata.resourceVersion to rev. */
void wc_set_rv(json_t *obj, int64_t rev);
/* The bucket named by a key's first two parts ("core/pods/..."), with their length; NULL when none. */
cache_bucket *wc_bucket_of_key(cache *c, const char *key, size_t *blen);
/* store_load_fn over a load_ctx. */
void wc_load_one(void *ctx, const char *key, int64_t rev, const char *value, size_t len);

/* watch_cache_remote.c: a write through the store's compare-and-swap
 * (cache_write's contract; sk = "<ns>/<name>"), the store watch's
 * publisher, and its reload after lost changes. */
int remote_write(cache *c, cache_bucket *b, const char *sk, int64_t expect_rev, json_t *obj, bool del, cobj **out,
                 int64_t *current, char *err, size_t errlen);
void remote_apply(void *ctx, const store_event *evs, size_t n);
int64_t remote_reload(void *ctx);

/* watch_cache_remote_commit.c: the committer threads (0 or -1 with err)
 * and their stop (queued writes fail; called before the store closes), and
 * one compare-and-swap through them: CW_OK with *rev, CW_CONFLICT with *cur
 * (and *rev the store's revision), or CW_ERROR with err. */
int remote_start(cache *c, char *err, size_t errlen);
void remote_stop(cache *c);
int remote_put(cache *c, const char *key, const char *data, size_t len, int64_t expect_rev, int64_t *rev,
               int64_t *cur, char *err, size_t errlen);

#endif
