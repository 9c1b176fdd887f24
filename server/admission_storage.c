/* admission_storage.c - the two storage admission plugins of kube-apiserver
 * 1.20: DefaultStorageClass (a PersistentVolumeClaim created without a class
 * gets the one StorageClass annotated storageclass.kubernetes.io/is-default-class,
 * the beta annotation counts too; two defaults are an error) and
 * StorageObjectInUseProtection (claims and volumes are created with the
 * kubernetes.io/pvc-protection and pv-protection finalizers, released by
 * controllers/volume_protection.c). */
#include "admission.h"
#include "finalizers.h"
#include "status.h"
#include <stdio.h>
#include <string.h>

static bool is_core(const resource *r, const char *plural) {
  return !r->ref.group[0] && !strcmp(r->ref.plural, plural);
}

void admit_storage_protection(const resource *r, json_t *obj) {
  if (is_core(r, "persistentvolumeclaims")) finalizers_add(obj, "kubernetes.io/pvc-protection");
  if (is_core(r, "persistentvolumes")) finalizers_add(obj, "kubernetes.io/pv-protection");
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
  if (!is_core(r, "persistentvolumeclaims")) return NULL;
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
