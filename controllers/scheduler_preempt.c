/* scheduler_preempt.c - kube-scheduler 1.20's DefaultPreemption PostFilter,
 * the part that decides and the part that evicts. For a pod that fits
 * nowhere, the scheduler (scheduler.c) dry-runs every node whose filters
 * failed for a reason evicting pods can cure (resources, host ports) on a
 * scratch copy of the node: sched_select_victims removes every pod of lower
 * priority, checks the pod then fits, and reprieves as many as it can, most
 * important first (PodDisruptionBudget-protected ones before the others);
 * sched_pick_candidate orders the candidate nodes as pickOneNodeForPreemption
 * does. sched_preempt_evict deletes the chosen victims gracefully and records
 * the "Preempted" event on each; the scheduler nominates the node to the
 * preemptor (status.nominatedNodeName) and binds it when the room is free. */
#include "scheduler.h"
#include "api.h"
#include "events.h"
#include "log.h"
#include "selector.h"
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULER_NAME "default-scheduler"

bool sched_victim_more_important(const sched_victim *a, const sched_victim *b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->start < b->start;
}

/* Insertion sort, stable, by importance (victim lists are short). */
static void sort_by_importance(sched_victim *v, int n) {
  for (int i = 1; i < n; i++) {
    sched_victim x = v[i];
    int j = i;
    for (; j > 0 && sched_victim_more_important(&x, &v[j - 1]); j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

bool sched_select_victims(const sched_pod *p, int32_t priority, sched_node *n, const sched_victim *pods, int npods,
                          const json_t *pdbs, sched_candidate *c) {
  memset(c, 0, sizeof *c);
  sched_victim *potential = malloc((size_t)(npods ? npods : 1) * sizeof *potential);
  int npotential = 0;
  for (int i = 0; i < npods; i++)
    if (pods[i].priority < priority) {
      potential[npotential++] = pods[i];
      sched_node_remove_pod(n, pods[i].info);
    }
  sched_reasons why;
  if (!npotential || !sched_filter(p, n, &why)) {
    free(potential);
    return false;
  }
  sort_by_importance(potential, npotential);
  sched_mark_pdb_violations(potential, npotential, pdbs);
  c->victims = malloc((size_t)npotential * sizeof *c->victims);
  /* the PDB-violating group is tried first, then the others, each in order */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < npotential; i++) {
      if (potential[i].pdb_violating != (pass == 0)) continue;
      sched_node_add_pod(n, potential[i].info);
      if (sched_filter(p, n, &why)) continue; /* reprieved */
      sched_node_remove_pod(n, potential[i].info);
      c->victims[c->nvictims++] = potential[i];
      if (pass == 0) c->pdb_violations++;
    }
  free(potential);
  return true;
}

static long long sum_priorities(const sched_candidate *c) {
  long long sum = 0;
  /* shifted to be non-negative, so more victims of negative priority never look cheaper */
  for (int i = 0; i < c->nvictims; i++) sum += (long long)c->victims[i].priority + (long long)INT_MAX + 1;
  return sum;
}

/* The earliest start among the victims of the highest priority. */
static long long earliest_start_of_highest(const sched_candidate *c) {
  int32_t highest = INT32_MIN;
  long long earliest = LLONG_MAX;
  for (int i = 0; i < c->nvictims; i++)
    if (c->victims[i].priority > highest) highest = c->victims[i].priority;
  for (int i = 0; i < c->nvictims; i++)
    if (c->victims[i].priority == highest && c->victims[i].start < earliest) earliest = c->victims[i].start;
  return earliest;
}

/* Keeps in keep[0..*n) those candidates whose criterion value is the lowest. */
static void keep_lowest(const sched_candidate *c, int *keep, int *n, long long (*value)(const sched_candidate *)) {
  long long best = LLONG_MAX;
  for (int i = 0; i < *n; i++)
    if (value(&c[keep[i]]) < best) best = value(&c[keep[i]]);
  int m = 0;
  for (int i = 0; i < *n; i++)
    if (value(&c[keep[i]]) == best) keep[m++] = keep[i];
  *n = m;
}

static long long pdb_violations(const sched_candidate *c) { return c->pdb_violations; }
/* As upstream: the first victim stands for the highest (the PDB group comes first). */
static long long first_victim_priority(const sched_candidate *c) {
  return c->nvictims ? c->victims[0].priority : INT32_MIN;
}
static long long victim_count(const sched_candidate *c) { return c->nvictims; }

int sched_pick_candidate(const sched_candidate *c, int n) {
  assert(n > 0);
  int *keep = calloc((size_t)n, sizeof *keep), m = n;
  for (int i = 0; i < n; i++) keep[i] = i;
  long long (*criteria[])(const sched_candidate *) = {pdb_violations, first_victim_priority, sum_priorities,
                                                      victim_count};
  for (size_t k = 0; k < sizeof criteria / sizeof criteria[0] && m > 1; k++) keep_lowest(c, keep, &m, criteria[k]);
  int best = keep[0];
  for (int i = 1; i < m; i++) /* the node whose victims started latest */
    if (earliest_start_of_highest(&c[keep[i]]) > earliest_start_of_highest(&c[best])) best = keep[i];
  free(keep);
  return best;
}

bool sched_preempt_plan(const sched_pod *p, int32_t priority, sched_node *const *views, sched_victim *const *pods,
                        const int *npods, int n, const json_t *pdbs, unsigned *rand_state, sched_candidate *best) {
  memset(best, 0, sizeof *best);
  if (n <= 0) return false;
  int want = n / 10 < 100 ? 100 : n / 10, offset = (int)(rand_r(rand_state) % (unsigned)n), found = 0;
  sched_candidate *cands = calloc((size_t)n, sizeof *cands);
  for (int k = 0; k < n && found < want; k++) {
    int i = (offset + k) % n;
    if (!sched_select_victims(p, priority, views[i], pods[i], npods[i], pdbs, &cands[found])) continue;
    cands[found++].node = i;
  }
  if (found) {
    int pick = sched_pick_candidate(cands, found);
    *best = cands[pick];
    cands[pick].victims = NULL;
  }
  for (int i = 0; i < found; i++) free(cands[i].victims);
  free(cands);
  return found > 0;
}

void sched_mark_pdb_violations(sched_victim *pods, int n, const json_t *pdbs) {
  for (int i = 0; i < n; i++) pods[i].pdb_violating = false;
  size_t npdb = json_array_size(pdbs);
  if (!npdb) return;
  long long *allowed = calloc(npdb, sizeof *allowed);
  label_selector **sel = calloc(npdb, sizeof *sel);
  for (size_t k = 0; k < npdb; k++) {
    const json_t *pdb = json_array_get(pdbs, k);
    allowed[k] = json_integer_value(json_object_get(json_object_get(pdb, "status"), "disruptionsAllowed"));
    const json_t *s = json_object_get(json_object_get(pdb, "spec"), "selector");
    char err[128];
    if (s) sel[k] = label_selector_from_json(s, err, sizeof err);
  }
  for (int i = 0; i < n; i++) {
    if (!json_object_size(pods[i].labels)) continue; /* matches no budget */
    const char *slash = strchr(pods[i].key, '/');
    size_t nslen = slash ? (size_t)(slash - pods[i].key) : 0;
    for (size_t k = 0; k < npdb; k++) {
      const json_t *pdb = json_array_get(pdbs, k), *md = json_object_get(pdb, "metadata");
      const char *ns = json_string_value(json_object_get(md, "namespace")) ?: "";
      if (strlen(ns) != nslen || strncmp(ns, pods[i].key, nslen)) continue;
      if (!sel[k] || label_selector_is_empty(sel[k]) || !label_selector_matches(sel[k], pods[i].labels)) continue;
      const json_t *disrupted = json_object_get(json_object_get(pdb, "status"), "disruptedPods");
      if (slash && json_object_get(disrupted, slash + 1)) continue; /* already counted by the API server */
      if (--allowed[k] < 0) pods[i].pdb_violating = true;
    }
  }
  for (size_t k = 0; k < npdb; k++) label_selector_free(sel[k]);
  free(sel);
  free(allowed);
}

int sched_preempt_evict(const ctrl_context *cctx, const json_t *preemptor, const char *node,
                        const sched_victim *victims, int n) {
  const resource *pods = registry_find("", "v1", "pods");
  const json_t *md = json_object_get(preemptor, "metadata");
  const char *pns = json_string_value(json_object_get(md, "namespace")) ?: "";
  const char *pname = json_string_value(json_object_get(md, "name")) ?: "";
  int failed = 0;
  for (int i = 0; i < n; i++) {
    const char *slash = strchr(victims[i].key, '/');
    if (!slash) continue;
    char ns[256];
    snprintf(ns, sizeof ns, "%.*s", (int)(slash - victims[i].key), victims[i].key);
    api_result got = api_get(cctx->srv, pods, ns, slash + 1);
    json_t *victim = got.code < 300 ? api_result_json(&got) : NULL;
    api_result_clear(&got);
    if (!victim) continue;
    api_opts o = {0};
    api_result res = api_delete(cctx->srv, pods, ns, slash + 1, NULL, &o);
    if (res.code < 300)
      event_record(cctx, victim, SCHEDULER_NAME, "Normal", "Preempted", "Preempted by %s/%s on node %s", pns, pname,
                   node);
    else if (res.code != 404) {
      LOGW("preempting pod %s for %s/%s failed with %d", victims[i].key, pns, pname, res.code);
      failed++;
    }
    api_result_clear(&res);
    json_decref(victim);
  }
  return failed;
}

void sched_candidate_clear(sched_candidate *c) {
  free(c->victims);
  memset(c, 0, sizeof *c);
}
