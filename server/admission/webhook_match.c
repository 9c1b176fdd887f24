/* webhook_match.c - which webhooks a request concerns, as kube-apiserver
 * 1.20 decides (k8s.io/apiserver/pkg/admission/plugin/webhook/{rules,
 * namespace,object,generic}): a webhook is called when its namespaceSelector
 * and objectSelector select the request and one of its rules names the
 * operation, group, version, resource/subresource and scope; with
 * matchPolicy Equivalent (v1's default) a rule naming another version of the
 * same stored resource (apps/v1beta1 deployments, extensions ingresses)
 * matches too and the webhook then sees that version. Pure apart from the
 * registry lookups for equivalents and the namespace callback. */
#include "webhook_internal.h"
#include "selector.h"
#include "status.h"
#include <stdio.h>
#include <string.h>

static bool exact_or_wildcard(const json_t *items, const char *want) {
  size_t i;
  json_t *v;
  json_array_foreach(items, i, v) {
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "*") || !strcmp(s, want))) return true;
  }
  return false;
}

static bool is_namespaces(const wh_coords *c) {
  return !c->group[0] && !strcmp(c->version, "v1") && !strcmp(c->resource, "namespaces");
}

static bool scope_matches(const char *scope, const wh_coords *c) {
  if (!scope || !strcmp(scope, "*")) return true;
  if (!strcmp(scope, "Namespaced")) return !is_namespaces(c) && c->ns[0];
  if (!strcmp(scope, "Cluster")) return is_namespaces(c) || !c->ns[0];
  return false;
}

/* "pods/status" -> "pods" + "status"; "pods" -> "pods" + "". */
static bool resource_matches(const json_t *resources, const wh_coords *c) {
  size_t i;
  json_t *v;
  json_array_foreach(resources, i, v) {
    const char *s = json_string_value(v);
    if (!s) continue;
    const char *slash = strchr(s, '/');
    size_t rl = slash ? (size_t)(slash - s) : strlen(s);
    const char *sub = slash ? slash + 1 : "";
    bool res_ok = (rl == 1 && s[0] == '*') || (strlen(c->resource) == rl && !strncmp(s, c->resource, rl));
    bool sub_ok = !strcmp(sub, "*") || !strcmp(sub, c->sub);
    if (res_ok && sub_ok) return true;
  }
  return false;
}

bool wh_rule_matches(const json_t *rule, const wh_coords *c) {
  return scope_matches(json_string_value(json_object_get(rule, "scope")), c) &&
         exact_or_wildcard(json_object_get(rule, "operations"), c->operation) &&
         exact_or_wildcard(json_object_get(rule, "apiGroups"), c->group) &&
         exact_or_wildcard(json_object_get(rule, "apiVersions"), c->version) &&
         resource_matches(json_object_get(rule, "resources"), c);
}

bool wh_rules_match(const json_t *rules, const wh_coords *c) {
  size_t i;
  json_t *rule;
  json_array_foreach(rules, i, rule) if (wh_rule_matches(rule, c)) return true;
  return false;
}

int wh_selector_matches(const json_t *selector, const json_t *labels, char *err, size_t errlen) {
  if (!selector || json_is_null(selector)) return 1;
  label_selector *s = label_selector_from_json(selector, err, errlen);
  if (!s) return -1;
  int m = label_selector_matches(s, labels) ? 1 : 0;
  label_selector_free(s);
  return m;
}

static const json_t *labels_of(const json_t *obj) {
  return json_object_get(json_object_get(obj, "metadata"), "labels");
}

static const char *sub_of(const wh_attrs *a) { return a->sub ? a->sub : ""; }

/* The kind r (or its subresource sub) is served as. */
static void kind_of(const resource *r, const char *sub, wh_invocation *inv) {
  inv->r = r;
  inv->group = r->ref.group;
  inv->version = r->ref.version;
  inv->kind = r->ref.kind;
  const json_t *row = sub[0] ? registry_subresource(r, sub) : NULL;
  const char *k = json_string_value(json_object_get(row, "kind"));
  if (k && *k) {
    const char *g = json_string_value(json_object_get(row, "group"));
    const char *v = json_string_value(json_object_get(row, "version"));
    inv->kind = k;
    if (g) inv->group = g;
    if (v && *v) inv->version = v;
  }
}

/* A webhook's selector checked before any labels are read: -1 (*status
 * set) when it does not parse, 1 when it is empty (selects everything,
 * nothing to look up), 0 when labels must decide. */
static int selector_precheck(const json_t *sel, json_t **status) {
  char err[256];
  if (wh_selector_matches(sel, NULL, err, sizeof err) < 0) {
    *status = wh_internal_error(err);
    return -1;
  }
  return !sel || json_is_null(sel) ||
         (!json_object_size(json_object_get(sel, "matchLabels")) &&
          !json_array_size(json_object_get(sel, "matchExpressions")));
}

/* namespace.Matcher: 1, 0 or -1 (*status set). */
static int namespace_matches(const json_t *hook, const wh_attrs *a, wh_ns_labels_fn ns_labels, void *ctx,
                             json_t **status) {
  bool is_ns = !a->r->ref.group[0] && !strcmp(a->r->ref.plural, "namespaces");
  if (!a->ns[0] && !is_ns) return 1;
  const json_t *sel = json_object_get(hook, "namespaceSelector");
  char err[256];
  int m = selector_precheck(sel, status);
  if (m) return m; /* an empty selector: everything, without looking the namespace up */
  bool own = is_ns && !sub_of(a)[0] && (!strcmp(a->operation, "CREATE") || !strcmp(a->operation, "UPDATE"));
  json_t *labels = own ? json_incref((json_t *)labels_of(a->obj)) : ns_labels(a->ns, ctx);
  if (!own && !labels) {
    *status = status_not_found_gr("", "namespaces", a->ns);
    return -1;
  }
  m = wh_selector_matches(sel, labels, err, sizeof err);
  json_decref(labels);
  return m;
}

/* object.Matcher: either the object or the old object is selected. */
static int object_matches(const json_t *hook, const wh_attrs *a, json_t **status) {
  const json_t *sel = json_object_get(hook, "objectSelector");
  char err[256];
  int m = selector_precheck(sel, status);
  if (m) return m;
  if (a->obj && wh_selector_matches(sel, labels_of(a->obj), err, sizeof err) == 1) return 1;
  if (a->old && wh_selector_matches(sel, labels_of(a->old), err, sizeof err) == 1) return 1;
  return 0;
}

static bool equivalent_match(const json_t *hook, const wh_attrs *a, wh_invocation *inv) {
  const char *mp = json_string_value(json_object_get(hook, "matchPolicy"));
  if (mp && strcmp(mp, "Equivalent") != 0) return false;
  const char *sub = sub_of(a);
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(hook, "rules"), i, rule) {
    for (size_t k = 0; k < registry_count(); k++) {
      const resource *e = registry_at(k);
      if (e == a->r || !registry_served(e) || strcmp(e->storage, a->r->storage) != 0) continue;
      if (sub[0] && !registry_subresource(e, sub)) continue;
      wh_coords c = {a->operation, e->ref.group, e->ref.version, e->ref.plural, sub, a->ns};
      if (wh_rule_matches(rule, &c)) {
        kind_of(e, sub, inv);
        return true;
      }
    }
  }
  return false;
}

int wh_should_call(const json_t *hook, const wh_attrs *a, wh_ns_labels_fn ns_labels, void *ctx,
                   wh_invocation *inv, json_t **status) {
  json_t *ns_err = NULL, *obj_err = NULL;
  int nm = namespace_matches(hook, a, ns_labels, ctx, &ns_err);
  int om = nm == 0 ? 0 : object_matches(hook, a, &obj_err);
  int result = 0;
  if (nm != 0 && om != 0) {
    wh_coords c = {a->operation, a->r->ref.group, a->r->ref.version, a->r->ref.plural, sub_of(a), a->ns};
    if (wh_rules_match(json_object_get(hook, "rules"), &c)) {
      kind_of(a->r, sub_of(a), inv);
      if (a->kind) inv->kind = a->kind;
      result = 1;
    } else if (equivalent_match(hook, a, inv)) {
      result = 1;
    }
  }
  if (result && (ns_err || obj_err)) {
    *status = ns_err ? ns_err : obj_err;
    if (ns_err) json_decref(obj_err);
    return -1;
  }
  json_decref(ns_err);
  json_decref(obj_err);
  return result;
}
