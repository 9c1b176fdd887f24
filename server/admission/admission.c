/* admission.c - the admission pipeline: one table of plugins in
 * kube-apiserver 1.20's order (its AllOrderedPlugins, the ones ckube has),
 * run by create, update, delete and subresource writes alike (see
 * admission.h). A row says which operations it concerns and whether
 * subresource writes pass through it; its mutate and validate halves decide
 * by resource themselves. ResourceQuota, the last row, checks under its
 * namespace's lock and leaves a charge in that namespace's ledger until the
 * admitted write is stored (quota_pending.h), so two writers cannot both take
 * the last unit (kube-apiserver gets the same from the quota's
 * resourceVersion) while writes into other namespaces, and the store's
 * commit, go on unserialized; namespaces without a ResourceQuota take no
 * lock. */
#include "admission.h"
#include "admission_serviceaccount.h"
#include "quota_pending.h"
#include "kinds.h"
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  unsigned ops;      /* admission_op bits */
  bool subresources; /* subresource writes pass through it too */
  json_t *(*mutate)(admission_request *a);
  json_t *(*validate)(admission_request *a);
} admission_plugin;

static json_t *namespace_lifecycle(admission_request *a) { return admit_namespace_lifecycle(a->cache, a->r, a->ns, a->name); }

static json_t *limitranger_defaults(admission_request *a) {
  return a->op == ADMIT_CREATE && registry_is_core(a->r, "pods") ? admit_limitrange_defaults(a->cache, a->r, a->ns, a->obj) : NULL;
}

/* LimitRanger ignores every object whose stored version is being deleted:
 * the controllers' finalizer removals must pass even when a LimitRange made
 * after the object would refuse it. */
static bool being_deleted(const json_t *old) {
  return old && json_string_value(json_object_get(json_object_get(old, "metadata"), "deletionTimestamp"));
}

static json_t *limitranger_limits(admission_request *a) {
  if (being_deleted(a->old)) return NULL;
  if (registry_is_core(a->r, "persistentvolumeclaims") || (a->op == ADMIT_CREATE && registry_is_core(a->r, "pods")))
    return admit_limitrange_limits(a->cache, a->r, a->ns, a->shown, a->obj);
  return NULL;
}

/* kube-apiserver defaults an object again each time it reads it from
 * storage, so what ServiceAccount adds (a token volume, serviceAccount)
 * reads back defaulted; ckube defaults once, on write, so it defaults the
 * pod again after the plugin. */
static json_t *service_account(admission_request *a) {
  json_t *st = admission_serviceaccount(a->cache, a->r, a->ns, a->obj);
  if (!st && registry_is_core(a->r, "pods")) kinds_default(&a->r->ref, a->obj);
  return st;
}

static json_t *priority(admission_request *a) { return admit_priority(a->cache, a->r, a->shown, a->obj, a->old); }

int admission_count_defaults(cache *c, const resource *cls, const char *const keys[], char *name, size_t len) {
  cobj_vec all = {0};
  cache_list(c, cls->bucket, "", NULL, 0, &all);
  int n = 0;
  for (size_t i = 0; i < all.n; i++) {
    const json_t *md = json_object_get(all.items[i]->obj, "metadata");
    const json_t *ann = json_object_get(md, "annotations");
    for (int k = 0; keys[k]; k++) {
      const char *v = json_string_value(json_object_get(ann, keys[k]));
      if (!v || strcmp(v, "true")) continue;
      n++;
      snprintf(name, len, "%s", json_string_value(json_object_get(md, "name")));
      break;
    }
  }
  cobj_vec_clear(&all);
  return n;
}

static json_t *default_ingress_class(admission_request *a) {
  return admit_default_ingress_class(a->cache, a->r, a->shown, a->obj);
}

static json_t *default_storage_class(admission_request *a) {
  return admit_default_storage_class(a->cache, a->r, a->shown, a->obj);
}

static json_t *storage_protection(admission_request *a) {
  admit_storage_protection(a->r, a->obj);
  return NULL;
}

static json_t *resource_quota(admission_request *a) {
  if (!a->r->ref.namespaced || !*a->ns) return NULL;
  return admit_resource_quota(a->cache, a->r, a->ns, a->shown, a->obj, a->old, a->dry_run, &a->quota_charge);
}

#define WRITES (ADMIT_CREATE | ADMIT_UPDATE)
#define ALL_OPS (ADMIT_CREATE | ADMIT_UPDATE | ADMIT_DELETE)

static const admission_plugin plugins[] = {
    {"NamespaceLifecycle", ADMIT_CREATE, false, namespace_lifecycle, NULL},
    {"LimitRanger", WRITES, false, limitranger_defaults, limitranger_limits},
    {"ServiceAccount", ADMIT_CREATE, false, service_account, NULL},
    {"NodeRestriction", ALL_OPS, true, NULL, admit_node_restriction},
    {"Priority", WRITES, false, priority, NULL},
    {"DefaultStorageClass", ADMIT_CREATE, false, default_storage_class, NULL},
    {"StorageObjectInUseProtection", ADMIT_CREATE, false, storage_protection, NULL},
    {"DefaultIngressClass", ADMIT_CREATE, false, default_ingress_class, NULL},
    {"MutatingAdmissionWebhook", ALL_OPS, true, api_webhook_mutate, NULL},
    {"ValidatingAdmissionWebhook", ALL_OPS, true, NULL, api_webhook_validate},
    {"ResourceQuota", WRITES, false, NULL, resource_quota},
};

static bool applies(const admission_plugin *p, const admission_request *a) {
  return (p->ops & a->op) && (p->subresources || !a->sub || !*a->sub);
}

json_t *admission_mutate(admission_request *a) {
  json_t *st = NULL;
  for (size_t i = 0; !st && i < sizeof plugins / sizeof plugins[0]; i++)
    if (plugins[i].mutate && applies(&plugins[i], a)) st = plugins[i].mutate(a);
  return st;
}

json_t *admission_validate(admission_request *a) {
  json_t *st = NULL;
  for (size_t i = 0; !st && i < sizeof plugins / sizeof plugins[0]; i++)
    if (plugins[i].validate && applies(&plugins[i], a)) st = plugins[i].validate(a);
  return st;
}

const char *admission_plugin_name(size_t i) {
  return i < sizeof plugins / sizeof plugins[0] ? plugins[i].name : NULL;
}

void admission_release(admission_request *a) {
  quota_charge_drop(a->quota_charge);
  a->quota_charge = NULL;
}
