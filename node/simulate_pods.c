/* simulate_pods.c - see simulate_pods.h. The watcher thread owns the table
 * contents (adds, replaces, removes pods) and queues their keys; workers
 * take a key, copy the pod and its simulated state under the lock, decide
 * and write without it, and store the advanced state when the write
 * succeeded; the step's events go to an event sender of their own (as
 * kubelet's broadcaster sends them), so a pod's status does not wait for
 * them. Due exits are delayed re-adds of the key, so the work queue is
 * also the timer wheel. */
#include "simulate_pods.h"
#include "https_client.h"
#include "list_watch.h"
#include "log.h"
#include "simulate_config.h"
#include "simulate_events.h"
#include "simulate_status.h"
#include "strmap.h"
#include "timestamp.h"
#include "workqueue.h"
#include "object_meta.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 1000

typedef struct {
  int slot; /* address slot: pods get 127.<2 + slot/256>.<slot%256>.<1..254> */
  char ip[16];
  atomic_uint next_pod; /* pod addresses handed out so far */
} sim_node;

typedef struct {
  json_t *pod;       /* latest version seen */
  sim_pod_state st;  /* what the simulation did to it */
  sim_node *node;
  char ip[16];       /* address given when it starts */
  unsigned gen;      /* list generation that last saw it */
} sim_pod;

struct sim_pods {
  char *kubeconfig;
  strmap *nodes;         /* name -> sim_node; read-only once started */
  pthread_mutex_t mu;    /* guards pods and every sim_pod in it */
  strmap *pods;          /* "ns/name" -> sim_pod */
  unsigned gen;          /* watcher thread only */
  workqueue *queue;
  event_queue **events;  /* senders of kubelet's events, one per worker; a pod's go to one (by uid) */
  int nevents;
  pthread_t watcher;
  pthread_t *workers;
  int nworkers;
  atomic_bool stop;
  https_client *watch_client; /* the watcher's, interrupted at stop */
};

static void sleep_ms(sim_pods *p, long ms) {
  for (long t = 0; t < ms && !atomic_load(&p->stop); t += 50) usleep(50000);
}

static void free_pod(void *v) {
  sim_pod *sp = v;
  json_decref(sp->pod);
  free(sp);
}

static void pod_key(const json_t *pod, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", meta_str(pod, "namespace") ?: "", meta_str(pod, "name") ?: "");
}

/* Records the newest version of a pod (watcher thread). */
static void upsert(sim_pods *p, const json_t *pod) {
  char key[600];
  pod_key(pod, key, sizeof key);
  const char *node_name = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
  sim_node *node = node_name ? strmap_get(p->nodes, node_name) : NULL;
  pthread_mutex_lock(&p->mu);
  sim_pod *sp = strmap_get(p->pods, key);
  if (!node) {
    if (sp) free_pod(strmap_remove(p->pods, key));
    pthread_mutex_unlock(&p->mu);
    return;
  }
  if (sp && strcmp(meta_str(sp->pod, "uid") ?: "", meta_str(pod, "uid") ?: "") != 0) {
    free_pod(strmap_remove(p->pods, key)); /* a new pod under an old name */
    sp = NULL;
  }
  if (!sp) {
    sp = calloc(1, sizeof *sp);
    sp->node = node;
    strmap_put(p->pods, key, sp);
  }
  json_decref(sp->pod);
  sp->pod = json_incref((json_t *)pod);
  sp->gen = p->gen;
  pthread_mutex_unlock(&p->mu);
  workqueue_add(p->queue, key);
}

static void forget(sim_pods *p, const json_t *pod) {
  char key[600];
  pod_key(pod, key, sizeof key);
  pthread_mutex_lock(&p->mu);
  sim_pod *sp = strmap_remove(p->pods, key);
  if (sp) free_pod(sp);
  pthread_mutex_unlock(&p->mu);
}

static void list_begin(void *ctx) { ((sim_pods *)ctx)->gen++; }

static void seen(void *ctx, const json_t *pod, bool deleted) {
  if (deleted) forget(ctx, pod);
  else upsert(ctx, pod);
}

/* Pods gone since the last list are dropped. */
static void list_end(void *ctx) {
  sim_pods *p = ctx;
  pthread_mutex_lock(&p->mu);
  strmap_iter it = {0};
  char **stale = NULL;
  size_t nstale = 0;
  while (strmap_next(p->pods, &it))
    if (((sim_pod *)it.value)->gen != p->gen) {
      stale = realloc(stale, (nstale + 1) * sizeof *stale);
      stale[nstale++] = strdup(it.key);
    }
  for (size_t i = 0; i < nstale; i++) {
    free_pod(strmap_remove(p->pods, stale[i]));
    free(stale[i]);
  }
  free(stale);
  pthread_mutex_unlock(&p->mu);
}

static void *watch_pods(void *arg) {
  sim_pods *p = arg;
  list_watch lw = {"/api/v1/pods", p, list_begin, seen, list_end, &p->stop};
  list_watch_run(p->watch_client, &lw);
  return NULL;
}

/* Which of n event senders carries the pod's events (FNV-1a of its uid), so
 * they are sent in the order they happened. */
static int uid_shard(const char *uid, int n) {
  uint32_t h = 2166136261u;
  for (const char *c = uid ? uid : ""; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  return (int)(h % (uint32_t)n);
}

/* Applies one step to the pod under key (worker thread). */
static void process(sim_pods *p, https_client *c, const char *key) {
  pthread_mutex_lock(&p->mu);
  sim_pod *sp = strmap_get(p->pods, key);
  if (!sp) {
    pthread_mutex_unlock(&p->mu);
    return;
  }
  if (!sp->ip[0] && json_is_true(json_object_get(json_object_get(sp->pod, "spec"), "hostNetwork"))) {
    snprintf(sp->ip, sizeof sp->ip, "%s", sp->node->ip); /* kubelet: a hostNetwork pod has its node's address */
  } else if (!sp->ip[0]) {
    unsigned n = atomic_fetch_add(&sp->node->next_pod, 1);
    snprintf(sp->ip, sizeof sp->ip, "127.%d.%d.%u", 2 + (sp->node->slot / 256) % 200, sp->node->slot % 256,
             1 + n % 254);
  }
  json_t *pod = json_incref(sp->pod);
  sim_pod_state st = sp->st;
  char host_ip[16], ip[16];
  snprintf(host_ip, sizeof host_ip, "%s", sp->node->ip);
  snprintf(ip, sizeof ip, "%s", sp->ip);
  pthread_mutex_unlock(&p->mu);

  json_t *status = NULL;
  long recheck = 0;
  if (!st.started && !sim_config_check(pod, host_ip, ip, sim_get_object, c, st.config_container,
                                       sizeof st.config_container, st.config_error, sizeof st.config_error))
    st.config_error[0] = 0;
  const sim_pod_state before = st;
  long long now = wall_ms();
  sim_action act = sim_pod_step(pod, &st, host_ip, ip, now, &status, &recheck);
  const char *ns = meta_str(pod, "namespace"), *name = meta_str(pod, "name"), *uid = meta_str(pod, "uid");
  char path[700];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s%s", ns, name, act == SIM_WRITE_STATUS ? "/status" : "");
  int code = 200;
  if (act == SIM_WRITE_STATUS) {
    json_t *patch = json_pack("{s:o}", "status", status);
    /* the answer is read, not parsed: the pod comes back through the watch */
    code = https_call(c, "PATCH", path, patch, "application/merge-patch+json", NULL);
    json_decref(patch);
  } else if (act == SIM_DELETE) {
    json_t *opts = json_pack("{s:s,s:s,s:i,s:{s:s}}", "kind", "DeleteOptions", "apiVersion", "v1",
                             "gracePeriodSeconds", 0, "preconditions", "uid", uid ? uid : "");
    code = https_call(c, "DELETE", path, opts, NULL, NULL);
    json_decref(opts);
    if (code == 409) code = 200; /* a new pod under the name: its own events bring it back */
  }
  if (code >= 200 && code < 300) {
    if (p->nevents) sim_events_record(p->events[uid_shard(uid, p->nevents)], pod, &before, &st, act);
    pthread_mutex_lock(&p->mu);
    sp = strmap_get(p->pods, key);
    if (sp && !strcmp(meta_str(sp->pod, "uid") ?: "", uid ? uid : "")) sp->st = st;
    pthread_mutex_unlock(&p->mu);
    if (recheck > 0) workqueue_add_after(p->queue, key, recheck);
  } else if (code != 404) {
    LOGW("simulated kubelet: %s %s failed with %d; retrying", act == SIM_DELETE ? "DELETE" : "PATCH", path, code);
    workqueue_add_after(p->queue, key, RETRY_MS);
  }
  json_decref(pod);
}

static void *work(void *arg) {
  sim_pods *p = arg;
  char err[512] = "";
  https_client *c = NULL;
  while (!c && !atomic_load(&p->stop)) {
    c = https_client_open(p->kubeconfig, err, sizeof err);
    if (!c) sleep_ms(p, RETRY_MS);
  }
  char *key;
  while (c && (key = workqueue_get(p->queue))) {
    process(p, c, key);
    workqueue_done(p->queue, key);
    free(key);
  }
  https_client_close(c);
  return NULL;
}

void sim_pods_visit_running(sim_pods *p, sim_pod_visit_fn fn, void *ctx) {
  pthread_mutex_lock(&p->mu);
  strmap_iter it = {0};
  while (strmap_next(p->pods, &it)) {
    const sim_pod *sp = it.value;
    if (sp->st.started && !sp->st.finished) fn(ctx, sp->pod, sp->st.run_started_ms);
  }
  pthread_mutex_unlock(&p->mu);
}

sim_pods *sim_pods_start(const char *kubeconfig, int workers, char *const *names, char *const *ips, int n,
                         int first_slot) {
  char err[512] = "";
  https_client *wc = https_client_open(kubeconfig, err, sizeof err);
  if (!wc) {
    LOGE("%s", err);
    return NULL;
  }
  sim_pods *p = calloc(1, sizeof *p);
  p->kubeconfig = strdup(kubeconfig);
  p->nodes = strmap_new();
  for (int i = 0; i < n; i++) {
    sim_node *node = calloc(1, sizeof *node);
    node->slot = first_slot + i;
    snprintf(node->ip, sizeof node->ip, "%s", ips[i]);
    strmap_put(p->nodes, names[i], node);
  }
  pthread_mutex_init(&p->mu, NULL);
  p->pods = strmap_new();
  p->queue = workqueue_new();
  p->watch_client = wc;
  p->nworkers = workers > 0 ? workers : 1;
  p->workers = calloc((size_t)p->nworkers, sizeof *p->workers);
  p->events = calloc((size_t)p->nworkers, sizeof *p->events);
  for (int i = 0; i < p->nworkers; i++)
    if ((p->events[p->nevents] = evq_start(kubeconfig))) p->nevents++;
  pthread_create(&p->watcher, NULL, watch_pods, p);
  for (int i = 0; i < p->nworkers; i++) pthread_create(&p->workers[i], NULL, work, p);
  return p;
}

void sim_pods_stop(sim_pods *p) {
  if (!p) return;
  atomic_store(&p->stop, true);
  https_client_interrupt(p->watch_client);
  workqueue_shutdown(p->queue);
  pthread_join(p->watcher, NULL);
  for (int i = 0; i < p->nworkers; i++) pthread_join(p->workers[i], NULL);
  https_client_close(p->watch_client);
  for (int i = 0; i < p->nevents; i++) evq_stop(p->events[i]);
  free(p->events);
  workqueue_free(p->queue);
  strmap_free(p->pods, free_pod);
  strmap_free(p->nodes, free);
  pthread_mutex_destroy(&p->mu);
  free(p->workers);
  free(p->kubeconfig);
  free(p);
}
