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

void admit_storage_protection(const resource *r, json_t *obj) {
  if (registry_is_core(r, "persistentvolumeclaims")) finalizers_add(obj, "kubernetes.io/pvc-protection");
  if (registry_is_core(r, "persistentvolumes")) finalizers_add(obj, "kubernetes.io/pv-protection");
}

json_t *admit_default_storage_class(cache *c, const resource *r, const char *name, json_t *obj) {
  if (!registry_is_core(r, "persistentvolumeclaims")) return NULL;
  json_t *spec = json_object_get(obj, "spec");
  const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
  if (!json_is_object(spec) || json_object_get(spec, "storageClassName") ||
      json_object_get(ann, "volume.beta.kubernetes.io/storage-class"))
    return NULL;
  const resource *scr = registry_find("storage.k8s.io", "v1", "storageclasses");
  if (!scr) return NULL;
  static const char *const keys[] = {"storageclass.kubernetes.io/is-default-class",
                                     "storageclass.beta.kubernetes.io/is-default-class", NULL};
  char def[256];
  int n = admission_count_defaults(c, scr, keys, def, sizeof def);
  json_t *st = NULL;
  if (n > 1) {
    char why[128];
    snprintf(why, sizeof why, "Internal error occurred: %d default StorageClasses were found", n);
    st = status_forbidden(r, name, why);
  } else if (n == 1) {
    json_object_set_new(spec, "storageClassName", json_string(def));
  }
  return st;
}
