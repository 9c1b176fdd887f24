/* volume_protection.c - 1.20's pvc-protection and pv-protection
 * controllers: the StorageObjectInUseProtection admission plugin puts the
 * kubernetes.io/pvc-protection finalizer on every claim and
 * kubernetes.io/pv-protection on every volume; a claim being deleted keeps
 * its finalizer while a scheduled pod of its namespace mounts it, a volume
 * while it is Bound. Then the finalizer goes and the object with it. */
#include "controllers.h"
#include "pod_util.h"
#include "finalizers.h"
#include <stdio.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define PVC_FINALIZER "kubernetes.io/pvc-protection"
#define PV_FINALIZER "kubernetes.io/pv-protection"

static ctrl *c;

static void on_claim(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED || !obj_deleting(obj->obj) || !finalizers_has(obj->obj, PVC_FINALIZER)) return;
  char key[600];
  snprintf(key, sizeof key, "claim|%s", informer_key(obj));
  ctrl_add(c, key);
}

static void on_volume(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED || !obj_deleting(obj->obj) || !finalizers_has(obj->obj, PV_FINALIZER)) return;
  char key[600];
  snprintf(key, sizeof key, "volume|%s", obj_name(obj->obj));
  ctrl_add(c, key);
}

/* A pod going away may free a claim being deleted. */
static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED && !obj_deleting(obj->obj)) return;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(json_object_get(obj->obj, "spec"), "volumes"), i, v) {
    const char *claim = json_string_value(json_object_get(json_object_get(v, "persistentVolumeClaim"), "claimName"));
    if (!claim) continue;
    char key[600];
    snprintf(key, sizeof key, "claim|%s/%s", obj_ns(obj->obj), claim);
    ctrl_add(c, key);
  }
}

static bool claim_in_use(const char *ns, const char *name) {
  cobj_vec pods = {0};
  ctrl_list(cctx, "", "v1", "pods", ns, &pods);
  bool used = false;
  for (size_t i = 0; i < pods.n && !used; i++) {
    const json_t *spec = json_object_get(pods.items[i]->obj, "spec");
    const char *node = json_string_value(json_object_get(spec, "nodeName"));
    if (!node || !*node) continue; /* kubelets only start scheduled pods */
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(spec, "volumes"), k, v) {
      const char *cn = json_string_value(json_object_get(json_object_get(v, "persistentVolumeClaim"), "claimName"));
      if (cn && !strcmp(cn, name)) used = true;
    }
  }
  cobj_vec_clear(&pods);
  return used;
}

static int drop_finalizer(const char *plural, const char *ns, const json_t *o, const char *f) {
  json_t *copy = json_deep_copy(o);
  finalizers_remove(copy, f);
  return ctrl_update(cctx, "", "v1", plural, ns, NULL, copy);
}

static ctrl_result sync(void *ctx, const char *key) {
  ctrl_result rc = ctrl_done();
  if (!strncmp(key, "volume|", 7)) {
    cobj *v = ctrl_get(cctx, "", "v1", "persistentvolumes", "", key + 7);
    const char *phase = v ? json_string_value(json_object_get(json_object_get(v->obj, "status"), "phase")) : NULL;
    if (v && obj_deleting(v->obj) && finalizers_has(v->obj, PV_FINALIZER) && !(phase && !strcmp(phase, "Bound")))
      rc = drop_finalizer("persistentvolumes", "", v->obj, PV_FINALIZER) >= 300 ? ctrl_retry() : ctrl_done();
    cobj_unref(v);
    return rc;
  }
  const char *slash = strchr(key, '/');
  if (strncmp(key, "claim|", 6) || !slash) return ctrl_done();
  char ns[256];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key - 6), key + 6);
  cobj *pvc = ctrl_get(cctx, "", "v1", "persistentvolumeclaims", ns, slash + 1);
  if (pvc && obj_deleting(pvc->obj) && finalizers_has(pvc->obj, PVC_FINALIZER) && !claim_in_use(ns, slash + 1))
    rc = drop_finalizer("persistentvolumeclaims", ns, pvc->obj, PVC_FINALIZER) >= 300 ? ctrl_retry() : ctrl_done();
  cobj_unref(pvc);
  return rc;
}

void volume_protection_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, "pvc-protection-controller", sync, NULL);
  ctrl_follow(c, "", "v1", "persistentvolumeclaims", on_claim);
  ctrl_follow(c, "", "v1", "persistentvolumes", on_volume);
  ctrl_follow(c, "", "v1", "pods", on_pod);
}

void volume_protection_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
