/* admission.c - runs the admission plugins (see admission.h), and the two
 * storage ones: DefaultStorageClass (a PersistentVolumeClaim without a
 * class gets the one StorageClass annotated
 * storageclass.kubernetes.io/is-default-class, the beta annotation counts
 * too; two defaults are an error) and StorageObjectInUseProtection (claims
 * and volumes get the kubernetes.io/pvc-protection and pv-protection
 * finalizers, see controllers/volume_protection.c). */
#include "admission.h"
#include "api.h"
#include "status.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static bool is_core(const resource *r, const char *plural) {
  return !r->ref.group[0] && !strcmp(r->ref.plural, plural);
}

/* StorageObjectInUseProtection */
static void add_finalizer(json_t *obj, const char *f) {
  json_t *md = json_object_get(obj, "metadata");
  json_t *fins = json_object_get(md, "finalizers");
  if (!json_is_array(fins)) json_object_set_new(md, "finalizers", fins = json_array());
  size_t i;
  json_t *v;
  json_array_foreach(fins, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), f)) return;
  json_array_append_new(fins, json_string(f));
}

json_t *admission_mutate(const resource *r, const char *ns, const char *name, json_t *obj, const json_t *old) {
  json_t *st = NULL;
  if (!old && is_core(r, "persistentvolumeclaims")) add_finalizer(obj, "kubernetes.io/pvc-protection");
  if (!old && is_core(r, "persistentvolumes")) add_finalizer(obj, "kubernetes.io/pv-protection");
  if (!old && is_core(r, "persistentvolumeclaims")) st = admit_default_storage_class(r, name, obj);
  if (!st && !old && is_core(r, "pods")) st = admit_limitrange_defaults(r, ns, obj);
  if (!st) st = admit_priority(r, name, obj, old);
  return st;
}

/* LimitRanger ignores every object whose stored version is being deleted:
 * the controllers' finalizer removals must pass even when a LimitRange made
 * after the object would refuse it. */
static bool being_deleted(const json_t *old) {
  return old && json_string_value(json_object_get(json_object_get(old, "metadata"), "deletionTimestamp"));
}

json_t *admission_validate(const resource *r, const char *ns, const char *name, const json_t *obj,
                           const json_t *old) {
  if (!being_deleted(old) && (is_core(r, "persistentvolumeclaims") || (!old && is_core(r, "pods"))))
    return admit_limitrange_limits(r, ns, name, obj);
  return NULL;
}

/* One writer at a time charges a namespace with quotas: the check and the
 * write it admits happen under this lock, so two creates cannot both take
 * the last unit (kube-apiserver gets the same from the quota's
 * resourceVersion). Namespaces without a ResourceQuota never take it. */
static pthread_mutex_t quota_mu = PTHREAD_MUTEX_INITIALIZER;

bool admission_quota_lock(const resource *r, const char *ns) {
  const resource *qr = registry_find("", "v1", "resourcequotas");
  if (!r->ref.namespaced || !qr || !ns || !*ns) return false;
  cobj_vec quotas = {0};
  cache_list(api_cache(), qr->bucket, ns, NULL, 0, &quotas);
  bool any = quotas.n > 0;
  cobj_vec_clear(&quotas);
  if (any) pthread_mutex_lock(&quota_mu);
  return any;
}

void admission_quota_unlock(bool locked) {
  if (locked) pthread_mutex_unlock(&quota_mu);
}

json_t *admission_quota(const resource *r, const char *ns, const char *name, const json_t *obj, const json_t *old) {
  return r->ref.namespaced ? admit_resource_quota(r, ns, name, obj, old) : NULL;
}

static bool is_default_class(const json_t *sc) {
  const json_t *ann = json_object_get(json_object_get(sc, "metadata"), "annotations");
  static const char *const keys[] = {"storageclass.kubernetes.io/is-default-class",
                                     "storageclass.beta.kubernetes.io/is-default-class", NULL};
  for (int i = 0; keys[i]; i++) {
    const char *v = json_string_value(json_object_get(ann, keys[i]));
    if (v && !strcmp(v, "true")) return true;
  }
  return false;
}

json_t *admit_default_storage_class(const resource *r, const char *name, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
  if (!json_is_object(spec) || json_object_get(spec, "storageClassName") ||
      json_object_get(ann, "volume.beta.kubernetes.io/storage-class"))
    return NULL;
  const resource *scr = registry_find("storage.k8s.io", "v1", "storageclasses");
  if (!scr) return NULL;
  cobj_vec all = {0};
  cache_list(api_cache(), scr->bucket, "", NULL, 0, &all);
  const char *def = NULL;
  int n = 0;
  for (size_t i = 0; i < all.n; i++)
    if (is_default_class(all.items[i]->obj)) {
      n++;
      def = json_string_value(json_object_get(json_object_get(all.items[i]->obj, "metadata"), "name"));
    }
  json_t *st = NULL;
  if (n > 1) {
    char why[128];
    snprintf(why, sizeof why, "Internal error occurred: %d default StorageClasses were found", n);
    st = status_forbidden(r, name, why);
  } else if (n == 1) {
    json_object_set_new(spec, "storageClassName", json_string(def));
  }
  cobj_vec_clear(&all);
  return st;
}
