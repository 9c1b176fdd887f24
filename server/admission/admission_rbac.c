/* admission_rbac.c - RBAC's two checks of writes:
 * - RBAC's escalation prevention (kube-apiserver does it in the
 *   policy-based storage of roles and bindings, before admission): a user
 *   may create or update a Role/ClusterRole only with rules they hold, or
 *   with the "escalate" verb on it, and a RoleBinding/ClusterRoleBinding
 *   only to a role whose rules they hold, or with "bind" on that role;
 *   system:masters and in-process callers (no user) pass, and so does an
 *   aggregated ClusterRole (its rules belong to its controller).
 * - NodeRestriction (a row of the admission table): a node identity may
 *   change only its own Node and Lease, and only pods bound to itself. */
#include "admission.h"
#include "authz.h"
#include "authz_node.h"
#include "status.h"
#include <stdio.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"

static const json_t *user_of(const admission_request *a) { return a->o ? a->o->user : NULL; }

/* Whether the requester may verb the named role kind in ns (authorizer check). */
static bool may(cache *c, const json_t *user, const char *verb, const char *plural, const char *ns, const char *name) {
  authz_attrs at = {0};
  at.user = json_string_value(json_object_get(user, "username"));
  at.groups = json_object_get(user, "groups");
  at.resource_request = true;
  snprintf(at.verb, sizeof at.verb, "%s", verb);
  snprintf(at.api_group, sizeof at.api_group, RBAC_GROUP);
  snprintf(at.resource, sizeof at.resource, "%s", plural);
  snprintf(at.ns, sizeof at.ns, "%s", ns ? ns : "");
  snprintf(at.name, sizeof at.name, "%s", name ? name : "");
  char reason[1024];
  return authz_allowed(c, &at, reason, sizeof reason);
}

/* ConfirmNoEscalation: NULL, or the Forbidden Status listing what the user lacks. */
static json_t *confirm_no_escalation(const admission_request *a, const json_t *rules) {
  const json_t *user = user_of(a);
  const char *name = json_string_value(json_object_get(user, "username"));
  const json_t *groups = json_object_get(user, "groups");
  json_t *errs = json_array();
  json_t *owner = authz_rbac_rules_for(a->cache, name, groups, a->ns, errs);
  json_t *missing = rbac_uncovered(owner, rules);
  json_t *st = NULL;
  if (json_array_size(missing)) {
    char lines[8192], gl[2048] = "[", msg[12000];
    rbac_missing_text(missing, lines, sizeof lines);
    size_t i, k = 1;
    const json_t *g;
    json_array_foreach(groups, i, g) if (k < sizeof gl) k += (size_t)snprintf(gl + k, sizeof gl - k, "%s\"%s\"",
                                                                              i ? " " : "", json_string_value(g));
    if (k < sizeof gl) snprintf(gl + k, sizeof gl - k, "]");
    int n = snprintf(msg, sizeof msg,
                     "user \"%s\" (groups=%s) is attempting to grant RBAC permissions not currently held:\n%s",
                     name ? name : "", gl, lines);
    if (json_array_size(errs) && n > 0 && (size_t)n < sizeof msg) {
      size_t m = (size_t)n;
      m += (size_t)snprintf(msg + m, sizeof msg - m, "; resolution errors: [");
      json_array_foreach(errs, i, g) if (m < sizeof msg) m += (size_t)snprintf(msg + m, sizeof msg - m, "%s%s",
                                                                             i ? " " : "", json_string_value(g));
      if (m < sizeof msg) snprintf(msg + m, sizeof msg - m, "]");
    }
    st = status_forbidden(a->r, a->name, msg);
  }
  json_decref(missing);
  json_decref(owner);
  json_decref(errs);
  return st;
}

/* The rules a binding's roleRef grants (read from the cache: roles are stored in rbac/v1, whose rules every
 * version shares), or NULL with *st the NotFound Status. */
static json_t *role_ref_rules(cache *c, const json_t *ref, const char *ns, json_t **st) {
  const char *kind = json_string_value(json_object_get(ref, "kind"));
  const char *name = json_string_value(json_object_get(ref, "name"));
  bool cluster = kind && !strcmp(kind, "ClusterRole");
  const resource *r = registry_find(RBAC_GROUP, "v1", cluster ? "clusterroles" : "roles");
  cobj *role = r && name ? cache_get(c, r->bucket, cluster ? "" : ns, name) : NULL;
  json_t *rules = NULL;
  if (role) {
    rules = json_deep_copy(json_object_get(role->obj, "rules"));
    if (!rules) rules = json_array();
    cobj_unref(role);
  } else {
    *st = status_not_found_gr(RBAC_GROUP, cluster ? "clusterroles" : "roles", name ? name : "");
  }
  return rules;
}

static json_t *rbac_escalation(admission_request *a) {
  const json_t *user = user_of(a);
  if (!user || strcmp(a->r->ref.group, RBAC_GROUP) || authz_in_group(json_object_get(user, "groups"), "system:masters"))
    return NULL;
  const char *plural = a->r->ref.plural;
  if (!strcmp(plural, "roles") || !strcmp(plural, "clusterroles")) {
    if (json_object_get(a->obj, "aggregationRule") && !strcmp(plural, "clusterroles")) return NULL;
    if (may(a->cache, user, "escalate", plural, a->ns, a->name)) return NULL;
    return confirm_no_escalation(a, json_object_get(a->obj, "rules"));
  }
  if (strcmp(plural, "rolebindings") && strcmp(plural, "clusterrolebindings")) return NULL;
  const json_t *ref = json_object_get(a->obj, "roleRef");
  if (a->old && json_equal(ref, json_object_get(a->old, "roleRef")) && !strcmp(a->r->ref.plural, plural) &&
      json_equal(json_object_get(a->obj, "subjects"), json_object_get(a->old, "subjects")))
    return NULL; /* nothing granted changes */
  const char *kind = json_string_value(json_object_get(ref, "kind"));
  const char *ref_plural = kind && !strcmp(kind, "ClusterRole") ? "clusterroles" : "roles";
  if (may(a->cache, user, "bind", ref_plural, a->ns, json_string_value(json_object_get(ref, "name")))) return NULL;
  json_t *st = NULL;
  json_t *rules = role_ref_rules(a->cache, ref, a->ns, &st);
  if (!rules) return st;
  st = confirm_no_escalation(a, rules);
  json_decref(rules);
  return st;
}

json_t *rbac_escalation_check(admission_request *a) { return rbac_escalation(a); }

/* NodeRestriction (1.20's noderestriction plugin, the parts ckube's nodes touch). */
json_t *admit_node_restriction(admission_request *a) {
  const json_t *user = user_of(a);
  char node[256];
  if (!user || !authz_node_identity(json_string_value(json_object_get(user, "username")),
                                    json_object_get(user, "groups"), node, sizeof node))
    return NULL;
  const char *plural = a->r->ref.plural, *group = a->r->ref.group;
  char why[600];
  if (!*group && !strcmp(plural, "nodes")) {
    if (!strcmp(a->name, node)) return NULL;
    snprintf(why, sizeof why, "node \"%s\" is not allowed to modify node \"%s\"", node, a->name);
    return status_forbidden(a->r, a->name, why);
  }
  if (!strcmp(group, "coordination.k8s.io") && !strcmp(plural, "leases") && !strcmp(a->ns, "kube-node-lease")) {
    if (!strcmp(a->name, node)) return NULL;
    snprintf(why, sizeof why, "can only access node lease with the same name as the requesting node");
    return status_forbidden(a->r, a->name, why);
  }
  if (!*group && !strcmp(plural, "pods")) {
    const json_t *pod = a->old ? a->old : a->obj;
    const char *bound = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (a->op == ADMIT_CREATE && !a->sub) {
      snprintf(why, sizeof why, "pod does not have \"kubernetes.io/config.mirror\" annotation, node \"%s\" can only create mirror pods", node);
      const json_t *ann = json_object_get(json_object_get(a->obj, "metadata"), "annotations");
      return json_object_get(ann, "kubernetes.io/config.mirror") ? NULL : status_forbidden(a->r, a->name, why);
    }
    if (bound && !strcmp(bound, node)) return NULL;
    snprintf(why, sizeof why, "node \"%s\" can only %s pods with spec.nodeName set to itself", node,
             a->op == ADMIT_DELETE ? "delete" : "update");
    return status_forbidden(a->r, a->name, why);
  }
  return NULL;
}
