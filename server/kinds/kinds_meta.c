/* kinds_meta.c - ObjectMeta validation as apimachinery's
 * ValidateObjectMetaAccessor does it, with each kind's name rule: DNS-1123
 * subdomain for most kinds, DNS-1123 label for namespaces, DNS-1035 label for
 * services, path-segment names for RBAC objects; generateName checked with a
 * trailing '-' masked; labels (IsQualifiedName / IsValidLabelValue);
 * annotation keys lower-cased through IsQualifiedName and their 256 KiB total;
 * finalizers and ownerReferences; namespace required for namespaced kinds and
 * forbidden for cluster-scoped ones. Core v1 Events only get the legacy rules
 * (kinds_other.c), as Kubernetes 1.20 keeps them for old clients. */
#include "kinds_util.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { NAME_SUBDOMAIN, NAME_LABEL, NAME_DNS1035, NAME_PATH_SEGMENT } name_rule;

static name_rule rule_of(const kind_ref *k) {
  if (!strcmp(k->group, "rbac.authorization.k8s.io") || kis(k, "apiregistration.k8s.io", "APIService"))
    return NAME_PATH_SEGMENT;
  if (kis(k, "", "Namespace")) return NAME_LABEL;
  if (kis(k, "", "Service")) return NAME_DNS1035;
  return NAME_SUBDOMAIN;
}

static void check_path_segment(field_errors *fe, const char *field, const char *v, bool prefix) {
  if (!prefix && (!strcmp(v, ".") || !strcmp(v, ".."))) {
    fe_invalid_str(fe, field, v, !strcmp(v, ".") ? "may not be '.'" : "may not be '..'");
    return;
  }
  if (strchr(v, '/')) fe_invalid_str(fe, field, v, "may not contain '/'");
  if (strchr(v, '%')) fe_invalid_str(fe, field, v, "may not contain '%'");
}

static void check_by_rule(name_rule rule, field_errors *fe, const char *field, const char *name) {
  switch (rule) {
  case NAME_LABEL: check_dns1123_label(fe, field, name); break;
  case NAME_DNS1035: check_dns1035_label(fe, field, name); break;
  default: check_dns1123_subdomain(fe, field, name); break;
  }
}

/* The name rule of a kind (ValidateNameFunc) applied to name at field;
 * prefix=true for generateName, which Go checks with a trailing '-' masked
 * (its maskTrailingDash replaces the last two characters with "a"). */
static void check_name(const kind_ref *k, field_errors *fe, const char *field, const char *name, bool prefix) {
  name_rule rule = rule_of(k);
  if (rule == NAME_PATH_SEGMENT) {
    check_path_segment(fe, field, name, prefix);
    return;
  }
  size_t n = strlen(name);
  char *m = strdup(name);
  if (!m) return;
  if (prefix && n >= 2 && name[n - 1] == '-') m[n - 2] = 'a', m[n - 1] = 0;
  field_errors *tmp = field_errors_new();
  check_by_rule(rule, tmp, field, m);
  /* Go reports the text as sent; a masked name that fails its rule fails it
   * unmasked too, with the same messages. */
  if (fe_count(tmp)) check_by_rule(rule, fe, field, name);
  field_errors_free(tmp);
  free(m);
}

/* metadata.finalizers, ownerReferences and generation. */
/* apiextensions objects and custom resources are validated by
 * apimachinery's generic ObjectMeta rules, without core's finalizer rule. */
static bool generic_meta(const kind_ref *k) { return k->crd || !strcmp(k->group, "apiextensions.k8s.io"); }

static void validate_meta_lists(const kind_ref *k, const json_t *md, field_errors *fe) {
  size_t i;
  json_t *f;
  bool orphan = false, foreground = false;
  json_array_foreach(json_object_get(md, "finalizers"), i, f) {
    const char *s = json_string_value(f);
    if (!s) continue;
    size_t before = fe_count(fe);
    check_qualified_name(fe, "metadata.finalizers", s);
    /* core's validateKubeFinalizerName: unqualified names must be standard */
    if (fe_count(fe) == before && !generic_meta(k) && !strchr(s, '/') && strcmp(s, "kubernetes") && strcmp(s, "orphan") &&
        strcmp(s, "foregroundDeletion"))
      fe_invalid_str(fe, "metadata.finalizers", s, "name is neither a standard finalizer name nor is it fully qualified");
    orphan = orphan || !strcmp(s, "orphan");
    foreground = foreground || !strcmp(s, "foregroundDeletion");
  }
  if (orphan && foreground)
    fe_add(fe, FE_INVALID, "metadata.finalizers", json_object_get(md, "finalizers"),
           "finalizer orphan and foregroundDeletion cannot be both set");
  json_t *r;
  const char *controller = NULL;
  json_array_foreach(json_object_get(md, "ownerReferences"), i, r) {
    const char *av = kstr(r, "apiVersion");
    const char *ver = av ? (strrchr(av, '/') ? strrchr(av, '/') + 1 : av) : "";
    if (!*ver) fe_invalid_str(fe, "metadata.ownerReferences.apiVersion", av ? av : "", "version must not be empty");
    static const char *const keys[] = {"kind", "name", "uid"};
    for (int j = 0; j < 3; j++) {
      const char *v = kstr(r, keys[j]);
      if (v && *v) continue;
      char fld[64], msg[64];
      snprintf(fld, sizeof fld, "metadata.ownerReferences.%s", keys[j]);
      snprintf(msg, sizeof msg, "%s must not be empty", keys[j]);
      fe_invalid_str(fe, fld, "", msg);
    }
    if (json_is_true(json_object_get(r, "controller"))) {
      const char *name = kstr(r, "name") ? kstr(r, "name") : "";
      if (controller) {
        char *msg = NULL;
        if (asprintf(&msg, "Only one reference can have Controller set to true. Found \"true\" in references for %s and %s",
                     controller, name) >= 0)
          fe_invalid_raw(fe, "metadata.ownerReferences", "[]v1.OwnerReference{...}", msg);
        free(msg);
      } else {
        controller = name;
      }
    }
  }
  json_t *gen = json_object_get(md, "generation");
  if (json_is_integer(gen) && json_integer_value(gen) < 0)
    fe_add(fe, FE_INVALID, "metadata.generation", gen, "must be greater than or equal to 0");
}

void check_labels(field_errors *fe, const char *field, const json_t *labels) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)labels, key, v) {
    check_qualified_name(fe, field, key);
    if (!json_is_string(v)) fe_add(fe, FE_INVALID, field, v, "must be a string");
    else check_label_value(fe, field, json_string_value(v));
  }
}

void check_annotations(field_errors *fe, const char *field, const json_t *ann) {
  const char *key;
  json_t *v;
  size_t total = 0;
  json_object_foreach((json_t *)ann, key, v) {
    char *lower = strdup(key);
    for (char *p = lower; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    if (lower) check_qualified_name_as(fe, field, key, lower);
    free(lower);
    total += strlen(key) + (json_is_string(v) ? strlen(json_string_value(v)) : 0);
  }
  if (total > 256 * 1024) fe_add(fe, FE_TOO_LONG, field, NULL, "must have at most 262144 bytes");
}

/* Core v1 (and events.k8s.io/v1beta1) Events skip ObjectMeta validation. */
static bool legacy_event(const kind_ref *k) {
  return !strcmp(k->kind, "Event") &&
         ((!*k->group) || (!strcmp(k->group, "events.k8s.io") && !strcmp(k->version, "v1beta1")));
}

void kinds_validate_meta(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)old; /* name, namespace, uid and timestamps are carried from old by the REST layer */
  const json_t *md = json_object_get(obj, "metadata");
  const char *name = kstr(md, "name");
  if (legacy_event(k)) {
    if (!name || !*name) fe_required(fe, "metadata.name", "name or generateName is required");
    return;
  }
  const char *gen = kstr(md, "generateName");
  if (gen && *gen) check_name(k, fe, "metadata.generateName", gen, true);
  if (!name || !*name) fe_required(fe, "metadata.name", "name or generateName is required");
  else check_name(k, fe, "metadata.name", name, false);
  const char *ns = kstr(md, "namespace");
  if (k->namespaced) {
    if (!ns || !*ns) fe_required(fe, "metadata.namespace", "");
    else check_dns1123_label(fe, "metadata.namespace", ns);
  } else if (ns && *ns) {
    fe_forbidden(fe, "metadata.namespace", "not allowed on this type");
  }
  check_labels(fe, "metadata.labels", json_object_get(md, "labels"));
  check_annotations(fe, "metadata.annotations", json_object_get(md, "annotations"));
  validate_meta_lists(k, md, fe);
}
