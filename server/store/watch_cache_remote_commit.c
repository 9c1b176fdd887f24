/* watch_cache_remote_commit.c - group commit over a remote store (etcd),
 * as the SQLite committer does for the local one. A write's compare-and-swap
 * (remote_put) joins a queue and waits; a committer thread takes the queued
 * writes with distinct keys (etcd refuses a key twice in one transaction),
 * up to CACHE_REVISION_WRITES_MAX and REMOTE_BATCH_BYTES, and sends them as
 * one store transaction (put_batch). When a condition fails nothing is
 * written: the writes whose condition failed get their conflict (with the
 * key's current revision, as a one-key transaction would) and the others
 * are sent again at once. Writes that arrive while transactions are in
 * flight form the next ones. Each transaction costs etcd about what one
 * write did, so the rate of writes grows with the number of writes per
 * transaction; and concurrent clients fall into groups that alternate (one
 * waits while the other's transaction is in flight). So, as PostgreSQL's
 * commit_delay does when commit_siblings are active, a committer lingers
 * before a transaction while fewer writes are queued than expected (those
 * and one of each thread answered lately): until they are queued, at most half the last
 * transaction's time and CKUBE_ETCD_LINGER_US (default LINGER_US), and
 * never for more writes than were queued and in flight at once lately. A
 * lone writer never waits: its own write is the one expected. */
#include "watch_cache_internal.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* etcd refuses a request over --max-request-bytes (1.5 MiB by default):
 * a transaction carries at most this many value bytes (one larger write
 * goes alone) */
enum { REMOTE_BATCH_BYTES = 1 << 20 };
/* transactions in flight at once: 1 measured best of 1, 2 and 4 on two
 * cores, where CPU is the limit and fewer, larger transactions cost less
 * per write (docs/ETCD.md); CKUBE_ETCD_COMMITTERS overrides it (tests,
 * tuning on more cores) */
enum { REMOTE_COMMITTERS = 1 };
/* a thread whose write was answered within ACTIVE_MS (or four
 * transactions) is expected to write again soon; a linger lasts at most
 * LINGER_US */
enum { ACTIVE_MS = 20, LINGER_US = 1000 };

/* One queued compare-and-swap; lives on its writer's stack. */
struct remote_op {
  store_op op; /* key (cache key), value (NULL: delete), len */
  int64_t expect;
  bool done;                /* under wmu; the writer may return once set */
  pthread_cond_t done_cond; /* under wmu: signalled when done is set */
  int status;               /* CW_OK, CW_CONFLICT or CW_ERROR once done */
  int64_t rev, cur;
  char err[160];
  uintptr_t thread; /* the writer's (the linger counts threads) */
  remote_op *next;
};

/* Whether the condition of a write holds when its key is at revision cur. */
static bool holds(const remote_op *w, int64_t cur) {
  if (w->expect >= 0) return cur == w->expect;
  return w->op.value || cur > 0; /* unconditional; a delete needs the key */
}

/* Sets the answer of writes w[0..n) and wakes their writers. wmu held. */
static void answer_locked(remote_op **w, size_t n, int status, int64_t rev, const char *msg) {
  for (size_t i = 0; i < n; i++) {
    w[i]->status = status;
    w[i]->rev = rev;
    if (msg) snprintf(w[i]->err, sizeof w[i]->err, "%s", msg);
    w[i]->done = true; /* once wmu is released the writer returns: w[i] is gone */
    pthread_cond_signal(&w[i]->done_cond);
  }
}

static void answer(cache *c, remote_op **w, size_t n, int status, int64_t rev, const char *msg) {
  pthread_mutex_lock(&c->wmu);
  answer_locked(w, n, status, rev, msg);
  pthread_mutex_unlock(&c->wmu);
}

/* Moves the oldest queued writes with distinct keys into w (up to
 * CACHE_REVISION_WRITES_MAX and REMOTE_BATCH_BYTES); a write whose key is
 * already taken stays queued, in its place, for the next transaction.
 * Returns how many. wmu held. */
static size_t take_batch(cache *c, remote_op **w) {
  size_t n = 0, bytes = 0;
  remote_op **link = &c->rqueue, *last = NULL;
  while (*link && n < CACHE_REVISION_WRITES_MAX) {
    remote_op *p = *link;
    bool dup = n && bytes + p->op.len > REMOTE_BATCH_BYTES;
    for (size_t i = 0; i < n && !dup; i++) dup = !strcmp(w[i]->op.key, p->op.key);
    if (dup) {
      last = p;
      link = &p->next;
      continue;
    }
    *link = p->next;
    p->next = NULL;
    w[n++] = p;
    bytes += p->op.len;
  }
  /* the tail is the last write left queued (or none) */
  if (!*link) c->rqueue_tail = last;
  else
    for (c->rqueue_tail = *link; c->rqueue_tail->next;) c->rqueue_tail = c->rqueue_tail->next;
  return n;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* How long a thread answered is expected back: ACTIVE_MS, or four
 * transactions when they take longer. */
static int64_t active_ns(const cache *c) {
  return c->rlast_txn_ns * 4 > ACTIVE_MS * 1000000LL ? c->rlast_txn_ns * 4 : ACTIVE_MS * 1000000LL;
}

/* Notes how many writes are queued and in transactions as one more queues
 * at now: the most at once, over windows of active_ns. wmu held. */
static void saw_at_once(cache *c, int64_t now) {
  int64_t window = active_ns(c);
  if (now - c->rpeak_ns >= window) {
    c->rpeak_prev = now - c->rpeak_ns < 2 * window ? c->rpeak : 0;
    c->rpeak = 0;
    c->rpeak_ns = now;
  }
  size_t at_once = c->rqueued + c->rinflight;
  if (at_once > c->rpeak) c->rpeak = at_once;
}

/* Notes that thread's write just queued (busy) or was just answered (then
 * it may write again soon). wmu held. */
static void saw_writer(cache *c, uintptr_t me, int64_t now, bool busy) {
  size_t slot = 0;
  for (size_t i = 0; i < c->nrwriters; i++) {
    if (c->rwriters[i].thread == me) {
      slot = i;
      goto found;
    }
    if (c->rwriters[i].at_ns < c->rwriters[slot].at_ns) slot = i;
  }
  if (c->nrwriters < CACHE_REVISION_WRITES_MAX) slot = c->nrwriters++; /* else the one seen longest ago */
  c->rwriters[slot].thread = me;
found:
  c->rwriters[slot].at_ns = now;
  c->rwriters[slot].busy = busy;
}

/* Waits (wmu held), within the linger, while fewer writes are queued than
 * expected: the queued ones and one of each thread answered lately; never
 * more than were queued and in flight at once lately (a client whose
 * requests come over new connections, each served by another thread, has
 * one at a time). */
static void linger(cache *c) {
  if (!c->rlinger_max_ns || !c->rlast_txn_ns) return;
  int64_t now = now_ns();
  size_t want = c->rqueued, peak = c->rpeak > c->rpeak_prev ? c->rpeak : c->rpeak_prev;
  for (size_t i = 0; i < c->nrwriters; i++) want += !c->rwriters[i].busy && now - c->rwriters[i].at_ns < active_ns(c);
  if (want > peak) want = peak;
  if (c->rqueued >= want) return;
  c->rlingers++;
  int64_t wait = c->rlast_txn_ns / 2 < c->rlinger_max_ns ? c->rlast_txn_ns / 2 : c->rlinger_max_ns;
  int64_t until = now + wait;
  struct timespec deadline = {until / 1000000000, until % 1000000000};
  while (c->rqueued < want && !c->stopping)
    if (pthread_cond_clockwait(&c->wcond, &c->wmu, CLOCK_MONOTONIC, &deadline) == ETIMEDOUT) break;
}

/* Sends w[0..n) as one transaction, again without the conflicting ones
 * until it commits or fails, and answers every write. */
static void commit_batch(cache *c, remote_op **w, size_t n) {
  store_op ops[CACHE_REVISION_WRITES_MAX];
  int64_t expect[CACHE_REVISION_WRITES_MAX], cur[CACHE_REVISION_WRITES_MAX];
  while (n) {
    for (size_t i = 0; i < n; i++) ops[i] = w[i]->op, expect[i] = w[i]->expect;
    int64_t rev = 0, t0 = now_ns();
    int rc = c->st->put_batch(c->st, ops, expect, n, &rev, cur);
    int64_t took = now_ns() - t0;
    if (c->observe) c->observe((double)took / 1e9, (int)n);
    char why[160] = "";
    if (rc < 0) snprintf(why, sizeof why, "%s", c->st->error(c->st)); /* the store's message is per thread */
    pthread_mutex_lock(&c->wmu);
    c->rlast_txn_ns = took;
    for (size_t i = 0; i < n; i++) saw_writer(c, w[i]->thread, t0 + took, false); /* answered now (or resent) */
    snprintf(c->commit_error, sizeof c->commit_error, "%s", why);
    if (rc <= 0) {
      answer_locked(w, n, rc == 0 ? CW_OK : CW_ERROR, rev, rc == 0 ? NULL : why);
      pthread_mutex_unlock(&c->wmu);
      return;
    }
    size_t keep = 0;
    for (size_t i = 0; i < n; i++) {
      if (holds(w[i], cur[i])) {
        w[keep++] = w[i];
        continue;
      }
      w[i]->cur = cur[i];
      answer_locked(&w[i], 1, CW_CONFLICT, rev, NULL);
    }
    pthread_mutex_unlock(&c->wmu);
    if (keep == n) { /* the store said no, yet every condition holds: do not loop */
      answer(c, w, n, CW_ERROR, rev, "the store refused a transaction whose conditions held");
      return;
    }
    n = keep;
  }
}

static void *committer_main(void *arg) {
  cache *c = arg;
  remote_op *w[CACHE_REVISION_WRITES_MAX];
  pthread_mutex_lock(&c->wmu);
  for (;;) {
    while (!c->rqueue && !c->stopping) pthread_cond_wait(&c->wcond, &c->wmu);
    if (c->stopping) break;
    linger(c);
    size_t n = take_batch(c, w);
    c->rqueued -= n;
    c->rinflight += n;
    if (c->rqueue) pthread_cond_signal(&c->wcond); /* another committer takes the rest */
    pthread_mutex_unlock(&c->wmu);
    commit_batch(c, w, n);
    pthread_mutex_lock(&c->wmu);
    c->rinflight -= n;
  }
  pthread_mutex_unlock(&c->wmu);
  return NULL;
}

int remote_start(cache *c, char *err, size_t errlen) {
  const char *env = getenv("CKUBE_ETCD_COMMITTERS"), *us = getenv("CKUBE_ETCD_LINGER_US");
  int want = env && atoi(env) > 0 ? atoi(env) : REMOTE_COMMITTERS;
  c->rlinger_max_ns = (us && atoi(us) >= 0 ? atoi(us) : LINGER_US) * 1000LL;
  if (want > REMOTE_COMMITTERS_MAX) want = REMOTE_COMMITTERS_MAX;
  for (int i = 0; i < want; i++) {
    if (pthread_create(&c->rcommitters[i], NULL, committer_main, c) != 0) {
      snprintf(err, errlen, "cannot start the store's committer threads");
      return -1;
    }
    c->nrcommitters = i + 1;
  }
  return 0;
}

void remote_stop(cache *c) {
  pthread_mutex_lock(&c->wmu);
  c->stopping = true;
  pthread_cond_broadcast(&c->wcond);
  pthread_mutex_unlock(&c->wmu);
  for (int i = 0; i < c->nrcommitters; i++) pthread_join(c->rcommitters[i], NULL);
  c->nrcommitters = 0;
  pthread_mutex_lock(&c->wmu);
  while (c->rqueue) {
    remote_op *p = c->rqueue;
    c->rqueue = p->next;
    answer_locked(&p, 1, CW_ERROR, 0, "storage is shutting down");
  }
  c->rqueue_tail = NULL;
  c->rqueued = 0;
  pthread_mutex_unlock(&c->wmu);
}

int remote_put(cache *c, const char *key, const char *data, size_t len, int64_t expect_rev, int64_t *rev,
               int64_t *cur, char *err, size_t errlen) {
  remote_op w = {.op = {key, data, len, 0}, .expect = expect_rev, .thread = (uintptr_t)pthread_self()};
  pthread_cond_init(&w.done_cond, NULL);
  pthread_mutex_lock(&c->wmu);
  if (c->stopping) {
    w.status = CW_ERROR;
    snprintf(w.err, sizeof w.err, "storage is shutting down");
  } else {
    if (c->rqueue_tail) c->rqueue_tail->next = &w;
    else c->rqueue = &w;
    c->rqueue_tail = &w;
    c->rqueued++;
    int64_t now = now_ns();
    saw_at_once(c, now);
    saw_writer(c, w.thread, now, true);
    pthread_cond_signal(&c->wcond);
    while (!w.done) pthread_cond_wait(&w.done_cond, &c->wmu);
  }
  pthread_mutex_unlock(&c->wmu);
  pthread_cond_destroy(&w.done_cond);
  *rev = w.rev;
  *cur = w.cur;
  if (w.status == CW_ERROR) snprintf(err, errlen, "%s", w.err);
  return w.status;
}
