/* crd_schema_check.c - errors in a CRD's openAPIV3Schema, in the three
 * passes Kubernetes 1.20 runs and reports in that order: the OpenAPI checks
 * (known property types, defaults where allowed, no uniqueItems, properties
 * xor additionalProperties), structural completeness (arrays have items) and
 * the structural invariants (every specified node has a type, the root is an
 * object, no additionalProperties at the root). What a request may skip
 * (v1beta1: unknown types, non-structural schemas; defaults) is in
 * crd_schema_rules. */
#include "crd_schema.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 48

typedef enum { AT_ROOT, AT_FIELD, AT_ITEMS, AT_OTHER } position;

typedef void (*node_check)(const json_t *s, const char *path, position pos, const crd_schema_rules *rules,
                           field_errors *fe);

/* Calls check on every schema node below s (s first), depth first. */
static void walk(const json_t *s, const char *path, position pos, node_check check, const crd_schema_rules *rules,
                 field_errors *fe, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return;
  check(s, path, pos, rules, fe);
  char p[1024];
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(s, "properties"), k, v) {
    snprintf(p, sizeof p, "%s.properties[%s]", path, k);
    walk(v, p, AT_FIELD, check, rules, fe, depth + 1);
  }
  snprintf(p, sizeof p, "%s.items", path);
  walk(json_object_get(s, "items"), p, AT_ITEMS, check, rules, fe, depth + 1);
  snprintf(p, sizeof p, "%s.additionalProperties", path);
  walk(json_object_get(s, "additionalProperties"), p, AT_FIELD, check, rules, fe, depth + 1);
  static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
  for (int l = 0; l < 3; l++) {
    size_t i;
    json_array_foreach(json_object_get(s, lists[l]), i, v) {
      snprintf(p, sizeof p, "%s.%s[%zu]", path, lists[l], i);
      walk(v, p, AT_OTHER, check, rules, fe, depth + 1);
    }
  }
  snprintf(p, sizeof p, "%s.not", path);
  walk(json_object_get(s, "not"), p, AT_OTHER, check, rules, fe, depth + 1);
}

static void field_at(char *out, size_t len, const char *path, const char *child) {
  snprintf(out, len, "%s.%s", path, child);
}

static void openapi_checks(const json_t *s, const char *path, position pos, const crd_schema_rules *rules,
                           field_errors *fe) {
  (void)pos;
  char f[1100];
  const char *type = json_string_value(json_object_get(s, "type"));
  static const char *const types[] = {"array", "boolean", "integer", "number", "object", "string", NULL};
  if (type && *type && !rules->any_type) {
    bool ok = false;
    for (int i = 0; types[i]; i++) ok = ok || !strcmp(types[i], type);
    if (!ok) {
      field_at(f, sizeof f, path, "type");
      json_t *bad = json_string(type);
      fe_not_supported(fe, f, bad, types);
      json_decref(bad);
    }
  }
  if (rules->no_defaults && json_object_get(s, "default")) {
    field_at(f, sizeof f, path, "default");
    char why[300];
    snprintf(why, sizeof why, "must not be set %s", rules->no_defaults);
    fe_forbidden(fe, f, why);
  }
  if (json_is_true(json_object_get(s, "uniqueItems"))) {
    field_at(f, sizeof f, path, "uniqueItems");
    fe_forbidden(fe, f, "uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
  }
  if (json_object_get(s, "additionalProperties") && json_object_size(json_object_get(s, "properties"))) {
    field_at(f, sizeof f, path, "additionalProperties");
    fe_forbidden(fe, f, "additionalProperties and properties are mutual exclusive");
  }
}

static void completeness(const json_t *s, const char *path, position pos, const crd_schema_rules *rules,
                         field_errors *fe) {
  (void)pos;
  (void)rules;
  const char *type = json_string_value(json_object_get(s, "type"));
  if (type && !strcmp(type, "array") && !json_object_get(s, "items")) {
    char f[1100];
    field_at(f, sizeof f, path, "items");
    fe_required(fe, f, "must be specified");
  }
}

static void invariants(const json_t *s, const char *path, position pos, const crd_schema_rules *rules,
                       field_errors *fe) {
  (void)rules;
  if (pos == AT_OTHER) return;
  char f[1100];
  field_at(f, sizeof f, path, "type");
  const char *type = json_string_value(json_object_get(s, "type"));
  bool free_type = json_is_true(json_object_get(s, "x-kubernetes-int-or-string")) ||
                   json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields"));
  if ((!type || !*type) && !free_type) {
    fe_required(fe, f, pos == AT_ROOT    ? "must not be empty at the root"
                       : pos == AT_ITEMS ? "must not be empty for specified array items"
                                         : "must not be empty for specified object fields");
  }
  if (pos != AT_ROOT) return;
  if (type && *type && strcmp(type, "object")) fe_invalid_str(fe, f, type, "must be object at the root");
  if (json_object_get(s, "additionalProperties")) {
    field_at(f, sizeof f, path, "additionalProperties");
    fe_forbidden(fe, f, "must not be used at the root");
  }
}

void crd_schema_check_with(const json_t *schema, const char *path, const crd_schema_rules *rules, field_errors *fe) {
  walk(schema, path, AT_ROOT, openapi_checks, rules, fe, 0);
  if (rules->non_structural) return;
  crd_schema_check_structural(schema, path, fe);
}

void crd_schema_check_structural(const json_t *schema, const char *path, field_errors *fe) {
  static const crd_schema_rules none = {false, false, NULL};
  walk(schema, path, AT_ROOT, completeness, &none, fe, 0);
  walk(schema, path, AT_ROOT, invariants, &none, fe, 0);
}

void crd_schema_check(const json_t *schema, const char *path, field_errors *fe) {
  static const crd_schema_rules v1 = {false, false, NULL};
  crd_schema_check_with(schema, path, &v1, fe);
}
