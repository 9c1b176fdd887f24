/* pod_watch.c - see pod_watch.h. The loop is list_watch.h's; a generation
 * counter per list marks the pods a new list no longer holds (gone). */
#include "pod_watch.h"
#include "https_client.h"
#include "list_watch.h"
#include "log.h"
#include "strmap.h"
#include "object_meta.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


typedef struct {
  json_t *pod;
  bool gone;     /* deleted from the API (or no longer bound here) */
  unsigned gen;  /* list generation that last saw it */
} watched;

struct pod_watch {
  char *node_name;
  https_client *c;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  strmap *pods;  /* uid -> watched */
  unsigned gen;
  int nshards;
  bool dirty[64];  /* per shard: changed since its last snapshot */
  atomic_bool stop, listed;
  pthread_t thread;
};

static void free_watched(void *v) {
  watched *w = v;
  json_decref(w->pod);
  free(w);
}

int pod_watch_shard(const pod_watch *p, const char *uid) {
  unsigned h = 2166136261u;
  for (const char *c = uid; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  return (int)(h % (unsigned)p->nshards);
}

static void upsert(pod_watch *p, const json_t *pod, bool gone) {
  const char *uid = meta_str(pod, "uid");
  if (!uid) return;
  const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
  if (!node || strcmp(node, p->node_name)) gone = true;
  pthread_mutex_lock(&p->mu);
  watched *w = strmap_get(p->pods, uid);
  if (!w && gone) {
    pthread_mutex_unlock(&p->mu);
    return;
  }
  if (!w) {
    w = calloc(1, sizeof *w);
    strmap_put(p->pods, uid, w);
  }
  json_decref(w->pod);
  w->pod = json_incref((json_t *)pod);
  w->gone = gone;
  w->gen = p->gen;
  p->dirty[pod_watch_shard(p, uid)] = true;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
}

static void list_begin(void *ctx) {
  pod_watch *p = ctx;
  pthread_mutex_lock(&p->mu);
  p->gen++;
  pthread_mutex_unlock(&p->mu);
}

static void seen(void *ctx, const json_t *pod, bool deleted) { upsert(ctx, pod, deleted); }

/* Pods missing from the new list are gone. */
static void list_end(void *ctx) {
  pod_watch *p = ctx;
  pthread_mutex_lock(&p->mu);
  strmap_iter it = {0};
  while (strmap_next(p->pods, &it)) {
    watched *w = it.value;
    if (w->gen != p->gen) w->gone = true;
  }
  for (int i = 0; i < p->nshards; i++) p->dirty[i] = true;
  atomic_store(&p->listed, true);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
}

static void *watch_main(void *arg) {
  pod_watch *p = arg;
  char path[1024];
  snprintf(path, sizeof path, "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", p->node_name);
  list_watch lw = {path, p, list_begin, seen, list_end, &p->stop};
  list_watch_run(p->c, &lw);
  return NULL;
}

pod_watch *pod_watch_start(const char *kubeconfig, const char *node_name, int nshards) {
  char err[512] = "";
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    LOGE("%s", err);
    return NULL;
  }
  pod_watch *p = calloc(1, sizeof *p);
  p->node_name = strdup(node_name);
  p->c = c;
  p->pods = strmap_new();
  p->nshards = nshards < 1 ? 1 : nshards > 64 ? 64 : nshards;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_create(&p->thread, NULL, watch_main, p);
  return p;
}

size_t pod_watch_snapshot(pod_watch *p, int shard, pod_seen **out) {
  pthread_mutex_lock(&p->mu);
  p->dirty[shard] = false;
  size_t n = 0, cap = strmap_count(p->pods) + 1;
  pod_seen *s = calloc(cap, sizeof *s);
  strmap_iter it = {0};
  while (strmap_next(p->pods, &it)) {
    watched *w = it.value;
    if (pod_watch_shard(p, it.key) != shard) continue;
    s[n++] = (pod_seen){strdup(it.key), json_incref(w->pod), w->gone};
  }
  for (size_t i = 0; i < n; i++)
    if (s[i].gone) free_watched(strmap_remove(p->pods, s[i].uid));
  pthread_mutex_unlock(&p->mu);
  *out = s;
  return n;
}

void pod_watch_free_seen(pod_seen *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(s[i].uid);
    json_decref(s[i].pod);
  }
  free(s);
}

void pod_watch_wait(pod_watch *p, int shard, long ms) {
  struct timespec ts = deadline_in_ms(CLOCK_REALTIME, ms);
  pthread_mutex_lock(&p->mu);
  if (!p->dirty[shard]) pthread_cond_timedwait(&p->wake, &p->mu, &ts);
  pthread_mutex_unlock(&p->mu);
}

void pod_watch_wake(pod_watch *p) {
  pthread_mutex_lock(&p->mu);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
}

bool pod_watch_listed(pod_watch *p) { return atomic_load(&p->listed); }

bool pod_watch_knows(pod_watch *p, const char *uid) {
  pthread_mutex_lock(&p->mu);
  bool known = strmap_get(p->pods, uid) != NULL;
  pthread_mutex_unlock(&p->mu);
  return known;
}

void pod_watch_stop(pod_watch *p) {
  if (!p) return;
  atomic_store(&p->stop, true);
  https_client_interrupt(p->c);
  pthread_join(p->thread, NULL);
  https_client_close(p->c);
  strmap_free(p->pods, free_watched);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  free(p->node_name);
  free(p);
}
