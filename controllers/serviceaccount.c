/* serviceaccount.c - the ServiceAccounts controller: every active namespace
 * has a ServiceAccount named "default" (re-created if deleted), as
 * kube-controller-manager's serviceaccount controller guarantees. */
#include "controllers.h"
#include "api.h"
#include "ctrl.h"
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

static ctrl *ctl;
static const resource *nsr, *sar;

static void on_namespace(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED) ctrl_add(ctl, informer_key(obj));
}

static void on_serviceaccount(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED) return;
  const char *name = obj_name(obj->obj), *ns = obj_ns(obj->obj);
  if (name && *ns && !strcmp(name, "default")) ctrl_add(ctl, ns);
}

/* Key: a namespace's name. */
static ctrl_result sync_namespace(void *ctx, const char *key) {
  cobj *ns = lister_get(cctx->informers, nsr, "", key);
  bool active = ns && !obj_deleting(ns->obj);
  cobj_unref(ns);
  cobj *sa = active ? lister_get(cctx->informers, sar, key, "default") : NULL;
  ctrl_result res = ctrl_done();
  if (active && !sa) {
    api_opts o = {0};
    api_result r = api_create(cctx->srv, sar, key, json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind",
                                                   "ServiceAccount", "metadata", "name", "default"),
                              &o);
    if (r.code >= 300 && r.code != 409) res = ctrl_retry();
    api_result_clear(&r);
  }
  cobj_unref(sa);
  return res;
}

void serviceaccount_controller_start(const ctrl_context *cc) {
  cctx = cc;
  nsr = registry_find("", "v1", "namespaces");
  sar = registry_find("", "v1", "serviceaccounts");
  ctl = ctrl_start(cctx, "serviceaccount-controller", sync_namespace, NULL);
  ctrl_follow_resource(ctl, nsr, on_namespace, NULL);
  ctrl_follow_resource(ctl, sar, on_serviceaccount, NULL);
}

void serviceaccount_controller_stop(void) { ctrl_stop(ctl); }
