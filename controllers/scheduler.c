/* scheduler.c - the default scheduler, in-process, as kube-scheduler 1.20
 * behaves for what ckube serves.
 *
 * Informers on nodes and pods keep the scheduler's view in memory: every
 * node's allocatable resources and the requests of the pods placed on it
 * (bound, or assumed while their binding is in flight). Unbound pods for
 * "default-scheduler" are queued by key, highest spec.priority first; one
 * scheduling thread takes them one at a time, filters a rotating window of
 * nodes (percentageOfNodesToScore), scores the feasible ones
 * (scheduler_filter.c, scheduler_score.c; claims and volumes:
 * scheduler_volumes.c), assumes the pod on the winner and hands the binding to a pool of binder threads,
 * which bind through api_bind (the code of POST pods/binding) concurrently (64) so
 * the store's group commit batches them, and record the "Scheduled" event.
 * A pod that fits nowhere gets a FailedScheduling event and the PodScheduled
 * condition False/Unschedulable with FitError's message, and is parked until
 * a node changes or a placed pod goes away (then retried after its backoff,
 * 1 s doubling to 10 s), or at the latest after 60 s. Before parking, a pod
 * may preempt lower-priority pods (scheduler_preempt.c): the victims are
 * deleted, the pod is nominated to their node, and pods nominated to a node
 * count there when pods of equal or lower priority are filtered. */
#include "controllers.h"
#include "ctrl.h"
#include "api.h"
#include "events.h"
#include "informer.h"
#include "log.h"
#include "scheduler.h"
#include "workqueue.h"
#include "timestamp.h"
#include "object_meta.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define SCHEDULER_NAME "default-scheduler"
/* kube-scheduler binds each pod in a goroutine of its own; a binding waits for a durable write, so
 * the binding rate is about BINDERS / commit latency (group commit makes one fsync serve them all) */
#define BINDERS 64
#define BACKOFF_INITIAL_MS 1000
#define BACKOFF_MAX_MS 10000
#define UNSCHEDULABLE_FLUSH_MS 60000

/* A pod counted on a node. */
typedef struct {
  char *node;
  sched_pod info;   /* info.pod is not kept */
  bool assumed;     /* placed by us; the binding is not seen yet */
  bool terminating; /* deletionTimestamp set (or evicted by us) */
  int32_t priority;
  long long start;  /* status.startTime, 0 until started */
} placed_pod;

/* An unbound pod nominated to a node by preemption. */
typedef struct {
  char *node;
  sched_pod info; /* info.pod is not kept */
  int32_t priority;
} nominated_pod;

/* A pod that did not fit. */
typedef struct {
  int attempts;
  int32_t priority;
  long long backoff_until, since; /* monotonic ms */
  bool parked;                    /* waiting for a cluster change (not queued) */
} unschedulable_pod;

typedef enum { JOB_BIND, JOB_FAILED } job_kind;

typedef struct job {
  job_kind kind;
  char *key, *node, *message;
  cobj *pod;
  json_t *select_claims; /* WaitForFirstConsumer claims to mark with the node (names), or NULL */
  struct job *next;
} job;

static struct {
  pthread_mutex_t mu;       /* guards nodes, list, placed, nominated, unschedulable, next_start, rand_state */
  strmap *nodes;            /* name -> sched_node (ghosts: node == NULL, still carrying pods) */
  sched_node **list;        /* every sched_node, in insertion order */
  int nlist, caplist, real_nodes;
  strmap *placed;           /* pod key -> placed_pod */
  strmap *nominated;        /* pod key -> nominated_pod */
  strmap *unschedulable;    /* pod key -> unschedulable_pod */
  int next_start;
  unsigned rand_state;

  pthread_mutex_t jobs_mu;  /* guards the job FIFO and stopping */
  pthread_cond_t jobs_cond;
  job *jobs_head, *jobs_tail;
  bool stopping;

  workqueue *queue;
  informer *node_inf, *pod_inf, *pvc_inf, *pv_inf;
  pthread_t scheduler_thread, flusher, binders[BINDERS];
  atomic_bool move_requested, stop;
  const resource *pods;
} S;

static const char *spec_str(const json_t *o, const char *k) {
  return json_string_value(json_object_get(json_object_get(o, "spec"), k));
}

static int32_t pod_priority(const json_t *pod) {
  return (int32_t)json_integer_value(json_object_get(json_object_get(pod, "spec"), "priority"));
}

static const char *nominated_node_name(const json_t *pod) {
  const char *n = json_string_value(json_object_get(json_object_get(pod, "status"), "nominatedNodeName"));
  return n && *n ? n : NULL;
}

static bool terminal(const json_t *pod) {
  const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
  return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

/* An unbound live pod this scheduler is responsible for. */
static bool wants_scheduling(const json_t *pod) {
  const char *node = spec_str(pod, "nodeName"), *name = spec_str(pod, "schedulerName");
  return (!node || !*node) && !meta_str(pod, "deletionTimestamp") && !terminal(pod) &&
         !strcmp(name ? name : SCHEDULER_NAME, SCHEDULER_NAME);
}

/* ---- the in-memory view (mu held) ---- */

static void set_placed_status(placed_pod *pp, const json_t *pod) {
  pp->terminating = pp->terminating || meta_str(pod, "deletionTimestamp");
  long long t = rfc3339_seconds(json_string_value(json_object_get(json_object_get(pod, "status"), "startTime")));
  pp->start = t > 0 ? t : 0;
}

static void free_nominated(void *v) {
  nominated_pod *np = v;
  if (!np) return;
  free(np->node);
  free(np);
}

static void nominate(const char *key, const char *node, const json_t *pod) {
  nominated_pod *np = calloc(1, sizeof *np);
  np->node = strdup(node);
  sched_pod_parse(pod, &np->info);
  sched_pod_forget_object(&np->info);
  np->priority = pod_priority(pod);
  free_nominated(strmap_put(S.nominated, key, np));
}

/* n as a pod of priority prio sees it: with the pods nominated to it of
 * equal or higher priority (but key itself), as addNominatedPods does. A
 * copy to free with sched_node_free, or n itself when none is nominated there. */
static sched_node *with_nominated(sched_node *n, const char *key, int32_t prio) {
  sched_node *view = n;
  strmap_iter it = {0};
  while (strmap_next(S.nominated, &it)) {
    nominated_pod *np = it.value;
    if (np->priority < prio || strcmp(np->node, n->name) || !strcmp(it.key, key)) continue;
    if (view == n) view = sched_node_clone(n);
    sched_node_add_pod(view, &np->info);
  }
  return view;
}

static sched_node *node_get_or_add(const char *name) {
  sched_node *n = strmap_get(S.nodes, name);
  if (n) return n;
  n = calloc(1, sizeof *n);
  n->name = strdup(name);
  strmap_put(S.nodes, name, n);
  if (S.nlist == S.caplist) {
    S.caplist = S.caplist ? 2 * S.caplist : 64;
    S.list = realloc(S.list, (size_t)S.caplist * sizeof *S.list);
  }
  S.list[S.nlist++] = n;
  return n;
}

static void node_drop_if_unused(sched_node *n) {
  if (n->node || n->npods > 0) return;
  strmap_remove(S.nodes, n->name);
  for (int i = 0; i < S.nlist; i++)
    if (S.list[i] == n) {
      memmove(S.list + i, S.list + i + 1, (size_t)(S.nlist - i - 1) * sizeof *S.list);
      S.nlist--;
      break;
    }
  sched_node_free(n);
}

static void place(const char *key, const char *node_name, const sched_pod *info, bool assumed) {
  placed_pod *pp = calloc(1, sizeof *pp);
  pp->node = strdup(node_name);
  pp->info = *info;
  sched_pod_forget_object(&pp->info);
  pp->info.nvolume_terms = 0;
  pp->assumed = assumed;
  pp->priority = pod_priority(info->pod);
  set_placed_status(pp, info->pod);
  sched_node_add_pod(node_get_or_add(node_name), info);
  strmap_put(S.placed, key, pp);
}

/* Takes the pod off its node; true when it was placed. */
static bool unplace(const char *key) {
  placed_pod *pp = strmap_remove(S.placed, key);
  if (!pp) return false;
  sched_node *n = strmap_get(S.nodes, pp->node);
  if (n) {
    sched_node_remove_pod(n, &pp->info);
    node_drop_if_unused(n);
  }
  free(pp->node);
  free(pp);
  return true;
}

/* ---- informers ---- */

static void request_move(void) { atomic_store(&S.move_requested, true); }

static bool only_status_changed(const json_t *a, const json_t *b) {
  if (!a || !b) return false;
  const json_t *ma = json_object_get(a, "metadata"), *mb = json_object_get(b, "metadata");
  return json_equal(json_object_get(a, "spec"), json_object_get(b, "spec")) &&
         json_equal(json_object_get(ma, "labels") ?: json_null(), json_object_get(mb, "labels") ?: json_null()) &&
         json_equal(json_object_get(ma, "annotations") ?: json_null(),
                    json_object_get(mb, "annotations") ?: json_null());
}

static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *key = informer_key(obj);
  const json_t *pod = obj->obj;
  const char *node = spec_str(pod, "nodeName");
  bool gone = type == EV_DELETED || terminal(pod), freed = false, queue = false;
  pthread_mutex_lock(&S.mu);
  if (gone) {
    freed = unplace(key);
    unschedulable_pod *u = strmap_remove(S.unschedulable, key);
    free(u);
    free_nominated(strmap_remove(S.nominated, key));
  } else if (node && *node) {
    placed_pod *pp = strmap_get(S.placed, key);
    if (pp && strcmp(pp->node, node) != 0) {
      unplace(key); /* bound elsewhere than we assumed */
      pp = NULL;
    }
    if (!pp) {
      sched_pod info;
      sched_pod_parse(pod, &info);
      place(key, node, &info, false);
    } else {
      pp->assumed = false;
      set_placed_status(pp, pod);
    }
    free(strmap_remove(S.unschedulable, key));
    free_nominated(strmap_remove(S.nominated, key));
  } else if (wants_scheduling(pod)) {
    /* the nomination in the pod wins, but an update that predates ours keeps ours */
    const char *nnn = nominated_node_name(pod);
    if (nnn) nominate(key, nnn, pod);
    else if (prev && nominated_node_name(prev->obj)) free_nominated(strmap_remove(S.nominated, key));
    unschedulable_pod *u = strmap_get(S.unschedulable, key);
    queue = !(u && u->parked && prev && only_status_changed(prev->obj, pod));
    if (queue && u) u->parked = false;
  }
  pthread_mutex_unlock(&S.mu);
  if (freed) request_move();
  if (queue) workqueue_add_priority(S.queue, key, pod_priority(pod)); /* activeQ: higher priority first */
}

static void on_node(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *name = meta_str(obj->obj, "name");
  if (!name) return;
  bool changed = false;
  pthread_mutex_lock(&S.mu);
  if (type == EV_DELETED) {
    sched_node *n = strmap_get(S.nodes, name);
    if (n && n->node) {
      json_decref_const(n->node);
      n->node = NULL;
      S.real_nodes--;
      node_drop_if_unused(n);
    }
  } else {
    sched_node *n = node_get_or_add(name);
    if (!n->node) S.real_nodes++;
    changed = sched_node_properties_changed(n->node, obj->obj);
    sched_node_set(n, obj->obj);
  }
  pthread_mutex_unlock(&S.mu);
  if (changed) request_move();
}

/* Claims and volumes binding (or appearing) can make parked pods fit. */
static void on_volume(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED) request_move();
}

/* ---- jobs for the binder pool ---- */

static void push_job(job_kind kind, const char *key, const char *node, char *message, cobj *pod,
                     json_t *select_claims) {
  job *j = calloc(1, sizeof *j);
  j->kind = kind;
  j->select_claims = select_claims;
  j->key = strdup(key);
  j->node = node ? strdup(node) : NULL;
  j->message = message;
  j->pod = pod;
  pthread_mutex_lock(&S.jobs_mu);
  if (S.jobs_tail) S.jobs_tail->next = j;
  else S.jobs_head = j;
  S.jobs_tail = j;
  pthread_cond_signal(&S.jobs_cond);
  pthread_mutex_unlock(&S.jobs_mu);
}

static void free_job(job *j) {
  free(j->key);
  free(j->node);
  free(j->message);
  cobj_unref(j->pod);
  json_decref(j->select_claims);
  free(j);
}

/* ---- scheduling one pod (scheduler thread) ---- */

static void park(const char *key, int32_t priority) {
  unschedulable_pod *u = strmap_get(S.unschedulable, key);
  if (!u) {
    u = calloc(1, sizeof *u);
    strmap_put(S.unschedulable, key, u);
  }
  u->attempts++;
  u->priority = priority;
  long long backoff = BACKOFF_INITIAL_MS;
  for (int i = 1; i < u->attempts && backoff < BACKOFF_MAX_MS; i++) backoff *= 2;
  if (backoff > BACKOFF_MAX_MS) backoff = BACKOFF_MAX_MS;
  u->since = mono_ms();
  u->backoff_until = u->since + backoff;
  u->parked = true;
}

/* What preemption decided for a pod (node empty: nothing). */
typedef struct {
  char node[256];
  int nvictims;
  sched_victim *victims; /* keys malloc'd */
  int nclear;
  char **clear;          /* lower-priority pods whose nomination to node ends */
} preemption;

static void preemption_clear(preemption *pr) {
  for (int i = 0; i < pr->nvictims; i++) free((char *)pr->victims[i].key);
  for (int i = 0; i < pr->nclear; i++) free(pr->clear[i]);
  free(pr->victims);
  free(pr->clear);
}

/* PodEligibleToPreemptOthers: not with preemptionPolicy Never, nor while
 * lower-priority pods on the node it is nominated to are terminating (unless
 * that node cannot take it anyway: not among nodes, where evicting helps). */
static bool eligible_to_preempt(const json_t *pod, const char *key, int32_t prio, sched_node *const *nodes, int n) {
  const char *policy = spec_str(pod, "preemptionPolicy");
  if (policy && !strcmp(policy, "Never")) return false;
  nominated_pod *np = strmap_get(S.nominated, key);
  bool helps_there = false;
  for (int i = 0; np && i < n && !helps_there; i++) helps_there = !strcmp(nodes[i]->name, np->node);
  if (!helps_there) return true;
  strmap_iter it = {0};
  while (strmap_next(S.placed, &it)) {
    placed_pod *pp = it.value;
    if (pp->terminating && pp->priority < prio && !strcmp(pp->node, np->node)) return false;
  }
  return true;
}

/* The PodDisruptionBudgets: a new array, NULL without any. */
static json_t *list_pdbs(void) {
  const resource *pdbr = registry_find("policy", "v1beta1", "poddisruptionbudgets");
  cobj_vec pdbs = {0};
  if (pdbr) lister_list(cctx->informers, pdbr, "", &pdbs);
  json_t *arr = pdbs.n ? json_array() : NULL;
  for (size_t i = 0; i < pdbs.n; i++) json_array_append_new(arr, json_deep_copy(pdbs.items[i]->obj));
  cobj_vec_clear(&pdbs);
  return arr;
}

/* Fills in the labels of pods[0..n) (references kept in held). */
static void load_labels(sched_victim *pods, int n, cobj_vec *held) {
  for (int i = 0; i < n; i++) {
    char ns[256];
    const char *slash = strchr(pods[i].key, '/');
    if (!slash) continue;
    snprintf(ns, sizeof ns, "%.*s", (int)(slash - pods[i].key), pods[i].key);
    cobj *o = lister_get(cctx->informers, S.pods, ns, slash + 1);
    if (!o) continue;
    pods[i].labels = json_object_get(json_object_get(o->obj, "metadata"), "labels");
    cobj_vec_push(held, o);
  }
}

/* DefaultPreemption's PostFilter over the nodes where evicting pods may help;
 * on success the victims count as terminating, the pod is nominated to the
 * node, and lower-priority pods nominated there lose it. mu held. */
static void preempt(const char *key, const json_t *pod, const sched_pod *info, sched_node *const *nodes, int n,
                    preemption *pr) {
  memset(pr, 0, sizeof *pr);
  int32_t prio = pod_priority(pod);
  if (!n || !eligible_to_preempt(pod, key, prio, nodes, n)) return;
  strmap *index = strmap_new();
  sched_node **views = calloc((size_t)n, sizeof *views);
  sched_victim **pods = calloc((size_t)n, sizeof *pods);
  int *npods = calloc((size_t)n, sizeof *npods);
  for (int i = 0; i < n; i++) {
    strmap_put(index, nodes[i]->name, (void *)(intptr_t)(i + 1));
    views[i] = with_nominated(nodes[i], key, prio);
    if (views[i] == nodes[i]) views[i] = sched_node_clone(nodes[i]);
    pods[i] = malloc((size_t)(nodes[i]->npods + 1) * sizeof **pods);
  }
  long long now = (long long)time(NULL);
  strmap_iter it = {0};
  while (strmap_next(S.placed, &it)) {
    placed_pod *pp = it.value;
    int i = (int)(intptr_t)strmap_get(index, pp->node) - 1;
    if (i < 0 || npods[i] > nodes[i]->npods) continue;
    pods[i][npods[i]++] = (sched_victim){it.key, &pp->info, pp->priority, pp->start ? pp->start : now, NULL, false};
  }
  cobj_vec held = {0};
  json_t *pdbs = list_pdbs();
  for (int i = 0; pdbs && i < n; i++) load_labels(pods[i], npods[i], &held);
  sched_candidate best;
  if (sched_preempt_plan(info, prio, views, pods, npods, n, pdbs, &S.rand_state, &best)) {
    const char *node = nodes[best.node]->name;
    snprintf(pr->node, sizeof pr->node, "%s", node);
    pr->victims = best.victims;
    pr->nvictims = best.nvictims;
    for (int v = 0; v < pr->nvictims; v++) {
      placed_pod *pp = strmap_get(S.placed, pr->victims[v].key);
      if (pp) pp->terminating = true;
      pr->victims[v].key = strdup(pr->victims[v].key);
      pr->victims[v].info = NULL; /* both borrowed from what mu and held protect */
      pr->victims[v].labels = NULL;
    }
    nominate(key, node, pod);
    strmap_iter ni = {0};
    while (strmap_next(S.nominated, &ni)) {
      nominated_pod *np = ni.value;
      if (np->priority >= prio || strcmp(np->node, node)) continue;
      pr->clear = realloc(pr->clear, (size_t)(pr->nclear + 1) * sizeof *pr->clear);
      pr->clear[pr->nclear++] = strdup(ni.key);
    }
    for (int c = 0; c < pr->nclear; c++) free_nominated(strmap_remove(S.nominated, pr->clear[c]));
  }
  for (int i = 0; i < n; i++) {
    sched_node_free(views[i]);
    free(pods[i]);
  }
  json_decref(pdbs);
  cobj_vec_clear(&held);
  free(views);
  free(pods);
  free(npods);
  strmap_free(index, NULL);
}

/* ClearNominatedNodeName */
static void clear_nomination(const char *key) {
  const char *slash = strchr(key, '/');
  if (!slash) return;
  char ns[256];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  static const char body[] = "{\"status\":{\"nominatedNodeName\":null}}";
  api_opts o = {0};
  api_result res =
      api_patch(cctx->srv, S.pods, ns, slash + 1, "status", "application/merge-patch+json", body, strlen(body), &o);
  api_result_clear(&res);
}

static void schedule_one(const char *key) {
  char ns[256], name[256];
  const char *slash = strchr(key, '/');
  if (!slash) return;
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  snprintf(name, sizeof name, "%s", slash + 1);
  cobj *o = lister_get(cctx->informers, S.pods, ns, name);
  if (!o || !wants_scheduling(o->obj)) {
    cobj_unref(o);
    return;
  }
  sched_pod info;
  sched_pod_parse(o->obj, &info);
  cobj_vec held = {0}, wait_claims = {0};
  char volume_why[300];
  bool volumes_ok = sched_volumes_prepare(cctx, &info, &held, volume_why, sizeof volume_why, &wait_claims);
  json_t *select_claims = NULL;
  for (size_t k = 0; k < wait_claims.n; k++) {
    if (!select_claims) select_claims = json_array();
    json_array_append(select_claims, json_object_get(json_object_get(wait_claims.items[k]->obj, "metadata"), "name"));
  }
  cobj_vec_clear(&wait_claims);
  pthread_mutex_lock(&S.mu);
  if (strmap_get(S.placed, key)) { /* assumed: its binding is under way */
    pthread_mutex_unlock(&S.mu);
    cobj_vec_clear(&held);
    json_decref(select_claims);
    cobj_unref(o);
    return;
  }
  int want = sched_nodes_to_find(S.real_nodes), found = 0, start = S.next_start, i, nhelp = 0;
  int32_t prio = pod_priority(o->obj);
  sched_node **feasible = calloc((size_t)(want > 0 ? want : 1), sizeof *feasible);
  sched_node **helps = calloc((size_t)(S.nlist ? S.nlist : 1), sizeof *helps); /* where evicting may help */
  sched_fit_error *fe = NULL;
  sched_reasons why;
  for (i = 0; volumes_ok && i < S.nlist && found < want; i++) {
    sched_node *n = S.list[(start + i) % S.nlist];
    if (!n->node) continue;
    sched_node *view = with_nominated(n, key, prio);
    bool fits = sched_filter(&info, view, &why);
    if (view != n) sched_node_free(view);
    if (fits) feasible[found++] = n;
    else {
      if (!fe) fe = sched_fit_error_new();
      sched_fit_error_add(fe, &why);
      if (why.resolvable) helps[nhelp++] = n;
    }
  }
  if (S.nlist) S.next_start = (start + i) % S.nlist;
  char *message = NULL;
  sched_node *chosen = NULL;
  preemption pr = {0};
  if (S.real_nodes == 0) message = strdup("no nodes available to schedule pods");
  else if (!volumes_ok) { /* the PreFilter status every node gets */
    size_t len = strlen(volume_why) + 64;
    message = malloc(len);
    snprintf(message, len, "0/%d nodes are available: %d %s.", S.real_nodes, S.real_nodes, volume_why);
  } else if (!found) {
    message = sched_fit_error_message(fe, S.real_nodes);
    preempt(key, o->obj, &info, helps, nhelp, &pr);
  } else {
    chosen = feasible[sched_select(&info, feasible, found, &S.rand_state)];
    place(key, chosen->name, &info, true);
  }
  if (message) park(key, prio);
  char node_name[256] = "";
  if (chosen) snprintf(node_name, sizeof node_name, "%s", chosen->name);
  pthread_mutex_unlock(&S.mu);
  free(feasible);
  free(helps);
  sched_fit_error_free(fe);
  cobj_vec_clear(&held);
  if (pr.node[0]) { /* PrepareCandidate, before the pod is nominated */
    sched_preempt_evict(cctx, o->obj, pr.node, pr.victims, pr.nvictims);
    for (int c = 0; c < pr.nclear; c++) clear_nomination(pr.clear[c]);
  }
  if (chosen) push_job(JOB_BIND, key, node_name, NULL, o, select_claims);
  else {
    json_decref(select_claims);
    push_job(JOB_FAILED, key, pr.node[0] ? pr.node : NULL, message, o, NULL);
  }
  preemption_clear(&pr);
}

static void *scheduler_loop(void *arg) {
  char *key;
  while ((key = workqueue_get(S.queue))) {
    schedule_one(key);
    workqueue_done(S.queue, key);
    free(key);
  }
  return NULL;
}

/* ---- binder pool ---- */

/* Delayed binding: the claims learn the chosen node (the annotation the
 * provisioner and the PV controller act on), as VolumeBinding's PreBind does. */
static void select_node_for_claims(const char *ns, const json_t *claims, const char *node) {
  const resource *pvcs = registry_find("", "v1", "persistentvolumeclaims");
  size_t i;
  json_t *c;
  json_array_foreach(claims, i, c) {
    json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", "volume.kubernetes.io/selected-node", node);
    char *body = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    api_opts o = {0};
    api_result res = api_patch(cctx->srv, pvcs, ns, json_string_value(c), NULL, "application/merge-patch+json", body,
                               strlen(body), &o);
    api_result_clear(&res);
    free(body);
  }
}

static void bind_pod(job *j) {
  const char *ns = meta_str(j->pod->obj, "namespace"), *name = meta_str(j->pod->obj, "name");
  if (j->select_claims) select_node_for_claims(ns, j->select_claims, j->node);
  api_result res = api_bind(cctx->srv, ns, name, j->node, false);
  int code = res.code;
  api_result_clear(&res);
  if (code < 300) {
    event_record(cctx, j->pod->obj, SCHEDULER_NAME, "Normal", "Scheduled", "Successfully assigned %s/%s to %s", ns,
                 name, j->node);
    return;
  }
  pthread_mutex_lock(&S.mu);
  placed_pod *pp = strmap_get(S.placed, j->key);
  bool forget = pp && pp->assumed && !strcmp(pp->node, j->node);
  if (forget) unplace(j->key);
  pthread_mutex_unlock(&S.mu);
  if (forget) request_move();
  if (code != 404 && code != 409) {
    LOGW("binding pod %s to %s failed with %d; retrying", j->key, j->node, code);
    workqueue_add_priority_after(S.queue, j->key, pod_priority(j->pod->obj), BACKOFF_INITIAL_MS);
  }
}

/* The PodScheduled condition (and the node preemption nominated) as
 * updatePod sets them, unless the pod already says so. */
static void set_unschedulable_condition(const json_t *pod, const char *message, const char *nominated) {
  size_t i;
  json_t *c;
  bool was_false = false;
  json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, c) {
    const char *t = json_string_value(json_object_get(c, "type"));
    if (!t || strcmp(t, "PodScheduled")) continue;
    const char *st = json_string_value(json_object_get(c, "status")), *r = json_string_value(json_object_get(c, "reason"));
    const char *m = json_string_value(json_object_get(c, "message"));
    was_false = st && !strcmp(st, "False");
    const char *have = nominated_node_name(pod);
    if (was_false && r && !strcmp(r, "Unschedulable") && m && !strcmp(m, message) &&
        (!nominated || (have && !strcmp(have, nominated))))
      return;
  }
  json_t *cond = json_pack("{s:s,s:s,s:n,s:s,s:s}", "type", "PodScheduled", "status", "False", "lastProbeTime",
                           "reason", "Unschedulable", "message", message);
  if (!was_false) {
    char now[32];
    rfc3339_now(now, sizeof now);
    json_object_set_new(cond, "lastTransitionTime", json_string(now));
  }
  json_t *patch = json_pack("{s:{s:[o]}}", "status", "conditions", cond);
  if (nominated) json_object_set_new(json_object_get(patch, "status"), "nominatedNodeName", json_string(nominated));
  char *body = json_dumps(patch, JSON_COMPACT);
  json_decref(patch);
  api_opts o = {0};
  api_result res = api_patch(cctx->srv, S.pods, meta_str(pod, "namespace"), meta_str(pod, "name"), "status",
                             "application/strategic-merge-patch+json", body, strlen(body), &o);
  if (res.code >= 300 && res.code != 404) LOGW("pod %s/%s: PodScheduled condition not written (%d)",
                                               meta_str(pod, "namespace"), meta_str(pod, "name"), res.code);
  api_result_clear(&res);
  free(body);
}

static void *binder_loop(void *arg) {
  for (;;) {
    pthread_mutex_lock(&S.jobs_mu);
    while (!S.jobs_head && !S.stopping) pthread_cond_wait(&S.jobs_cond, &S.jobs_mu);
    /* stopping (shutdown or a lost Lease): queued jobs are dropped, the next
     * leader derives them again from its informers; draining could take
     * minutes of writes on a slow store, made by a server no longer leading */
    job *j = S.stopping ? NULL : S.jobs_head;
    if (!j) {
      pthread_mutex_unlock(&S.jobs_mu);
      return NULL;
    }
    S.jobs_head = j->next;
    if (!S.jobs_head) S.jobs_tail = NULL;
    pthread_mutex_unlock(&S.jobs_mu);
    if (j->kind == JOB_BIND) bind_pod(j);
    else {
      event_record(cctx, j->pod->obj, SCHEDULER_NAME, "Warning", "FailedScheduling", "%s", j->message);
      set_unschedulable_condition(j->pod->obj, j->message, j->node);
    }
    free_job(j);
  }
}

/* ---- retries of parked pods ---- */

static void move_parked(bool only_old) {
  long long now = mono_ms();
  size_t n = 0, cap = 0;
  struct {
    char *key;
    long delay;
    int32_t priority;
  } *due = NULL;
  pthread_mutex_lock(&S.mu);
  strmap_iter it = {0};
  while (strmap_next(S.unschedulable, &it)) {
    unschedulable_pod *u = it.value;
    if (!u->parked || (only_old && now - u->since < UNSCHEDULABLE_FLUSH_MS)) continue;
    u->parked = false;
    if (n == cap) due = realloc(due, (cap = cap ? 2 * cap : 64) * sizeof *due);
    due[n].key = strdup(it.key);
    due[n].priority = u->priority;
    due[n++].delay = u->backoff_until > now ? (long)(u->backoff_until - now) : 0;
  }
  pthread_mutex_unlock(&S.mu);
  for (size_t i = 0; i < n; i++) {
    workqueue_add_priority_after(S.queue, due[i].key, due[i].priority, due[i].delay);
    free(due[i].key);
  }
  free(due);
}

static void *flusher_loop(void *arg) {
  for (unsigned tick = 1; !atomic_load(&S.stop); tick++) {
    usleep(200000);
    if (atomic_exchange(&S.move_requested, false)) move_parked(false);
    if (tick % 150 == 0) move_parked(true); /* every 30 s: pods parked for 60 s */
  }
  return NULL;
}

void scheduler_start(const ctrl_context *cc) {
  cctx = cc;
  memset(&S, 0, sizeof S); /* a restart (leadership regained) begins from nothing, like a new process */
  pthread_mutex_init(&S.mu, NULL);
  pthread_mutex_init(&S.jobs_mu, NULL);
  pthread_cond_init(&S.jobs_cond, NULL);
  S.nodes = strmap_new();
  S.placed = strmap_new();
  S.nominated = strmap_new();
  S.unschedulable = strmap_new();
  S.rand_state = (unsigned)time(NULL);
  S.queue = workqueue_new();
  S.pods = registry_find("", "v1", "pods");
  S.node_inf = informer_start(cctx->informers, registry_find("", "v1", "nodes"), on_node, NULL);
  S.pod_inf = informer_start(cctx->informers, S.pods, on_pod, NULL);
  S.pvc_inf = informer_start(cctx->informers, registry_find("", "v1", "persistentvolumeclaims"), on_volume, NULL);
  S.pv_inf = informer_start(cctx->informers, registry_find("", "v1", "persistentvolumes"), on_volume, NULL);
  pthread_create(&S.scheduler_thread, NULL, scheduler_loop, NULL);
  pthread_create(&S.flusher, NULL, flusher_loop, NULL);
  for (int i = 0; i < BINDERS; i++) pthread_create(&S.binders[i], NULL, binder_loop, NULL);
}

static void free_placed(void *v) {
  placed_pod *pp = v;
  free(pp->node);
  free(pp);
}

void scheduler_stop(void) {
  informer_stop(S.pv_inf);
  informer_stop(S.pvc_inf);
  informer_stop(S.pod_inf);
  informer_stop(S.node_inf);
  atomic_store(&S.stop, true);
  workqueue_shutdown(S.queue);
  pthread_join(S.scheduler_thread, NULL);
  pthread_join(S.flusher, NULL);
  pthread_mutex_lock(&S.jobs_mu);
  S.stopping = true;
  pthread_cond_broadcast(&S.jobs_cond);
  pthread_mutex_unlock(&S.jobs_mu);
  for (int i = 0; i < BINDERS; i++) pthread_join(S.binders[i], NULL);
  for (job *j = S.jobs_head, *next; j; j = next) {
    next = j->next;
    free_job(j);
  }
  S.jobs_head = S.jobs_tail = NULL;
  workqueue_free(S.queue);
  strmap_free(S.placed, free_placed);
  strmap_free(S.nominated, free_nominated);
  strmap_free(S.unschedulable, free);
  for (int i = 0; i < S.nlist; i++) sched_node_free(S.list[i]);
  free(S.list);
  strmap_free(S.nodes, NULL);
  pthread_mutex_destroy(&S.mu);
  pthread_mutex_destroy(&S.jobs_mu);
  pthread_cond_destroy(&S.jobs_cond);
}
