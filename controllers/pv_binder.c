/* pv_binder.c - the PersistentVolume controller's binder (1.20's
 * pkg/controller/volume/persistentvolume): an unbound claim gets the
 * smallest Available volume that satisfies it (storageClassName,
 * volumeMode, accessModes, capacity, selector; a volume pre-bound to the
 * claim wins), or the volume it names; both sides then carry the binding
 * (volume: claimRef + pv.kubernetes.io/bound-by-controller, phase Bound;
 * claim: volumeName + pv.kubernetes.io/bind-completed, phase Bound with the
 * volume's capacity and accessModes). A claim of a class with a provisioner
 * is annotated volume.beta.kubernetes.io/storage-provisioner for it
 * (provisioner.c). A volume whose claim is gone is Released and then
 * follows persistentVolumeReclaimPolicy: Retain keeps it, Delete deletes it
 * (the provisioner's own volumes are deleted by the provisioner). Keys are
 * "claim|ns/name" and "volume|name"; unbound claims are looked at again
 * every 15 s like the controller's resync. */
#include "controllers.h"
#include "events.h"
#include "pod_util.h"
#include "quantity.h"
#include "selector.h"
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "persistentvolume-controller"
#define RESYNC_MS 15000
#define ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define ANN_STORAGE_PROVISIONER "volume.beta.kubernetes.io/storage-provisioner"

static ctrl *c;

static void add_key(const char *kind, const char *ns, const char *name) {
  char key[600];
  snprintf(key, sizeof key, "%s|%s%s%s", kind, ns ? ns : "", ns ? "/" : "", name);
  ctrl_add(c, key);
}

static const json_t *spec_of(const json_t *o) { return json_object_get(o, "spec"); }
static const char *sstr(const json_t *o, const char *f) { return json_string_value(json_object_get(spec_of(o), f)); }

static void on_claim(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) {
    const char *vol = sstr(obj->obj, "volumeName");
    if (vol && *vol) add_key("volume", NULL, vol);
    return;
  }
  add_key("claim", obj_ns(obj->obj), obj_name(obj->obj));
}

static void on_volume(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) {
    const json_t *ref = json_object_get(spec_of(obj->obj), "claimRef");
    if (ref) add_key("claim", json_string_value(json_object_get(ref, "namespace")),
                     json_string_value(json_object_get(ref, "name")));
    return;
  }
  add_key("volume", NULL, obj_name(obj->obj));
}

/* The claim's class: spec.storageClassName, else the beta annotation, else "". */
static const char *claim_class(const json_t *claim) {
  const char *s = sstr(claim, "storageClassName");
  if (s) return s;
  s = obj_annotation(claim, "volume.beta.kubernetes.io/storage-class");
  return s ? s : "";
}

static const char *volume_class(const json_t *vol) {
  const char *s = sstr(vol, "storageClassName");
  if (s) return s;
  s = obj_annotation(vol, "volume.beta.kubernetes.io/storage-class");
  return s ? s : "";
}

static int64_t storage_of(const json_t *resources_map) {
  quantity q;
  const char *s = json_string_value(json_object_get(resources_map, "storage"));
  return s && !quantity_parse(s, &q) ? quantity_value(&q) : 0;
}

static const char *volume_mode(const json_t *o) {
  const char *m = sstr(o, "volumeMode");
  return m ? m : "Filesystem";
}

static bool has_mode(const json_t *modes, const char *m) {
  size_t i;
  json_t *v;
  json_array_foreach(modes, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), m)) return true;
  return false;
}

/* Every access mode the claim asks for is one the volume has. */
static bool access_modes_ok(const json_t *vol, const json_t *claim) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(spec_of(claim), "accessModes"), i, m) {
    if (!has_mode(json_object_get(spec_of(vol), "accessModes"), json_string_value(m))) return false;
  }
  return true;
}

/* checkVolumeSatisfyClaim: NULL when vol can serve claim, else why not. */
static const char *unsatisfied(const json_t *vol, const json_t *claim) {
  if (obj_deleting(vol)) return "the volume is marked for deletion";
  if (storage_of(json_object_get(spec_of(vol), "capacity")) <
      storage_of(json_object_get(json_object_get(spec_of(claim), "resources"), "requests")))
    return "requested PV is too small";
  if (strcmp(volume_class(vol), claim_class(claim))) return "storageClassName does not match";
  if (strcmp(volume_mode(vol), volume_mode(claim))) return "incompatible volumeMode";
  if (!access_modes_ok(vol, claim)) return "incompatible accessMode";
  return NULL;
}

/* claimRef points at claim (by namespace/name, and uid when it has one). */
static bool bound_to(const json_t *vol, const json_t *claim) {
  const json_t *ref = json_object_get(spec_of(vol), "claimRef");
  if (!ref) return false;
  const char *ns = json_string_value(json_object_get(ref, "namespace"));
  const char *name = json_string_value(json_object_get(ref, "name"));
  const char *uid = json_string_value(json_object_get(ref, "uid"));
  if (!ns || !name || strcmp(ns, obj_ns(claim)) || strcmp(name, obj_name(claim))) return false;
  return !uid || !*uid || !strcmp(uid, obj_uid(claim));
}

static bool selector_ok(const json_t *vol, const json_t *claim) {
  const json_t *sel = json_object_get(spec_of(claim), "selector");
  if (!sel) return true;
  char err[256];
  label_selector *s = label_selector_from_json(sel, err, sizeof err);
  bool ok = s && label_selector_matches(s, json_object_get(json_object_get(vol, "metadata"), "labels"));
  label_selector_free(s);
  return ok;
}

/* findBestMatchForClaim: a reference to the volume or NULL. */
static cobj *best_match(const json_t *claim) {
  cobj_vec vols = {0};
  ctrl_list(cctx, "", "v1", "persistentvolumes", "", &vols);
  cobj *best = NULL;
  int64_t best_size = 0;
  for (size_t i = 0; i < vols.n; i++) {
    const json_t *v = vols.items[i]->obj;
    if (strcmp(volume_mode(v), volume_mode(claim))) continue;
    if (json_object_get(spec_of(v), "claimRef") && !bound_to(v, claim)) continue;
    if (unsatisfied(v, claim) || !selector_ok(v, claim)) continue;
    if (bound_to(v, claim)) { /* pre-bound: take it */
      cobj_unref(best);
      best = cobj_ref(vols.items[i]);
      break;
    }
    int64_t size = storage_of(json_object_get(spec_of(v), "capacity"));
    if (!best || size < best_size) {
      cobj_unref(best);
      best = cobj_ref(vols.items[i]);
      best_size = size;
    }
  }
  cobj_vec_clear(&vols);
  return best;
}

static const char *phase_of(const json_t *o) {
  const char *p = json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
  return p ? p : "";
}

static void set_annotation(json_t *o, const char *key, const char *value) {
  json_t *md = json_object_get(o, "metadata");
  json_t *ann = json_object_get(md, "annotations");
  if (!json_is_object(ann)) json_object_set_new(md, "annotations", ann = json_object());
  json_object_set_new(ann, key, json_string(value));
}

static int set_volume_phase(const json_t *vol, const char *phase) {
  if (!strcmp(phase_of(vol), phase)) return 200;
  json_t *v = json_deep_copy(vol);
  json_t *st = json_object_get(v, "status");
  if (!json_is_object(st)) json_object_set_new(v, "status", st = json_object());
  json_object_set_new(st, "phase", json_string(phase));
  return ctrl_update(cctx, "", "v1", "persistentvolumes", "", "status", v);
}

static int set_claim_pending(const json_t *claim) {
  if (!strcmp(phase_of(claim), "Pending")) return 200;
  json_t *cl = json_deep_copy(claim);
  json_object_set_new(cl, "status", json_pack("{s:s}", "phase", "Pending"));
  return ctrl_update(cctx, "", "v1", "persistentvolumeclaims", obj_ns(claim), "status", cl);
}

static int set_claim_lost(const json_t *claim, const char *reason, const char *message) {
  if (!strcmp(phase_of(claim), "Lost")) return 200;
  json_t *cl = json_deep_copy(claim);
  json_t *st = json_object_get(cl, "status");
  if (!json_is_object(st)) json_object_set_new(cl, "status", st = json_object());
  json_object_set_new(st, "phase", json_string("Lost"));
  int code = ctrl_update(cctx, "", "v1", "persistentvolumeclaims", obj_ns(claim), "status", cl);
  if (code < 300) event_record(cctx, claim, COMPONENT, "Warning", reason, "%s", message);
  return code;
}

/* Binds vol and claim on both sides: done, or retry when a write failed. */
static ctrl_result bind(const json_t *vol, const json_t *claim) {
  if (!bound_to(vol, claim) || !json_string_value(json_object_get(json_object_get(spec_of(vol), "claimRef"), "uid"))) {
    json_t *v = json_deep_copy(vol);
    bool set_by_us = !bound_to(vol, claim);
    json_object_set_new(json_object_get(v, "spec"), "claimRef",
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "PersistentVolumeClaim", "namespace",
                                  obj_ns(claim), "name", obj_name(claim), "uid", obj_uid(claim), "apiVersion", "v1",
                                  "resourceVersion",
                                  json_string_value(json_object_get(json_object_get(claim, "metadata"),
                                                                    "resourceVersion"))));
    if (set_by_us && !obj_annotation(vol, ANN_BOUND_BY_CONTROLLER)) set_annotation(v, ANN_BOUND_BY_CONTROLLER, "yes");
    if (ctrl_update(cctx, "", "v1", "persistentvolumes", "", NULL, v) >= 300) return ctrl_retry();
    return ctrl_done(); /* the volume's update brings both back with fresh versions */
  }
  if (set_volume_phase(vol, "Bound") >= 300) return ctrl_retry();
  const char *vn = sstr(claim, "volumeName");
  if (!vn || strcmp(vn, obj_name(vol)) || !obj_annotation(claim, ANN_BIND_COMPLETED)) {
    json_t *cl = json_deep_copy(claim);
    if (!vn || !*vn) set_annotation(cl, ANN_BOUND_BY_CONTROLLER, "yes");
    json_object_set_new(json_object_get(cl, "spec"), "volumeName", json_string(obj_name(vol)));
    set_annotation(cl, ANN_BIND_COMPLETED, "yes");
    return ctrl_update(cctx, "", "v1", "persistentvolumeclaims", obj_ns(claim), NULL, cl) >= 300 ? ctrl_retry()
                                                                                                 : ctrl_done();
  }
  const json_t *st = json_object_get(claim, "status");
  const json_t *cap = json_object_get(spec_of(vol), "capacity"), *modes = json_object_get(spec_of(vol), "accessModes");
  if (strcmp(phase_of(claim), "Bound") || !json_equal(json_object_get(st, "capacity"), cap) ||
      !json_equal(json_object_get(st, "accessModes"), modes)) {
    json_t *cl = json_deep_copy(claim);
    json_t *nst = json_pack("{s:s}", "phase", "Bound");
    if (modes) json_object_set(nst, "accessModes", (json_t *)modes);
    if (cap) json_object_set(nst, "capacity", (json_t *)cap);
    json_object_set_new(cl, "status", nst);
    return ctrl_update(cctx, "", "v1", "persistentvolumeclaims", obj_ns(claim), "status", cl) >= 300 ? ctrl_retry()
                                                                                                     : ctrl_done();
  }
  return ctrl_done();
}

/* A claim no volume satisfies: hand it to its class's provisioner, if any. */
static ctrl_result no_volume(const json_t *claim) {
  const char *cls = claim_class(claim);
  if (!*cls) {
    event_record(cctx, claim, COMPONENT, "Normal", "FailedBinding",
                 "no persistent volumes available for this claim and no storage class is set");
    return set_claim_pending(claim) >= 300 ? ctrl_retry() : ctrl_requeue_after(RESYNC_MS);
  }
  cobj *sc = ctrl_get(cctx, "storage.k8s.io", "v1", "storageclasses", "", cls);
  if (!sc) {
    event_record(cctx, claim, COMPONENT, "Warning", "ProvisioningFailed",
                 "storageclass.storage.k8s.io \"%s\" not found", cls);
    return set_claim_pending(claim) >= 300 ? ctrl_retry() : ctrl_requeue_after(RESYNC_MS);
  }
  const char *prov = json_string_value(json_object_get(sc->obj, "provisioner"));
  ctrl_result rc = ctrl_requeue_after(RESYNC_MS);
  if (prov && !obj_annotation(claim, ANN_STORAGE_PROVISIONER)) {
    json_t *cl = json_deep_copy(claim);
    set_annotation(cl, ANN_STORAGE_PROVISIONER, prov);
    if (ctrl_update(cctx, "", "v1", "persistentvolumeclaims", obj_ns(claim), NULL, cl) >= 300) rc = ctrl_retry();
    else
      event_record(cctx, claim, COMPONENT, "Normal", "ExternalProvisioning",
                   "waiting for a volume to be created, either by external provisioner \"%s\" or manually created "
                   "by system administrator",
                   prov);
  }
  cobj_unref(sc);
  if (rc.outcome != CTRL_RETRY && set_claim_pending(claim) >= 300) rc = ctrl_retry();
  return rc;
}

static ctrl_result sync_claim(const char *ns, const char *name) {
  cobj *cur = ctrl_get(cctx, "", "v1", "persistentvolumeclaims", ns, name);
  if (!cur) return ctrl_done();
  const json_t *claim = cur->obj;
  const char *vn = sstr(claim, "volumeName");
  cobj *vol = vn && *vn ? ctrl_get(cctx, "", "v1", "persistentvolumes", "", vn) : NULL;
  ctrl_result rc = ctrl_done();
  if (!obj_annotation(claim, ANN_BIND_COMPLETED)) {
    if (!vn || !*vn) {
      cobj *match = best_match(claim);
      rc = match ? bind(match->obj, claim) : no_volume(claim);
      cobj_unref(match);
    } else if (!vol) {
      rc = set_claim_pending(claim) >= 300 ? ctrl_retry() : ctrl_requeue_after(RESYNC_MS);
    } else if (!json_object_get(spec_of(vol->obj), "claimRef")) {
      const char *why = unsatisfied(vol->obj, claim);
      if (why) {
        event_record(cctx, claim, COMPONENT, "Warning", "VolumeMismatch", "Cannot bind to requested volume \"%s\": %s",
                     vn, why);
        rc = set_claim_pending(claim) >= 300 ? ctrl_retry() : ctrl_requeue_after(RESYNC_MS);
      } else {
        rc = bind(vol->obj, claim);
      }
    } else if (bound_to(vol->obj, claim)) {
      rc = bind(vol->obj, claim);
    } else {
      event_record(cctx, claim, COMPONENT, "Warning", "FailedBinding",
                   "volume \"%s\" already bound to a different claim.", vn);
      rc = set_claim_pending(claim) >= 300 ? ctrl_retry() : ctrl_requeue_after(RESYNC_MS);
    }
  } else if (!vn || !*vn) {
    rc = set_claim_lost(claim, "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!") >= 300 ? ctrl_retry() : ctrl_done();
  } else if (!vol) {
    rc = set_claim_lost(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!") >= 300 ? ctrl_retry() : ctrl_done();
  } else if (!json_object_get(spec_of(vol->obj), "claimRef") || bound_to(vol->obj, claim)) {
    rc = bind(vol->obj, claim);
  } else {
    rc = set_claim_lost(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly") >= 300 ? ctrl_retry() : ctrl_done();
  }
  cobj_unref(vol);
  cobj_unref(cur);
  return rc;
}

static ctrl_result sync_volume(const char *name) {
  cobj *cur = ctrl_get(cctx, "", "v1", "persistentvolumes", "", name);
  if (!cur) return ctrl_done();
  const json_t *vol = cur->obj;
  const json_t *ref = json_object_get(spec_of(vol), "claimRef");
  ctrl_result rc = ctrl_done();
  const char *uid = json_string_value(json_object_get(ref, "uid"));
  if (!ref || !uid || !*uid) {
    rc = set_volume_phase(vol, "Available") >= 300 ? ctrl_retry() : ctrl_done();
    if (ref) add_key("claim", json_string_value(json_object_get(ref, "namespace")),
                     json_string_value(json_object_get(ref, "name")));
    cobj_unref(cur);
    return rc;
  }
  const char *cns = json_string_value(json_object_get(ref, "namespace"));
  const char *cname = json_string_value(json_object_get(ref, "name"));
  cobj *claim = ctrl_get(cctx, "", "v1", "persistentvolumeclaims", cns ? cns : "", cname ? cname : "");
  if (claim && strcmp(obj_uid(claim->obj), uid)) cobj_unref(claim), claim = NULL;
  if (!claim) {
    if (strcmp(phase_of(vol), "Released") && strcmp(phase_of(vol), "Failed")) {
      rc = set_volume_phase(vol, "Released") >= 300 ? ctrl_retry() : ctrl_done();
    } else {
      const char *policy = sstr(vol, "persistentVolumeReclaimPolicy");
      const char *by = obj_annotation(vol, "pv.kubernetes.io/provisioned-by");
      if (policy && !strcmp(policy, "Delete") && !(by && !strcmp(by, LOCAL_PATH_PROVISIONER))) {
        int code = ctrl_delete(cctx, "", "v1", "persistentvolumes", "", name, NULL);
        rc = code >= 300 && code != 404 ? ctrl_retry() : ctrl_done();
      }
    }
  } else {
    const char *vn = sstr(claim->obj, "volumeName");
    if (!vn || !*vn) {
      add_key("claim", cns, cname); /* the claim side is still being bound */
    } else if (!strcmp(vn, name)) {
      rc = set_volume_phase(vol, "Bound") >= 300 ? ctrl_retry() : ctrl_done();
      if (!obj_annotation(claim->obj, ANN_BIND_COMPLETED) || strcmp(phase_of(claim->obj), "Bound"))
        add_key("claim", cns, cname); /* finish the claim's side */
    } else if (obj_annotation(vol, ANN_BOUND_BY_CONTROLLER)) {
      /* the claim went elsewhere: give the volume back */
      json_t *v = json_deep_copy(vol);
      json_object_del(json_object_get(v, "spec"), "claimRef");
      json_object_del(json_object_get(json_object_get(v, "metadata"), "annotations"), ANN_BOUND_BY_CONTROLLER);
      rc = ctrl_update(cctx, "", "v1", "persistentvolumes", "", NULL, v) >= 300 ? ctrl_retry() : ctrl_done();
    }
  }
  cobj_unref(claim);
  cobj_unref(cur);
  return rc;
}

static ctrl_result sync(void *ctx, const char *key) {
  const char *bar = strchr(key, '|');
  if (!bar) return ctrl_done();
  if (!strncmp(key, "volume|", 7)) return sync_volume(bar + 1);
  const char *slash = strchr(bar + 1, '/');
  if (!slash) return ctrl_done();
  char ns[256];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - bar - 1), bar + 1);
  return sync_claim(ns, slash + 1);
}

void pv_binder_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, COMPONENT, sync, NULL);
  ctrl_follow(c, "", "v1", "persistentvolumeclaims", on_claim);
  ctrl_follow(c, "", "v1", "persistentvolumes", on_volume);
}

void pv_binder_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
