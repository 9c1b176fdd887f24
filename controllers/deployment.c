/* deployment.c - the Deployment controller (pkg/controller/deployment):
 * informers on Deployments, ReplicaSets and pods feed one work queue; a
 * sync claims the Deployment's ReplicaSets, finds or creates the new one
 * (named <deployment>-<pod-template-hash>, the hash added to its selector
 * and template labels), keeps the revision annotations in step and hands
 * over to the strategy (deployment_rollout.c). Status and the Available,
 * Progressing (with progressDeadlineSeconds) and ReplicaFailure conditions
 * carry Kubernetes' reasons and messages. */
#include "controllers.h"
#include "conditions.h"
#include "deployment_internal.h"
#include "deployment_util.h"
#include "events.h"
#include "informer.h"
#include "log.h"
#include "timestamp.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

static const resource *dr, *rsr, *podr;
static ctrl *ctl;

const resource *rs_resource(void) { return rsr; }

/* ---- event handlers ---- */

static void on_deployment(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  ctrl_add(ctl, informer_key(obj));
}

static void enqueue_owner_deployment(const json_t *rs) {
  const json_t *ref = controller_of(rs);
  const char *kind = json_path_str(ref, "kind");
  if (!ref || !kind || strcmp(kind, "Deployment")) return;
  char key[600];
  snprintf(key, sizeof key, "%s/%s", obj_ns(rs), json_path_str(ref, "name"));
  ctrl_add(ctl, key);
}

static void on_rs(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (prev) enqueue_owner_deployment(prev->obj);
  if (controller_of(obj->obj)) {
    enqueue_owner_deployment(obj->obj);
    return;
  }
  if (type == EV_DELETED) return;
  /* an orphan: every Deployment selecting it may adopt it */
  cobj_vec ds = {0};
  list_namespace(cctx, dr, obj_ns(obj->obj), &ds);
  for (size_t i = 0; i < ds.n; i++) {
    label_selector *sel = workload_selector(ds.items[i]->obj, false);
    if (sel && label_selector_matches(sel, json_path(obj->obj, "metadata.labels")))
      ctrl_add(ctl, informer_key(ds.items[i]));
    label_selector_free(sel);
  }
  cobj_vec_clear(&ds);
}

/* A Recreate rollout waits for the old pods to be gone. */
static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED) return;
  const json_t *ref = controller_of(obj->obj);
  const char *kind = json_path_str(ref, "kind");
  if (!ref || !kind || strcmp(kind, "ReplicaSet")) return;
  cobj *rs = lister_get(cctx->informers, rsr, obj_ns(obj->obj), json_path_str(ref, "name"));
  if (rs) enqueue_owner_deployment(rs->obj);
  cobj_unref(rs);
}

/* ---- writes ---- */

static void replace_d(dsync *s, json_t *stored) {
  if (!stored) {
    s->failed = true;
    return;
  }
  json_decref(s->d);
  s->d = stored;
}

void save_deployment(dsync *s, json_t *desired) {
  int code;
  if (!json_equal(json_path(desired, "metadata.annotations"), json_path(s->d, "metadata.annotations"))) {
    replace_d(s, update_object(cctx, dr, desired, false, &code));
    if (s->failed) {
      json_decref(desired);
      return;
    }
  }
  if (!json_equal(json_object_get(desired, "status"), json_object_get(s->d, "status"))) {
    json_t *st = json_deep_copy(s->d);
    json_object_set(st, "status", json_object_get(desired, "status"));
    replace_d(s, update_object(cctx, dr, st, true, &code));
    json_decref(st);
  }
  json_decref(desired);
}

/* ---- the new ReplicaSet ---- */

static bool has_progress_deadline(const json_t *d) {
  long long p = json_path_int(d, "spec.progressDeadlineSeconds", -1);
  return p >= 0 && p != INT_MAX;
}

static bool set_deployment_revision(json_t *d, const char *rev) {
  json_t *ann = jobj(jobj(d, "metadata"), "annotations");
  const char *cur = json_string_value(json_object_get(ann, REVISION_ANNOTATION));
  if (cur && !strcmp(cur, rev)) return false;
  json_object_set_new(ann, REVISION_ANNOTATION, json_string(rev));
  return true;
}

static int by_creation(const void *a, const void *b) {
  return cmp_creation(*(json_t *const *)a, *(json_t *const *)b);
}

/* NewRSNewReplicas: how big the new ReplicaSet may be now. */
static long long new_rs_new_replicas(const dsync *s, long long new_current) {
  long long replicas = json_path_int(s->d, "spec.replicas", 1);
  if (!deployment_is_rolling(s->d)) return replicas;
  long long current = 0;
  for (size_t i = 0; i < s->nrs; i++) current += (int)i == s->new_rs ? 0 : rs_spec_replicas(s->rs[i]);
  current += new_current;
  long long max_total = replicas + deployment_max_surge(s->d);
  if (current >= max_total) return new_current;
  long long up = max_total - current;
  if (up > replicas - new_current) up = replicas - new_current;
  return new_current + up;
}

/* Updates an existing new ReplicaSet's annotations and minReadySeconds. */
static void sync_existing_new_rs(dsync *s, const char *new_revision) {
  json_t *copy = json_deep_copy(s->rs[s->new_rs]);
  bool changed = set_new_rs_annotations(s->d, copy, new_revision, true);
  const json_t *mrs = json_path(s->d, "spec.minReadySeconds");
  if (!json_equal(json_path(copy, "spec.minReadySeconds"), mrs)) {
    if (mrs) json_object_set_new(jobj(copy, "spec"), "minReadySeconds", json_deep_copy(mrs));
    else json_object_del(jobj(copy, "spec"), "minReadySeconds");
    changed = true;
  }
  if (changed) {
    int code;
    json_t *stored = update_object(cctx, rsr, copy, false, &code);
    if (stored) json_decref(s->rs[s->new_rs]), s->rs[s->new_rs] = stored;
    else s->failed = true;
  }
  json_decref(copy);
  json_t *d = json_deep_copy(s->d);
  const char *rev = json_string_value(json_object_get(json_path(s->rs[s->new_rs], "metadata.annotations"), REVISION_ANNOTATION));
  bool needs = rev && set_deployment_revision(d, rev);
  if (has_progress_deadline(d) && !cond_get(jobj(d, "status"), "Progressing")) {
    char msg[400];
    snprintf(msg, sizeof msg, "Found new replica set \"%s\"", obj_name(s->rs[s->new_rs]));
    cond_set(jobj(d, "status"), "Progressing", "True", "FoundNewReplicaSet", msg, true);
    needs = true;
  }
  if (needs) save_deployment(s, d);
  else json_decref(d);
}

static json_t *new_rs_object(const dsync *s, char *name, size_t namelen) {
  char hash[16];
  pod_template_hash(json_path(s->d, "spec.template"), json_path(s->d, "status.collisionCount"), hash, sizeof hash);
  json_t *tmpl = json_deep_copy(json_path(s->d, "spec.template"));
  json_object_set_new(jobj(jobj(tmpl, "metadata"), "labels"), POD_TEMPLATE_HASH_LABEL, json_string(hash));
  json_t *sel = json_deep_copy(json_path(s->d, "spec.selector"));
  json_object_set_new(jobj(sel, "matchLabels"), POD_TEMPLATE_HASH_LABEL, json_string(hash));
  snprintf(name, namelen, "%s-%s", obj_name(s->d), hash);
  json_t *rs = json_pack("{s:s,s:s,s:{s:s,s:s,s:[o],s:O},s:{s:i,s:o,s:o}}", "apiVersion", "apps/v1", "kind",
                         "ReplicaSet", "metadata", "name", name, "namespace", obj_ns(s->d), "ownerReferences",
                         controller_ref(s->d), "labels",
                         json_object_get(json_object_get(tmpl, "metadata"), "labels"), "spec", "replicas", 0,
                         "selector", sel, "template", tmpl);
  const json_t *mrs = json_path(s->d, "spec.minReadySeconds");
  if (mrs) json_object_set_new(json_object_get(rs, "spec"), "minReadySeconds", json_deep_copy(mrs));
  return rs;
}

static void bump_collision_count(dsync *s) {
  json_t *d = json_deep_copy(s->d);
  json_object_set_new(jobj(d, "status"), "collisionCount",
                      json_integer(json_path_int(s->d, "status.collisionCount", 0) + 1));
  save_deployment(s, d);
  s->failed = true; /* try again with the new hash */
}

static void create_new_rs(dsync *s, const char *new_revision) {
  char name[400];
  json_t *rs = new_rs_object(s, name, sizeof name);
  long long replicas = new_rs_new_replicas(s, 0);
  json_object_set_new(json_object_get(rs, "spec"), "replicas", json_integer(replicas));
  set_new_rs_annotations(s->d, rs, new_revision, false);
  api_opts o = {0};
  api_result res = api_create(cctx->srv, rsr, obj_ns(s->d), rs, &o);
  json_t *created = res.code < 300 ? api_result_json(&res) : NULL;
  bool already = false;
  if (res.code == 409) {
    cobj *ex = lister_get(cctx->informers, rsr, obj_ns(s->d), name);
    const json_t *ref = ex ? controller_of(ex->obj) : NULL;
    if (ref && !strcmp(json_path_str(ref, "uid") ? json_path_str(ref, "uid") : "", obj_uid(s->d)) &&
        templates_equal_ignore_hash(json_path(ex->obj, "spec.template"), json_path(s->d, "spec.template"))) {
      created = json_deep_copy(ex->obj);
      already = true;
    }
    cobj_unref(ex);
    if (!created) {
      api_result_clear(&res);
      bump_collision_count(s);
      return;
    }
  } else if (!created) {
    json_t *body = api_result_json(&res);
    char msg[900];
    snprintf(msg, sizeof msg, "Failed to create new replica set \"%s\": %s", name,
             json_path_str(body, "message") ? json_path_str(body, "message") : "unknown error");
    json_decref(body);
    api_result_clear(&res);
    event_record(cctx, s->d, DEPLOYMENT_COMPONENT, "Warning", "ReplicaSetCreateError", "%s", msg);
    if (has_progress_deadline(s->d)) {
      json_t *d = json_deep_copy(s->d);
      cond_set(jobj(d, "status"), "Progressing", "False", "ReplicaSetCreateError", msg, true);
      save_deployment(s, d);
    }
    s->failed = true;
    return;
  }
  api_result_clear(&res);
  if (!already && replicas > 0)
    event_record(cctx, s->d, DEPLOYMENT_COMPONENT, "Normal", "ScalingReplicaSet", "Scaled up replica set %s to %lld",
                 name, replicas);
  s->rs = realloc(s->rs, (s->nrs + 1) * sizeof *s->rs);
  s->rs[s->nrs] = created;
  s->new_rs = (int)s->nrs++;
  json_t *d = json_deep_copy(s->d);
  bool needs = set_deployment_revision(d, new_revision);
  if (!already && has_progress_deadline(d)) {
    char msg[400];
    snprintf(msg, sizeof msg, "Created new replica set \"%s\"", name);
    cond_set(jobj(d, "status"), "Progressing", "True", "NewReplicaSetCreated", msg, true);
    needs = true;
  }
  if (needs) save_deployment(s, d);
  else json_decref(d);
}

void sync_revision_and_new_rs(dsync *s, bool create) {
  qsort(s->rs, s->nrs, sizeof *s->rs, by_creation);
  s->new_rs = -1;
  for (size_t i = 0; i < s->nrs; i++)
    if (templates_equal_ignore_hash(json_path(s->rs[i], "spec.template"), json_path(s->d, "spec.template"))) {
      s->new_rs = (int)i;
      break;
    }
  long long max_old = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if ((int)i != s->new_rs && revision_of(s->rs[i]) > max_old) max_old = revision_of(s->rs[i]);
  char rev[32];
  snprintf(rev, sizeof rev, "%lld", max_old + 1);
  if (s->new_rs >= 0) sync_existing_new_rs(s, rev);
  else if (create) create_new_rs(s, rev);
}

/* ---- status ---- */

static long long sum_status(const dsync *s, const char *field, bool only_new) {
  long long n = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if (!only_new || (int)i == s->new_rs) n += json_path_int(s->rs[i], field, 0);
  return n;
}

static void set_count(json_t *st, const char *key, long long v) {
  if (v) json_object_set_new(st, key, json_integer(v));
}

/* calculateStatus: a new status object (the old conditions carried over). */
static json_t *calculate_status(const dsync *s) {
  long long available = sum_status(s, "status.availableReplicas", false);
  long long total = 0;
  for (size_t i = 0; i < s->nrs; i++) total += rs_spec_replicas(s->rs[i]);
  long long unavailable = total - available > 0 ? total - available : 0;
  json_t *st = json_object();
  set_count(st, "observedGeneration", json_path_int(s->d, "metadata.generation", 0));
  set_count(st, "replicas", sum_status(s, "status.replicas", false));
  set_count(st, "updatedReplicas", s->new_rs >= 0 ? sum_status(s, "status.replicas", true) : 0);
  set_count(st, "readyReplicas", sum_status(s, "status.readyReplicas", false));
  set_count(st, "availableReplicas", available);
  set_count(st, "unavailableReplicas", unavailable);
  const json_t *cc = json_path(s->d, "status.collisionCount");
  if (cc) json_object_set_new(st, "collisionCount", json_deep_copy(cc));
  const json_t *conds = json_path(s->d, "status.conditions");
  if (conds) json_object_set_new(st, "conditions", json_deep_copy(conds));
  if (available >= json_path_int(s->d, "spec.replicas", 1) - deployment_max_unavailable(s->d))
    cond_set(st, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", true);
  else
    cond_set(st, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.",
             true);
  return st;
}

static void write_status(dsync *s, json_t *st) {
  if (json_equal(st, json_object_get(s->d, "status"))) {
    json_decref(st);
    return;
  }
  json_t *d = json_deep_copy(s->d);
  json_object_set_new(d, "status", st);
  save_deployment(s, d);
}

void sync_deployment_status(dsync *s) { write_status(s, calculate_status(s)); }

static bool timed_out(const json_t *d, const json_t *st) {
  if (!has_progress_deadline(d)) return false;
  json_t *c = cond_get(st, "Progressing");
  const char *reason = json_path_str(c, "reason");
  if (!c || !reason || !strcmp(reason, "NewReplicaSetAvailable")) return false;
  if (!strcmp(reason, "ProgressDeadlineExceeded")) return true;
  return rfc3339_seconds(json_path_str(c, "lastUpdateTime")) + json_path_int(d, "spec.progressDeadlineSeconds", 600) < time(NULL);
}

/* The first ReplicaFailure of the new ReplicaSet, else of any. */
static const json_t *replica_failure(const dsync *s) {
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < s->nrs; i++) {
      if (pass == 0 && (int)i != s->new_rs) continue;
      const json_t *c = cond_get(json_path(s->rs[i], "status"), "ReplicaFailure");
      if (c) return c;
    }
  return NULL;
}

/* requeueStuckDeployment: when to look again for a progress deadline. */
static void requeue_stuck(dsync *s, const json_t *st) {
  json_t *c = cond_get(json_object_get(s->d, "status"), "Progressing");
  if (!has_progress_deadline(s->d) || !c) return;
  const char *reason = json_path_str(c, "reason");
  if (deployment_complete(s->d, st) || (reason && !strcmp(reason, "ProgressDeadlineExceeded"))) return;
  long long after = rfc3339_seconds(json_path_str(c, "lastUpdateTime")) + json_path_int(s->d, "spec.progressDeadlineSeconds", 600) - time(NULL);
  long ms = after < 1 ? 1000 : (long)after * 1000 + 100;
  if (s->requeue < 0 || ms < s->requeue) s->requeue = ms;
}

void sync_rollout_status(dsync *s) {
  json_t *st = calculate_status(s);
  if (!has_progress_deadline(s->d)) cond_remove(st, "Progressing");
  json_t *cur = cond_get(json_object_get(s->d, "status"), "Progressing");
  const char *cur_reason = json_path_str(cur, "reason");
  bool complete_already = json_path_int(st, "replicas", 0) == json_path_int(st, "updatedReplicas", 0) && cur_reason &&
                          !strcmp(cur_reason, "NewReplicaSetAvailable");
  const char *new_name = s->new_rs >= 0 ? obj_name(s->rs[s->new_rs]) : NULL;
  char msg[500];
  if (has_progress_deadline(s->d) && !complete_already) {
    if (deployment_complete(s->d, st)) {
      snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully progressed.", new_name ? new_name : "");
      cond_set(st, "Progressing", "True", "NewReplicaSetAvailable", msg, true);
    } else if (deployment_progressing(s->d, st)) {
      if (new_name) snprintf(msg, sizeof msg, "ReplicaSet \"%s\" is progressing.", new_name);
      else snprintf(msg, sizeof msg, "Deployment \"%s\" is progressing.", obj_name(s->d));
      char *keep = NULL;
      const char *cst = json_path_str(cur, "status");
      if (cur && cst && !strcmp(cst, "True") && json_path_str(cur, "lastTransitionTime"))
        keep = strdup(json_path_str(cur, "lastTransitionTime"));
      cond_remove(st, "Progressing");
      cond_set(st, "Progressing", "True", "ReplicaSetUpdated", msg, true);
      if (keep) json_object_set_new(cond_get(st, "Progressing"), "lastTransitionTime", json_string(keep));
      free(keep);
    } else if (timed_out(s->d, st)) {
      snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has timed out progressing.", new_name ? new_name : "");
      cond_set(st, "Progressing", "False", "ProgressDeadlineExceeded", msg, true);
    }
  }
  const json_t *rf = replica_failure(s);
  if (rf) {
    const char *t = json_path_str(rf, "lastTransitionTime");
    json_t *c = cond_get(st, "ReplicaFailure");
    if (!c || strcmp(json_path_str(c, "status") ? json_path_str(c, "status") : "", json_path_str(rf, "status") ? json_path_str(rf, "status") : "") ||
        strcmp(json_path_str(c, "reason") ? json_path_str(c, "reason") : "", json_path_str(rf, "reason") ? json_path_str(rf, "reason") : "")) {
      cond_remove(st, "ReplicaFailure");
      json_t *conds = json_object_get(st, "conditions");
      if (!conds) json_object_set_new(st, "conditions", conds = json_array());
      json_array_append_new(conds, json_pack("{s:s,s:O,s:s,s:s,s:O,s:O}", "type", "ReplicaFailure", "status",
                                             json_object_get(rf, "status"), "lastUpdateTime", t ? t : "",
                                             "lastTransitionTime", t ? t : "", "reason", json_object_get(rf, "reason"),
                                             "message", json_object_get(rf, "message")));
    }
  } else {
    cond_remove(st, "ReplicaFailure");
  }
  if (json_equal(st, json_object_get(s->d, "status"))) {
    requeue_stuck(s, st);
    json_decref(st);
    return;
  }
  write_status(s, st);
}

/* ---- sync ---- */

static void check_paused_conditions(dsync *s) {
  if (!has_progress_deadline(s->d)) return;
  json_t *c = cond_get(json_object_get(s->d, "status"), "Progressing");
  const char *reason = json_path_str(c, "reason");
  if (reason && !strcmp(reason, "ProgressDeadlineExceeded")) return;
  bool paused_cond = reason && !strcmp(reason, "DeploymentPaused");
  bool paused = json_is_true(json_path(s->d, "spec.paused"));
  if (paused == paused_cond) return;
  json_t *d = json_deep_copy(s->d);
  if (paused) cond_set(jobj(d, "status"), "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", true);
  else cond_set(jobj(d, "status"), "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", true);
  save_deployment(s, d);
}

static void claim_replicasets(dsync *s) {
  label_selector *sel = workload_selector(s->d, false);
  cobj_vec all = {0}, own = {0};
  list_namespace(cctx, rsr, obj_ns(s->d), &all);
  if (sel) {
    claim_spec cs = {s->d, dr, sel, NULL, NULL};
    claim_objects(cctx, &cs, rsr, &all, &own);
  }
  s->rs = calloc(own.n + 1, sizeof *s->rs);
  for (size_t i = 0; i < own.n; i++) s->rs[s->nrs++] = json_deep_copy(own.items[i]->obj);
  cobj_vec_clear(&all);
  cobj_vec_clear(&own);
  label_selector_free(sel);
}

static ctrl_result sync_deployment(void *ctx, const char *key) {
  const char *slash = strchr(key, '/');
  char ns[300];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  cobj *dobj = lister_get(cctx->informers, dr, ns, slash + 1);
  if (!dobj) return ctrl_done();
  dsync s = {.cc = cctx, .d = json_deep_copy(dobj->obj), .new_rs = -1, .requeue = -1};
  cobj_unref(dobj);
  claim_replicasets(&s);
  if (!deployment_is_rolling(s.d)) list_namespace(cctx, podr, ns, &s.pods);
  if (obj_deleting(s.d)) {
    sync_revision_and_new_rs(&s, false);
    sync_deployment_status(&s);
  } else {
    check_paused_conditions(&s);
    if (json_is_true(json_path(s.d, "spec.paused")) || is_scaling_event(&s)) sync_scale(&s);
    else if (deployment_is_rolling(s.d)) rollout_rolling(&s);
    else rollout_recreate(&s);
  }
  ctrl_result res = s.failed ? ctrl_retry() : s.requeue < 0 ? ctrl_done() : ctrl_requeue_after(s.requeue);
  json_decref(s.d);
  for (size_t i = 0; i < s.nrs; i++) json_decref(s.rs[i]);
  free(s.rs);
  cobj_vec_clear(&s.pods);
  return res;
}

void deployment_controller_start(const ctrl_context *cc) {
  cctx = cc;
  dr = registry_find("apps", "v1", "deployments");
  rsr = registry_find("apps", "v1", "replicasets");
  podr = registry_find("", "v1", "pods");
  ctl = ctrl_start(cctx, "deployment-controller", sync_deployment, NULL);
  ctrl_follow_resource(ctl, dr, on_deployment, NULL);
  ctrl_follow_resource(ctl, rsr, on_rs, NULL);
  ctrl_follow_resource(ctl, podr, on_pod, NULL);
}

void deployment_controller_stop(void) {
  ctrl_stop(ctl);
}
