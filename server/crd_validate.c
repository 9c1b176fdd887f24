/* crd_validate.c - the kinds hooks of CustomResourceDefinition: v1
 * defaulting (singular, listKind, conversion, storedVersions), the registry
 * strategy (status reset on create, storedVersions kept up to date, the
 * cleanup finalizer and Terminating condition on the first delete) and
 * ValidateCustomResourceDefinition with Kubernetes 1.20's messages and field
 * paths. Like 1.20, per-version schemas, subresources and columns that are
 * identical in every version are reported at their top-level paths
 * (spec.validation.openAPIV3Schema, ...), because the internal version the
 * apiserver validates keeps them there. The schema checks themselves are in
 * crd_schema_check.c. */
#include "crd.h"
#include "api.h"
#include "crd_schema.h"
#include "kinds_util.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

void crd_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  json_t *names = kobj(spec, "names");
  const char *kind = jstr(names, "kind");
  if (!*jstr(names, "singular")) {
    char *low = strdup(kind);
    for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
    json_object_set_new(names, "singular", json_string(low));
    free(low);
  }
  if (!*jstr(names, "listKind") && *kind) {
    char buf[512];
    snprintf(buf, sizeof buf, "%sList", kind);
    json_object_set_new(names, "listKind", json_string(buf));
  }
  if (!json_object_get(spec, "conversion")) json_object_set_new(spec, "conversion", json_pack("{s:s}", "strategy", "None"));
  json_t *status = json_object_get(obj, "status");
  if (json_is_object(status) && json_array_size(json_object_get(status, "storedVersions"))) return;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) {
    if (!json_is_true(json_object_get(v, "storage"))) continue;
    json_object_set_new(kobj(obj, "status"), "storedVersions", json_pack("[s]", jstr(v, "name")));
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
    json_array_foreach(stored, j, s) have = have || !strcmp(json_string_value(s), jstr(v, "name"));
    if (!have) json_array_append_new(stored, json_string(jstr(v, "name")));
  }
}

void crd_prepare_delete(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *md = kobj(obj, "metadata");
  json_t *fins = json_object_get(md, "finalizers");
  if (!json_is_array(fins)) json_object_set_new(md, "finalizers", fins = json_array());
  size_t i;
  json_t *f;
  bool have = false;
  json_array_foreach(fins, i, f) have = have || !strcmp(json_string_value(f), CRD_CLEANUP_FINALIZER);
  if (!have) json_array_append_new(fins, json_string(CRD_CLEANUP_FINALIZER));
  crd_set_condition(obj, "Terminating", "True", "InstanceDeletionPending",
                    "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon");
}

/* ---- validation ------------------------------------------------------ */

static void check_enum_required(field_errors *fe, const char *field, const json_t *obj, const char *key,
                                const char *const *list) {
  const char *v = jstr(obj, key);
  if (!*v) fe_required(fe, field, "");
  else kcheck_enum(fe, field, obj, key, list);
}

/* Go's %#v of a []string, as field.Invalid prints it. */
static char *go_strings(const json_t *arr) {
  if (!json_array_size(arr)) return strdup("[]string(nil)");
  return fe_render_value(arr);
}

/* Whether every version carries the same value at key (and there is one). */
static bool identical_per_version(const json_t *versions, const char *key) {
  size_t n = json_array_size(versions);
  if (!n) return false;
  const json_t *first = json_object_get(json_array_get(versions, 0), key);
  if (!first) return false;
  for (size_t i = 1; i < n; i++)
    if (!json_equal((json_t *)first, json_object_get(json_array_get(versions, i), key))) return false;
  return true;
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
    if (!*jstr(c, "name")) fe_required(fe, f, "");
    snprintf(f, sizeof f, "%s[%zu].type", prefix, i);
    if (!*jstr(c, "type")) fe_required(fe, f, "must be one of boolean,date,integer,number,string");
    else kcheck_enum(fe, f, c, "type", column_types);
    snprintf(f, sizeof f, "%s[%zu].format", prefix, i);
    if (*jstr(c, "format")) kcheck_enum(fe, f, c, "format", column_formats);
    snprintf(f, sizeof f, "%s[%zu].jsonPath", prefix, i);
    const char *jp = jstr(c, "jsonPath");
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
    const char *p = jstr(scale, keys[i]);
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
    if (!*jstr(names, required[i])) fe_required(fe, f, "");
  }
  for (int i = 0; i < 4; i++) {
    const char *v = jstr(names, required[i]);
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
  const char *kind = jstr(names, "kind");
  if (*kind && !strcmp(kind, jstr(names, "listKind")))
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
    json_array_foreach(stored, j, s) found = found || !strcmp(json_string_value(s), jstr(v, "name"));
    if (json_is_true(json_object_get(v, "storage")) && !found) {
      char msg[300];
      snprintf(msg, sizeof msg, "must have the storage version %s", jstr(v, "name"));
      fe_invalid_raw(fe, "status.storedVersions", jstr(v, "name"), msg);
    }
  }
  json_array_foreach(stored, j, s) {
    bool found = false;
    json_array_foreach(versions, i, v) found = found || !strcmp(json_string_value(s), jstr(v, "name"));
    if (!found) {
      char f[64];
      snprintf(f, sizeof f, "status.storedVersions[%zu]", j);
      fe_invalid_str(fe, f, json_string_value(s), "must appear in spec.versions");
    }
  }
}

void crd_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *spec = json_object_get(obj, "spec");
  const json_t *names = json_object_get(spec, "names");
  const char *group = jstr(spec, "group");
  char want[600];
  snprintf(want, sizeof want, "%s.%s", jstr(names, "plural"), group);
  const char *name = jstr(json_object_get(obj, "metadata"), "name");
  if (*name && strcmp(name, want)) fe_invalid_str(fe, "metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
  check_group(fe, group);
  static const char *const scopes[] = {"Cluster", "Namespaced", NULL};
  check_enum_required(fe, "spec.scope", spec, "scope", scopes);
  const json_t *versions = json_object_get(spec, "versions");
  size_t i;
  json_t *v;
  char f[512];
  json_array_foreach(versions, i, v) {
    if (!json_object_get(json_object_get(v, "schema"), "openAPIV3Schema")) {
      snprintf(f, sizeof f, "spec.versions[%zu].schema.openAPIV3Schema", i);
      fe_required(fe, f, "schemas are required");
    }
  }
  bool top_schema = identical_per_version(versions, "schema");
  bool top_subs = identical_per_version(versions, "subresources");
  bool top_cols = identical_per_version(versions, "additionalPrinterColumns");
  int storage = 0;
  bool unique = true;
  json_array_foreach(versions, i, v) {
    if (json_is_true(json_object_get(v, "storage"))) storage++;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(jstr(json_array_get(versions, j), "name"), jstr(v, "name"))) unique = false;
    snprintf(f, sizeof f, "spec.versions[%zu].name", i);
    check_dns1035_label(fe, f, jstr(v, "name"));
    const json_t *schema = json_object_get(json_object_get(v, "schema"), "openAPIV3Schema");
    if (schema && !top_schema) {
      snprintf(f, sizeof f, "spec.versions[%zu].schema.openAPIV3Schema", i);
      crd_schema_check(schema, f, fe);
    }
    if (!top_subs) {
      snprintf(f, sizeof f, "spec.versions[%zu].subresources", i);
      check_subresources(fe, f, json_object_get(v, "subresources"));
    }
    if (!top_cols) {
      snprintf(f, sizeof f, "spec.versions[%zu].additionalPrinterColumns", i);
      check_columns(fe, f, json_object_get(v, "additionalPrinterColumns"));
    }
  }
  if (!unique) fe_invalid_raw(fe, "spec.versions", "[]apiextensions.CustomResourceDefinitionVersion{...}",
                              "must contain unique version names");
  if (storage != 1)
    fe_invalid_raw(fe, "spec.versions", "[]apiextensions.CustomResourceDefinitionVersion{...}",
                   "must have exactly one version marked as storage version");
  check_names(fe, names);
  if (top_schema) {
    const json_t *schema = json_object_get(json_object_get(json_array_get(versions, 0), "schema"), "openAPIV3Schema");
    if (schema) crd_schema_check(schema, "spec.validation.openAPIV3Schema", fe);
  }
  if (top_subs) check_subresources(fe, "spec.subresources", json_object_get(json_array_get(versions, 0), "subresources"));
  if (top_cols)
    check_columns(fe, "spec.additionalPrinterColumns",
                  json_object_get(json_array_get(versions, 0), "additionalPrinterColumns"));
  static const char *const strategies[] = {"None", "Webhook", NULL};
  check_enum_required(fe, "spec.conversion.strategy", json_object_get(spec, "conversion"), "strategy", strategies);
  check_stored_versions(fe, obj);
  if (old) {
    const char *was = jstr(json_object_get(old, "spec"), "scope");
    if (*was && strcmp(was, jstr(spec, "scope")))
      fe_invalid_str(fe, "spec.scope", jstr(spec, "scope"), "field is immutable");
  }
}

/* ---- conditions ------------------------------------------------------ */

const json_t *crd_condition(const json_t *crd, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(crd, "status"), "conditions"), i, c) {
    if (!strcmp(jstr(c, "type"), type)) return c;
  }
  return NULL;
}

void crd_set_condition(json_t *crd, const char *type, const char *status, const char *reason, const char *message) {
  json_t *st = kobj(crd, "status");
  json_t *conds = json_object_get(st, "conditions");
  if (!json_is_array(conds)) json_object_set_new(st, "conditions", conds = json_array());
  const json_t *old = crd_condition(crd, type);
  char now[32];
  if (old && !strcmp(jstr(old, "status"), status)) snprintf(now, sizeof now, "%s", jstr(old, "lastTransitionTime"));
  else api_now_rfc3339(now, sizeof now);
  json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status, "lastTransitionTime", now, "reason",
                        reason, "message", message);
  size_t i;
  json_t *it;
  json_array_foreach(conds, i, it) {
    if (!strcmp(jstr(it, "type"), type)) {
      json_array_set_new(conds, i, c);
      return;
    }
  }
  json_array_append_new(conds, c);
}
