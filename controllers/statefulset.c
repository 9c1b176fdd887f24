/* statefulset.c - the StatefulSet controller (pkg/controller/statefulset):
 * pods <set>-<ordinal> with a stable identity (hostname, subdomain from
 * serviceName, statefulset.kubernetes.io/pod-name label) and their
 * PersistentVolumeClaims <template>-<set>-<ordinal> from
 * volumeClaimTemplates, which outlive the pods. OrderedReady creates one
 * pod at a time, each Running and Ready before the next, and removes from
 * the highest ordinal; Parallel does not wait. Template changes become
 * ControllerRevisions (history.c); RollingUpdate replaces pods from the
 * highest ordinal down to the partition, one at a time; OnDelete waits for
 * the user to delete them. */
#include "controllers.h"
#include "events.h"
#include "history.h"
#include "informer.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "statefulset-controller"
#define REVISION_LABEL "controller-revision-hash"
#define POD_NAME_LABEL "statefulset.kubernetes.io/pod-name"

static const resource *stsr, *podr, *pvcr;
static ctrl *ctl;

static void on_set(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  ctrl_add(ctl, informer_key(obj));
}

static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const json_t *ref = controller_of(obj->obj);
  const char *kind = json_path_str(ref, "kind");
  if (!ref || !kind || strcmp(kind, "StatefulSet")) {
    if (type == EV_ADDED && !ref) {
      /* an orphan: a set whose selector matches may adopt it */
      cobj_vec sets = {0};
      list_namespace(cctx, stsr, obj_ns(obj->obj), &sets);
      for (size_t i = 0; i < sets.n; i++) ctrl_add(ctl, informer_key(sets.items[i]));
      cobj_vec_clear(&sets);
    }
    return;
  }
  char key[600];
  snprintf(key, sizeof key, "%s/%s", obj_ns(obj->obj), json_path_str(ref, "name"));
  ctrl_add(ctl, key);
}

/* ---- pods ---- */

/* The ordinal of a pod named <set>-<n>, or -1 when it is not the set's. */
static int ordinal_of(const json_t *set, const json_t *pod) {
  const char *sn = obj_name(set), *pn = obj_name(pod);
  size_t l = strlen(sn);
  if (!pn || strncmp(pn, sn, l) || pn[l] != '-' || !pn[l + 1]) return -1;
  char *end;
  long n = strtol(pn + l + 1, &end, 10);
  return *end || n < 0 ? -1 : (int)n;
}

static bool is_member(const json_t *pod, void *set) { return ordinal_of(set, pod) >= 0; }

static bool running_and_ready(const json_t *pod) {
  const char *phase = json_path_str(pod, "status.phase");
  return phase && !strcmp(phase, "Running") && pod_ready(pod);
}
static bool is_failed(const json_t *pod) {
  const char *phase = json_path_str(pod, "status.phase");
  return phase && !strcmp(phase, "Failed");
}
static bool is_healthy(const json_t *pod) { return running_and_ready(pod) && !obj_deleting(pod); }
static const char *pod_revision(const json_t *pod) { return obj_label(pod, REVISION_LABEL); }

static void pod_event(const json_t *set, const char *verb, const char *pod_name, int code, const char *err) {
  char reason[32];
  snprintf(reason, sizeof reason, "%s%c%s", code < 300 ? "Successful" : "Failed", verb[0] - 32, verb + 1);
  if (code < 300)
    event_record(cctx, set, COMPONENT, "Normal", reason, "%s Pod %s in StatefulSet %s successful", verb, pod_name,
                 obj_name(set));
  else
    event_record(cctx, set, COMPONENT, "Warning", reason, "%s Pod %s in StatefulSet %s failed error: %s", verb,
                 pod_name, obj_name(set), err);
}

static void result_message(api_result *res, char *buf, size_t len) {
  json_t *b = api_result_json(res);
  snprintf(buf, len, "%s", json_path_str(b, "message") ? json_path_str(b, "message") : "unknown error");
  json_decref(b);
}

/* createPersistentVolumeClaims: the claims a pod needs, created if missing. */
static bool create_claims(const json_t *set, const char *pod_name) {
  size_t i;
  json_t *t;
  bool ok = true;
  json_array_foreach(json_path(set, "spec.volumeClaimTemplates"), i, t) {
    char name[600];
    snprintf(name, sizeof name, "%s-%s", obj_name(t), pod_name);
    cobj *have = lister_get(cctx->informers, pvcr, obj_ns(set), name);
    if (have) {
      if (obj_deleting(have->obj)) ok = false;
      cobj_unref(have);
      continue;
    }
    json_t *md = json_object();
    json_t *labels = json_deep_copy(json_path(t, "metadata.labels"));
    if (!labels) labels = json_object();
    json_t *selected = json_deep_copy(json_path(set, "spec.selector.matchLabels"));
    if (selected) json_object_update(labels, selected);
    json_decref(selected);
    json_object_set_new(md, "name", json_string(name));
    json_object_set_new(md, "namespace", json_string(obj_ns(set)));
    if (json_object_size(labels)) json_object_set_new(md, "labels", labels);
    else json_decref(labels);
    const json_t *ann = json_path(t, "metadata.annotations");
    if (ann) json_object_set_new(md, "annotations", json_deep_copy(ann));
    const json_t *spec = json_path(t, "spec");
    json_t *claim = json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "PersistentVolumeClaim", "metadata", md,
                              "spec", spec ? json_deep_copy(spec) : json_object());
    api_opts o = {0};
    api_result res = api_create(cctx->srv, pvcr, obj_ns(set), claim, &o);
    if (res.code < 300) {
      event_record(cctx, set, COMPONENT, "Normal", "SuccessfulCreate",
                   "create Claim %s Pod %s in StatefulSet %s success", name, pod_name, obj_name(set));
    } else if (res.code != 409) {
      char msg[600];
      result_message(&res, msg, sizeof msg);
      event_record(cctx, set, COMPONENT, "Warning", "FailedCreate",
                   "create Claim %s for Pod %s in StatefulSet %s failed error: %s", name, pod_name, obj_name(set), msg);
      ok = false;
    }
    api_result_clear(&res);
  }
  return ok;
}

/* newStatefulSetPod from the template of a revision, with identity and storage. */
static json_t *new_pod(const json_t *set, const json_t *rev, int ordinal) {
  json_t *tmpl = json_deep_copy(history_template(rev));
  json_object_del(tmpl, "$patch");
  json_t *pod = pod_from_template(tmpl, set);
  json_decref(tmpl);
  char name[400];
  snprintf(name, sizeof name, "%s-%d", obj_name(set), ordinal);
  json_t *md = jobj(pod, "metadata");
  json_object_set_new(md, "name", json_string(name));
  json_t *labels = jobj(md, "labels");
  json_object_set_new(labels, POD_NAME_LABEL, json_string(name));
  json_object_set_new(labels, REVISION_LABEL, json_string(obj_name(rev)));
  json_t *spec = jobj(pod, "spec");
  json_object_set_new(spec, "hostname", json_string(name));
  const char *svc = json_path_str(set, "spec.serviceName");
  if (svc && *svc) json_object_set_new(spec, "subdomain", json_string(svc));
  /* updateStorage: each claim template becomes (or replaces) a volume */
  size_t i;
  json_t *t;
  json_array_foreach(json_path(set, "spec.volumeClaimTemplates"), i, t) {
    json_t *vols = json_object_get(spec, "volumes");
    if (!vols) json_object_set_new(spec, "volumes", vols = json_array());
    for (size_t k = 0; k < json_array_size(vols); k++)
      if (!strcmp(json_path_str(json_array_get(vols, k), "name") ? json_path_str(json_array_get(vols, k), "name") : "", obj_name(t))) {
        json_array_remove(vols, k);
        break;
      }
    char claim[600];
    snprintf(claim, sizeof claim, "%s-%s", obj_name(t), name);
    json_array_append_new(vols, json_pack("{s:s,s:{s:s}}", "name", obj_name(t), "persistentVolumeClaim", "claimName",
                                          claim));
  }
  return pod;
}

static int create_pod(const json_t *set, json_t *pod) {
  char name[400];
  snprintf(name, sizeof name, "%s", obj_name(pod));
  if (!create_claims(set, name)) {
    json_decref(pod);
    return 500;
  }
  api_opts o = {0};
  api_result res = api_create(cctx->srv, podr, obj_ns(set), pod, &o);
  char msg[600] = "";
  if (res.code >= 300) result_message(&res, msg, sizeof msg);
  pod_event(set, "create", name, res.code, msg);
  int code = res.code;
  api_result_clear(&res);
  return code;
}

static void delete_pod(const json_t *set, const json_t *pod) {
  api_opts o = {0};
  api_result res = api_delete(cctx->srv, podr, obj_ns(pod), obj_name(pod), NULL, &o);
  char msg[600] = "";
  if (res.code >= 300) result_message(&res, msg, sizeof msg);
  if (res.code != 404) pod_event(set, "delete", obj_name(pod), res.code, msg);
  api_result_clear(&res);
}

/* ---- revisions ---- */

typedef struct {
  json_t *set;      /* latest StatefulSet (owned) */
  cobj_vec revs;    /* its ControllerRevisions */
  const json_t *current; /* borrowed from revs or owned below */
  const json_t *update;
  json_t *owned[2]; /* revisions created or renumbered in this sync */
  long long collision_count;
  bool retry;
} ssync;

static void sync_revisions(ssync *s) {
  history_owner h = {s->set, stsr};
  history_list(cctx, &h, &s->revs);
  s->collision_count = json_path_int(s->set, "status.collisionCount", 0);
  json_t *data = history_data(s->set);
  long long next = history_max_number(&s->revs) + 1;
  const json_t *equal = NULL;
  for (size_t i = 0; i < s->revs.n; i++)
    if (history_matches(s->revs.items[i]->obj, data)) equal = s->revs.items[i]->obj;
  if (equal && s->revs.n && equal == s->revs.items[s->revs.n - 1]->obj) {
    s->update = equal;
  } else if (equal) {
    s->update = s->owned[0] = history_renumber(cctx, equal, next);
  } else {
    char hash[16];
    json_t *cc = json_integer(s->collision_count);
    history_hash(data, cc, hash, sizeof hash);
    json_decref(cc);
    bool collision;
    s->update = s->owned[0] =
        history_create(cctx, &h, hash, "controller.kubernetes.io/hash", hash, data, next, false, &collision);
    if (collision) s->collision_count++;
  }
  json_decref(data);
  if (!s->update) {
    s->retry = true;
    return;
  }
  const char *cur = json_path_str(s->set, "status.currentRevision");
  s->current = s->update;
  for (size_t i = 0; cur && i < s->revs.n; i++)
    if (!strcmp(obj_name(s->revs.items[i]->obj), cur)) s->current = s->revs.items[i]->obj;
}

/* ---- the update ---- */

typedef struct {
  long long replicas, ready, current, updated;
} counts;

static void count_pod(counts *c, const json_t *pod, const ssync *s) {
  c->replicas++;
  if (running_and_ready(pod)) c->ready++;
  if (obj_deleting(pod)) return;
  const char *rev = pod_revision(pod);
  if (rev && !strcmp(rev, obj_name(s->current))) c->current++;
  if (rev && !strcmp(rev, obj_name(s->update))) c->updated++;
}

static long long partition_of(const json_t *set) {
  const char *t = json_path_str(set, "spec.updateStrategy.type");
  if (!t || strcmp(t, "RollingUpdate")) return 0;
  return json_path_int(set, "spec.updateStrategy.rollingUpdate.partition", 0);
}

static bool rolling(const json_t *set) {
  const char *t = json_path_str(set, "spec.updateStrategy.type");
  return !t || !strcmp(t, "RollingUpdate");
}

/* Creates, deletes and replaces pods; counts what exists for status. */
static void update_pods(ssync *s, cobj_vec *own, counts *c) {
  const json_t *set = s->set;
  int want = (int)json_path_int(set, "spec.replicas", 1);
  const json_t **slots = calloc((size_t)want + 1, sizeof *slots);
  const json_t *condemned[own->n + 1];
  size_t ncond = 0;
  for (size_t i = 0; i < own->n; i++) {
    const json_t *p = own->items[i]->obj;
    int ord = ordinal_of(set, p);
    count_pod(c, p, s);
    if (ord < want) slots[ord] = p;
    else condemned[ncond++] = p;
  }
  /* highest ordinal first */
  for (size_t i = 0; i + 1 < ncond; i++)
    for (size_t k = i + 1; k < ncond; k++)
      if (ordinal_of(set, condemned[k]) > ordinal_of(set, condemned[i])) {
        const json_t *t = condemned[i];
        condemned[i] = condemned[k];
        condemned[k] = t;
      }
  const json_t *first_unhealthy = NULL;
  for (int i = 0; i < want && !first_unhealthy; i++)
    if (slots[i] && !is_healthy(slots[i])) first_unhealthy = slots[i];
  for (size_t i = ncond; i-- > 0 && !first_unhealthy;)
    if (!is_healthy(condemned[i])) first_unhealthy = condemned[i];
  if (obj_deleting(set)) goto out;
  const char *policy = json_path_str(set, "spec.podManagementPolicy");
  bool monotonic = !policy || strcmp(policy, "Parallel");
  long long partition = partition_of(set);
  for (int i = 0; i < want; i++) {
    const json_t *p = slots[i];
    if (p && is_failed(p)) {
      delete_pod(set, p);
      p = slots[i] = NULL;
      if (monotonic) goto out;
    }
    if (!p) {
      bool old = rolling(set) && i < partition;
      json_t *pod = new_pod(set, old ? s->current : s->update, i);
      int code = create_pod(set, pod);
      if (code >= 300) {
        s->retry = true;
        goto out;
      }
      const json_t *rev = old ? s->current : s->update;
      c->replicas++;
      if (!strcmp(obj_name(rev), obj_name(s->current))) c->current++;
      if (!strcmp(obj_name(rev), obj_name(s->update))) c->updated++;
      if (monotonic) goto out;
      continue;
    }
    if (obj_deleting(p) && monotonic) goto out;
    if (!running_and_ready(p) && monotonic) goto out;
  }
  for (size_t i = 0; i < ncond; i++) {
    const json_t *p = condemned[i];
    if (obj_deleting(p)) {
      if (monotonic) goto out;
      continue;
    }
    if (!running_and_ready(p) && monotonic && p != first_unhealthy) goto out;
    delete_pod(set, p);
    if (monotonic) goto out;
  }
  if (!rolling(set)) goto out;
  for (int t = want - 1; t >= partition && t >= 0; t--) {
    const json_t *p = slots[t];
    if (!p) continue;
    const char *rev = pod_revision(p);
    if ((!rev || strcmp(rev, obj_name(s->update))) && !obj_deleting(p)) {
      delete_pod(set, p);
      goto out;
    }
    if (!is_healthy(p)) goto out;
  }
out:
  free(slots);
}

static void write_status(ssync *s, const counts *c) {
  json_t *st = json_object();
  const json_t *gen = json_path(s->set, "metadata.generation");
  if (gen) json_object_set_new(st, "observedGeneration", json_deep_copy(gen));
  json_object_set_new(st, "replicas", json_integer(c->replicas));
  if (c->ready) json_object_set_new(st, "readyReplicas", json_integer(c->ready));
  long long current = c->current, updated = c->updated;
  const char *cur_name = obj_name(s->current), *upd_name = obj_name(s->update);
  /* completeRollingUpdate */
  if (rolling(s->set) && updated == json_path_int(s->set, "spec.replicas", 1) && c->ready == updated && c->replicas == updated) {
    cur_name = upd_name;
    current = updated;
  }
  if (current) json_object_set_new(st, "currentReplicas", json_integer(current));
  if (updated) json_object_set_new(st, "updatedReplicas", json_integer(updated));
  json_object_set_new(st, "currentRevision", json_string(cur_name));
  json_object_set_new(st, "updateRevision", json_string(upd_name));
  json_object_set_new(st, "collisionCount", json_integer(s->collision_count));
  const json_t *conds = json_path(s->set, "status.conditions");
  if (conds) json_object_set_new(st, "conditions", json_deep_copy(conds));
  if (json_equal(st, json_object_get(s->set, "status"))) {
    json_decref(st);
    return;
  }
  json_t *upd = json_deep_copy(s->set);
  json_object_set_new(upd, "status", st);
  if (write_object(cctx, stsr, upd, true) == 409) s->retry = true;
}

static void truncate_history(ssync *s, const cobj_vec *own) {
  size_t n = 0;
  const char *keep[own->n + 3];
  keep[n++] = obj_name(s->current);
  keep[n++] = obj_name(s->update);
  for (size_t i = 0; i < own->n; i++) keep[n++] = pod_revision(own->items[i]->obj);
  cobj_vec fresh = {0};
  history_owner h = {s->set, stsr};
  history_list(cctx, &h, &fresh);
  history_truncate(cctx, &fresh, keep, n, json_path_int(s->set, "spec.revisionHistoryLimit", 10));
  cobj_vec_clear(&fresh);
}

static ctrl_result sync_set(void *ctx, const char *key) {
  const char *slash = strchr(key, '/');
  char ns[300];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  cobj *o = lister_get(cctx->informers, stsr, ns, slash + 1);
  if (!o) return ctrl_done();
  ssync s = {.set = json_deep_copy(o->obj)};
  cobj_unref(o);
  label_selector *sel = workload_selector(s.set, false);
  cobj_vec all = {0}, own = {0};
  list_namespace(cctx, podr, ns, &all);
  if (sel) {
    claim_spec cs = {s.set, stsr, sel, is_member, s.set};
    claim_objects(cctx, &cs, podr, &all, &own);
  }
  sync_revisions(&s);
  if (s.update) {
    counts c = {0};
    update_pods(&s, &own, &c);
    write_status(&s, &c);
    truncate_history(&s, &own);
  } else if (s.collision_count != json_path_int(s.set, "status.collisionCount", 0)) {
    json_t *upd = json_deep_copy(s.set);
    json_object_set_new(jobj(upd, "status"), "collisionCount", json_integer(s.collision_count));
    write_object(cctx, stsr, upd, true);
  }
  label_selector_free(sel);
  cobj_vec_clear(&all);
  cobj_vec_clear(&own);
  cobj_vec_clear(&s.revs);
  json_decref(s.owned[0]);
  json_decref(s.set);
  return s.retry ? ctrl_retry() : ctrl_done();
}

void statefulset_controller_start(const ctrl_context *cc) {
  cctx = cc;
  stsr = registry_find("apps", "v1", "statefulsets");
  podr = registry_find("", "v1", "pods");
  pvcr = registry_find("", "v1", "persistentvolumeclaims");
  ctl = ctrl_start(cctx, "statefulset-controller", sync_set, NULL);
  ctrl_follow_resource(ctl, stsr, on_set, NULL);
  ctrl_follow_resource(ctl, podr, on_pod, NULL);
}

void statefulset_controller_stop(void) {
  ctrl_stop(ctl);
}
