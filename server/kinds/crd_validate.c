/* crd_validate.c - the kinds hooks of CustomResourceDefinition: v1 and
 * v1beta1 defaulting (singular, listKind, conversion, storedVersions; for
 * v1beta1 also scope, versions from version, preserveUnknownFields), the registry
 * strategy (status reset on create, storedVersions kept up to date, the
 * cleanup finalizer and Terminating condition on the first delete) and
 * ValidateCustomResourceDefinition with Kubernetes 1.20's messages and field
 * paths. Like 1.20 it validates the internal form (v1beta1's shape: a v1
 * request is converted first, so per-version schemas, subresources and
 * columns identical in every version are reported at their top-level paths,
 * spec.validation.openAPIV3Schema, ...) with the options of the request's
 * version: v1beta1 needs no schema, allows non-structural schemas while
 * preserveUnknownFields is true and forbids defaults; an update never
 * tightens what the stored CRD already had. The schema checks themselves are
 * in crd_schema_check.c. */
#include "crd.h"
#include "crd_schema.h"
#include "conditions.h"
#include "kinds_util.h"
#include "timestamp.h"
#include "json_path.h"
#include "finalizers.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr_at(const json_t *arr, size_t i) {
  const char *s = json_string_value(json_array_get(arr, i));
  return s ? s : "";
}

/* The v1beta1 defaults v1 does not have: scope, versions <-> version,
 * preserveUnknownFields (true: v1beta1 CRDs kept unknown fields). */
static void default_v1beta1(json_t *spec) {
  if (!*json_path_str0(spec, "scope")) json_object_set_new(spec, "scope", json_string("Namespaced"));
  json_t *versions = json_object_get(spec, "versions");
  const char *version = json_path_str0(spec, "version");
  if (!json_array_size(versions) && *version)
    json_object_set_new(spec, "versions", json_pack("[{s:s,s:b,s:b}]", "name", version, "served", 1, "storage", 1));
  if (!*version && json_array_size(versions))
    json_object_set_new(spec, "version", json_string(json_path_str0(json_array_get(versions, 0), "name")));
  const json_t *pu = json_object_get(spec, "preserveUnknownFields");
  if (!pu || json_is_null(pu)) json_object_set_new(spec, "preserveUnknownFields", json_true());
}

void crd_default(const kind_ref *k, json_t *obj) {
  json_t *spec = kobj(obj, "spec");
  json_t *names = kobj(spec, "names");
  const char *kind = json_path_str0(names, "kind");
  if (!*json_path_str0(names, "singular")) {
    char *low = strdup(kind);
    for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
    json_object_set_new(names, "singular", json_string(low));
    free(low);
  }
  if (!*json_path_str0(names, "listKind") && *kind) {
    char buf[512];
    snprintf(buf, sizeof buf, "%sList", kind);
    json_object_set_new(names, "listKind", json_string(buf));
  }
  if (!strcmp(k->version, "v1beta1")) default_v1beta1(spec);
  if (!json_object_get(spec, "conversion")) json_object_set_new(spec, "conversion", json_pack("{s:s}", "strategy", "None"));
  json_t *conv = json_object_get(spec, "conversion");
  if (!strcmp(k->version, "v1beta1") && !strcmp(json_path_str0(conv, "strategy"), "Webhook") &&
      !json_array_size(json_object_get(conv, "conversionReviewVersions")))
    json_object_set_new(conv, "conversionReviewVersions", json_pack("[s]", "v1beta1"));
  json_t *cc = json_object_get(conv, !strcmp(k->version, "v1beta1") ? "webhookClientConfig" : "webhook");
  if (strcmp(k->version, "v1beta1")) cc = json_object_get(cc, "clientConfig");
  json_t *svc = json_object_get(cc, "service");
  if (json_is_object(svc)) kdefault(svc, "port", json_integer(443));
  json_t *status = json_object_get(obj, "status");
  if (json_is_object(status) && json_array_size(json_object_get(status, "storedVersions"))) return;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) {
    if (!json_is_true(json_object_get(v, "storage"))) continue;
    json_object_set_new(kobj(obj, "status"), "storedVersions", json_pack("[s]", json_path_str0(v, "name")));
    break;
  }
}

static void empty_status(json_t *obj) {
  json_t *st = json_pack("{s:{s:s,s:s},s:[]}", "acceptedNames", "plural", "", "kind", "", "conditions");
  json_object_set_new(obj, "status", st);
}

void crd_create(const kind_ref *k, json_t *obj) {
  (void)k;
  empty_status(obj);
  json_object_del(json_object_get(obj, "status"), "conditions");
  crd_default(k, obj);
}

/* The storage version joins status.storedVersions when it changes. */
void crd_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  (void)k;
  (void)old;
  if (sub) return;
  const json_t *spec = json_object_get(obj, "spec");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) {
    if (!json_is_true(json_object_get(v, "storage"))) continue;
    json_t *stored = json_object_get(kobj(obj, "status"), "storedVersions");
    if (!json_is_array(stored)) json_object_set_new(kobj(obj, "status"), "storedVersions", stored = json_array());
    size_t j;
    json_t *s;
    bool have = false;
    json_array_foreach(stored, j, s) have = have || !strcmp(json_string_value(s), json_path_str0(v, "name"));
    if (!have) json_array_append_new(stored, json_string(json_path_str0(v, "name")));
  }
}

void crd_prepare_delete(const kind_ref *k, json_t *obj) {
  (void)k;
  finalizers_add(obj, CRD_CLEANUP_FINALIZER);
  crd_set_condition(obj, "Terminating", "True", "InstanceDeletionPending",
                    "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon");
}

/* ---- validation ------------------------------------------------------ */

static void check_enum_required(field_errors *fe, const char *field, const json_t *obj, const char *key,
                                const char *const *list) {
  const char *v = json_path_str0(obj, key);
  if (!*v) fe_required(fe, field, "");
  else kcheck_enum(fe, field, obj, key, list);
}

/* Go's %#v of a []string, as field.Invalid prints it. */
static char *go_strings(const json_t *arr) {
  if (!json_array_size(arr)) return strdup("[]string(nil)");
  return fe_render_value(arr);
}

static const char *const column_types[] = {"boolean", "date", "integer", "number", "string", NULL};
static const char *const column_formats[] = {"byte",     "date",     "date-time", "double", "float", "int32",
                                             "int64",    "password", NULL};

static void check_columns(field_errors *fe, const char *prefix, const json_t *cols) {
  size_t i;
  json_t *c;
  char f[512];
  json_array_foreach(cols, i, c) {
    snprintf(f, sizeof f, "%s[%zu].name", prefix, i);
    if (!*json_path_str0(c, "name")) fe_required(fe, f, "");
    snprintf(f, sizeof f, "%s[%zu].type", prefix, i);
    if (!*json_path_str0(c, "type")) fe_required(fe, f, "must be one of boolean,date,integer,number,string");
    else kcheck_enum(fe, f, c, "type", column_types);
    snprintf(f, sizeof f, "%s[%zu].format", prefix, i);
    if (*json_path_str0(c, "format")) kcheck_enum(fe, f, c, "format", column_formats);
    snprintf(f, sizeof f, "%s[%zu].JSONPath", prefix, i);
    const char *jp = json_path_str0(c, "JSONPath");
    if (!*jp) fe_required(fe, f, "");
    else if (crd_jsonpath_check(jp) != 0) fe_invalid_str(fe, f, jp, "must be a simple json path starting with .");
  }
}

/* ValidateCustomResourceDefinitionSubresources: the scale paths. */
static void check_subresources(field_errors *fe, const char *prefix, const json_t *subs) {
  const json_t *scale = json_object_get(subs, "scale");
  if (!scale) return;
  char f[512];
  static const char *const keys[] = {"specReplicasPath", "statusReplicasPath", "labelSelectorPath"};
  for (int i = 0; i < 3; i++) {
    const char *p = json_path_str0(scale, keys[i]);
    snprintf(f, sizeof f, "%s.scale.%s", prefix, keys[i]);
    if (!*p) {
      if (i < 2) fe_required(fe, f, "");
      continue;
    }
    if (crd_jsonpath_check(p) != 0) fe_invalid_str(fe, f, p, "should be a json path under .spec or .status");
    else if (i == 0 && strncmp(p, ".spec.", 6)) fe_invalid_str(fe, f, p, "should be a json path under .spec");
    else if (i > 0 && strncmp(p, ".spec.", 6) && strncmp(p, ".status.", 8))
      fe_invalid_str(fe, f, p, "should be a json path under either .spec or .status");
  }
}

/* IsDNS1035Label of the lower-cased kind, reported as Kubernetes does for
 * kind and listKind. */
static void mixed_case_check(field_errors *fe, const char *field, const char *v) {
  char *low = strdup(v);
  for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
  field_errors *tmp = field_errors_new();
  check_dns1035_label(tmp, field, low);
  if (fe_count(tmp)) {
    /* body: `Invalid value: "<low>": <message>` */
    const char *msg = fe_body(tmp, 0) + strlen("Invalid value: \"\": ") + strlen(low);
    json_t *jv = json_string(v);
    fe_add(fe, FE_INVALID, field, jv, "may have mixed case, but should otherwise match: %s", msg);
    json_decref(jv);
  }
  field_errors_free(tmp);
  free(low);
}

static void check_names(field_errors *fe, const json_t *names) {
  static const char *const required[] = {"plural", "singular", "kind", "listKind"};
  char f[256];
  for (int i = 0; i < 4; i++) {
    snprintf(f, sizeof f, "spec.names.%s", required[i]);
    if (!*json_path_str0(names, required[i])) fe_required(fe, f, "");
  }
  for (int i = 0; i < 4; i++) {
    const char *v = json_path_str0(names, required[i]);
    if (!*v) continue;
    snprintf(f, sizeof f, "spec.names.%s", required[i]);
    if (i < 2) {
      check_dns1035_label(fe, f, v);
      continue;
    }
    mixed_case_check(fe, f, v);
  }
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(names, "shortNames"), i, s) {
    snprintf(f, sizeof f, "spec.names.shortNames[%zu]", i);
    check_dns1035_label(fe, f, json_string_value(s) ? json_string_value(s) : "");
  }
  const char *kind = json_path_str0(names, "kind");
  if (*kind && !strcmp(kind, json_path_str0(names, "listKind")))
    fe_invalid_str(fe, "spec.names.listKind", kind, "kind and listKind may not be the same");
  json_array_foreach(json_object_get(names, "categories"), i, s) {
    snprintf(f, sizeof f, "spec.names.categories[%zu]", i);
    check_dns1035_label(fe, f, json_string_value(s) ? json_string_value(s) : "");
  }
}

static void check_group(field_errors *fe, const char *group) {
  if (!*group) {
    fe_required(fe, "spec.group", "");
    return;
  }
  field_errors *tmp = field_errors_new();
  check_dns1123_subdomain(tmp, "spec.group", group);
  if (fe_count(tmp)) check_dns1123_subdomain(fe, "spec.group", group);
  else if (!strchr(group, '.')) fe_invalid_str(fe, "spec.group", group, "should be a domain with at least one dot");
  field_errors_free(tmp);
}

static void check_stored_versions(field_errors *fe, const json_t *obj) {
  const json_t *stored = json_object_get(json_object_get(obj, "status"), "storedVersions");
  const json_t *versions = json_object_get(json_object_get(obj, "spec"), "versions");
  if (!json_array_size(stored)) {
    char *r = go_strings(stored);
    fe_invalid_raw(fe, "status.storedVersions", r, "must have at least one stored version");
    free(r);
    return;
  }
  size_t i, j;
  json_t *v, *s;
  json_array_foreach(versions, i, v) {
    bool found = false;
    json_array_foreach(stored, j, s) found = found || !strcmp(json_string_value(s), json_path_str0(v, "name"));
    if (json_is_true(json_object_get(v, "storage")) && !found) {
      char msg[300];
      snprintf(msg, sizeof msg, "must have the storage version %s", json_path_str0(v, "name"));
      fe_invalid_raw(fe, "status.storedVersions", json_path_str0(v, "name"), msg);
    }
  }
  json_array_foreach(stored, j, s) {
    bool found = false;
    json_array_foreach(versions, i, v) found = found || !strcmp(json_string_value(s), json_path_str0(v, "name"));
    if (!found) {
      char f[64];
      snprintf(f, sizeof f, "status.storedVersions[%zu]", j);
      fe_invalid_str(fe, f, json_string_value(s), "must appear in spec.versions");
    }
  }
}

/* ---- the internal form ------------------------------------------------- */

/* What the request's version and the stored object allow (validationOptions). */
typedef struct {
  bool beta;           /* an apiextensions.k8s.io/v1beta1 request */
  bool require_schema; /* requireOpenAPISchema */
  bool structural;     /* requireStructuralSchema */
  crd_schema_rules rules;
} crd_opts;

typedef bool (*schema_pred)(const json_t *s);

/* schemaHas: pred on s or any schema below it. */
static bool schema_has(const json_t *s, schema_pred pred, int depth) {
  if (!json_is_object(s) || depth > 64) return false;
  if (pred(s)) return true;
  static const char *const one[] = {"items", "not", "additionalProperties", "additionalItems", NULL};
  for (int i = 0; one[i]; i++)
    if (schema_has(json_object_get(s, one[i]), pred, depth + 1)) return true;
  static const char *const lists[] = {"allOf", "anyOf", "oneOf", "items", NULL};
  for (int i = 0; lists[i]; i++) {
    size_t j;
    json_t *v;
    json_array_foreach(json_object_get(s, lists[i]), j, v) if (schema_has(v, pred, depth + 1)) return true;
  }
  static const char *const maps[] = {"properties", "patternProperties", "definitions", "dependencies", NULL};
  for (int i = 0; maps[i]; i++) {
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(s, maps[i]), k, v) if (schema_has(v, pred, depth + 1)) return true;
  }
  return false;
}

static const json_t *schema_of(const json_t *holder) { return json_object_get(holder, "openAPIV3Schema"); }

/* hasSchemaWith over the top-level and per-version schemas of an internal spec. */
static bool spec_has(const json_t *spec, schema_pred pred) {
  if (schema_has(schema_of(json_object_get(spec, "validation")), pred, 0)) return true;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) if (schema_has(schema_of(json_object_get(v, "schema")), pred, 0)) return true;
  return false;
}

static bool has_default(const json_t *s) { return json_object_get(s, "default") != NULL; }

static bool has_extension(const json_t *s) {
  const json_t *pu = json_object_get(s, "x-kubernetes-preserve-unknown-fields");
  const json_t *lt = json_object_get(s, "x-kubernetes-list-type");
  return json_is_true(json_object_get(s, "x-kubernetes-embedded-resource")) || (pu && !json_is_null(pu)) ||
         json_is_true(json_object_get(s, "x-kubernetes-int-or-string")) ||
         json_array_size(json_object_get(s, "x-kubernetes-list-map-keys")) || (lt && !json_is_null(lt));
}

static bool invalid_type(const json_t *s) {
  static const char *const types[] = {"array", "boolean", "integer", "number", "object", "string", NULL};
  const char *t = json_path_str0(s, "type");
  return *t && !kone_of(t, types);
}

bool crd_schema_structural(const json_t *schema) {
  if (!schema) return true;
  field_errors *tmp = field_errors_new();
  crd_schema_check_structural(schema, "", tmp);
  bool ok = fe_count(tmp) == 0;
  field_errors_free(tmp);
  return ok;
}

static bool spec_non_structural(const json_t *spec) {
  if (!crd_schema_structural(schema_of(json_object_get(spec, "validation")))) return true;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) if (!crd_schema_structural(schema_of(json_object_get(v, "schema")))) return true;
  return false;
}

static bool all_versions_have_schema(const json_t *spec) {
  if (schema_of(json_object_get(spec, "validation"))) return true;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) if (!schema_of(json_object_get(v, "schema"))) return false;
  return true;
}

/* The options of ValidateCustomResourceDefinition(Update); old_spec is the
 * stored object's internal spec on updates. */
static crd_opts options_of(bool beta, const json_t *old_spec) {
  crd_opts o = {beta, true, true, {false, false, NULL}};
  if (beta) {
    o.require_schema = o.structural = false;
    o.rules.any_type = true;
    o.rules.no_defaults = "(cannot set default values in apiextensions.k8s.io/v1beta1 CRDs, must use apiextensions.k8s.io/v1)";
  }
  if (old_spec) {
    if (!all_versions_have_schema(old_spec)) o.require_schema = false;
    if (spec_non_structural(old_spec)) o.structural = false;
    if (spec_has(old_spec, invalid_type)) o.rules.any_type = true;
    if (spec_has(old_spec, has_default)) o.rules.no_defaults = NULL;
  }
  return o;
}

/* validateCustomResourceDefinitionValidation of one schema holder. */
static void check_validation(field_errors *fe, const char *prefix, const json_t *holder, const crd_opts *o) {
  const json_t *schema = schema_of(holder);
  if (!schema) return;
  char f[512];
  snprintf(f, sizeof f, "%s.openAPIV3Schema", prefix);
  crd_schema_rules rules = o->rules;
  rules.non_structural = !o->structural;
  crd_schema_check_with(schema, f, &rules, fe);
}

static bool per_version(const json_t *versions, const char *key) {
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) {
    const json_t *x = json_object_get(v, key);
    if (x && !json_is_null(x) && !(json_is_array(x) && !json_array_size(x))) return true;
  }
  return false;
}

/* hasIdenticalPerVersion*: every version sets an equal, non-nil value. */
static bool identical_per_version(const json_t *versions, const char *key) {
  size_t n = json_array_size(versions);
  if (!n) return false;
  const json_t *first = json_object_get(json_array_get(versions, 0), key);
  for (size_t i = 0; i < n; i++) {
    const json_t *x = json_object_get(json_array_get(versions, i), key);
    if (!x || json_is_null(x) || (json_is_array(x) && !json_array_size(x)) || !json_equal((json_t *)first, (json_t *)x))
      return false;
  }
  return true;
}

static void check_conversion(field_errors *fe, const json_t *conv, bool preserve) {
  const char *strategy = json_path_str0(conv, "strategy");
  if (conv && strcmp(strategy, "None") && preserve)
    fe_invalid_str(fe, "spec.conversion.strategy", strategy, "must be None if spec.preserveUnknownFields is true");
  if (!conv) return;
  static const char *const strategies[] = {"None", "Webhook", NULL};
  check_enum_required(fe, "spec.conversion.strategy", conv, "strategy", strategies);
  const json_t *cc = json_object_get(conv, "webhookClientConfig"), *crv = json_object_get(conv, "conversionReviewVersions");
  if (!strcmp(strategy, "Webhook")) {
    if (!json_is_object(cc)) fe_required(fe, "spec.conversion.webhookClientConfig", "required when strategy is set to Webhook");
    else if (!json_object_get(cc, "url") == !json_object_get(cc, "service"))
      fe_required(fe, "spec.conversion.webhookClientConfig", "exactly one of url or service is required");
    if (!json_array_size(crv)) {
      fe_required(fe, "spec.conversion.conversionReviewVersions", "");
      return;
    }
    bool accepted = false;
    size_t i;
    json_t *v;
    char f[128];
    json_array_foreach(crv, i, v) {
      const char *s = json_string_value(v) ? json_string_value(v) : "";
      bool dup = false;
      for (size_t j = 0; j < i; j++) dup = dup || !strcmp(s, jstr_at(crv, j));
      snprintf(f, sizeof f, "spec.conversion.conversionReviewVersions[%zu]", i);
      if (dup) {
        fe_invalid_str(fe, f, s, "duplicate version");
        continue;
      }
      check_dns1035_label(fe, f, s);
      accepted = accepted || !strcmp(s, "v1") || !strcmp(s, "v1beta1");
    }
    if (!accepted) {
      char *r = go_strings(crv);
      fe_invalid_raw(fe, "spec.conversion.conversionReviewVersions", r, "must include at least one of v1, v1beta1");
      free(r);
    }
  } else {
    if (cc && !json_is_null(cc))
      fe_forbidden(fe, "spec.conversion.webhookClientConfig", "should not be set when strategy is not set to Webhook");
    if (json_array_size(crv))
      fe_forbidden(fe, "spec.conversion.conversionReviewVersions", "should not be set when strategy is not set to Webhook");
  }
}

static const char versions_value[] = "[]apiextensions.CustomResourceDefinitionVersion{...}";

/* validateCustomResourceDefinitionSpec on the internal form. */
static void check_spec(field_errors *fe, const json_t *spec, crd_opts o) {
  check_group(fe, json_path_str0(spec, "group"));
  static const char *const scopes[] = {"Cluster", "Namespaced", NULL};
  check_enum_required(fe, "spec.scope", spec, "scope", scopes);
  const json_t *pu = json_object_get(spec, "preserveUnknownFields");
  bool preserve = json_is_true(pu), preserve_or_nil = !pu || json_is_null(pu) || preserve;
  if (!preserve) o.structural = true; /* pruning needs a structural schema */
  const json_t *versions = json_object_get(spec, "versions");
  bool top_schema = schema_of(json_object_get(spec, "validation")) != NULL;
  size_t i;
  json_t *v;
  char f[512];
  if (!top_schema && (o.require_schema || !preserve)) {
    json_array_foreach(versions, i, v) {
      if (schema_of(json_object_get(v, "schema"))) continue;
      if (!o.require_schema && !json_is_true(json_object_get(v, "served"))) continue;
      snprintf(f, sizeof f, "spec.versions[%zu].schema.openAPIV3Schema", i);
      fe_required(fe, f, o.require_schema ? "schemas are required" : "because otherwise all fields are pruned");
    }
  }
  if (!o.rules.no_defaults && spec_has(spec, has_default)) {
    o.structural = true;
    if (preserve_or_nil)
      fe_add(fe, FE_INVALID, "spec.preserveUnknownFields", json_true(), "must be false in order to use defaults in the schema");
  }
  if (spec_has(spec, has_extension)) o.structural = true;
  int storage = 0;
  bool unique = true;
  json_array_foreach(versions, i, v) {
    if (json_is_true(json_object_get(v, "storage"))) storage++;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(json_path_str0(json_array_get(versions, j), "name"), json_path_str0(v, "name"))) unique = false;
    snprintf(f, sizeof f, "spec.versions[%zu].name", i);
    check_dns1035_label(fe, f, json_path_str0(v, "name"));
    snprintf(f, sizeof f, "spec.versions[%zu].schema", i);
    check_validation(fe, f, json_object_get(v, "schema"), &o);
    snprintf(f, sizeof f, "spec.versions[%zu].subresources", i);
    check_subresources(fe, f, json_object_get(v, "subresources"));
    snprintf(f, sizeof f, "spec.versions[%zu].additionalPrinterColumns", i);
    check_columns(fe, f, json_object_get(v, "additionalPrinterColumns"));
  }
  const json_t *top_subs = json_object_get(spec, "subresources"), *top_cols = json_object_get(spec, "additionalPrinterColumns");
  if (json_object_get(spec, "validation") && per_version(versions, "schema"))
    fe_forbidden(fe, "spec.validation", "top-level and per-version schemas are mutually exclusive");
  if (top_subs && !json_is_null(top_subs) && per_version(versions, "subresources"))
    fe_forbidden(fe, "spec.subresources", "top-level and per-version subresources are mutually exclusive");
  if (json_array_size(top_cols) && per_version(versions, "additionalPrinterColumns"))
    fe_forbidden(fe, "spec.additionalPrinterColumns", "top-level and per-version additionalPrinterColumns are mutually exclusive");
  if (identical_per_version(versions, "schema"))
    fe_invalid_raw(fe, "spec.versions", versions_value,
                   "per-version schemas may not all be set to identical values (top-level validation should be used instead)");
  if (identical_per_version(versions, "subresources"))
    fe_invalid_raw(fe, "spec.versions", versions_value,
                   "per-version subresources may not all be set to identical values (top-level subresources should be used instead)");
  if (identical_per_version(versions, "additionalPrinterColumns"))
    fe_invalid_raw(fe, "spec.versions", versions_value,
                   "per-version additionalPrinterColumns may not all be set to identical values (top-level additionalPrinterColumns should be used instead)");
  if (!unique) fe_invalid_raw(fe, "spec.versions", versions_value, "must contain unique version names");
  if (storage != 1) fe_invalid_raw(fe, "spec.versions", versions_value, "must have exactly one version marked as storage version");
  const char *version = json_path_str0(spec, "version");
  if (*version) {
    check_dns1035_label(fe, "spec.version", version);
    if (json_array_size(versions) && strcmp(json_path_str0(json_array_get(versions, 0), "name"), version))
      fe_invalid_str(fe, "spec.version", version, "must match the first version in spec.versions");
  }
  check_names(fe, json_object_get(spec, "names"));
  check_validation(fe, "spec.validation", json_object_get(spec, "validation"), &o);
  check_subresources(fe, "spec.subresources", top_subs);
  check_columns(fe, "spec.additionalPrinterColumns", top_cols);
  check_conversion(fe, json_object_get(spec, "conversion"), preserve_or_nil);
}

void crd_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  /* Kubernetes validates its internal version, which has v1beta1's shape */
  bool beta = !strcmp(k->version, "v1beta1");
  json_t *in = json_deep_copy(obj), *old_in = old ? json_deep_copy(old) : NULL;
  if (!beta) {
    crd_v1_to_v1beta1(in);
    if (old_in) crd_v1_to_v1beta1(old_in);
  }
  const json_t *spec = json_object_get(in, "spec");
  const json_t *old_spec = old_in ? json_object_get(old_in, "spec") : NULL;
  const json_t *names = json_object_get(spec, "names");
  const char *group = json_path_str0(spec, "group");
  char want[600];
  snprintf(want, sizeof want, "%s.%s", json_path_str0(names, "plural"), group);
  const char *name = json_path_str0(json_object_get(obj, "metadata"), "name");
  if (*name && strcmp(name, want)) fe_invalid_str(fe, "metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
  check_spec(fe, spec, options_of(beta, old_spec));
  check_stored_versions(fe, in);
  if (!beta && json_is_true(json_object_get(spec, "preserveUnknownFields")) &&
      !json_is_true(json_object_get(old_spec, "preserveUnknownFields")))
    fe_add(fe, FE_INVALID, "spec.preserveUnknownFields", json_true(),
           "cannot set to true, set x-preserve-unknown-fields to true in spec.versions[*].schema instead");
  if (old_spec) {
    const char *was = json_path_str0(old_spec, "scope");
    if (*was && strcmp(was, json_path_str0(spec, "scope")))
      fe_invalid_str(fe, "spec.scope", json_path_str0(spec, "scope"), "field is immutable");
  }
  json_decref(in);
  json_decref(old_in);
}

/* ---- conditions ------------------------------------------------------ */

void crd_set_condition(json_t *crd, const char *type, const char *status, const char *reason, const char *message) {
  json_t *st = kobj(crd, "status");
  json_t *conds = json_object_get(st, "conditions");
  if (!json_is_array(conds)) json_object_set_new(st, "conditions", conds = json_array());
  const json_t *old = cond_get(st, type);
  char now[32];
  if (old && !strcmp(json_path_str0(old, "status"), status)) snprintf(now, sizeof now, "%s", json_path_str0(old, "lastTransitionTime"));
  else rfc3339_now(now, sizeof now);
  json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status, "lastTransitionTime", now, "reason",
                        reason, "message", message);
  size_t i;
  json_t *it;
  json_array_foreach(conds, i, it) {
    if (!strcmp(json_path_str0(it, "type"), type)) {
      json_array_set_new(conds, i, c);
      return;
    }
  }
  json_array_append_new(conds, c);
}

void crd_remove_condition(json_t *crd, const char *type) {
  json_t *conds = json_object_get(json_object_get(crd, "status"), "conditions");
  for (size_t i = 0; i < json_array_size(conds); i++) {
    if (strcmp(json_path_str0(json_array_get(conds, i), "type"), type)) continue;
    json_array_remove(conds, i);
    return;
  }
}
