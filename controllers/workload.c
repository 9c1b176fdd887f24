/* workload.c - helpers shared by the workload controllers (see workload.h).
 * Pod readiness and availability follow k8s.io/kubernetes/pkg/api/v1/pod;
 * adoption and release follow pkg/controller's ControllerRefManager: a
 * strategic merge patch adds or removes one ownerReference (merge key uid),
 * with the object's uid as a precondition. */
#include "workload.h"
#include "conditions.h"
#include "events.h"
#include "log.h"
#include "timestamp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *jobj(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_object(v)) {
    v = json_object();
    json_object_set_new(obj, key, v);
  }
  return v;
}

int cmp_creation(const json_t *a, const json_t *b) {
  time_t ta = rfc3339_seconds(json_path_str(a, "metadata.creationTimestamp"));
  time_t tb = rfc3339_seconds(json_path_str(b, "metadata.creationTimestamp"));
  if (ta != tb) return ta < tb ? -1 : 1;
  const char *na = obj_name(a), *nb = obj_name(b);
  return strcmp(na ? na : "", nb ? nb : "");
}

/* ---- pods ---- */

time_t pod_ready_since(const json_t *pod) {
  if (!pod_ready(pod)) return 0;
  long long t = rfc3339_seconds(json_path_str(cond_get(json_object_get(pod, "status"), "Ready"), "lastTransitionTime"));
  return t < 0 ? 0 : (time_t)t;
}

bool pod_is_available(const json_t *pod, long long min_ready, time_t now) {
  if (!pod_ready(pod)) return false;
  if (min_ready == 0) return true;
  time_t since = pod_ready_since(pod);
  return since && since + min_ready <= now;
}

long long pod_available_in(const json_t *pod, long long min_ready, time_t now) {
  if (!pod_ready(pod) || min_ready == 0) return 0;
  time_t since = pod_ready_since(pod);
  return since + min_ready > now ? since + min_ready - now : 0;
}

bool pod_is_active(const json_t *pod) {
  const char *phase = json_path_str(pod, "status.phase");
  if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) return false;
  return !obj_deleting(pod);
}

/* ---- ownership ---- */

const json_t *controller_of(const json_t *obj) {
  size_t i;
  json_t *ref;
  json_array_foreach(json_path(obj, "metadata.ownerReferences"), i, ref) {
    if (json_is_true(json_object_get(ref, "controller"))) return ref;
  }
  return NULL;
}

label_selector *workload_selector(const json_t *owner, bool map_selector) {
  char err[256];
  const json_t *sel = json_path(owner, "spec.selector");
  if (!map_selector) return label_selector_from_json(sel, err, sizeof err);
  if (!json_object_size(sel)) return NULL; /* an RC without selector matches nothing */
  json_t *ls = json_pack("{s:O}", "matchLabels", sel);
  label_selector *s = label_selector_from_json(ls, err, sizeof err);
  json_decref(ls);
  return s;
}

void list_namespace(const ctrl_context *cctx, const resource *r, const char *ns, cobj_vec *out) {
  lister_list(cctx->informers, r, ns, out);
}

/* Adds ref (merge key uid), or removes the one it names ({"$patch":"delete"});
 * removing the last one drops the field, as omitempty does in Kubernetes. */
static int patch_owner_refs(const ctrl_context *cctx, const resource *r, const json_t *obj, json_t *ref) {
  bool last = json_object_get(ref, "$patch") && json_array_size(json_path(obj, "metadata.ownerReferences")) == 1;
  json_t *refs = last ? json_null() : json_pack("[o]", ref);
  if (last) json_decref(ref);
  json_t *patch = json_pack("{s:{s:o,s:s}}", "metadata", "ownerReferences", refs, "uid", obj_uid(obj));
  char *body = json_dumps(patch, JSON_COMPACT);
  json_decref(patch);
  api_opts o = {0};
  api_result res = api_patch(cctx->srv, r, obj_ns(obj), obj_name(obj), NULL, "application/strategic-merge-patch+json",
                             body, strlen(body), &o);
  int code = res.code;
  api_result_clear(&res);
  free(body);
  return code;
}

/* RecheckDeletionTimestamp: a fresh read of the owner before adopting. */
static bool can_adopt(const ctrl_context *cctx, const claim_spec *cs) {
  cobj *fresh = lister_get_latest(cctx->informers, cs->owner_resource, obj_ns(cs->owner), obj_name(cs->owner));
  bool ok = fresh && !strcmp(obj_uid(fresh->obj) ? obj_uid(fresh->obj) : "", obj_uid(cs->owner)) &&
            !obj_deleting(fresh->obj);
  cobj_unref(fresh);
  return ok;
}

void claim_objects(const ctrl_context *cctx, const claim_spec *cs, const resource *r, const cobj_vec *items,
                   cobj_vec *out) {
  const char *uid = obj_uid(cs->owner);
  int adopt_ok = -1; /* checked once, lazily */
  for (size_t i = 0; i < items->n; i++) {
    cobj *it = items->items[i];
    const json_t *o = it->obj;
    bool match = label_selector_matches(cs->selector, json_path(o, "metadata.labels")) &&
                 (!cs->filter || cs->filter(o, cs->filter_ctx));
    const json_t *ref = controller_of(o);
    if (ref) {
      const char *ruid = json_path_str(ref, "uid");
      if (!ruid || strcmp(ruid, uid)) continue; /* someone else's */
      if (match) {
        cobj_vec_push(out, cobj_ref(it));
        continue;
      }
      if (obj_deleting(cs->owner)) continue;
      json_t *del = json_pack("{s:s,s:s}", "$patch", "delete", "uid", uid);
      int code = patch_owner_refs(cctx, r, o, del);
      if (code >= 300 && code != 404) LOGW("releasing %s/%s: code %d", obj_ns(o), obj_name(o), code);
      continue;
    }
    if (!match || obj_deleting(cs->owner) || obj_deleting(o)) continue;
    if (adopt_ok < 0) adopt_ok = can_adopt(cctx, cs);
    if (!adopt_ok) continue;
    int code = patch_owner_refs(cctx, r, o, controller_ref(cs->owner));
    if (code < 300) {
      cobj *now = lister_get(cctx->informers, r, obj_ns(o), obj_name(o));
      if (now) cobj_vec_push(out, now);
    }
  }
}

/* ---- pods from templates ---- */

json_t *pod_from_template(const json_t *tmpl, const json_t *owner) {
  json_t *md = json_object();
  static const char *const copied[] = {"labels", "annotations", "finalizers"};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = json_path(tmpl, "metadata") ? json_object_get(json_path(tmpl, "metadata"), copied[i]) : NULL;
    if (json_object_size(v) || json_array_size(v)) json_object_set_new(md, copied[i], json_deep_copy(v));
  }
  json_object_set_new(md, "ownerReferences", json_pack("[o]", controller_ref(owner)));
  json_t *spec = json_object_get(tmpl, "spec");
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", md, "spec",
                   spec ? json_deep_copy(spec) : json_object());
}

static const resource *pods_resource(void) { return registry_find("", "v1", "pods"); }

static void status_message(const api_result *res, char *buf, size_t len) {
  json_t *body = api_result_json(res);
  const char *m = json_path_str(body, "message");
  snprintf(buf, len, "%s", m ? m : "unknown error");
  json_decref(body);
}

int create_pod_event(const ctrl_context *cctx, const json_t *owner, const char *component, const char *ns, json_t *pod,
                     char *err, size_t errlen) {
  api_opts o = {0};
  api_result res = api_create(cctx->srv, pods_resource(), ns, pod, &o);
  int code = res.code;
  if (code < 300) {
    json_t *made = api_result_json(&res);
    event_record(cctx, owner, component, "Normal", "SuccessfulCreate", "Created pod: %s", obj_name(made));
    json_decref(made);
  } else {
    char msg[700];
    status_message(&res, msg, sizeof msg);
    event_record(cctx, owner, component, "Warning", "FailedCreate", "Error creating: %s", msg);
    if (err) snprintf(err, errlen, "%s", msg);
  }
  api_result_clear(&res);
  return code;
}

int delete_pod_event(const ctrl_context *cctx, const json_t *owner, const char *component, const json_t *pod,
                     bool force) {
  api_opts o = {0};
  json_t *opts = force ? json_pack("{s:i}", "gracePeriodSeconds", 0) : NULL;
  api_result res = api_delete(cctx->srv, pods_resource(), obj_ns(pod), obj_name(pod), opts, &o);
  json_decref(opts);
  int code = res.code;
  if (code < 300) {
    event_record(cctx, owner, component, "Normal", "SuccessfulDelete", "Deleted pod: %s", obj_name(pod));
  } else if (code != 404) {
    char msg[700];
    status_message(&res, msg, sizeof msg);
    event_record(cctx, owner, component, "Warning", "FailedDelete", "Error deleting: %s", msg);
  }
  api_result_clear(&res);
  return code;
}

json_t *update_object(const ctrl_context *cctx, const resource *r, const json_t *obj, bool status, int *code) {
  /* the API core takes its argument: keep our own copies of the names */
  char *ns = strdup(obj_ns(obj)), *name = strdup(obj_name(obj) ? obj_name(obj) : "");
  api_opts o = {0};
  api_result res = api_update(cctx->srv, r, ns, name, status ? "status" : NULL, json_deep_copy(obj), &o);
  *code = res.code;
  json_t *out = NULL;
  if (res.code < 300) {
    out = api_result_json(&res);
  } else if (res.code != 409 && res.code != 404) {
    char msg[700];
    status_message(&res, msg, sizeof msg);
    LOGW("writing %s %s/%s: %d %s", r->ref.kind, ns, name, res.code, msg);
  }
  api_result_clear(&res);
  free(ns);
  free(name);
  return out;
}

int write_object(const ctrl_context *cctx, const resource *r, json_t *obj, bool status) {
  int code;
  json_decref(update_object(cctx, r, obj, status, &code));
  json_decref(obj);
  return code;
}
