/* workqueue.c - see workqueue.h. As client-go's queue: ready keys in
 * order (a heap by priority, then arrival: a FIFO when every key has
 * priority 0), a "dirty" set (keys waiting to be processed, with their
 * priority), a "processing" set
 * (keys handed out), and a min-heap of delayed adds by due time with a map
 * from key to its heap slot so an earlier add replaces a later one. Every
 * operation is O(1) or O(log n), so queues of 100k keys stay cheap. mu
 * guards everything; cond wakes workers. */
#include "workqueue.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *key;
  int priority;
  unsigned long long seq; /* arrival order */
} ready_item;

typedef struct {
  char *key;
  int priority;
  struct timespec due;
  size_t slot; /* index in the heap */
} delayed_item;

struct workqueue {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  ready_item *ready;      /* ready keys: a heap, highest priority then lowest seq first */
  size_t nready, capready;
  unsigned long long seq;
  strmap *dirty;          /* keys waiting -> priority_token(priority) */
  strmap *processing;     /* keys handed out (value unused) */
  delayed_item **heap;    /* delayed adds, earliest first */
  size_t nheap, capheap;
  strmap *delayed;        /* key -> delayed_item */
  bool shutdown;
};

static void *const PRESENT = (void *)1;

/* A priority as a non-NULL map value, and back. */
static void *priority_token(int priority) { return (void *)((intptr_t)priority * 2 + 1); }
static int token_priority(void *token) { return (int)((intptr_t)token >> 1); }

workqueue *workqueue_new(void) {
  workqueue *q = calloc(1, sizeof *q);
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->cond, &ca);
  pthread_condattr_destroy(&ca);
  q->dirty = strmap_new();
  q->processing = strmap_new();
  q->delayed = strmap_new();
  return q;
}

void workqueue_shutdown(workqueue *q) {
  pthread_mutex_lock(&q->mu);
  q->shutdown = true;
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->mu);
}

void workqueue_free(workqueue *q) {
  if (!q) return;
  for (size_t i = 0; i < q->nready; i++) free(q->ready[i].key);
  free(q->ready);
  for (size_t i = 0; i < q->nheap; i++) {
    free(q->heap[i]->key);
    free(q->heap[i]);
  }
  free(q->heap);
  strmap_free(q->dirty, NULL);
  strmap_free(q->processing, NULL);
  strmap_free(q->delayed, NULL);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cond);
  free(q);
}

static bool ready_before(const ready_item *a, const ready_item *b) {
  return a->priority != b->priority ? a->priority > b->priority : a->seq < b->seq;
}

static void push_ready(workqueue *q, const char *key, int priority) {
  if (q->nready == q->capready) {
    q->capready = q->capready ? 2 * q->capready : 64;
    q->ready = realloc(q->ready, q->capready * sizeof *q->ready);
  }
  ready_item it = {strdup(key), priority, q->seq++};
  size_t i = q->nready++;
  for (; i > 0 && ready_before(&it, &q->ready[(i - 1) / 2]); i = (i - 1) / 2) q->ready[i] = q->ready[(i - 1) / 2];
  q->ready[i] = it;
  pthread_cond_signal(&q->cond);
}

static char *pop_ready(workqueue *q) {
  char *key = q->ready[0].key;
  ready_item last = q->ready[--q->nready];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->nready) break;
    if (c + 1 < q->nready && ready_before(&q->ready[c + 1], &q->ready[c])) c++;
    if (!ready_before(&q->ready[c], &last)) break;
    q->ready[i] = q->ready[c];
    i = c;
  }
  if (q->nready) q->ready[i] = last;
  return key;
}

/* client-go's Add: a waiting key is not queued twice, and a key being
 * processed is queued again only when done; mu held. */
static void add_locked(workqueue *q, const char *key, int priority) {
  if (strmap_get(q->dirty, key)) return;
  strmap_put(q->dirty, key, priority_token(priority));
  if (!strmap_get(q->processing, key)) push_ready(q, key, priority);
}

void workqueue_add(workqueue *q, const char *key) { workqueue_add_priority(q, key, 0); }

void workqueue_add_priority(workqueue *q, const char *key, int priority) {
  pthread_mutex_lock(&q->mu);
  if (!q->shutdown) add_locked(q, key, priority);
  pthread_mutex_unlock(&q->mu);
}

static bool before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void heap_set(workqueue *q, size_t i, delayed_item *d) {
  q->heap[i] = d;
  d->slot = i;
}

static void sift_up(workqueue *q, size_t i) {
  delayed_item *d = q->heap[i];
  while (i > 0 && before(&d->due, &q->heap[(i - 1) / 2]->due)) {
    heap_set(q, i, q->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set(q, i, d);
}

static void sift_down(workqueue *q, size_t i) {
  delayed_item *d = q->heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->nheap) break;
    if (c + 1 < q->nheap && before(&q->heap[c + 1]->due, &q->heap[c]->due)) c++;
    if (!before(&q->heap[c]->due, &d->due)) break;
    heap_set(q, i, q->heap[c]);
    i = c;
  }
  heap_set(q, i, d);
}

static delayed_item *heap_pop(workqueue *q) {
  delayed_item *top = q->heap[0];
  if (--q->nheap) {
    heap_set(q, 0, q->heap[q->nheap]);
    sift_down(q, 0);
  }
  strmap_remove(q->delayed, top->key);
  return top;
}

void workqueue_add_after(workqueue *q, const char *key, long delay_ms) {
  workqueue_add_priority_after(q, key, 0, delay_ms);
}

void workqueue_add_priority_after(workqueue *q, const char *key, int priority, long delay_ms) {
  if (delay_ms <= 0) {
    workqueue_add_priority(q, key, priority);
    return;
  }
  struct timespec due = deadline_in_ms(CLOCK_MONOTONIC, delay_ms);
  pthread_mutex_lock(&q->mu);
  delayed_item *have = strmap_get(q->delayed, key);
  if (q->shutdown || (have && !before(&due, &have->due))) {
    pthread_mutex_unlock(&q->mu);
    return;
  }
  if (have) {
    have->due = due; /* earlier: moves toward the top */
    sift_up(q, have->slot);
  } else {
    if (q->nheap == q->capheap) {
      q->capheap = q->capheap ? 2 * q->capheap : 64;
      q->heap = realloc(q->heap, q->capheap * sizeof *q->heap);
    }
    delayed_item *d = calloc(1, sizeof *d);
    d->key = strdup(key);
    d->priority = priority;
    d->due = due;
    q->heap[q->nheap++] = d;
    sift_up(q, q->nheap - 1);
    strmap_put(q->delayed, key, d);
  }
  pthread_cond_signal(&q->cond);
  pthread_mutex_unlock(&q->mu);
}

char *workqueue_get(workqueue *q) {
  pthread_mutex_lock(&q->mu);
  for (;;) {
    if (q->shutdown) {
      pthread_mutex_unlock(&q->mu);
      return NULL;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    while (q->nheap && !before(&now, &q->heap[0]->due)) {
      delayed_item *d = heap_pop(q);
      add_locked(q, d->key, d->priority);
      free(d->key);
      free(d);
    }
    if (q->nready) {
      char *key = pop_ready(q);
      strmap_remove(q->dirty, key);
      strmap_put(q->processing, key, PRESENT);
      pthread_mutex_unlock(&q->mu);
      return key;
    }
    if (q->nheap) pthread_cond_timedwait(&q->cond, &q->mu, &q->heap[0]->due);
    else pthread_cond_wait(&q->cond, &q->mu);
  }
}

void workqueue_done(workqueue *q, const char *key) {
  pthread_mutex_lock(&q->mu);
  strmap_remove(q->processing, key);
  void *token = strmap_get(q->dirty, key);
  if (token) push_ready(q, key, token_priority(token));
  pthread_mutex_unlock(&q->mu);
}

size_t workqueue_len(workqueue *q) {
  pthread_mutex_lock(&q->mu);
  size_t n = strmap_count(q->dirty);
  pthread_mutex_unlock(&q->mu);
  return n;
}
