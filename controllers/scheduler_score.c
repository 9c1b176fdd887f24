/* scheduler_score.c - scoring the feasible nodes for a pod with
 * kube-scheduler 1.20's default weights: NodeResourcesLeastAllocated (1),
 * NodeResourcesBalancedAllocation (1), NodeAffinity preferred terms (1,
 * normalized to the best node), TaintToleration PreferNoSchedule taints (1,
 * fewer is better) and spreading (2: fewer pods of the same owner on the
 * node is better, standing in for the default topology spreading). The
 * highest total wins; ties are broken at random, as selectHost does. */
#include "scheduler.h"
#include "taints.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCORE 100

static int64_t least_requested(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * MAX_SCORE / capacity;
}

static double fraction(int64_t requested, int64_t capacity) {
  return capacity == 0 ? 1 : (double)requested / (double)capacity;
}

static int64_t resource_scores(const sched_pod *p, const sched_node *n) {
  int64_t cpu = n->nonzero_requested.milli_cpu + p->nonzero.milli_cpu;
  int64_t mem = n->nonzero_requested.memory + p->nonzero.memory;
  int64_t least = (least_requested(cpu, n->allocatable.milli_cpu) + least_requested(mem, n->allocatable.memory)) / 2;
  double fc = fraction(cpu, n->allocatable.milli_cpu), fm = fraction(mem, n->allocatable.memory);
  int64_t balanced = fc >= 1 || fm >= 1 ? 0 : (int64_t)((1 - fabs(fc - fm)) * MAX_SCORE);
  return least + balanced;
}

static int64_t preferred_affinity(const json_t *spec, const json_t *node) {
  const json_t *terms = json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                                        "preferredDuringSchedulingIgnoredDuringExecution");
  int64_t sum = 0;
  size_t i;
  json_t *t;
  json_array_foreach(terms, i, t) {
    const json_t *pref = json_object_get(t, "preference");
    const json_t *exprs = json_object_get(pref, "matchExpressions");
    if (!json_array_size(exprs)) continue; /* 1.20 scores matchExpressions only */
    if (sched_node_matches_expressions(exprs, node)) sum += json_integer_value(json_object_get(t, "weight"));
  }
  return sum;
}

static int64_t intolerable_prefer_no_schedule(const json_t *tolerations, const sched_node *n) {
  int64_t count = 0;
  for (int i = 0; i < n->ntaints; i++) {
    const sched_taint *t = &n->taints[i];
    if (strcmp(t->effect, "PreferNoSchedule")) continue;
    bool ok = false;
    size_t k;
    json_t *tol;
    json_array_foreach(tolerations, k, tol) {
      if (toleration_matches(tol, t->key, t->value, t->effect)) {
        ok = true;
        break;
      }
    }
    if (!ok) count++;
  }
  return count;
}

/* DefaultNormalizeScore */
static void normalize(int64_t *scores, int n, bool reverse) {
  int64_t max = 0;
  for (int i = 0; i < n; i++)
    if (scores[i] > max) max = scores[i];
  for (int i = 0; i < n; i++) {
    if (max == 0) scores[i] = reverse ? MAX_SCORE : scores[i];
    else scores[i] = reverse ? MAX_SCORE - MAX_SCORE * scores[i] / max : MAX_SCORE * scores[i] / max;
  }
}

int sched_select(const sched_pod *p, sched_node *const *nodes, int n, unsigned *rand_state) {
  if (n == 1) return 0;
  const json_t *spec = json_object_get(p->pod, "spec");
  const json_t *tolerations = json_object_get(spec, "tolerations");
  bool has_preferred = json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                                       "preferredDuringSchedulingIgnoredDuringExecution") != NULL;
  int64_t *affinity = calloc((size_t)n, sizeof *affinity), *taints = calloc((size_t)n, sizeof *taints),
          *spread = calloc((size_t)n, sizeof *spread);
  for (int i = 0; i < n; i++) {
    if (has_preferred) affinity[i] = preferred_affinity(spec, nodes[i]->node);
    taints[i] = intolerable_prefer_no_schedule(tolerations, nodes[i]);
    if (p->owner[0]) spread[i] = sched_node_owner_pods(nodes[i], p->owner);
  }
  normalize(affinity, n, false);
  normalize(taints, n, true);
  normalize(spread, n, true);
  int best = 0, ties = 0;
  int64_t best_score = -1;
  for (int i = 0; i < n; i++) {
    int64_t s = resource_scores(p, nodes[i]) + affinity[i] + taints[i] + 2 * spread[i];
    if (s > best_score) best_score = s, best = i, ties = 1;
    else if (s == best_score && rand_r(rand_state) % ++ties == 0) best = i;
  }
  free(affinity);
  free(taints);
  free(spread);
  return best;
}

int sched_nodes_to_find(int total) {
  if (total < 100) return total;
  int pct = 50 - total / 125;
  if (pct < 5) pct = 5;
  int n = total * pct / 100;
  return n < 100 ? 100 : n;
}
