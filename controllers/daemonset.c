/* daemonset.c - the DaemonSet controller (pkg/controller/daemon of 1.20):
 * one pod per eligible node (daemon_node.c decides eligibility), created
 * unbound with a matchFields metadata.name affinity so the default
 * scheduler places it, and carrying the daemon tolerations, the
 * controller-revision-hash and pod-template-generation labels. A node that
 * joins gets its pod, a pod whose node is gone or no longer eligible is
 * deleted, duplicates on a node are trimmed to the oldest. Template
 * changes become ControllerRevisions (history.c, named with the
 * pod-template-hash); RollingUpdate replaces old pods while at most
 * maxUnavailable nodes lack an available pod; OnDelete waits for deletes. */
#include "controllers.h"
#include "daemon_node.h"
#include "deployment_util.h"
#include "events.h"
#include "expectations.h"
#include "history.h"
#include "informer.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "daemonset-controller"
#define HASH_LABEL "controller-revision-hash"
#define GENERATION_LABEL "pod-template-generation"
#define GENERATION_ANNOTATION "deprecated.daemonset.template.generation"
#define BURST_REPLICAS 250

static const resource *dsr, *podr, *noder;
static expectations *exp;
static ctrl *ctl;

/* ---- event handlers ---- */

static void on_ds(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) expectations_delete(exp, informer_key(obj));
  ctrl_add(ctl, informer_key(obj));
}

static void enqueue_all(const char *ns) {
  cobj_vec all = {0};
  lister_list(cctx->informers, dsr, ns, &all);
  for (size_t i = 0; i < all.n; i++) ctrl_add(ctl, informer_key(all.items[i]));
  cobj_vec_clear(&all);
}

static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const json_t *pod = obj->obj, *ref = controller_of(pod);
  const char *kind = json_path_str(ref, "kind");
  if (!ref) {
    if (type != EV_DELETED) enqueue_all(obj_ns(pod));
    return;
  }
  if (!kind || strcmp(kind, "DaemonSet")) return;
  char key[600];
  snprintf(key, sizeof key, "%s/%s", obj_ns(pod), json_path_str(ref, "name"));
  if (type == EV_DELETED || obj_deleting(pod)) deletion_observed(exp, key, obj_uid(pod));
  else if (type == EV_ADDED) creation_observed(exp, key);
  ctrl_add(ctl, key);
}

static void on_node(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (prev && type == EV_MODIFIED && json_equal(json_path(obj->obj, "metadata.labels"), json_path(prev->obj, "metadata.labels")) &&
      json_equal(json_path(obj->obj, "spec"), json_path(prev->obj, "spec")))
    return; /* heartbeats change nothing a DaemonSet looks at */
  enqueue_all("");
}

/* ---- state of one sync ---- */

typedef struct {
  json_t *ds;
  cobj_vec nodes, pods; /* all nodes; the pods the DaemonSet owns */
  json_t *spec;         /* template spec with the daemon tolerations */
  char hash[64];        /* the current revision's hash */
  char key[600];
  bool retry;
} dsync_t;

static const json_t *node_named(dsync_t *s, const char *name) {
  for (size_t i = 0; name && i < s->nodes.n; i++)
    if (!strcmp(obj_name(s->nodes.items[i]->obj), name)) return s->nodes.items[i]->obj;
  return NULL;
}

/* Pods (indexes into s->pods) targeting node, oldest first. */
static size_t pods_on(dsync_t *s, const char *node, const json_t **out) {
  size_t n = 0;
  for (size_t i = 0; i < s->pods.n; i++) {
    const char *t = daemon_target_node(s->pods.items[i]->obj);
    if (t && !strcmp(t, node)) out[n++] = s->pods.items[i]->obj;
  }
  for (size_t i = 1; i < n; i++)
    for (size_t k = i; k > 0 && cmp_creation(out[k - 1], out[k]) > 0; k--) {
      const json_t *t = out[k];
      out[k] = out[k - 1];
      out[k - 1] = t;
    }
  return n;
}

static bool is_updated(const json_t *ds, const json_t *pod, const char *hash) {
  const char *gen = obj_annotation(ds, GENERATION_ANNOTATION);
  const char *pgen = obj_label(pod, GENERATION_LABEL);
  const char *phash = obj_label(pod, HASH_LABEL);
  return (*hash && phash && !strcmp(phash, hash)) || (gen && pgen && !strcmp(gen, pgen));
}

/* ---- history ---- */

static void construct_history(dsync_t *s) {
  history_owner h = {s->ds, dsr};
  cobj_vec revs = {0};
  history_list(cctx, &h, &revs);
  json_t *data = history_data(s->ds);
  const json_t *cur = NULL;
  long long max_old = 0;
  for (size_t i = 0; i < revs.n; i++) {
    const json_t *r = revs.items[i]->obj;
    if (history_matches(r, data)) {
      if (cur) { /* dedupCurHistories: keep the newest */
        api_opts o = {0};
        api_result res = api_delete(cctx->srv, registry_find("apps", "v1", "controllerrevisions"), obj_ns(cur),
                                    obj_name(cur), NULL, &o);
        api_result_clear(&res);
      }
      cur = r;
    } else if (history_number(r) > max_old) {
      max_old = history_number(r);
    }
  }
  json_t *made = NULL;
  if (!cur) {
    char hash[16];
    pod_template_hash(json_path(s->ds, "spec.template"), json_path(s->ds, "status.collisionCount"), hash, sizeof hash);
    bool collision;
    cur = made = history_create(cctx, &h, hash, HASH_LABEL, hash, data, max_old + 1, true, &collision);
    if (collision) {
      json_t *upd = json_deep_copy(s->ds);
      json_object_set_new(jobj(upd, "status"), "collisionCount",
                          json_integer(json_path_int(s->ds, "status.collisionCount", 0) + 1));
      write_object(cctx, dsr, upd, true);
    }
  } else if (history_number(cur) < max_old + 1) {
    cur = made = history_renumber(cctx, cur, max_old + 1);
  }
  if (cur) {
    const char *hv = obj_label(cur, HASH_LABEL);
    snprintf(s->hash, sizeof s->hash, "%s", hv ? hv : obj_name(cur));
  } else {
    s->retry = true;
  }
  /* cleanupHistory: old revisions no pod uses, beyond revisionHistoryLimit */
  const char *keep[s->pods.n + 2];
  size_t nkeep = 0;
  if (cur) keep[nkeep++] = obj_name(cur);
  for (size_t i = 0; i < s->pods.n; i++) {
    const char *ph = obj_label(s->pods.items[i]->obj, HASH_LABEL);
    for (size_t k = 0; ph && k < revs.n; k++)
      if (!strcmp(obj_label(revs.items[k]->obj, HASH_LABEL) ? obj_label(revs.items[k]->obj, HASH_LABEL) : "", ph)) {
        keep[nkeep++] = obj_name(revs.items[k]->obj);
        break;
      }
  }
  history_truncate(cctx, &revs, keep, nkeep, json_path_int(s->ds, "spec.revisionHistoryLimit", 10));
  json_decref(made);
  json_decref(data);
  cobj_vec_clear(&revs);
}

/* ---- pods ---- */

static json_t *new_pod(dsync_t *s, const char *node) {
  json_t *tmpl = json_deep_copy(json_path(s->ds, "spec.template"));
  json_t *labels = jobj(jobj(tmpl, "metadata"), "labels");
  const char *gen = obj_annotation(s->ds, GENERATION_ANNOTATION);
  if (gen) json_object_set_new(labels, GENERATION_LABEL, json_string(gen));
  if (*s->hash) json_object_set_new(labels, HASH_LABEL, json_string(s->hash));
  json_t *spec = jobj(tmpl, "spec");
  add_daemon_tolerations(spec);
  pin_to_node(spec, node);
  json_t *pod = pod_from_template(tmpl, s->ds);
  json_decref(tmpl);
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s-", obj_name(s->ds));
  json_object_set_new(jobj(pod, "metadata"), "generateName", json_string(prefix));
  return pod;
}

/* syncNodes: creations in slow-start batches, then deletions. */
static void sync_nodes(dsync_t *s, const char **create_on, size_t ncreate, const json_t **del, size_t ndel) {
  if (ncreate > BURST_REPLICAS) ncreate = BURST_REPLICAS;
  if (ndel > BURST_REPLICAS) ndel = BURST_REPLICAS;
  if (ncreate) expect_creations(exp, s->key, (int)ncreate);
  size_t done = 0, batch = 1, failed = 0;
  while (done < ncreate && !failed) {
    for (size_t i = 0; i < batch && done + i < ncreate; i++)
      if (create_pod_event(cctx, s->ds, COMPONENT, obj_ns(s->ds), new_pod(s, create_on[done + i]), NULL, 0) >= 300)
        failed++;
    done += batch < ncreate - done ? batch : ncreate - done;
    batch *= 2;
  }
  for (size_t i = 0; i < ncreate - (done - failed); i++) creation_observed(exp, s->key);
  if (failed) s->retry = true;
  if (!ndel) return;
  const char *uids[ndel];
  for (size_t i = 0; i < ndel; i++) uids[i] = obj_uid(del[i]);
  expect_deletions(exp, s->key, uids, (int)ndel);
  for (size_t i = 0; i < ndel; i++) {
    /* a pod whose node is gone has no kubelet to finish a graceful delete */
    const char *nn = json_path_str(del[i], "spec.nodeName");
    bool force = nn && *nn && !node_named(s, nn);
    if (delete_pod_event(cctx, s->ds, COMPONENT, del[i], force) >= 300) deletion_observed(exp, s->key, uids[i]);
  }
}

static void manage(dsync_t *s) {
  const char *create_on[s->nodes.n + 1];
  const json_t *del[s->pods.n + 1];
  const json_t *on[s->pods.n + 1];
  size_t ncreate = 0, ndel = 0;
  for (size_t i = 0; i < s->nodes.n; i++) {
    const json_t *node = s->nodes.items[i]->obj;
    bool run, cont;
    daemon_should_run(s->spec, node, &run, &cont);
    size_t n = pods_on(s, obj_name(node), on);
    if (run && n == 0) {
      create_on[ncreate++] = obj_name(node);
    } else if (cont) {
      size_t running = 0;
      for (size_t k = 0; k < n; k++) {
        if (obj_deleting(on[k])) continue;
        const char *phase = json_path_str(on[k], "status.phase");
        if (phase && !strcmp(phase, "Failed")) del[ndel++] = on[k];
        else if (running++ > 0) del[ndel++] = on[k]; /* keep the oldest */
      }
    } else {
      for (size_t k = 0; k < n; k++)
        if (!obj_deleting(on[k])) del[ndel++] = on[k];
    }
  }
  /* pods whose node is gone (pods without a target node are left alone) */
  for (size_t i = 0; i < s->pods.n; i++) {
    const json_t *p = s->pods.items[i]->obj;
    const char *target = daemon_target_node(p);
    if (!obj_deleting(p) && target && !node_named(s, target)) del[ndel++] = p;
  }
  sync_nodes(s, create_on, ncreate, del, ndel);
}

static long long min_ready(const dsync_t *s) { return json_path_int(s->ds, "spec.minReadySeconds", 0); }

static void rolling_update(dsync_t *s) {
  time_t now = time(NULL);
  long long desired = 0, unavailable = 0, max_unavailable = 0;
  const json_t *on[s->pods.n + 1];
  for (size_t i = 0; i < s->nodes.n; i++) {
    const json_t *node = s->nodes.items[i]->obj;
    bool run, cont;
    daemon_should_run(s->spec, node, &run, &cont);
    if (!run) continue;
    desired++;
    size_t n = pods_on(s, obj_name(node), on);
    bool available = false;
    /* a pod being deleted is on its way out: it does not keep its node available */
    for (size_t k = 0; k < n && !available; k++)
      available = !obj_deleting(on[k]) && pod_is_available(on[k], min_ready(s), now);
    if (!available) unavailable++;
  }
  const json_t *mu = json_path(s->ds, "spec.updateStrategy.rollingUpdate.maxUnavailable");
  if (!mu || !intstr_scaled(mu, desired, true, &max_unavailable)) max_unavailable = 1;
  const json_t *del[s->pods.n + 1];
  size_t ndel = 0;
  for (size_t i = 0; i < s->pods.n; i++) { /* old unavailable pods go first */
    const json_t *p = s->pods.items[i]->obj;
    if (!is_updated(s->ds, p, s->hash) && !obj_deleting(p) && !pod_is_available(p, min_ready(s), now)) del[ndel++] = p;
  }
  for (size_t i = 0; i < s->pods.n && unavailable < max_unavailable; i++) {
    const json_t *p = s->pods.items[i]->obj;
    if (!is_updated(s->ds, p, s->hash) && !obj_deleting(p) && pod_is_available(p, min_ready(s), now)) {
      del[ndel++] = p;
      unavailable++;
    }
  }
  sync_nodes(s, NULL, 0, del, ndel);
}

/* ---- status ---- */

static long write_status(dsync_t *s) {
  time_t now = time(NULL);
  long long desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0, wait = 0;
  const json_t *on[s->pods.n + 1];
  for (size_t i = 0; i < s->nodes.n; i++) {
    const json_t *node = s->nodes.items[i]->obj;
    bool run, cont;
    daemon_should_run(s->spec, node, &run, &cont);
    size_t n = pods_on(s, obj_name(node), on);
    if (run) {
      desired++;
      if (!n) continue;
      current++;
      if (pod_ready(on[0])) ready++;
      if (pod_is_available(on[0], min_ready(s), now)) available++;
      else {
        long long in = pod_available_in(on[0], min_ready(s), now);
        if (in && (!wait || in < wait)) wait = in;
      }
      if (is_updated(s->ds, on[0], s->hash)) updated++;
    } else if (n) {
      misscheduled++;
    }
  }
  json_t *st = json_pack("{s:I,s:I,s:I,s:I}", "currentNumberScheduled", (json_int_t)current, "numberMisscheduled",
                         (json_int_t)misscheduled, "desiredNumberScheduled", (json_int_t)desired, "numberReady",
                         (json_int_t)ready);
  const json_t *gen = json_path(s->ds, "metadata.generation");
  if (gen) json_object_set_new(st, "observedGeneration", json_deep_copy(gen));
  if (updated) json_object_set_new(st, "updatedNumberScheduled", json_integer(updated));
  if (available) json_object_set_new(st, "numberAvailable", json_integer(available));
  if (desired - available > 0) json_object_set_new(st, "numberUnavailable", json_integer(desired - available));
  const json_t *cc = json_path(s->ds, "status.collisionCount");
  if (cc) json_object_set_new(st, "collisionCount", json_deep_copy(cc));
  const json_t *conds = json_path(s->ds, "status.conditions");
  if (conds) json_object_set_new(st, "conditions", json_deep_copy(conds));
  if (!json_equal(st, json_object_get(s->ds, "status"))) {
    json_t *upd = json_deep_copy(s->ds);
    json_object_set_new(upd, "status", st);
    if (write_object(cctx, dsr, upd, true) == 409) s->retry = true;
  } else {
    json_decref(st);
  }
  return wait ? (long)wait * 1000 : -1;
}

static ctrl_result sync_ds(void *ctx, const char *key) {
  const char *slash = strchr(key, '/');
  char ns[300];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  cobj *o = lister_get(cctx->informers, dsr, ns, slash + 1);
  if (!o) {
    expectations_delete(exp, key);
    return ctrl_done();
  }
  dsync_t s = {.ds = json_deep_copy(o->obj)};
  cobj_unref(o);
  snprintf(s.key, sizeof s.key, "%s", key);
  bool needs_sync = expectations_satisfied(exp, key);
  lister_list(cctx->informers, noder, "", &s.nodes);
  label_selector *sel = workload_selector(s.ds, false);
  cobj_vec all = {0}, active = {0};
  list_namespace(cctx, podr, ns, &all);
  if (sel) {
    claim_spec cs = {s.ds, dsr, sel, NULL, NULL};
    claim_objects(cctx, &cs, podr, &all, &s.pods);
  }
  s.spec = json_deep_copy(json_path(s.ds, "spec.template.spec"));
  if (!s.spec) s.spec = json_object();
  add_daemon_tolerations(s.spec);
  construct_history(&s);
  if (needs_sync && !obj_deleting(s.ds) && *s.hash) {
    manage(&s);
    const char *strategy = json_path_str(s.ds, "spec.updateStrategy.type");
    if (!strategy || !strcmp(strategy, "RollingUpdate")) {
      /* the pods just changed: look again once the informer reports them */
      if (expectations_satisfied(exp, key)) rolling_update(&s);
    }
  }
  /* status from the pods as they are now */
  cobj_vec_clear(&s.pods);
  cobj_vec_clear(&all);
  list_namespace(cctx, podr, ns, &all);
  for (size_t i = 0; i < all.n; i++)
    if (!strcmp(controller_uid(all.items[i]->obj) ? controller_uid(all.items[i]->obj) : "", obj_uid(s.ds)))
      cobj_vec_push(&s.pods, cobj_ref(all.items[i]));
  long requeue = write_status(&s); /* ms until minReadySeconds pass, else -1 */
  label_selector_free(sel);
  cobj_vec_clear(&all);
  cobj_vec_clear(&active);
  cobj_vec_clear(&s.pods);
  cobj_vec_clear(&s.nodes);
  json_decref(s.spec);
  json_decref(s.ds);
  if (s.retry) return ctrl_retry();
  return requeue < 0 ? ctrl_done() : ctrl_requeue_after(requeue);
}

void daemonset_controller_start(const ctrl_context *cc) {
  cctx = cc;
  dsr = registry_find("apps", "v1", "daemonsets");
  podr = registry_find("", "v1", "pods");
  noder = registry_find("", "v1", "nodes");
  exp = expectations_new();
  ctl = ctrl_start(cctx, "daemonset-controller", sync_ds, NULL);
  ctrl_follow_resource(ctl, dsr, on_ds, NULL);
  ctrl_follow_resource(ctl, podr, on_pod, NULL);
  ctrl_follow_resource(ctl, noder, on_node, NULL);
}

void daemonset_controller_stop(void) {
  ctrl_stop(ctl);
  expectations_free(exp);
}
