/* kinds_webhook.c - defaulting and validation of the
 * admissionregistration.k8s.io/v1 MutatingWebhookConfiguration and
 * ValidatingWebhookConfiguration (pkg/apis/admissionregistration/v1/
 * defaults.go and validation/validation.go of 1.20, with their messages):
 * failurePolicy Fail, matchPolicy Equivalent, empty selectors, timeoutSeconds
 * 10, scope "*", service port 443, reinvocationPolicy Never; webhook names,
 * rules, policies, sideEffects (None or NoneOnDryRun in v1), timeouts,
 * clientConfig and admissionReviewVersions checked. The dispatch itself is
 * webhook_admission.c. */
#include "kinds_util.h"
#include <stdio.h>
#include <string.h>

static bool is_mutating(const kind_ref *k) { return !strcmp(k->kind, "MutatingWebhookConfiguration"); }

void webhookconfig_default(const kind_ref *k, json_t *obj) {
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(obj, "webhooks"), i, h) {
    if (!json_is_object(h)) continue;
    kdefault(h, "failurePolicy", json_string("Fail"));
    kdefault(h, "matchPolicy", json_string("Equivalent"));
    kdefault(h, "namespaceSelector", json_object());
    kdefault(h, "objectSelector", json_object());
    kdefault(h, "timeoutSeconds", json_integer(10));
    if (is_mutating(k)) kdefault(h, "reinvocationPolicy", json_string("Never"));
    size_t j;
    json_t *rule;
    json_array_foreach(json_object_get(h, "rules"), j, rule) if (json_is_object(rule)) kdefault(rule, "scope", json_string("*"));
    json_t *svc = json_object_get(json_object_get(h, "clientConfig"), "service");
    if (json_is_object(svc)) kdefault(svc, "port", json_integer(443));
  }
}

static bool has_wildcard(const json_t *arr) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), "*")) return true;
  return false;
}

static void check_rule(field_errors *fe, const char *path, const json_t *rule) {
  static const char *const ops[] = {"*", "CONNECT", "CREATE", "DELETE", "UPDATE", NULL};
  static const char *const scopes[] = {"*", "Cluster", "Namespaced", NULL};
  char f[300];
  const json_t *o = json_object_get(rule, "operations");
  snprintf(f, sizeof f, "%s.operations", path);
  if (!json_array_size(o)) fe_required(fe, f, NULL);
  if (json_array_size(o) > 1 && has_wildcard(o))
    fe_add(fe, FE_INVALID, f, o, "if '*' is present, must not specify other operations");
  size_t i;
  json_t *v;
  json_array_foreach(o, i, v) {
    bool ok = false;
    for (int k = 0; ops[k]; k++) ok = ok || (json_is_string(v) && !strcmp(json_string_value(v), ops[k]));
    char fi[320];
    snprintf(fi, sizeof fi, "%s[%zu]", f, i);
    if (!ok) fe_not_supported(fe, fi, v, ops);
  }
  static const char *const lists[] = {"apiGroups", "apiVersions", NULL};
  static const char *const what[] = {"API groups", "API versions"};
  for (int l = 0; lists[l]; l++) {
    const json_t *a = json_object_get(rule, lists[l]);
    snprintf(f, sizeof f, "%s.%s", path, lists[l]);
    if (!json_array_size(a)) fe_required(fe, f, NULL);
    if (json_array_size(a) > 1 && has_wildcard(a))
      fe_add(fe, FE_INVALID, f, a, "if '*' is present, must not specify other %s", what[l]);
  }
  snprintf(f, sizeof f, "%s.scope", path);
  kcheck_enum(fe, f, rule, "scope", scopes);
}

static void check_review_versions(field_errors *fe, const char *path, const json_t *versions) {
  if (!json_array_size(versions)) {
    fe_required(fe, path, "must specify one of v1, v1beta1");
    return;
  }
  bool known = false;
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) {
    const char *s = json_string_value(v);
    known = known || (s && (!strcmp(s, "v1") || !strcmp(s, "v1beta1")));
    for (size_t j = 0; j < i; j++)
      if (json_equal(v, json_array_get(versions, j))) {
        char f[300];
        snprintf(f, sizeof f, "%s[%zu]", path, i);
        fe_add(fe, FE_INVALID, f, v, "duplicate version");
        break;
      }
  }
  if (!known) fe_add(fe, FE_INVALID, path, versions, "must include at least one of v1, v1beta1");
}

static void check_name(field_errors *fe, const char *path, const char *name) {
  if (!name || !*name) {
    fe_required(fe, path, NULL);
    return;
  }
  size_t before = fe_count(fe);
  check_dns1123_subdomain(fe, path, name);
  if (fe_count(fe) != before) return;
  int dots = 0;
  for (const char *p = name; *p; p++) dots += *p == '.';
  if (dots < 2) fe_invalid_str(fe, path, name, "should be a domain with at least three segments separated by dots");
}

static void check_hook(field_errors *fe, const kind_ref *k, const char *path, const json_t *h) {
  static const char *const failure[] = {"Fail", "Ignore", NULL};
  static const char *const match[] = {"Equivalent", "Exact", NULL};
  static const char *const effects[] = {"None", "NoneOnDryRun", NULL};
  static const char *const reinvoke[] = {"IfNeeded", "Never", NULL};
  char f[300];
  snprintf(f, sizeof f, "%s.name", path);
  check_name(fe, f, json_string_value(json_object_get(h, "name")));
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(h, "rules"), i, rule) {
    snprintf(f, sizeof f, "%s.rules[%zu]", path, i);
    check_rule(fe, f, rule);
  }
  snprintf(f, sizeof f, "%s.failurePolicy", path);
  kcheck_enum(fe, f, h, "failurePolicy", failure);
  snprintf(f, sizeof f, "%s.matchPolicy", path);
  kcheck_enum(fe, f, h, "matchPolicy", match);
  snprintf(f, sizeof f, "%s.sideEffects", path);
  if (!json_object_get(h, "sideEffects")) fe_required(fe, f, "must specify one of None, NoneOnDryRun");
  else kcheck_enum(fe, f, h, "sideEffects", effects);
  json_t *t = json_object_get(h, "timeoutSeconds");
  snprintf(f, sizeof f, "%s.timeoutSeconds", path);
  if (json_is_integer(t) && (json_integer_value(t) > 30 || json_integer_value(t) < 1))
    fe_invalid_int(fe, f, json_integer_value(t), "the timeout value must be between 1 and 30 seconds");
  if (is_mutating(k)) {
    snprintf(f, sizeof f, "%s.reinvocationPolicy", path);
    kcheck_enum(fe, f, h, "reinvocationPolicy", reinvoke);
  }
  const json_t *cc = json_object_get(h, "clientConfig");
  bool url = json_object_get(cc, "url") != NULL, svc = json_object_get(cc, "service") != NULL;
  snprintf(f, sizeof f, "%s.clientConfig", path);
  if (url == svc) fe_required(fe, f, "exactly one of url or service is required");
}

void webhookconfig_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)old;
  const json_t *hooks = json_object_get(obj, "webhooks");
  size_t i;
  json_t *h;
  json_array_foreach(hooks, i, h) {
    char path[64], f[128];
    snprintf(path, sizeof path, "webhooks[%zu]", i);
    check_hook(fe, k, path, h);
    snprintf(f, sizeof f, "%s.admissionReviewVersions", path);
    check_review_versions(fe, f, json_object_get(h, "admissionReviewVersions"));
    const char *name = json_string_value(json_object_get(h, "name"));
    for (size_t j = 0; name && *name && j < i; j++) {
      const char *other = json_string_value(json_object_get(json_array_get(hooks, j), "name"));
      if (other && !strcmp(other, name)) {
        snprintf(f, sizeof f, "%s.name", path);
        fe_add(fe, FE_DUPLICATE, f, json_object_get(h, "name"), NULL);
        break;
      }
    }
  }
}
