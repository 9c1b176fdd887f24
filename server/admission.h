/* admission.h - the admission plugins of the create and update paths,
 * in kube-apiserver's order: mutating plugins after defaulting and before
 * validation (DefaultStorageClass, LimitRanger's defaults, Priority), validating
 * plugins after the kind's validation (LimitRanger's limits), ResourceQuota
 * last. Subresource writes skip admission, as these plugins do.
 * name is the one to show in errors (generateName when the name was
 * generated). Each returns NULL or a Forbidden Status (new reference). */
#ifndef CKUBE_ADMISSION_H
#define CKUBE_ADMISSION_H
#include <stdbool.h>
#include <jansson.h>
#include "registry.h"

/* ResourceQuota, kube-apiserver's last admission plugin: checked under
 * admission_quota_lock, held until the admitted write is stored. */
bool admission_quota_lock(const resource *r, const char *ns);
void admission_quota_unlock(bool locked);
json_t *admission_quota(const resource *r, const char *ns, const char *name, const json_t *obj, const json_t *old);

/* old: the stored object on update, NULL on create. */
json_t *admission_mutate(const resource *r, const char *ns, const char *name, json_t *obj, const json_t *old);
json_t *admission_validate(const resource *r, const char *ns, const char *name, const json_t *obj,
                           const json_t *old);

/* The plugins (admission_*.c). */
json_t *admit_default_storage_class(const resource *r, const char *name, json_t *obj);
json_t *admit_limitrange_defaults(const resource *r, const char *ns, json_t *obj);
json_t *admit_priority(const resource *r, const char *name, json_t *obj, const json_t *old);
json_t *admit_limitrange_limits(const resource *r, const char *ns, const char *name, const json_t *obj);
json_t *admit_resource_quota(const resource *r, const char *ns, const char *name, const json_t *obj,
                             const json_t *old);

/* The live usage in ns of the quota resource names in hard (a ResourceList
 * object) over the objects in the scopes of spec (a quota's spec), skipping
 * the object skip_name of r (NULL: none): {name: qty}.
 * New reference. Shared with the resource quota controller. */
json_t *quota_used(const char *ns, const json_t *spec, const json_t *hard, const resource *skip_r,
                   const char *skip_name);

#endif
