/* crd_schema.h - the structural schemas of CustomResourceDefinitions:
 * checking a CRD's openAPIV3Schema (crd_schema_check.c), validating a custom
 * resource against it with kube-openapi's messages (crd_schema_validate.c),
 * defaulting and pruning (crd_schema_prune.c), and the JSONPath subset of
 * printer columns and scale paths (crd_jsonpath.c). Schemas are JSON as
 * stored in the CRD (JSONSchemaProps); all functions are reentrant. */
#ifndef CKUBE_CRD_SCHEMA_H
#define CKUBE_CRD_SCHEMA_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "field_errors.h"

/* Errors of the schema itself at path (e.g. "spec.validation.openAPIV3Schema"):
 * property types, items of arrays, type required, object at the root, as
 * ValidateCustomResourceDefinitionOpenAPISchema and the structural checks do. */
void crd_schema_check(const json_t *schema, const char *path, field_errors *fe);

/* What a request may leave out of those checks (all false: v1's rules). */
typedef struct {
  bool any_type;          /* unknown property types pass (v1beta1 requests) */
  bool non_structural;    /* only the OpenAPI checks, not the structural ones */
  const char *no_defaults; /* non-NULL: "default" is forbidden, for this reason */
} crd_schema_rules;
void crd_schema_check_with(const json_t *schema, const char *path, const crd_schema_rules *rules, field_errors *fe);
/* Whether schema (NULL counts) passes the structural checks (crd_validate.c). */
bool crd_schema_structural(const json_t *schema);
/* Only the structural completeness and invariants (NonStructuralSchema). */
void crd_schema_check_structural(const json_t *schema, const char *path, field_errors *fe);

/* Validates obj (a whole custom resource) against schema; errors at field
 * paths such as "spec.replicas". */
void crd_schema_validate(const json_t *schema, const json_t *obj, field_errors *fe);

/* Sets the defaults of schema in obj where fields are absent (structural
 * defaulting: object properties, array items, additionalProperties). */
void crd_schema_default(const json_t *schema, json_t *obj);

/* Removes the fields schema does not declare (apiVersion, kind and metadata
 * stay at the root; x-kubernetes-preserve-unknown-fields keeps everything
 * below). When found is non-NULL, appends `unknown field "path"` per removed
 * field. */
void crd_schema_prune(const json_t *schema, json_t *obj, json_t *found);

/* 0 when path is a JSONPath the server can evaluate: a dotted field path
 * (".spec.replicas"), optionally with [n] indexes, bracketed keys ['a.b'] or
 * a [?(@.type=="Ready")].field filter on arrays of objects; -1 otherwise. */
int crd_jsonpath_check(const char *path);
/* The value at path in obj (borrowed), or NULL when absent or bad. */
const json_t *crd_jsonpath_get(const json_t *obj, const char *path);
/* Sets obj at a dotted path (".spec.replicas"), creating objects on the way;
 * steals v. 0, or -1 when the path cannot be set. */
int crd_jsonpath_set(json_t *obj, const char *path, json_t *v);

#endif
