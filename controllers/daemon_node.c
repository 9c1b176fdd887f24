/* daemon_node.c - see daemon_node.h. Node selector semantics follow
 * k8s.io/component-helpers (1.20's v1helper.MatchNodeSelectorTerms):
 * In/NotIn/Exists/DoesNotExist/Gt/Lt over labels, In/NotIn over
 * metadata.name fields; a term without requirements matches nothing. */
#include "daemon_node.h"
#include "json_path.h"
#include "taints.h"
#include "workload.h"
#include <stdlib.h>
#include <string.h>

static bool has_toleration(const json_t *tols, const char *key, const char *effect) {
  size_t i;
  json_t *t;
  json_array_foreach(tols, i, t) {
    if (!strcmp(json_str0(t, "key"), key) && !strcmp(json_str0(t, "effect"), effect)) return true;
  }
  return false;
}

void add_daemon_tolerations(json_t *spec) {
  static const struct {
    const char *key, *effect;
    bool host_network_only;
  } daemon[] = {
      {"node.kubernetes.io/not-ready", "NoExecute", false},
      {"node.kubernetes.io/unreachable", "NoExecute", false},
      {"node.kubernetes.io/disk-pressure", "NoSchedule", false},
      {"node.kubernetes.io/memory-pressure", "NoSchedule", false},
      {"node.kubernetes.io/pid-pressure", "NoSchedule", false},
      {"node.kubernetes.io/unschedulable", "NoSchedule", false},
      {"node.kubernetes.io/network-unavailable", "NoSchedule", true},
  };
  json_t *tols = json_object_get(spec, "tolerations");
  if (!json_is_array(tols)) json_object_set_new(spec, "tolerations", tols = json_array());
  bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
  for (size_t i = 0; i < sizeof daemon / sizeof daemon[0]; i++) {
    if (daemon[i].host_network_only && !host_net) continue;
    if (has_toleration(tols, daemon[i].key, daemon[i].effect)) continue;
    json_array_append_new(tols, json_pack("{s:s,s:s,s:s}", "key", daemon[i].key, "operator", "Exists", "effect",
                                          daemon[i].effect));
  }
}

static bool value_in(const char *v, const json_t *values) {
  size_t i;
  json_t *x;
  json_array_foreach(values, i, x) {
    if (!strcmp(json_string_value(x) ? json_string_value(x) : "", v)) return true;
  }
  return false;
}

/* One requirement against a map of values (labels or fields). */
static bool requirement_matches(const json_t *req, const json_t *map) {
  const char *op = json_str0(req, "operator");
  const json_t *values = json_object_get(req, "values");
  const char *v = json_string_value(json_object_get(map, json_str0(req, "key")));
  if (!strcmp(op, "In")) return v && value_in(v, values);
  if (!strcmp(op, "NotIn")) return !v || !value_in(v, values);
  if (!strcmp(op, "Exists")) return v != NULL;
  if (!strcmp(op, "DoesNotExist")) return v == NULL;
  if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
    if (!v || json_array_size(values) != 1) return false;
    const char *w = json_string_value(json_array_get(values, 0));
    char *e1, *e2;
    long long have = strtoll(v, &e1, 10), want = strtoll(w ? w : "x", &e2, 10);
    if (!*v || *e1 || !w || *e2) return false;
    return !strcmp(op, "Gt") ? have > want : have < want;
  }
  return false;
}

static bool all_match(const json_t *reqs, const json_t *map) {
  size_t i;
  json_t *r;
  json_array_foreach(reqs, i, r) {
    if (!requirement_matches(r, map)) return false;
  }
  return true;
}

bool node_selector_terms_match(const json_t *terms, const json_t *node) {
  json_t *fields = json_pack("{s:s}", "metadata.name", obj_name(node) ? obj_name(node) : "");
  const json_t *labels = json_path(node, "metadata.labels");
  json_t *empty = json_object();
  bool ok = false;
  size_t i;
  json_t *t;
  json_array_foreach(terms, i, t) {
    const json_t *exprs = json_object_get(t, "matchExpressions"), *mf = json_object_get(t, "matchFields");
    if (!json_array_size(exprs) && !json_array_size(mf)) continue;
    if (all_match(exprs, labels ? labels : empty) && all_match(mf, fields)) {
      ok = true;
      break;
    }
  }
  json_decref(fields);
  json_decref(empty);
  return ok;
}

void daemon_should_run(const json_t *spec, const json_t *node, bool *should_run, bool *should_continue) {
  *should_run = *should_continue = false;
  const char *nn = json_path_str(spec, "nodeName");
  if (nn && *nn && strcmp(nn, obj_name(node))) return;
  const char *key;
  json_t *v;
  const json_t *labels = json_path(node, "metadata.labels");
  json_object_foreach(json_object_get(spec, "nodeSelector"), key, v) {
    const char *have = json_string_value(json_object_get(labels, key));
    if (!have || strcmp(have, json_string_value(v) ? json_string_value(v) : "")) return;
  }
  const json_t *req = json_path(spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
  if (req && !node_selector_terms_match(json_object_get(req, "nodeSelectorTerms"), node)) return;
  const json_t *tols = json_object_get(spec, "tolerations");
  bool untolerated_schedule = false, untolerated_execute = false;
  size_t i;
  json_t *taint;
  json_array_foreach(json_path(node, "spec.taints"), i, taint) {
    const char *eff = json_str0(taint, "effect");
    if (strcmp(eff, "NoSchedule") && strcmp(eff, "NoExecute")) continue;
    if (tolerations_tolerate(tols, json_str0(taint, "key"), json_str0(taint, "value"), eff)) continue;
    untolerated_schedule = true;
    if (!strcmp(eff, "NoExecute")) untolerated_execute = true;
  }
  *should_run = !untolerated_schedule;
  *should_continue = !untolerated_execute;
}

void pin_to_node(json_t *spec, const char *node) {
  json_t *na = jobj(jobj(spec, "affinity"), "nodeAffinity");
  json_object_set_new(na, "requiredDuringSchedulingIgnoredDuringExecution",
                      json_pack("{s:[{s:[{s:s,s:s,s:[s]}]}]}", "nodeSelectorTerms", "matchFields", "key",
                                "metadata.name", "operator", "In", "values", node));
}

const char *daemon_target_node(const json_t *pod) {
  const char *nn = json_path_str(pod, "spec.nodeName");
  if (nn && *nn) return nn;
  const json_t *terms = json_path(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  size_t i, k;
  json_t *t, *r;
  json_array_foreach(terms, i, t) {
    json_array_foreach(json_object_get(t, "matchFields"), k, r) {
      const json_t *vals = json_object_get(r, "values");
      if (!strcmp(json_str0(r, "key"), "metadata.name") && !strcmp(json_str0(r, "operator"), "In") && json_array_size(vals) == 1)
        return json_string_value(json_array_get(vals, 0));
    }
  }
  return NULL;
}
