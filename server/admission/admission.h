/* admission.h - one admission pipeline for every write: a table of plugins
 * in kube-apiserver 1.20's order (NamespaceLifecycle, LimitRanger,
 * ServiceAccount, Priority, DefaultStorageClass, StorageObjectInUseProtection,
 * MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ResourceQuota), each
 * row naming the operations it applies to, whether subresource writes pass
 * through it, and its mutating and validating halves. Create, update (PUT,
 * PATCH, subresources) and delete all run admission_mutate (every row's
 * mutate, in order) before the kind's validation and admission_validate
 * (every row's validate, in order) after it; a new plugin (RBAC's
 * NodeRestriction) is one row in admission.c. Each step returns NULL or the
 * Status to answer (new reference). */
#ifndef CKUBE_ADMISSION_H
#define CKUBE_ADMISSION_H
#include <stdbool.h>
#include <jansson.h>
#include "request_opts.h"
#include "watch_cache.h"
#include "registry.h"

typedef enum { ADMIT_CREATE = 1 << 0, ADMIT_UPDATE = 1 << 1, ADMIT_DELETE = 1 << 2 } admission_op;

/* One request's admission attributes. The strings and objects are borrowed
 * for the request's lifetime. */
typedef struct {
  admission_op op;
  const resource *r;
  const char *sub;       /* subresource, NULL for the main resource */
  const char *ns;        /* "" for cluster-scoped resources */
  const char *name;      /* the object's name */
  const char *shown;     /* the name errors show (generateName when the name was generated) */
  const char *asked;     /* the name webhooks are told ("" when the name is still to be generated) */
  json_t *obj;           /* create/update: the object being admitted (plugins mutate it); delete: NULL */
  const json_t *old;     /* update: the stored object; delete: the object as it is; create: NULL */
  const json_t *options; /* delete: the DeleteOptions (or NULL) */
  const api_opts *o;     /* the request's options (dryRun, user, warnings); may be NULL */
  cache *cache;          /* the server's watch cache: what the plugins read */
  bool dry_run;
  struct quota_charge *quota_charge; /* set by ResourceQuota: what the write adds, until admission_release */
} admission_request;

/* The mutating half of every row that applies, in the table's order. */
json_t *admission_mutate(admission_request *a);
/* The validating half of every row that applies, in order; ResourceQuota,
 * last, may leave a charge in its namespace's ledger (see admission_release). */
json_t *admission_validate(admission_request *a);
/* Releases what admission holds: call once the admitted write is stored (or
 * abandoned); a no-op when nothing is held. */
void admission_release(admission_request *a);

/* The name of the table's i-th row, NULL past the last (tests, logs). */
const char *admission_plugin_name(size_t i);

/* How many objects of the cluster-scoped resource cls are annotated "true"
 * under one of keys (NULL-terminated): the default-class count of
 * DefaultStorageClass and DefaultIngressClass; the last one's name into name. */
int admission_count_defaults(cache *c, const resource *cls, const char *const keys[], char *name, size_t len);

/* The plugins behind the rows (admission_*.c, api_webhook.c); c: the cache they read. */
/* NodeRestriction (admission_rbac.c). */
json_t *admit_node_restriction(admission_request *a);
/* Not a row: RBAC's escalation check of role and binding writes, which
 * 1.20 makes in the roles' and bindings' storage before admission; api.c
 * calls it first on create and update (admission_rbac.c). */
json_t *rbac_escalation_check(admission_request *a);
json_t *admit_namespace_lifecycle(cache *c, const resource *r, const char *ns, const char *name);
json_t *admit_default_storage_class(cache *c, const resource *r, const char *name, json_t *obj);
/* DefaultIngressClass: an Ingress created without a class gets the default
 * IngressClass (admission_ingress.c); a Forbidden Status when two are default. */
json_t *admit_default_ingress_class(cache *c, const resource *r, const char *name, json_t *obj);
void admit_storage_protection(const resource *r, json_t *obj);
json_t *admit_limitrange_defaults(cache *c, const resource *r, const char *ns, json_t *obj);
json_t *admit_priority(cache *c, const resource *r, const char *name, json_t *obj, const json_t *old);
json_t *admit_limitrange_limits(cache *c, const resource *r, const char *ns, const char *name, const json_t *obj);
/* ResourceQuota: NULL or the Forbidden Status; when admitted, *charge is
 * what the write adds (NULL: nothing), for admission_release to drop. On a
 * store several servers share (etcd) an admitted write also charges each
 * quota's status.used by compare-and-swap on its resourceVersion (not for a
 * dry run), so two servers can never both take the last unit. */
json_t *admit_resource_quota(cache *c, const resource *r, const char *ns, const char *name, const json_t *obj,
                             const json_t *old, bool dry_run, struct quota_charge **charge);
json_t *api_webhook_mutate(admission_request *a);
json_t *api_webhook_validate(admission_request *a);

/* The live usage in ns of the quota resource names in hard (a ResourceList
 * object) over the objects in the scopes of spec (a quota's spec), skipping
 * the object skip_name of r (NULL: none): {name: qty}.
 * New reference. The resource quota controller's quota_used (api.h) reads the
 * server's cache through it. */
json_t *quota_used_in(cache *c, const char *ns, const json_t *spec, const json_t *hard, const resource *skip_r,
                      const char *skip_name);

#endif
