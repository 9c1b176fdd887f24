/* resourcequota.c - the resource quota controller: keeps every
 * ResourceQuota's status.hard (= spec.hard) and status.used (the live usage
 * of its namespace, server/admission_quota.c's quota_used) current. Any
 * object change in a namespace with quotas re-queues that namespace's
 * quotas; on a store several servers share (etcd), where admission charges
 * status.used by compare-and-swap before the object it admitted is written,
 * an object's creation does not (as kube-controller-manager replenishes on
 * deletions and updates only): a recount at that moment would not see the
 * objects still in flight on the other servers and would take their
 * charges back. */
#include "controllers.h"
#include "admission.h"
#include "ctrl.h"
#include "store.h"
#include <stdio.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

static ctrl *c;
static bool shared_store; /* admission charges status.used (see above) */

static void enqueue_namespace(const char *ns) {
  cobj_vec quotas = {0};
  ctrl_list(cctx, "", "v1", "resourcequotas", ns, &quotas);
  for (size_t i = 0; i < quotas.n; i++) ctrl_add(c, informer_key(quotas.items[i]));
  cobj_vec_clear(&quotas);
}

static void on_any(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *ns = obj_ns(obj->obj);
  if (!*ns) return;
  const char *kind = json_string_value(json_object_get(obj->obj, "kind"));
  if (kind && !strcmp(kind, "ResourceQuota")) {
    /* not for a change of status alone: admission charges status.used on a shared store (etcd) before the
     * object it admitted is written, and a recount at that moment would take the charge back */
    if (!prev || !json_equal(json_object_get(obj->obj, "spec"), json_object_get(prev->obj, "spec")) ||
        !json_equal(json_object_get(json_object_get(obj->obj, "spec"), "hard"),
                    json_object_get(json_object_get(obj->obj, "status"), "hard")))
      ctrl_add(c, informer_key(obj));
  } else if ((!kind || strcmp(kind, "Event")) && !(shared_store && type == EV_ADDED)) {
    enqueue_namespace(ns);
  }
}

static ctrl_result sync_quota(void *ctx, const char *key) {
  char ns[256], name[256];
  if (!ctrl_split_key(key, ns, name)) return ctrl_done();
  cobj *cur = ctrl_get(cctx, "", "v1", "resourcequotas", ns, name);
  if (!cur) return ctrl_done();
  const json_t *spec = json_object_get(cur->obj, "spec");
  const json_t *hard = json_object_get(spec, "hard");
  json_t *used = quota_used(cctx->srv, ns, spec, hard, NULL, NULL);
  json_t *status = json_pack("{s:o,s:o}", "hard", hard ? json_deep_copy(hard) : json_object(), "used", used);
  ctrl_result rc = ctrl_done();
  if (!json_equal(status, json_object_get(cur->obj, "status"))) {
    json_t *q = json_deep_copy(cur->obj);
    json_object_set(q, "status", status);
    if (ctrl_update(cctx, "", "v1", "resourcequotas", ns, "status", q) >= 300) rc = ctrl_retry();
  }
  json_decref(status);
  cobj_unref(cur);
  return rc;
}

void resourcequota_controller_start(const ctrl_context *cc) {
  cctx = cc;
  store *st = cache_store(cctx->srv->cache);
  shared_store = st && st->get_raw;
  c = ctrl_start(cctx, "resourcequota-controller", sync_quota, NULL);
  ctrl_follow_resource(c, NULL, on_any, c);
}

void resourcequota_controller_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
