/* replicaset.c - the ReplicaSet and ReplicationController controller, one
 * implementation instantiated twice as in kube-controller-manager
 * (pkg/controller/replicaset; RCs differ only in kind and in a plain-map
 * selector). A sync claims the active pods matching the selector (adopting
 * orphans, releasing pods that stopped matching), creates pods from the
 * template in slow-start batches (1, 2, 4, ...) or deletes the ones
 * ActivePods ranks first, guarded by expectations, then writes status:
 * replicas, fullyLabeledReplicas, readyReplicas, availableReplicas
 * (minReadySeconds), observedGeneration and the ReplicaFailure condition. */
#include "controllers.h"
#include "conditions.h"
#include "expectations.h"
#include "informer.h"
#include "log.h"
#include "pod_order.h"
#include "workload.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define BURST_REPLICAS 500

typedef struct {
  const char *group, *plural, *kind, *component;
  bool map_selector; /* RC: spec.selector is a map */
  const resource *r, *pods;
  expectations *exp;
  ctrl *ctl;
} rs_controller;

static rs_controller rs_ctl = {.group = "apps", .plural = "replicasets", .kind = "ReplicaSet",
                               .component = "replicaset-controller"};
static rs_controller rc_ctl = {.group = "", .plural = "replicationcontrollers", .kind = "ReplicationController",
                               .component = "replication-controller", .map_selector = true};

static void owner_key(char *buf, size_t len, const char *ns, const char *name) {
  snprintf(buf, len, "%s/%s", ns, name);
}

/* ---- event handlers ---- */

static void on_owner(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  rs_controller *c = ctx;
  if (type == EV_DELETED) expectations_delete(c->exp, informer_key(obj));
  ctrl_add(c->ctl, informer_key(obj));
}

/* The key of the owner of this kind controlling pod, or false. */
static bool controlled_by_us(rs_controller *c, const json_t *pod, char *key, size_t len) {
  const json_t *ref = controller_of(pod);
  const char *kind = json_path_str(ref, "kind");
  if (!ref || !kind || strcmp(kind, c->kind)) return false;
  owner_key(key, len, obj_ns(pod), json_path_str(ref, "name"));
  return true;
}

/* An orphan: every owner whose selector matches it gets a look. */
static void enqueue_matching_owners(rs_controller *c, const json_t *pod) {
  cobj_vec owners = {0};
  list_namespace(cctx, c->r, obj_ns(pod), &owners);
  for (size_t i = 0; i < owners.n; i++) {
    label_selector *s = workload_selector(owners.items[i]->obj, c->map_selector);
    if (s && label_selector_matches(s, json_path(pod, "metadata.labels")))
      ctrl_add(c->ctl, informer_key(owners.items[i]));
    label_selector_free(s);
  }
  cobj_vec_clear(&owners);
}

static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  rs_controller *c = ctx;
  const json_t *pod = obj->obj;
  char key[600];
  if (type == EV_DELETED || obj_deleting(pod)) {
    if (controlled_by_us(c, pod, key, sizeof key)) {
      deletion_observed(c->exp, key, obj_uid(pod));
      ctrl_add(c->ctl, key);
    }
    return;
  }
  if (prev && controlled_by_us(c, prev->obj, key, sizeof key)) {
    const json_t *now_ref = controller_of(pod);
    if (!now_ref || !json_equal((json_t *)now_ref, (json_t *)controller_of(prev->obj)))
      ctrl_add(c->ctl, key);
  }
  if (controlled_by_us(c, pod, key, sizeof key)) {
    if (type == EV_ADDED) creation_observed(c->exp, key);
    ctrl_add(c->ctl, key);
  } else if (!controller_of(pod) &&
             (!prev || !json_equal(json_path(pod, "metadata.labels"), json_path(prev->obj, "metadata.labels")) ||
              controller_of(prev->obj))) {
    enqueue_matching_owners(c, pod);
  }
}

/* ---- managing replicas ---- */

/* Active pods controlled by RSs that share this RS's controller (a
 * Deployment's other ReplicaSets): the "related pods" ranking uses. */
static void related_pods(rs_controller *c, const json_t *rs, const cobj_vec *pods, const cobj_vec *own,
                         const json_t ***out, size_t *n) {
  const json_t *top = controller_of(rs);
  *out = calloc(pods->n + own->n + 1, sizeof **out);
  *n = 0;
  if (!top) {
    for (size_t i = 0; i < own->n; i++) (*out)[(*n)++] = own->items[i]->obj;
    return;
  }
  cobj_vec siblings = {0};
  list_namespace(cctx, c->r, obj_ns(rs), &siblings);
  for (size_t i = 0; i < pods->n; i++) {
    const json_t *ref = controller_of(pods->items[i]->obj);
    if (!ref || !pod_is_active(pods->items[i]->obj)) continue;
    for (size_t k = 0; k < siblings.n; k++) {
      const json_t *sref = controller_of(siblings.items[k]->obj);
      if (sref && json_equal(json_object_get(sref, "uid"), json_object_get(top, "uid")) &&
          !strcmp(json_path_str(ref, "uid") ? json_path_str(ref, "uid") : "", obj_uid(siblings.items[k]->obj))) {
        (*out)[(*n)++] = pods->items[i]->obj;
        break;
      }
    }
  }
  cobj_vec_clear(&siblings);
}

/* One slow-start batch of pod creations, run by up to CREATE_WORKERS
 * threads so the store's group commit carries many of them at once (the
 * upstream controller starts one goroutine per pod of a batch). */
#define CREATE_WORKERS 16
typedef struct {
  rs_controller *c;
  const json_t *rs;
  const char *prefix;
  pthread_mutex_t mu;
  int next, end, failed;
  char err[256];
} create_batch;

static void *create_worker(void *arg) {
  create_batch *b = arg;
  for (;;) {
    pthread_mutex_lock(&b->mu);
    int i = b->next < b->end ? b->next++ : -1;
    pthread_mutex_unlock(&b->mu);
    if (i < 0) return NULL;
    char err[256] = "";
    json_t *pod = pod_from_template(json_path(b->rs, "spec.template"), b->rs);
    json_object_set_new(jobj(pod, "metadata"), "generateName", json_string(b->prefix));
    if (create_pod_event(cctx, b->rs, b->c->component, obj_ns(b->rs), pod, err, sizeof err) >= 300) {
      pthread_mutex_lock(&b->mu);
      if (!b->failed++) snprintf(b->err, sizeof b->err, "%s", err);
      pthread_mutex_unlock(&b->mu);
    }
  }
}

static int create_pods(rs_controller *c, const json_t *rs, const char *key, int n, char *err, size_t errlen) {
  expect_creations(c->exp, key, n);
  int done = 0, batch = 1, failed = 0;
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s-", obj_name(rs));
  while (done < n && !failed) {
    int size = batch < n - done ? batch : n - done;
    create_batch b = {.c = c, .rs = rs, .prefix = prefix, .next = 0, .end = size};
    pthread_mutex_init(&b.mu, NULL);
    pthread_t th[CREATE_WORKERS];
    int nth = 0;
    for (; nth < size - 1 && nth < CREATE_WORKERS - 1; nth++)
      if (pthread_create(&th[nth], NULL, create_worker, &b)) break;
    create_worker(&b);
    for (int i = 0; i < nth; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&b.mu);
    if (b.failed) snprintf(err, errlen, "%s", b.err);
    failed += b.failed;
    done += size;
    batch *= 2;
  }
  int skipped = n - (done - failed);
  for (int i = 0; i < skipped; i++) creation_observed(c->exp, key);
  return failed;
}

static int delete_pods(rs_controller *c, const json_t *rs, const char *key, const cobj_vec *all,
                       const cobj_vec *own, int n, char *err, size_t errlen) {
  ranked_pod *ranked = calloc(own->n, sizeof *ranked);
  for (size_t i = 0; i < own->n; i++) ranked[i].pod = own->items[i]->obj;
  if ((size_t)n < own->n) {
    const json_t **rel;
    size_t nrel;
    related_pods(c, rs, all, own, &rel, &nrel);
    rank_pods_by_node(ranked, own->n, rel, nrel);
    sort_pods_for_deletion(ranked, own->n);
    free(rel);
  }
  const char **uids = calloc((size_t)n, sizeof *uids);
  for (int i = 0; i < n; i++) uids[i] = obj_uid(ranked[i].pod);
  expect_deletions(c->exp, key, uids, n);
  int failed = 0;
  for (int i = 0; i < n; i++) {
    int code = delete_pod_event(cctx, rs, c->component, ranked[i].pod, false);
    if (code >= 300) {
      deletion_observed(c->exp, key, uids[i]);
      if (code != 404) {
        failed++;
        snprintf(err, errlen, "unable to delete pod %s", obj_name(ranked[i].pod));
      }
    }
  }
  free(uids);
  free(ranked);
  return failed;
}

/* ---- status ---- */

static json_t *compute_status(const json_t *rs, const cobj_vec *own, const char *fail_reason, const char *err,
                              long *requeue_ms) {
  long long min_ready = json_path_int(rs, "spec.minReadySeconds", 0);
  time_t now = time(NULL);
  label_selector *tl = NULL;
  const json_t *tlabels = json_path(rs, "spec.template.metadata.labels");
  json_t *ls = json_pack("{s:O}", "matchLabels", tlabels ? tlabels : json_object());
  char e[128];
  tl = label_selector_from_json(ls, e, sizeof e);
  json_decref(ls);
  long long full = 0, ready = 0, avail = 0, wait = 0;
  for (size_t i = 0; i < own->n; i++) {
    const json_t *p = own->items[i]->obj;
    if (tl && label_selector_matches(tl, json_path(p, "metadata.labels"))) full++;
    if (pod_ready(p)) ready++;
    if (pod_is_available(p, min_ready, now)) avail++;
    else {
      long long in = pod_available_in(p, min_ready, now);
      if (in && (!wait || in < wait)) wait = in;
    }
  }
  label_selector_free(tl);
  const json_t *old = json_path(rs, "status");
  json_t *st = json_pack("{s:I}", "replicas", (json_int_t)own->n);
  if (full) json_object_set_new(st, "fullyLabeledReplicas", json_integer(full));
  if (ready) json_object_set_new(st, "readyReplicas", json_integer(ready));
  if (avail) json_object_set_new(st, "availableReplicas", json_integer(avail));
  const json_t *gen = json_path(rs, "metadata.generation");
  if (gen) json_object_set_new(st, "observedGeneration", json_deep_copy(gen));
  json_t *conds = json_object_get(old, "conditions");
  if (conds) json_object_set_new(st, "conditions", json_deep_copy(conds));
  if (fail_reason && !cond_get(st, "ReplicaFailure")) cond_set(st, "ReplicaFailure", "True", fail_reason, err, false);
  else if (!fail_reason) cond_remove(st, "ReplicaFailure");
  if (wait && requeue_ms) *requeue_ms = wait * 1000;
  return st;
}

static ctrl_result sync_owner(void *ctx, const char *key) {
  rs_controller *c = ctx;
  const char *slash = strchr(key, '/');
  char ns[300];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  cobj *rsobj = lister_get(cctx->informers, c->r, ns, slash + 1);
  if (!rsobj) {
    expectations_delete(c->exp, key);
    return ctrl_done();
  }
  const json_t *rs = rsobj->obj;
  bool needs_sync = expectations_satisfied(c->exp, key);
  label_selector *sel = workload_selector(rs, c->map_selector);
  cobj_vec all = {0}, active = {0}, own = {0};
  list_namespace(cctx, c->pods, ns, &all);
  for (size_t i = 0; i < all.n; i++)
    if (pod_is_active(all.items[i]->obj)) cobj_vec_push(&active, cobj_ref(all.items[i]));
  if (sel) {
    claim_spec cs = {rs, c->r, sel, NULL, NULL};
    claim_objects(cctx, &cs, c->pods, &active, &own);
  }
  char err[700] = "";
  const char *fail_reason = NULL;
  long requeue = -1; /* ms until minReadySeconds pass, else -1 */
  bool failed = false;
  if (needs_sync && !obj_deleting(rs) && json_path(rs, "spec.template")) {
    long long want = json_path_int(rs, "spec.replicas", 1);
    long long diff = (long long)own.n - want;
    if (diff < 0) {
      int n = (int)(-diff > BURST_REPLICAS ? BURST_REPLICAS : -diff);
      if (create_pods(c, rs, key, n, err, sizeof err)) fail_reason = "FailedCreate";
    } else if (diff > 0) {
      int n = (int)(diff > BURST_REPLICAS ? BURST_REPLICAS : diff);
      if (delete_pods(c, rs, key, &all, &own, n, err, sizeof err)) fail_reason = "FailedDelete";
    }
    if (diff) {
      /* status follows from the pods the informer reports next */
      cobj_vec_clear(&own);
      cobj_vec_clear(&active);
      list_namespace(cctx, c->pods, ns, &active);
      for (size_t i = 0; i < active.n; i++) {
        const json_t *p = active.items[i]->obj;
        const json_t *ref = controller_of(p);
        if (pod_is_active(p) && ref && !strcmp(json_path_str(ref, "uid") ? json_path_str(ref, "uid") : "", obj_uid(rs)))
          cobj_vec_push(&own, cobj_ref(active.items[i]));
      }
    }
  }
  json_t *st = compute_status(rs, &own, fail_reason, err, &requeue);
  if (!json_equal(st, json_path(rs, "status"))) {
    json_t *upd = json_deep_copy(rs);
    json_object_set_new(upd, "status", st);
    int code = write_object(cctx, c->r, upd, true);
    if (code == 409) failed = true;
  } else {
    json_decref(st);
  }
  label_selector_free(sel);
  cobj_vec_clear(&all);
  cobj_vec_clear(&active);
  cobj_vec_clear(&own);
  cobj_unref(rsobj);
  if (failed || fail_reason) return ctrl_retry();
  return requeue < 0 ? ctrl_done() : ctrl_requeue_after(requeue);
}

static void start(rs_controller *c) {
  c->r = registry_find(c->group, "v1", c->plural);
  c->pods = registry_find("", "v1", "pods");
  c->exp = expectations_new();
  c->ctl = ctrl_start(cctx, c->component, sync_owner, c);
  ctrl_follow_resource(c->ctl, c->r, on_owner, c);
  ctrl_follow_resource(c->ctl, c->pods, on_pod, c);
}

static void stop(rs_controller *c) {
  ctrl_stop(c->ctl);
  expectations_free(c->exp);
}

void replicaset_controller_start(const ctrl_context *cc) {
  cctx = cc;
  start(&rs_ctl);
  start(&rc_ctl);
}

void replicaset_controller_stop(void) {
  stop(&rs_ctl);
  stop(&rc_ctl);
}
