/* crd_resource.c - the kinds hooks of custom resources (customresource's
 * strategy in the apiextensions-apiserver): structural defaulting and
 * pruning (no pruning while the CRD's preserveUnknownFields is true, as
 * v1beta1 CRDs default it; a non-structural schema only validates), status
 * handled as a subresource only when the CRD version enables it, generation
 * counting every change but metadata (and status, with the subresource),
 * and validation against the version's schema. */
#include "crd.h"
#include "crd_schema.h"
#include "kinds_util.h"
#include <string.h>

void cr_default(const kind_ref *k, json_t *obj) {
  const json_t *schema = k->crd->schema;
  if (!schema || !k->crd->structural) return;
  crd_schema_default(schema, obj);
  if (!k->crd->preserve_unknown) crd_schema_prune(schema, obj, NULL);
}

void cr_create(const kind_ref *k, json_t *obj) {
  if (k->crd->status) json_object_del(obj, "status");
}

/* With the status subresource, main-resource writes keep the stored status
 * and /status writes keep everything else. */
void cr_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  if (!k->crd->status) return;
  if (!sub) {
    const json_t *st = json_object_get(old, "status"); /* copied: old may be published */
    if (st) json_object_set_new(obj, "status", json_deep_copy(st));
    else json_object_del(obj, "status");
    return;
  }
  if (strcmp(sub, "status") != 0) return;
  json_t *st = json_incref(json_object_get(obj, "status"));
  json_t *rv = json_incref(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
  json_t *copy = json_deep_copy(old);
  json_object_clear(obj);
  json_object_update(obj, copy);
  json_decref(copy);
  if (st) json_object_set_new(obj, "status", st);
  else json_object_del(obj, "status");
  if (rv) json_object_set_new(kobj(obj, "metadata"), "resourceVersion", rv);
}

void cr_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)old;
  if (k->crd->schema) crd_schema_validate(k->crd->schema, obj, fe);
}

bool cr_generation_changed(const kind_ref *k, const json_t *obj, const json_t *old) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    if (!strcmp(key, "metadata") || (k->crd->status && !strcmp(key, "status"))) continue;
    if (!json_equal(v, json_object_get(old, key))) return true;
  }
  json_object_foreach((json_t *)old, key, v) {
    if (!strcmp(key, "metadata") || (k->crd->status && !strcmp(key, "status"))) continue;
    if (!json_object_get(obj, key)) return true;
  }
  return false;
}

void cr_unknown_fields(const kind_ref *k, const json_t *obj, json_t *found) {
  if (!k->crd->schema || !k->crd->structural || k->crd->preserve_unknown) return;
  json_t *copy = json_deep_copy(obj);
  crd_schema_prune(k->crd->schema, copy, found);
  json_decref(copy);
}
