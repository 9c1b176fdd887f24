/* clusterrole_aggregation.c - kube-controller-manager's
 * clusterrole-aggregation controller (1.20): a ClusterRole with an
 * aggregationRule gets as rules the union of the rules of every other
 * ClusterRole its clusterRoleSelectors match (selectors in order, matching
 * roles by name, a rule already present skipped), kept current as roles
 * and labels change. This is what fills admin, edit and view from the
 * system:aggregate-to-* roles and from any labelled role a user adds.
 * Keys are the aggregated roles' names. */
#include "controllers.h"
#include "ctrl.h"
#include "selector.h"
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define RBAC "rbac.authorization.k8s.io"

static ctrl *aggregator;

/* Any ClusterRole change may change an aggregated role: queue every aggregating one. */
static void on_clusterrole(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  cobj_vec v = {0};
  ctrl_list(cctx, RBAC, "v1", "clusterroles", "", &v);
  for (size_t i = 0; i < v.n; i++)
    if (json_object_get(v.items[i]->obj, "aggregationRule")) ctrl_add(ctx, obj_name(v.items[i]->obj));
  cobj_vec_clear(&v);
}

static bool has_rule(const json_t *rules, const json_t *rule) {
  size_t i;
  const json_t *r;
  json_array_foreach(rules, i, r) if (json_equal(r, rule)) return true;
  return false;
}

/* The union the aggregationRule of role selects among roles (sorted by name). */
static json_t *aggregate(const json_t *role, const cobj_vec *roles) {
  json_t *rules = json_array();
  size_t s, i, k;
  const json_t *sel, *rule;
  json_array_foreach(json_object_get(json_object_get(role, "aggregationRule"), "clusterRoleSelectors"), s, sel) {
    char err[256];
    label_selector *ls = label_selector_from_json(sel, err, sizeof err);
    if (!ls) continue;
    for (i = 0; i < roles->n; i++) {
      const json_t *other = roles->items[i]->obj;
      if (!strcmp(obj_name(other), obj_name(role)) ||
          !label_selector_matches(ls, json_object_get(json_object_get(other, "metadata"), "labels")))
        continue;
      json_array_foreach(json_object_get(other, "rules"), k, rule) if (!has_rule(rules, rule))
          json_array_append_new(rules, json_deep_copy(rule));
    }
    label_selector_free(ls);
  }
  return rules;
}

static ctrl_result sync_role(void *ctx, const char *name) {
  cobj *role = ctrl_get(cctx, RBAC, "v1", "clusterroles", "", name);
  if (!role) return ctrl_done();
  ctrl_result again = ctrl_done();
  if (json_object_get(role->obj, "aggregationRule")) {
    cobj_vec all = {0};
    ctrl_list(cctx, RBAC, "v1", "clusterroles", "", &all);
    json_t *rules = aggregate(role->obj, &all);
    cobj_vec_clear(&all);
    const json_t *have = json_object_get(role->obj, "rules");
    if (!json_equal(rules, have) && !(json_array_size(rules) == 0 && json_array_size(have) == 0)) {
      json_t *updated = json_deep_copy(role->obj);
      json_object_set_new(updated, "rules", rules);
      int code = ctrl_update(cctx, RBAC, "v1", "clusterroles", "", NULL, updated);
      again = code < 300 || code == 404 ? ctrl_done() : ctrl_retry();
    } else {
      json_decref(rules);
    }
  }
  cobj_unref(role);
  return again;
}

void clusterrole_aggregation_start(const ctrl_context *cc) {
  cctx = cc;
  aggregator = ctrl_start(cctx, "clusterrole-aggregation", sync_role, NULL);
  ctrl_follow(aggregator, RBAC, "v1", "clusterroles", on_clusterrole);
}

void clusterrole_aggregation_stop(void) {
  ctrl_stop(aggregator);
  aggregator = NULL;
}
