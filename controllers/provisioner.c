/* provisioner.c - a local dynamic provisioner in the manner of rancher's
 * local-path-provisioner (k3s' default storage): the StorageClass
 * "local-path" (provisioner rancher.io/local-path, reclaimPolicy Delete,
 * volumeBindingMode Immediate: the directories live on the server's host,
 * so no node has to be chosen first, and claims bind as soon as they are
 * made - StatefulSet volumeClaimTemplates work without the scheduler taking
 * part) is created at start when missing. It is the default class only
 * when the operator asks (--local-storage-default, which also marks an
 * existing one), as a kubeadm cluster has no default class and k3s has
 * this one; any other class naming the provisioner is served too. A claim the
 * binder hands to rancher.io/local-path (annotation
 * volume.beta.kubernetes.io/storage-provisioner) gets a directory
 * <data dir>/storage/pvc-<uid>_<namespace>_<name> and a hostPath
 * PersistentVolume "pvc-<uid>" pre-bound to it; a Released volume of ours
 * with reclaimPolicy Delete loses its directory, then its object. */
#define _XOPEN_SOURCE 700
#include "controllers.h"
#include "events.h"
#include "log.h"
#include "pod_util.h"
#include <errno.h>
#include <limits.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define LOCAL_CLASS "local-path"

static ctrl *c;
static char root[1024];
static bool make_default;

void provisioner_set_default(bool is_default) { make_default = is_default; }

void provisioner_set_root(const char *data_dir) {
  char abs[PATH_MAX];
  snprintf(root, sizeof root, "%s/storage", realpath(data_dir, abs) ? abs : data_dir);
}

static void on_claim(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *p = obj_annotation(obj->obj, "volume.beta.kubernetes.io/storage-provisioner");
  if (type != EV_DELETED && p && !strcmp(p, LOCAL_PATH_PROVISIONER)) {
    char key[600];
    snprintf(key, sizeof key, "claim|%s/%s", obj_ns(obj->obj), obj_name(obj->obj));
    ctrl_add(c, key);
  }
}

static void on_volume(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *p = obj_annotation(obj->obj, "pv.kubernetes.io/provisioned-by");
  if (type != EV_DELETED && p && !strcmp(p, LOCAL_PATH_PROVISIONER)) {
    char key[600];
    snprintf(key, sizeof key, "volume|%s", obj_name(obj->obj));
    ctrl_add(c, key);
  }
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  return remove(path);
}

/* The directory of a volume: only paths under root are ours to touch. */
static bool ours(const char *path) {
  size_t n = strlen(root);
  return path && !strncmp(path, root, n) && path[n] == '/' && !strstr(path, "/..");
}

static ctrl_result provision(const char *ns, const char *name) {
  cobj *cur = ctrl_get(cctx, "", "v1", "persistentvolumeclaims", ns, name);
  if (!cur) return ctrl_done();
  const json_t *claim = cur->obj;
  const json_t *spec = json_object_get(claim, "spec");
  const char *vn = json_string_value(json_object_get(spec, "volumeName"));
  const char *cls = json_string_value(json_object_get(spec, "storageClassName"));
  char pv_name[128];
  snprintf(pv_name, sizeof pv_name, "pvc-%s", obj_uid(claim));
  cobj *existing = ctrl_get(cctx, "", "v1", "persistentvolumes", "", pv_name);
  cobj *sc = cls ? ctrl_get(cctx, "storage.k8s.io", "v1", "storageclasses", "", cls) : NULL;
  const char *prov = sc ? json_string_value(json_object_get(sc->obj, "provisioner")) : NULL;
  ctrl_result rc = ctrl_done();
  if (!(vn && *vn) && !existing && !obj_deleting(claim) && prov && !strcmp(prov, LOCAL_PATH_PROVISIONER)) {
    event_record(cctx, claim, LOCAL_PATH_PROVISIONER, "Normal", "Provisioning",
                 "External provisioner is provisioning volume for claim \"%s/%s\"", ns, name);
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/pvc-%s_%s_%s", root, obj_uid(claim), ns, name);
    if ((mkdir(root, 0755) && errno != EEXIST) || (mkdir(dir, 0777) && errno != EEXIST)) {
      event_record(cctx, claim, LOCAL_PATH_PROVISIONER, "Warning", "ProvisioningFailed",
                   "failed to provision volume with StorageClass \"%s\": %s", cls, strerror(errno));
      rc = ctrl_retry();
    } else {
      const json_t *requests = json_object_get(json_object_get(spec, "resources"), "requests");
      const char *policy = json_string_value(json_object_get(sc->obj, "reclaimPolicy"));
      json_t *pv = json_pack(
          "{s:s,s:s,s:{s:s,s:{s:s}},s:{s:{s:s},s:O,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s}}}",
          "apiVersion", "v1", "kind", "PersistentVolume", "metadata", "name", pv_name, "annotations",
          "pv.kubernetes.io/provisioned-by", LOCAL_PATH_PROVISIONER, "spec", "capacity", "storage",
          json_string_value(json_object_get(requests, "storage")) ? json_string_value(json_object_get(requests, "storage")) : "0",
          "accessModes", json_object_get(spec, "accessModes"), "persistentVolumeReclaimPolicy",
          policy ? policy : "Delete", "storageClassName", cls, "volumeMode",
          json_string_value(json_object_get(spec, "volumeMode")) ? json_string_value(json_object_get(spec, "volumeMode"))
                                                                 : "Filesystem",
          "claimRef", "kind", "PersistentVolumeClaim", "namespace", ns, "name", name, "uid", obj_uid(claim),
          "apiVersion", "v1", "resourceVersion",
          json_string_value(json_object_get(json_object_get(claim, "metadata"), "resourceVersion")), "hostPath",
          "path", dir, "type", "DirectoryOrCreate");
      int code = ctrl_create(cctx, "", "v1", "persistentvolumes", "", pv);
      if (code < 300)
        event_record(cctx, claim, LOCAL_PATH_PROVISIONER, "Normal", "ProvisioningSucceeded",
                     "Successfully provisioned volume %s", pv_name);
      else if (code != 409)
        rc = ctrl_retry();
    }
  }
  cobj_unref(sc);
  cobj_unref(existing);
  cobj_unref(cur);
  return rc;
}

static ctrl_result reclaim(const char *name) {
  cobj *cur = ctrl_get(cctx, "", "v1", "persistentvolumes", "", name);
  if (!cur) return ctrl_done();
  const json_t *vol = cur->obj;
  const json_t *spec = json_object_get(vol, "spec");
  const char *phase = json_string_value(json_object_get(json_object_get(vol, "status"), "phase"));
  const char *policy = json_string_value(json_object_get(spec, "persistentVolumeReclaimPolicy"));
  const char *path = json_string_value(json_object_get(json_object_get(spec, "hostPath"), "path"));
  ctrl_result rc = ctrl_done();
  if (phase && !strcmp(phase, "Released") && policy && !strcmp(policy, "Delete")) {
    if (ours(path) && nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT) {
      LOGW("local-path: cannot remove %s: %s", path, strerror(errno));
      rc = ctrl_retry();
    } else {
      int code = ctrl_delete(cctx, "", "v1", "persistentvolumes", "", name, NULL);
      rc = code >= 300 && code != 404 ? ctrl_retry() : ctrl_done();
    }
  }
  cobj_unref(cur);
  return rc;
}

static ctrl_result sync(void *ctx, const char *key) {
  if (!strncmp(key, "volume|", 7)) return reclaim(key + 7);
  const char *slash = strchr(key, '/');
  if (strncmp(key, "claim|", 6) || !slash) return ctrl_done();
  char ns[256];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key - 6), key + 6);
  return provision(ns, slash + 1);
}

#define IS_DEFAULT_CLASS "storageclass.kubernetes.io/is-default-class"

/* The class at start: created when missing; marked default when asked (an
 * existing class is otherwise left as the operator made it). */
static void ensure_class(void) {
  cobj *sc = ctrl_get(cctx, "storage.k8s.io", "v1", "storageclasses", "", LOCAL_CLASS);
  if (!sc) {
    json_t *obj = json_pack("{s:s,s:s,s:{s:s},s:s,s:s,s:s}", "apiVersion", "storage.k8s.io/v1", "kind",
                            "StorageClass", "metadata", "name", LOCAL_CLASS, "provisioner", LOCAL_PATH_PROVISIONER,
                            "reclaimPolicy", "Delete", "volumeBindingMode", "Immediate");
    if (make_default)
      json_object_set_new(json_object_get(obj, "metadata"), "annotations", json_pack("{s:s}", IS_DEFAULT_CLASS, "true"));
    ctrl_create(cctx, "storage.k8s.io", "v1", "storageclasses", "", obj);
  } else if (make_default && !(obj_annotation(sc->obj, IS_DEFAULT_CLASS) &&
                               !strcmp(obj_annotation(sc->obj, IS_DEFAULT_CLASS), "true"))) {
    json_t *obj = json_deep_copy(sc->obj);
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(json_object_get(md, "annotations"))) json_object_set_new(md, "annotations", json_object());
    json_object_set_new(json_object_get(md, "annotations"), IS_DEFAULT_CLASS, json_string("true"));
    ctrl_update(cctx, "storage.k8s.io", "v1", "storageclasses", "", NULL, obj);
  }
  cobj_unref(sc);
}

void provisioner_start(const ctrl_context *cc) {
  cctx = cc;
  if (!*root) provisioner_set_root(".");
  ensure_class();
  c = ctrl_start(cctx, LOCAL_PATH_PROVISIONER, sync, NULL);
  ctrl_follow(c, "", "v1", "persistentvolumeclaims", on_claim);
  ctrl_follow(c, "", "v1", "persistentvolumes", on_volume);
}

void provisioner_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
