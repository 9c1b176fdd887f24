/* workqueue.c - see workqueue.h. A FIFO of keys plus a "dirty" set (keys
 * waiting), a "processing" set, and a list of delayed adds ordered by due
 * time. The sets are small linked lists: queues hold at most the objects of
 * one kind, and lookups are dominated by the work each key triggers. mu
 * guards everything; cond wakes workers. */
#include "workqueue.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct item {
  char *key;
  struct timespec due;
  struct item *next;
} item;

struct workqueue {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  item *head, *tail; /* ready keys, in order (the dirty set) */
  item *processing;
  item *delayed; /* sorted by due */
  bool shutdown;
};

static item *find(item *l, const char *key) {
  for (; l; l = l->next)
    if (!strcmp(l->key, key)) return l;
  return NULL;
}

static bool remove_key(item **l, const char *key) {
  for (item **p = l; *p; p = &(*p)->next)
    if (!strcmp((*p)->key, key)) {
      item *dead = *p;
      *p = dead->next;
      free(dead->key);
      free(dead);
      return true;
    }
  return false;
}

workqueue *workqueue_new(void) {
  workqueue *q = calloc(1, sizeof *q);
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->cond, &ca);
  pthread_condattr_destroy(&ca);
  return q;
}

static void free_list(item *l) {
  while (l) {
    item *n = l->next;
    free(l->key);
    free(l);
    l = n;
  }
}

void workqueue_shutdown(workqueue *q) {
  pthread_mutex_lock(&q->mu);
  q->shutdown = true;
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->mu);
}

void workqueue_free(workqueue *q) {
  if (!q) return;
  free_list(q->head);
  free_list(q->processing);
  free_list(q->delayed);
  free(q);
}

/* Appends key to the ready list unless it is already waiting; mu held. */
static void enqueue(workqueue *q, const char *key) {
  if (find(q->head, key)) return;
  item *it = calloc(1, sizeof *it);
  it->key = strdup(key);
  if (q->tail) q->tail->next = it;
  else q->head = it;
  q->tail = it;
  pthread_cond_signal(&q->cond);
}

void workqueue_add(workqueue *q, const char *key) {
  pthread_mutex_lock(&q->mu);
  if (!q->shutdown) enqueue(q, key);
  pthread_mutex_unlock(&q->mu);
}

static bool before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void workqueue_add_after(workqueue *q, const char *key, long delay_ms) {
  if (delay_ms <= 0) {
    workqueue_add(q, key);
    return;
  }
  struct timespec due;
  clock_gettime(CLOCK_MONOTONIC, &due);
  due.tv_sec += delay_ms / 1000;
  due.tv_nsec += (delay_ms % 1000) * 1000000L;
  if (due.tv_nsec >= 1000000000L) due.tv_sec++, due.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&q->mu);
  item *have = find(q->delayed, key);
  if (!q->shutdown && (!have || before(&due, &have->due))) {
    if (have) remove_key(&q->delayed, key);
    item *it = calloc(1, sizeof *it);
    it->key = strdup(key);
    it->due = due;
    item **p = &q->delayed;
    while (*p && !before(&due, &(*p)->due)) p = &(*p)->next;
    it->next = *p;
    *p = it;
    pthread_cond_signal(&q->cond);
  }
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
    while (q->delayed && !before(&now, &q->delayed->due)) {
      item *d = q->delayed;
      q->delayed = d->next;
      enqueue(q, d->key);
      free(d->key);
      free(d);
    }
    /* first ready key not being processed */
    item *prev = NULL;
    for (item *it = q->head; it; prev = it, it = it->next) {
      if (find(q->processing, it->key)) continue;
      if (prev) prev->next = it->next;
      else q->head = it->next;
      if (q->tail == it) q->tail = prev;
      it->next = q->processing;
      q->processing = it;
      char *key = strdup(it->key);
      pthread_mutex_unlock(&q->mu);
      return key;
    }
    if (q->delayed) pthread_cond_timedwait(&q->cond, &q->mu, &q->delayed->due);
    else pthread_cond_wait(&q->cond, &q->mu);
  }
}

void workqueue_done(workqueue *q, const char *key) {
  pthread_mutex_lock(&q->mu);
  remove_key(&q->processing, key);
  if (find(q->head, key)) pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->mu);
}
