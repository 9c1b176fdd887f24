/* authz.c - see authz.h. RBAC follows plugin/pkg/auth/authorizer/rbac:
 * ClusterRoleBindings are visited first, then the RoleBindings of the
 * request's namespace (whose roleRef is a Role there or a ClusterRole);
 * a binding applies when one of its subjects names the user; its role's
 * rules are matched with rbac_rule_allows. The allow reason names the
 * binding, role and subject; a denial's reason lists the roles that could
 * not be found. Decisions use the compiled bindings of authz_index.c; the
 * rules reviews and the escalation check walk the watch cache here. */
#include "authz.h"
#include "authz_index.h"
#include "authz_node.h"
#include "registry.h"
#include "watch_cache.h"
#include <stdio.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"

bool authz_in_group(const json_t *groups, const char *g) {
  size_t i;
  const json_t *v;
  json_array_foreach(groups, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), g)) return true;
  return false;
}

static cache_bucket *rbac_bucket(const char *plural) {
  const resource *r = registry_find(RBAC_GROUP, "v1", plural);
  return r ? registry_storage_resource(r)->bucket : NULL;
}

/* The visitor RBAC's rule walk calls for each rule of each applying binding;
 * returns false to stop. source describes the binding for reasons. */
typedef bool (*rule_visitor)(void *ctx, const char *source, const json_t *rule);

static void add_error(json_t *errs, const char *kind, const char *name) {
  if (!json_is_array(errs)) return;
  char msg[600];
  snprintf(msg, sizeof msg, "%s.rbac.authorization.k8s.io \"%s\" not found", kind, name);
  json_array_append_new(errs, json_string(msg));
}

/* The rules of roleRef (a ClusterRole, or a Role in ns); a reference, or NULL. */
static cobj *role_of(cache *c, const json_t *ref, const char *ns, json_t *errs) {
  const char *kind = json_string_value(json_object_get(ref, "kind"));
  const char *name = json_string_value(json_object_get(ref, "name"));
  if (!kind || !name) return NULL;
  bool cluster = !strcmp(kind, "ClusterRole");
  if (!cluster && strcmp(kind, "Role")) return NULL;
  cache_bucket *b = rbac_bucket(cluster ? "clusterroles" : "roles");
  cobj *o = b ? cache_get(c, b, cluster ? "" : ns, name) : NULL;
  if (!o) add_error(errs, cluster ? "clusterrole" : "role", name);
  return o;
}

/* Visits the rules of every binding in bucket plural (ns "" = cluster) that applies to the user. */
static bool visit_bindings(cache *c, const char *plural, const char *ns, const char *user, const json_t *groups, json_t *errs,
                           rule_visitor fn, void *ctx) {
  cache_bucket *b = rbac_bucket(plural);
  if (!b) return true;
  cobj_vec v = {0};
  cache_list(c, b, ns, NULL, 0, &v);
  bool go_on = true;
  for (size_t i = 0; i < v.n && go_on; i++) {
    const json_t *binding = v.items[i]->obj;
    const json_t *subjects = json_object_get(binding, "subjects"), *subject = NULL, *s;
    size_t k;
    json_array_foreach(subjects, k, s) if (rbac_subject_applies(s, user, groups, ns)) {
      subject = s;
      break;
    }
    if (!subject) continue;
    const json_t *ref = json_object_get(binding, "roleRef");
    cobj *role = role_of(c, ref, ns, errs);
    if (!role) continue;
    char who[700], source[1600];
    rbac_describe_subject(subject, ns, who, sizeof who);
    const char *bname = json_string_value(json_object_get(json_object_get(binding, "metadata"), "name"));
    if (*ns)
      snprintf(source, sizeof source, "RoleBinding \"%s/%s\" of %s \"%s\" to %s", bname ? bname : "", ns,
               json_string_value(json_object_get(ref, "kind")), json_string_value(json_object_get(ref, "name")), who);
    else
      snprintf(source, sizeof source, "ClusterRoleBinding \"%s\" of %s \"%s\" to %s", bname ? bname : "",
               json_string_value(json_object_get(ref, "kind")), json_string_value(json_object_get(ref, "name")), who);
    const json_t *rule;
    json_array_foreach(json_object_get(role->obj, "rules"), k, rule) if (!(go_on = fn(ctx, source, rule))) break;
    cobj_unref(role);
  }
  cobj_vec_clear(&v);
  return go_on;
}

static void visit_rules(cache *c, const char *user, const json_t *groups, const char *ns, json_t *errs, rule_visitor fn,
                        void *ctx) {
  if (!visit_bindings(c, "clusterrolebindings", "", user, groups, errs, fn, ctx)) return;
  if (ns && *ns) visit_bindings(c, "rolebindings", ns, user, groups, errs, fn, ctx);
}

/* utilerrors.NewAggregate's text: one error alone, several in brackets. */
static void aggregate(const json_t *errs, char *buf, size_t len) {
  size_t n = json_array_size(errs), k = 0;
  buf[0] = 0;
  if (!n) return;
  if (n > 1) k += (size_t)snprintf(buf + k, len - k, "[");
  for (size_t i = 0; i < n && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", json_string_value(json_array_get(errs, i)));
  if (n > 1 && k < len) snprintf(buf + k, len - k, "]");
}

bool authz_rbac_allowed(cache *c, const authz_attrs *a, char *reason, size_t len) {
  return authz_index_allowed(c, a, reason, len); /* the compiled form of visit_rules + check_rule */
}

bool authz_allowed(cache *c, const authz_attrs *a, char *reason, size_t len) {
  reason[0] = 0;
  if (authz_in_group(a->groups, "system:masters")) return true; /* the privileged group, before any mode */
  char node_reason[512] = "";
  authz_decision d = authz_node_authorize(c, a, node_reason, sizeof node_reason);
  if (d == AUTHZ_ALLOW) return true;
  if (d == AUTHZ_DENY) {
    snprintf(reason, len, "%s", node_reason);
    return false;
  }
  char rbac_reason[2048];
  if (authz_rbac_allowed(c, a, rbac_reason, sizeof rbac_reason)) {
    snprintf(reason, len, "%s", rbac_reason);
    return true;
  }
  snprintf(reason, len, "%s%s%s", node_reason, *node_reason && *rbac_reason ? "\n" : "", rbac_reason);
  return false;
}

static bool collect_rule(void *ctx, const char *source, const json_t *rule) {
  json_array_append_new(ctx, json_deep_copy(rule));
  return true;
}

json_t *authz_rbac_rules_for(cache *c, const char *user, const json_t *groups, const char *ns, json_t *errs) {
  json_t *rules = json_array();
  visit_rules(c, user, groups, ns, errs, collect_rule, rules);
  return rules;
}

/* A string list field of rule copied into out when present and non-empty. */
static void copy_list(json_t *out, const json_t *rule, const char *key) {
  const json_t *v = json_object_get(rule, key);
  if (json_array_size(v)) json_object_set_new(out, key, json_deep_copy(v));
}

json_t *authz_rules_review(cache *c, const char *user, const json_t *groups, const char *ns) {
  json_t *errs = json_array();
  json_t *rules = authz_rbac_rules_for(c, user, groups, ns, errs);
  json_t *res = json_array(), *nonres = json_array();
  bool incomplete = authz_node_identity(user, groups, NULL, 0);
  if (incomplete) json_array_insert_new(errs, 0, json_string("node authorizer does not support user rule resolution"));
  size_t i;
  const json_t *r;
  json_array_foreach(rules, i, r) {
    if (json_array_size(json_object_get(r, "resources"))) {
      json_t *o = json_object();
      json_object_set_new(o, "verbs", json_deep_copy(json_object_get(r, "verbs")));
      copy_list(o, r, "apiGroups");
      copy_list(o, r, "resources");
      copy_list(o, r, "resourceNames");
      json_array_append_new(res, o);
    }
    if (json_array_size(json_object_get(r, "nonResourceURLs"))) {
      json_t *o = json_object();
      json_object_set_new(o, "verbs", json_deep_copy(json_object_get(r, "verbs")));
      copy_list(o, r, "nonResourceURLs");
      json_array_append_new(nonres, o);
    }
  }
  json_decref(rules);
  json_t *st = json_pack("{s:o,s:o,s:b}", "resourceRules", res, "nonResourceRules", nonres, "incomplete", incomplete);
  if (json_array_size(errs)) {
    char agg[4096];
    aggregate(errs, agg, sizeof agg);
    json_object_set_new(st, "evaluationError", json_string(agg));
  }
  json_decref(errs);
  return st;
}
