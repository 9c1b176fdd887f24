/* crd.h - CustomResourceDefinitions (apiextensions.k8s.io/v1): what a CRD
 * version contributes to the resources it serves, and the entry points of
 * the crd_*.c files of kinds/ and views/ (those of crd/, which registers
 * the served versions and runs the controller, are in crd/crd_registry.h).
 *
 * A CRD is stored like any object. crd_registry.c turns each served version
 * into a registry row (registry.h) whose kind_ref.crd points at a
 * crd_version, so custom resources go through the same REST layer and API
 * core as built-in kinds; the kinds hooks (kinds.c) call crd_resource.c for
 * them. crd_controller.c plays the apiextensions controllers: naming
 * (acceptedNames, NamesAccepted), establishing, and the cleanup finalizer. */
#ifndef CKUBE_CRD_H
#define CKUBE_CRD_H
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <jansson.h>
#include "field_errors.h"
#include "kinds.h"

#define CRD_GROUP "apiextensions.k8s.io"
#define CRD_CLEANUP_FINALIZER "customresourcecleanup.apiextensions.k8s.io"

/* The rules of one served version of a CRD. Immutable once published; a CRD
 * update publishes a new one (old ones are never freed: holders may still
 * read them). */
typedef struct crd_version {
  json_t *schema;     /* openAPIV3Schema, or NULL */
  json_t *columns;    /* additionalPrinterColumns, or NULL (an Age column then) */
  bool status;        /* subresources.status */
  bool defaults;      /* the schema sets defaults: objects are defaulted when read too */
  bool preserve_unknown; /* the CRD's spec.preserveUnknownFields (v1beta1's default): no pruning */
  bool structural;    /* the schema is structural (else it only validates: no defaults, no OpenAPI) */
  atomic_bool terminating; /* the CRD is being deleted: no new objects (set by the controller) */
  json_t *scale;      /* subresources.scale, or NULL */
  json_t *conversion; /* spec.conversion.webhook ({clientConfig, conversionReviewVersions}) when the strategy is
                         Webhook, else NULL (strategy None: only apiVersion changes) */
  const char *crd_name;
} crd_version;

/* crd_validate.c: the kinds hooks of CustomResourceDefinition. */
void crd_default(const kind_ref *k, json_t *obj);
void crd_create(const kind_ref *k, json_t *obj);
void crd_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
void crd_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
void crd_prepare_delete(const kind_ref *k, json_t *obj);

/* kinds_convert_crd.c: a CRD between v1beta1 and v1 in place (apiVersion
 * left to the caller). */
void crd_v1beta1_to_v1(json_t *obj);
void crd_v1_to_v1beta1(json_t *obj);

/* crd_table.c: Table columns and the cells of one object (new references). */
json_t *crd_table_columns(const crd_version *cv);
json_t *crd_table_cells(const crd_version *cv, const json_t *obj, time_t now);

/* crd_resource.c: the kinds hooks of custom resources (k->crd set). */
void cr_default(const kind_ref *k, json_t *obj);
void cr_create(const kind_ref *k, json_t *obj);
void cr_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old);
void cr_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe);
/* Whether a write to a custom resource changes what generation counts: all
 * but metadata, and but status when the status subresource is on. */
bool cr_generation_changed(const kind_ref *k, const json_t *obj, const json_t *old);
/* The fields of obj the schema would prune ("spec.foo"), appended to found
 * as `unknown field "spec.foo"` for fieldValidation. */
void cr_unknown_fields(const kind_ref *k, const json_t *obj, json_t *found);

/* Sets a condition in status.conditions; lastTransitionTime moves only when
 * status changes. */
void crd_set_condition(json_t *crd, const char *type, const char *status, const char *reason, const char *message);
/* Removes the condition of type, if any. */
void crd_remove_condition(json_t *crd, const char *type);

#endif
