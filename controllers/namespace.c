/* namespace.c - the namespace lifecycle controller: when a namespace is
 * marked for deletion (phase Terminating), delete every namespaced object in
 * it, wait until all are gone (finalizers and graceful pod deletion may take
 * time: the key is re-queued), then remove the "kubernetes" finalizer through
 * namespaces/finalize so the namespace itself disappears. */
#include "controllers.h"
#include "api.h"
#include "ctrl.h"
#include "log.h"
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define RECHECK_MS 500 /* objects still going: look again */

static ctrl *ctl;
static const resource *nsr;

static void on_event(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) return;
  if (obj_deleting(obj->obj)) ctrl_add(ctl, informer_key(obj));
}

/* Deletes what is left in ns; returns how many objects still exist. */
static size_t empty_namespace(const char *ns) {
  size_t left = 0;
  json_t *opts = json_pack("{s:s}", "propagationPolicy", "Background");
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (!r->ref.namespaced || registry_storage_resource(r) != r || !(r->verbs & VERB_DELETE)) continue;
    cobj_vec items = {0};
    lister_list(cctx->informers, r, ns, &items);
    for (size_t k = 0; k < items.n; k++) {
      const json_t *md = json_object_get(items.items[k]->obj, "metadata");
      left++;
      if (json_object_get(md, "deletionTimestamp")) continue;
      api_opts o = {0};
      api_result res = api_delete(cctx->srv, r, ns, json_string_value(json_object_get(md, "name")), opts, &o);
      api_result_clear(&res);
    }
    cobj_vec_clear(&items);
  }
  json_decref(opts);
  return left;
}

/* Removes the "kubernetes" finalizer; false when the write failed. */
static bool finalize(const resource *nsr, const cobj *cur, const char *name) {
  json_t *obj = json_deep_copy(cur->obj);
  json_t *spec = json_object_get(obj, "spec");
  json_t *kept = json_array();
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(spec, "finalizers"), i, f) {
    if (!json_is_string(f) || strcmp(json_string_value(f), "kubernetes") != 0) json_array_append(kept, f);
  }
  if (json_is_object(spec)) json_object_set_new(spec, "finalizers", kept);
  else json_decref(kept);
  api_opts o = {0};
  api_result res = api_update(cctx->srv, nsr, "", name, "finalize", obj, &o);
  bool ok = res.code < 300 || res.code == 404;
  if (!ok) LOGW("finalizing namespace %s failed with %d", name, res.code);
  api_result_clear(&res);
  return ok;
}

/* A Terminating namespace: empty it, then finalize it. */
static ctrl_result sync_namespace(void *ctx, const char *name) {
  cobj *cur = lister_get(cctx->informers, nsr, "", name);
  ctrl_result res = ctrl_done();
  if (cur && obj_deleting(cur->obj)) {
    if (empty_namespace(name)) res = ctrl_requeue_after(RECHECK_MS);
    else if (!finalize(nsr, cur, name)) res = ctrl_retry();
  }
  cobj_unref(cur);
  return res;
}

void namespace_controller_start(const ctrl_context *cc) {
  cctx = cc;
  nsr = registry_find("", "v1", "namespaces");
  ctl = ctrl_start(cctx, "namespace-controller", sync_namespace, NULL);
  ctrl_follow_resource(ctl, nsr, on_event, NULL);
}

void namespace_controller_stop(void) { ctrl_stop(ctl); }
