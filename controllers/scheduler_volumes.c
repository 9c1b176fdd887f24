/* scheduler_volumes.c - the VolumeBinding plugin's part that reads
 * PersistentVolumeClaims, PersistentVolumes and StorageClasses (1.20
 * PreFilter): a claim that is missing or being deleted, or an unbound claim
 * whose class binds Immediately, makes the pod unschedulable on every node
 * with the plugin's message; a bound claim's PersistentVolume contributes
 * its required node affinity to the per-node filter; unbound claims of a
 * WaitForFirstConsumer class are left for the binder to mark with the
 * selected node. */
#include "scheduler.h"
#include "api.h"
#include "informer.h"
#include "json_path.h"
#include <stdio.h>
#include <string.h>

static cobj *get(const ctrl_context *cctx, const char *group, const char *plural, const char *ns, const char *name) {
  const resource *r = registry_find(group, "v1", plural);
  return lister_get(cctx->informers, r, ns, name);
}

/* Whether an unbound claim waits for its first consumer (its class says so). */
static bool delayed_binding(const ctrl_context *cctx, const json_t *pvc) {
  const char *cls = json_path_str(pvc, "spec.storageClassName");
  cobj *sc = get(cctx, "storage.k8s.io", "storageclasses", "", cls);
  bool wait = sc && !strcmp(json_string_value(json_object_get(sc->obj, "volumeBindingMode")) ?: "",
                            "WaitForFirstConsumer");
  cobj_unref(sc);
  return wait;
}

bool sched_volumes_prepare(const ctrl_context *cctx, sched_pod *p, cobj_vec *held, char *why, size_t whylen,
                           cobj_vec *wait_claims) {
  const json_t *pod = p->pod;
  const char *ns = json_path_str(pod, "metadata.namespace");
  bool unbound_immediate = false;
  size_t i;
  json_t *vol;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, vol) {
    const char *claim = json_path_str(vol, "persistentVolumeClaim.claimName");
    if (!claim) continue;
    cobj *pvc = get(cctx, "", "persistentvolumeclaims", ns, claim);
    if (!pvc) {
      snprintf(why, whylen, "persistentvolumeclaim \"%s\" not found", claim);
      return false;
    }
    cobj_vec_push(held, pvc);
    if (json_object_get(json_object_get(pvc->obj, "metadata"), "deletionTimestamp")) {
      snprintf(why, whylen, "persistentvolumeclaim \"%s\" is being deleted", claim);
      return false;
    }
    const char *volume = json_path_str(pvc->obj, "spec.volumeName");
    if (!volume || !*volume) {
      if (delayed_binding(cctx, pvc->obj)) cobj_vec_push(wait_claims, cobj_ref(pvc));
      else unbound_immediate = true;
      continue;
    }
    cobj *pv = get(cctx, "", "persistentvolumes", "", volume);
    if (!pv) continue;
    cobj_vec_push(held, pv);
    const json_t *terms = json_object_get(
        json_object_get(json_object_get(json_object_get(pv->obj, "spec"), "nodeAffinity"), "required"),
        "nodeSelectorTerms");
    if (terms && p->nvolume_terms < (int)(sizeof p->volume_terms / sizeof *p->volume_terms))
      p->volume_terms[p->nvolume_terms++] = terms;
  }
  if (unbound_immediate) {
    snprintf(why, whylen, "pod has unbound immediate PersistentVolumeClaims");
    return false;
  }
  return true;
}
