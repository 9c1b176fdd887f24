/* event_queue.c - see event_queue.h. A FIFO of ready-made Event objects
 * under one mutex; the sender takes one at a time and POSTs it. */
#include "event_queue.h"
#include "https_client.h"
#include "log.h"
#include "simulate_events.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define QUEUE_MAX 4096
#define STOP_DRAIN_MS 3000

typedef struct item {
  json_t *ev;
  struct item *next;
} item;

struct event_queue {
  https_client *c;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  item *head, *tail;
  int len;
  bool stop;
  pthread_t thread;
};

static void *sender(void *arg) {
  event_queue *q = arg;
  long long drain_until = 0;
  pthread_mutex_lock(&q->mu);
  for (;;) {
    while (!q->head && !q->stop) pthread_cond_wait(&q->wake, &q->mu);
    if (q->stop && !drain_until) drain_until = mono_ms() + STOP_DRAIN_MS;
    if (!q->head || (drain_until && mono_ms() > drain_until)) break;
    item *it = q->head;
    q->head = it->next;
    if (!q->head) q->tail = NULL;
    q->len--;
    pthread_mutex_unlock(&q->mu);
    sim_event_send(q->c, it->ev);
    json_decref(it->ev);
    free(it);
    pthread_mutex_lock(&q->mu);
  }
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

event_queue *evq_start(const char *kubeconfig) {
  char err[512] = "";
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    LOGE("%s", err);
    return NULL;
  }
  event_queue *q = calloc(1, sizeof *q);
  q->c = c;
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->wake, NULL);
  pthread_create(&q->thread, NULL, sender, q);
  return q;
}

void evq_post(event_queue *q, const json_t *pod, const char *list, const char *container, const char *type,
              const char *reason, const char *message) {
  json_t *ev = sim_event_make(pod, list, container, type, reason, message, NULL);
  pthread_mutex_lock(&q->mu);
  if (q->len >= QUEUE_MAX) {
    pthread_mutex_unlock(&q->mu);
    LOGW("event queue full: event %s dropped", reason);
    json_decref(ev);
    return;
  }
  item *it = calloc(1, sizeof *it);
  it->ev = ev;
  if (q->tail) q->tail->next = it;
  else q->head = it;
  q->tail = it;
  q->len++;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->mu);
}

void evq_stop(event_queue *q) {
  if (!q) return;
  pthread_mutex_lock(&q->mu);
  q->stop = true;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->mu);
  pthread_join(q->thread, NULL);
  for (item *it = q->head, *next; it; it = next) {
    next = it->next;
    json_decref(it->ev);
    free(it);
  }
  https_client_close(q->c);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->wake);
  free(q);
}
