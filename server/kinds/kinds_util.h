/* kinds_util.h - the internal interface of the kinds_*.c files: JSON and
 * name-format helpers (kinds_util.c), ObjectMeta validation (kinds_meta.c),
 * and the per-kind hooks each area file exports for the dispatch table in
 * kinds.c (pods in kinds_pod.c, workloads in kinds_apps.c, jobs in
 * kinds_batch.c, services in kinds_service.c, ingresses in kinds_ingress.c,
 * the rest in kinds_other.c). */
#ifndef CKUBE_KINDS_UTIL_H
#define CKUBE_KINDS_UTIL_H
#include <stdbool.h>
#include <jansson.h>
#include "field_errors.h"
#include "kinds.h"

/* obj[key] as an object, created (or replacing a non-object) when absent;
 * borrowed; NULL when obj is not an object. */
json_t *kobj(json_t *obj, const char *key);
/* Sets obj[key] = v (stolen) when key is absent. */
void kdefault(json_t *obj, const char *key, json_t *v);
const char *kstr(const json_t *obj, const char *key);
bool kis(const kind_ref *k, const char *group, const char *kind);
/* True when s is one of the NULL-terminated list. */
bool kone_of(const char *s, const char *const *list);
/* Adds NotSupported at field when obj[key] is a string outside list. */
void kcheck_enum(field_errors *fe, const char *field, const json_t *obj, const char *key, const char *const *list);
/* Adds "must be greater than or equal to 0" when obj[key] is a negative integer. */
void kcheck_nonneg(field_errors *fe, const char *field, const json_t *obj, const char *key);
/* Rewrites the quantities of a ResourceList (an object of quantities, as
 * strings or bare JSON numbers) in the form the API server writes them back
 * ("0.5" or 0.5 -> "500m", 1 -> "1"); values
 * that do not parse are left for validation. */
void kcanonical_quantities(json_t *list);
/* Port number 1..65535 at field (Invalid otherwise). */
void check_port(field_errors *fe, const char *field, const json_t *v);
/* IsValidPortName's messages, in its order. */
void check_port_name(field_errors *fe, const char *field, const char *name);
/* ValidatePortNumOrName of an IntOrString port (string: a name, else a number). */
void check_port_num_or_name(field_errors *fe, const char *field, const json_t *v);

/* Name formats; each appends Invalid errors (with Kubernetes' messages) for value at field. */
void check_dns1123_subdomain(field_errors *fe, const char *field, const char *value);
void check_dns1123_label(field_errors *fe, const char *field, const char *value);
void check_dns1035_label(field_errors *fe, const char *field, const char *value);
void check_qualified_name(field_errors *fe, const char *field, const char *value);
void check_label_value(field_errors *fe, const char *field, const char *value);
/* IsQualifiedName of value, reporting shown as the bad value (annotation keys
 * are checked lower-cased but reported as sent). */
void check_qualified_name_as(field_errors *fe, const char *field, const char *shown, const char *value);
/* IsConfigMapKey for the keys of map, each reported at prefix[key]. */
void check_config_keys(field_errors *fe, const char *prefix, const json_t *map);
/* ValidateLabels of a label map at field (keys, then values). */
void check_labels(field_errors *fe, const char *field, const json_t *labels);
/* ValidateAnnotations at field: keys lower-cased through IsQualifiedName, 256 KiB in total. */
void check_annotations(field_errors *fe, const char *field, const json_t *annotations);
/* ValidateLabelSelector of a metav1.LabelSelector at field (kinds_apps.c). */
void check_label_selector(field_errors *fe, const char *field, const json_t *sel);
/* True when labels (object or NULL) satisfy the metav1.LabelSelector sel (lib/selector.h rules). */
bool selector_matches_labels(const json_t *sel, const json_t *labels);

/* ObjectMeta of obj for kind k (kinds_meta.c): name rule of the kind,
 * generateName, namespace presence, labels, annotations, finalizers,
 * ownerReferences; with old, the update rules too. */
void kinds_validate_meta(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);


/* HorizontalPodAutoscaler in place from a v2 shape to autoscaling/v1 and
 * back (kinds_convert_hpa.c); apiVersion is left to the caller. */
void hpa_to_v1(json_t *obj);
void hpa_from_v1(json_t *obj);
/* autoscaling/v2beta1 -> the v2beta2 shape (metrics with targets, behavior
 * from its annotation) and back; apiVersion is left to the caller. */
void hpa_v2beta1_up(json_t *obj);
void hpa_v2beta1_down(json_t *obj);
/* Ingress in place from the v1beta1 shape (networking.k8s.io and extensions)
 * to networking.k8s.io/v1 and back (kinds_convert_ingress.c); apiVersion is
 * left to the caller. */
void ingress_to_v1(json_t *obj);
void ingress_from_v1(json_t *obj);

/* Pod specs (kinds_pod.c). pod=true for a Pod (not a template). */
void default_pod_spec(json_t *spec, bool pod);
/* Defaults of obj[key].spec when obj[key] is a pod template object. */
void default_pod_template(json_t *parent, const char *key);
/* Validation of a PodSpec at field path prefix (e.g. "spec.template.spec"). */
void validate_pod_spec(const json_t *spec, const char *prefix, field_errors *fe);
/* A PodTemplateSpec at prefix (labels, annotations, spec). */
void validate_pod_template(const json_t *tmpl, const char *prefix, field_errors *fe);

/* Hook signatures of the dispatch table (kinds.c). */
typedef void (*kind_default_fn)(const kind_ref *k, json_t *obj);
typedef void (*kind_create_fn)(const kind_ref *k, json_t *obj);
typedef void (*kind_update_fn)(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
typedef void (*kind_validate_fn)(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);

/* kinds_apps.c */
void workload_default(const kind_ref *k, json_t *obj);
void workload_create(const kind_ref *k, json_t *obj);
void workload_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
void workload_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
/* kinds_batch.c */
void job_default(const kind_ref *k, json_t *obj);
void cronjob_default(const kind_ref *k, json_t *obj);
void job_create(const kind_ref *k, json_t *obj);
void job_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void cronjob_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
/* kinds_other.c */
void namespace_default(const kind_ref *k, json_t *obj);
void namespace_create(const kind_ref *k, json_t *obj);
void namespace_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
void namespace_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void node_default(const kind_ref *k, json_t *obj);
void limitrange_default(const kind_ref *k, json_t *obj);
void resourcequota_default(const kind_ref *k, json_t *obj);
void node_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void configmap_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void secret_default(const kind_ref *k, json_t *obj);
void secret_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void serviceaccount_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void pv_default(const kind_ref *k, json_t *obj);
void pv_create(const kind_ref *k, json_t *obj);
void pv_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void pvc_default(const kind_ref *k, json_t *obj);
void pvc_create(const kind_ref *k, json_t *obj);
void pvc_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void hpa_default(const kind_ref *k, json_t *obj);
void hpa_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void storageclass_default(const kind_ref *k, json_t *obj);
void priorityclass_default(const kind_ref *k, json_t *obj);
void priorityclass_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void webhookconfig_default(const kind_ref *k, json_t *obj);
/* kinds_apiservice.c: apiregistration.k8s.io APIService (service.port 443 by default; kube-aggregator's validation). */
void apiservice_default(const kind_ref *k, json_t *obj);
void apiservice_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void webhookconfig_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void storageclass_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void rbac_default(const kind_ref *k, json_t *obj);
void rbac_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void lease_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void pdb_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void event_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
/* kinds_csr.c: the v1beta1 defaults (signerName from the request) */
void csr_default(const kind_ref *k, json_t *obj);
/* Condition timestamps on /status and /approval updates (1.20's
 * populateConditionTimestamps): lastUpdateTime now when unset,
 * lastTransitionTime kept from an old condition of the same type and status,
 * else now. */
void csr_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
/* kinds_ingress.c */
void ingress_default(const kind_ref *k, json_t *obj);
void ingress_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
/* kinds_pod.c */
void pod_default(const kind_ref *k, json_t *obj);
void podtemplate_default(const kind_ref *k, json_t *obj);
void pod_create(const kind_ref *k, json_t *obj);
void pod_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void podtemplate_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
/* kinds_service.c */
void service_default(const kind_ref *k, json_t *obj);
void service_create(const kind_ref *k, json_t *obj);
void service_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
void service_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void endpoints_default(const kind_ref *k, json_t *obj);
void endpoints_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void endpointslice_default(const kind_ref *k, json_t *obj);
void endpointslice_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);

#endif
