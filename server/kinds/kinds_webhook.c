/* kinds_webhook.c - defaulting and validation of the
 * admissionregistration.k8s.io MutatingWebhookConfiguration and
 * ValidatingWebhookConfiguration (pkg/apis/admissionregistration/v1 and
 * v1beta1 defaults.go and validation/validation.go of 1.20, with their
 * messages). v1: failurePolicy Fail, matchPolicy Equivalent, timeoutSeconds
 * 10; v1beta1: Ignore, Exact, 30, sideEffects Unknown, admissionReviewVersions
 * [v1beta1]; both: empty selectors, scope "*", service port 443,
 * reinvocationPolicy Never. Validation checks webhook names, rules, policies,
 * sideEffects, timeouts, clientConfig and admissionReviewVersions; a v1beta1
 * request (k->version, the version served) may use any sideEffects and
 * repeat webhook names, and an update keeps what the stored object already
 * got away with, as 1.20's validation options do. The dispatch itself is
 * webhook_admission.c. */
#include "kinds_util.h"
#include <stdio.h>
#include <string.h>

static bool is_mutating(const kind_ref *k) { return !strcmp(k->kind, "MutatingWebhookConfiguration"); }
static bool is_beta(const kind_ref *k) { return !strcmp(k->version, "v1beta1"); }

void webhookconfig_default(const kind_ref *k, json_t *obj) {
  bool beta = is_beta(k);
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(obj, "webhooks"), i, h) {
    if (!json_is_object(h)) continue;
    kdefault(h, "failurePolicy", json_string(beta ? "Ignore" : "Fail"));
    kdefault(h, "matchPolicy", json_string(beta ? "Exact" : "Equivalent"));
    kdefault(h, "namespaceSelector", json_object());
    kdefault(h, "objectSelector", json_object());
    if (beta) kdefault(h, "sideEffects", json_string("Unknown"));
    kdefault(h, "timeoutSeconds", json_integer(beta ? 30 : 10));
    if (beta && !json_array_size(json_object_get(h, "admissionReviewVersions")))
      json_object_set_new(h, "admissionReviewVersions", json_pack("[s]", "v1beta1"));
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

/* What 1.20's validationOptions relax: on create only for v1beta1 requests,
 * on update also for whatever the stored object already holds. */
typedef struct {
  bool no_side_effects;     /* sideEffects None or NoneOnDryRun only */
  bool recognized_versions; /* admissionReviewVersions must name v1 or v1beta1 */
  bool unique_names;        /* webhook names unique in the configuration */
} check_opts;

static bool known_review_version(const json_t *v) {
  const char *s = json_string_value(v);
  return s && (!strcmp(s, "v1") || !strcmp(s, "v1beta1"));
}

static bool no_side_effects(const json_t *h) {
  const char *se = kstr(h, "sideEffects");
  return se && (!strcmp(se, "None") || !strcmp(se, "NoneOnDryRun"));
}

/* Whether every webhook of hooks passes test. */
static bool all_hooks(const json_t *hooks, bool (*test)(const json_t *)) {
  size_t i;
  json_t *h;
  json_array_foreach(hooks, i, h) if (!test(h)) return false;
  return true;
}

/* A webhook with no admissionReviewVersions passes (it was defaulted in v1beta1). */
static bool has_known_version(const json_t *h) {
  const json_t *versions = json_object_get(h, "admissionReviewVersions");
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) if (known_review_version(v)) return true;
  return json_array_size(versions) == 0;
}

static const char *name_of(const json_t *h) {
  const char *n = kstr(h, "name");
  return n ? n : "";
}

/* The index of an earlier webhook named like hooks[i] (a non-empty name), or -1. */
static long earlier_same_name(const json_t *hooks, size_t i) {
  const char *name = name_of(json_array_get(hooks, i));
  for (size_t j = 0; *name && j < i; j++)
    if (!strcmp(name_of(json_array_get(hooks, j)), name)) return (long)j;
  return -1;
}

static bool unique_names(const json_t *hooks) {
  for (size_t i = 0; i < json_array_size(hooks); i++)
    if (earlier_same_name(hooks, i) >= 0) return false;
  return true;
}

static check_opts options_for(const kind_ref *k, const json_t *old) {
  const json_t *old_hooks = json_object_get(old, "webhooks");
  check_opts o = {!is_beta(k), true, !is_beta(k)};
  if (!old) return o;
  o.no_side_effects = o.no_side_effects && all_hooks(old_hooks, no_side_effects);
  o.recognized_versions = all_hooks(old_hooks, has_known_version);
  o.unique_names = o.unique_names && unique_names(old_hooks);
  return o;
}

static void check_review_versions(field_errors *fe, const char *path, const json_t *versions, bool require_known) {
  if (!json_array_size(versions)) {
    fe_required(fe, path, "must specify one of v1, v1beta1");
    return;
  }
  bool known = false;
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) {
    char f[300];
    snprintf(f, sizeof f, "%s[%zu]", path, i);
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++) dup = json_equal(v, json_array_get(versions, j));
    if (dup) {
      fe_add(fe, FE_INVALID, f, v, "duplicate version");
      continue;
    }
    if (json_is_string(v)) check_dns1035_label(fe, f, json_string_value(v));
    known = known || known_review_version(v);
  }
  if (require_known && !known) fe_add(fe, FE_INVALID, path, versions, "must include at least one of v1, v1beta1");
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

static void check_hook(field_errors *fe, const kind_ref *k, const check_opts *o, const char *path, const json_t *h) {
  static const char *const failure[] = {"Fail", "Ignore", NULL};
  static const char *const match[] = {"Equivalent", "Exact", NULL};
  static const char *const no_effects[] = {"None", "NoneOnDryRun", NULL};
  static const char *const any_effects[] = {"None", "NoneOnDryRun", "Some", "Unknown", NULL};
  const char *const *effects = o->no_side_effects ? no_effects : any_effects;
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
  if (!json_object_get(h, "sideEffects"))
    fe_required(fe, f, o->no_side_effects ? "must specify one of None, NoneOnDryRun"
                                          : "must specify one of None, NoneOnDryRun, Some, Unknown");
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
  const check_opts o = options_for(k, old);
  const json_t *hooks = json_object_get(obj, "webhooks");
  size_t i;
  json_t *h;
  json_array_foreach(hooks, i, h) {
    char path[64], f[128];
    snprintf(path, sizeof path, "webhooks[%zu]", i);
    check_hook(fe, k, &o, path, h);
    snprintf(f, sizeof f, "%s.admissionReviewVersions", path);
    check_review_versions(fe, f, json_object_get(h, "admissionReviewVersions"), o.recognized_versions);
    if (o.unique_names && earlier_same_name(hooks, i) >= 0) {
      snprintf(f, sizeof f, "%s.name", path);
      fe_add(fe, FE_DUPLICATE, f, json_object_get(h, "name"), NULL);
    }
  }
}
