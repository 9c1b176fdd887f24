/* kinds.c - the entry points of kinds.h: one table row per kind (group,
 * kind, and its defaulting, PrepareForCreate, PrepareForUpdate and
 * validation hooks, written in the kinds_<area>.c files), plus the parts every
 * kind shares: the status reset of the registry strategies (status cleared on
 * create, kept from the stored object on main-resource updates, everything
 * but status kept on /status updates) and ObjectMeta validation. Kinds
 * without a row get the shared behaviour only. */
#include "crd.h"
#include "kinds_util.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *group, *kind;
  kind_default_fn defaults;
  kind_create_fn create;   /* runs after the shared status reset */
  kind_update_fn update;   /* runs after the shared status handling */
  kind_validate_fn validate;
} kind_row;

static const kind_row rows[] = {
    {"", "Pod", pod_default, pod_create, NULL, pod_validate},
    {"", "PodTemplate", podtemplate_default, NULL, NULL, podtemplate_validate},
    {"", "ReplicationController", workload_default, NULL, NULL, workload_validate},
    {"apps", "Deployment", workload_default, NULL, workload_update, workload_validate},
    {"apps", "ReplicaSet", workload_default, NULL, NULL, workload_validate},
    {"apps", "StatefulSet", workload_default, NULL, NULL, workload_validate},
    {"apps", "DaemonSet", workload_default, workload_create, workload_update, workload_validate},
    {"batch", "Job", job_default, job_create, NULL, job_validate},
    {"batch", "CronJob", cronjob_default, NULL, NULL, cronjob_validate},
    {"", "Service", service_default, service_create, service_update, service_validate},
    {"", "Endpoints", endpoints_default, NULL, NULL, endpoints_validate},
    {"discovery.k8s.io", "EndpointSlice", endpointslice_default, NULL, NULL, endpointslice_validate},
    {"", "Namespace", namespace_default, namespace_create, namespace_update, namespace_validate},
    {"", "Node", node_default, NULL, NULL, node_validate},
    {"", "LimitRange", limitrange_default, NULL, NULL, NULL},
    {"", "ResourceQuota", resourcequota_default, NULL, NULL, NULL},
    {"", "ConfigMap", NULL, NULL, NULL, configmap_validate},
    {"", "Secret", secret_default, NULL, NULL, secret_validate},
    {"", "PersistentVolume", pv_default, pv_create, NULL, pv_validate},
    {"", "PersistentVolumeClaim", pvc_default, pvc_create, NULL, pvc_validate},
    {"", "ServiceAccount", NULL, NULL, NULL, serviceaccount_validate},
    {"", "Event", NULL, NULL, NULL, event_validate},
    {"events.k8s.io", "Event", NULL, NULL, NULL, event_validate},
    {"autoscaling", "HorizontalPodAutoscaler", hpa_default, NULL, NULL, hpa_validate},
    {"storage.k8s.io", "StorageClass", storageclass_default, NULL, NULL, storageclass_validate},
    {"scheduling.k8s.io", "PriorityClass", priorityclass_default, NULL, NULL, priorityclass_validate},
    {"apiregistration.k8s.io", "APIService", apiservice_default, NULL, NULL, apiservice_validate},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration", webhookconfig_default, NULL, NULL,
     webhookconfig_validate},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", webhookconfig_default, NULL, NULL,
     webhookconfig_validate},
    {"rbac.authorization.k8s.io", "Role", NULL, NULL, NULL, rbac_validate},
    {"rbac.authorization.k8s.io", "ClusterRole", NULL, NULL, NULL, rbac_validate},
    {"rbac.authorization.k8s.io", "RoleBinding", rbac_default, NULL, NULL, rbac_validate},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", rbac_default, NULL, NULL, rbac_validate},
    {"coordination.k8s.io", "Lease", NULL, NULL, NULL, lease_validate},
    {"networking.k8s.io", "Ingress", ingress_default, NULL, NULL, ingress_validate},
    {"extensions", "Ingress", ingress_default, NULL, NULL, ingress_validate},
    {"policy", "PodDisruptionBudget", NULL, NULL, NULL, pdb_validate},
    {"certificates.k8s.io", "CertificateSigningRequest", csr_default, NULL, csr_update, NULL},
    {CRD_GROUP, "CustomResourceDefinition", crd_default, crd_create, crd_update, crd_validate},
};

/* Custom resources have one row, driven by their CRD version (k->crd). */
static const kind_row custom_row = {"", "", cr_default, cr_create, cr_update, cr_validate};

static const kind_row *row_of(const kind_ref *k) {
  if (k->crd) return &custom_row;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (kis(k, rows[i].group, rows[i].kind)) return &rows[i];
  return NULL;
}

/* Kinds without a status subresource: their "status" (if any) is plain data. */
static bool has_status(const kind_ref *k) {
  static const char *const none[] = {"ConfigMap", "Secret", "ServiceAccount", "Endpoints", "Event", "LimitRange",
                                     "PodTemplate", "ControllerRevision", "Role", "RoleBinding", "ClusterRole",
                                     "ClusterRoleBinding", "Lease", "StorageClass", "PriorityClass", "RuntimeClass",
                                     "IngressClass", "EndpointSlice", "CSIDriver", "CSINode", "NetworkPolicy",
                                     "Binding", "ComponentStatus", "MutatingWebhookConfiguration",
                                     "ValidatingWebhookConfiguration", NULL};
  return !kone_of(k->kind, none);
}

void kinds_default(const kind_ref *k, json_t *obj) {
  const kind_row *r = row_of(k);
  if (r && r->defaults && json_is_object(obj)) r->defaults(k, obj);
}

void kinds_prepare_create(const kind_ref *k, json_t *obj) {
  if (!json_is_object(obj)) return;
  const kind_row *r = row_of(k);
  /* nodes register with their status; everything else starts without one */
  if (!k->crd && has_status(k) && !kis(k, "", "Node")) json_object_set_new(obj, "status", json_object());
  if (r && r->create) r->create(k, obj);
}

void kinds_prepare_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  if (!json_is_object(obj)) return;
  const kind_row *r = row_of(k);
  if (k->crd) {
    r->update(k, sub, obj, old);
    return;
  }
  if (has_status(k) && !sub) {
    /* a copy: the update's later steps (crd_update's storedVersions) change
     * it, and old may be the published object */
    const json_t *st = json_object_get(old, "status");
    if (st) json_object_set_new(obj, "status", json_deep_copy(st));
    else json_object_del(obj, "status");
  } else if (has_status(k) && (!strcmp(sub, "status") || !strcmp(sub, "approval"))) {
    /* metadata and status come from the request, everything else (spec)
     * from the stored object, as the kinds' status strategies do; pods keep
     * their ownerReferences, Deployments their labels; a CSR's approval
     * changes only status.conditions */
    json_t *st = json_incref(json_object_get(obj, "status"));
    json_t *md = json_incref(json_object_get(obj, "metadata"));
    json_t *copy = json_deep_copy(old);
    json_object_clear(obj);
    json_object_update(obj, copy);
    json_decref(copy);
    if (md) json_object_set_new(obj, "metadata", md);
    if (!strcmp(sub, "approval")) {
      json_t *conds = json_incref(json_object_get(st, "conditions"));
      json_decref(st);
      st = json_deep_copy(json_object_get(old, "status"));
      if (!st) st = json_object();
      if (conds) json_object_set_new(st, "conditions", conds);
      else json_object_del(st, "conditions");
    }
    if (st) json_object_set_new(obj, "status", st);
    else json_object_del(obj, "status");
    const char *keep = kis(k, "", "Pod") ? "ownerReferences" : kis(k, "apps", "Deployment") ? "labels" : NULL;
    const json_t *kept = keep ? json_object_get(json_object_get(old, "metadata"), keep) : NULL;
    if (keep && kept) json_object_set_new(kobj(obj, "metadata"), keep, json_deep_copy(kept));
    else if (keep) json_object_del(kobj(obj, "metadata"), keep);
  }
  if (r && r->update) r->update(k, sub, obj, old);
}

void kinds_prepare_delete(const kind_ref *k, json_t *obj) {
  if (kis(k, CRD_GROUP, "CustomResourceDefinition")) crd_prepare_delete(k, obj);
}

void kinds_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  kinds_validate_meta(k, obj, old, fe);
  const kind_row *r = row_of(k);
  if (r && r->validate) r->validate(k, obj, old, fe);
}
