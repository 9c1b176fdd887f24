/* scheduler_filter.c - kube-scheduler 1.20's default filters for one pod
 * and one node, in the framework's order (the volume checks that need
 * PersistentVolumeClaims are prepared by scheduler_volumes.c), stopping at the first filter that
 * fails (runAllFilters is off by default), with the plugins' exact reason
 * strings; and FitError's message built from the reasons of all nodes. */
#include "scheduler.h"
#include "json_path.h"
#include "taints.h"
#include "strutil.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reason(sched_reasons *why, const char *fmt, const char *a, const char *b) {
  if (why->n < SCHED_MAX_REASONS) snprintf(why->reasons[why->n++], sizeof why->reasons[0], fmt, a, b);
}

static bool in_values(const json_t *values, const char *v) {
  size_t i;
  json_t *x;
  json_array_foreach(values, i, x) if (json_is_string(x) && !strcmp(json_string_value(x), v)) return true;
  return false;
}

static bool parse_int(const char *s, long long *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  *out = strtoll(s, &end, 10);
  return !*end && errno == 0;
}

/* One NodeSelectorRequirement against a value (NULL = absent label). */
static bool requirement_matches(const json_t *req, const char *have) {
  const char *op = json_str(req, "operator") ?: "";
  const json_t *values = json_object_get(req, "values");
  if (!strcmp(op, "In")) return have && in_values(values, have);
  if (!strcmp(op, "NotIn")) return !have || !in_values(values, have);
  if (!strcmp(op, "Exists")) return have != NULL;
  if (!strcmp(op, "DoesNotExist")) return have == NULL;
  if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
    long long a, b;
    if (!have || json_array_size(values) != 1 || !parse_int(have, &a) ||
        !parse_int(json_string_value(json_array_get(values, 0)), &b))
      return false;
    return op[0] == 'G' ? a > b : a < b;
  }
  return false;
}

bool sched_node_matches_expressions(const json_t *exprs, const json_t *node) {
  const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
  size_t i;
  json_t *e;
  json_array_foreach(exprs, i, e) if (!requirement_matches(e, json_str(labels, json_str(e, "key") ?: ""))) return false;
  return true;
}

bool sched_node_matches_term(const json_t *term, const json_t *node) {
  const json_t *exprs = json_object_get(term, "matchExpressions"), *fields = json_object_get(term, "matchFields");
  if (!json_array_size(exprs) && !json_array_size(fields)) return false;
  const json_t *md = json_object_get(node, "metadata");
  if (!sched_node_matches_expressions(exprs, node)) return false;
  size_t i;
  json_t *f;
  json_array_foreach(fields, i, f) {
    const char *key = json_str(f, "key") ?: "";
    if (strcmp(key, "metadata.name") != 0) return false;
    if (!requirement_matches(f, json_str(md, "name"))) return false;
  }
  return true;
}

/* PodMatchesNodeSelectorAndAffinityTerms */
static bool matches_selector_and_affinity(const sched_pod *p, const json_t *node) {
  if (!p->node_selector && !p->required_terms) return true;
  const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)p->node_selector, k, v) {
    const char *have = json_str(labels, k);
    if (!have || strcmp(have, json_string_value(v) ?: "")) return false;
  }
  if (!p->required_terms) return true;
  size_t i;
  json_t *term;
  json_array_foreach(json_object_get(p->required_terms, "nodeSelectorTerms"), i, term)
    if (sched_node_matches_term(term, node)) return true;
  return false;
}

static bool port_conflict(const sched_host_port *want, const sched_node *n) {
  bool any = !strcmp(want->ip, "0.0.0.0");
  for (int i = 0; i < n->nports; i++) {
    const sched_host_port *used = &n->ports[i];
    if (used->port != want->port || strcmp(used->protocol, want->protocol)) continue;
    if (any || !strcmp(used->ip, "0.0.0.0") || !strcmp(used->ip, want->ip)) return true;
  }
  return false;
}

static int64_t scalar(const sched_resources *r, const char *name) {
  for (int i = 0; i < r->nscalars; i++)
    if (!strcmp(r->scalars[i].name, name)) return r->scalars[i].value;
  return 0;
}

static void fits_resources(const sched_pod *p, const sched_node *n, sched_reasons *why) {
  if (n->npods + 1 > n->allowed_pods) reason(why, "Too many pods", NULL, NULL);
  const sched_resources *rq = &p->requests, *al = &n->allocatable, *used = &n->requested;
  if (!rq->milli_cpu && !rq->memory && !rq->ephemeral && !rq->nscalars) return;
  if (al->milli_cpu < rq->milli_cpu + used->milli_cpu) reason(why, "Insufficient cpu", NULL, NULL);
  if (al->memory < rq->memory + used->memory) reason(why, "Insufficient memory", NULL, NULL);
  if (al->ephemeral < rq->ephemeral + used->ephemeral) reason(why, "Insufficient ephemeral-storage", NULL, NULL);
  for (int i = 0; i < rq->nscalars; i++) {
    const char *name = rq->scalars[i].name;
    if (rq->scalars[i].value && scalar(al, name) < rq->scalars[i].value + scalar(used, name))
      reason(why, "Insufficient %s", name, NULL);
  }
}

bool sched_filter(const sched_pod *p, const sched_node *n, sched_reasons *why) {
  why->n = 0;
  why->resolvable = false;
  const json_t *tolerations = p->tolerations;
  /* NodeUnschedulable */
  if (n->unschedulable && !tolerations_tolerate(tolerations, "node.kubernetes.io/unschedulable", "", "NoSchedule")) {
    reason(why, "node(s) were unschedulable", NULL, NULL);
    return false;
  }
  /* TaintToleration: the first NoSchedule/NoExecute taint not tolerated */
  for (int i = 0; i < n->ntaints; i++) {
    const sched_taint *t = &n->taints[i];
    if (strcmp(t->effect, "NoSchedule") && strcmp(t->effect, "NoExecute")) continue;
    if (tolerations_tolerate(tolerations, t->key, t->value, t->effect)) continue;
    reason(why, "node(s) had taint {%s: %s}, that the pod didn't tolerate", t->key, t->value);
    return false;
  }
  /* NodeAffinity (nodeSelector and required node affinity) */
  if (!matches_selector_and_affinity(p, n->node)) {
    reason(why, "node(s) didn't match Pod's node affinity", NULL, NULL);
    return false;
  }
  /* NodePorts (Unschedulable: evicting pods can free a port, unlike the filters above) */
  for (int i = 0; i < p->nports; i++)
    if (port_conflict(&p->ports[i], n)) {
      reason(why, "node(s) didn't have free ports for the requested pod ports", NULL, NULL);
      why->resolvable = true;
      return false;
    }
  /* NodeResourcesFit (Unschedulable) */
  fits_resources(p, n, why);
  if (why->n) {
    why->resolvable = true;
    return false;
  }
  /* VolumeBinding: every bound PersistentVolume's node affinity */
  for (int v = 0; v < p->nvolume_terms; v++) {
    bool any = false;
    size_t i;
    json_t *term;
    json_array_foreach(p->volume_terms[v], i, term) if ((any = sched_node_matches_term(term, n->node))) break;
    if (!any) {
      reason(why, "node(s) had volume node affinity conflict", NULL, NULL);
      return false;
    }
  }
  return true;
}

struct sched_fit_error {
  strmap *counts; /* reason -> count (intptr_t) */
};

sched_fit_error *sched_fit_error_new(void) {
  sched_fit_error *e = calloc(1, sizeof *e);
  e->counts = strmap_new();
  return e;
}

void sched_fit_error_add(sched_fit_error *e, const sched_reasons *why) {
  for (int i = 0; i < why->n; i++) {
    intptr_t have = (intptr_t)strmap_get(e->counts, why->reasons[i]);
    strmap_put(e->counts, why->reasons[i], (void *)(have + 1));
  }
}

char *sched_fit_error_message(const sched_fit_error *e, int total_nodes) {
  size_t n = strmap_count(e->counts), len = 64;
  char **items = calloc(n ? n : 1, sizeof *items);
  strmap_iter it = {0};
  size_t k = 0;
  while (strmap_next(e->counts, &it)) {
    size_t l = strlen(it.key) + 24;
    items[k] = malloc(l);
    snprintf(items[k], l, "%ld %s", (long)(intptr_t)it.value, it.key);
    len += l + 2;
    k++;
  }
  qsort(items, n, sizeof *items, strp_cmp); /* Go's sort.Strings of "count reason" */
  char *msg = malloc(len);
  size_t m = (size_t)snprintf(msg, len, "0/%d nodes are available: ", total_nodes);
  for (size_t i = 0; i < n; i++) {
    m += (size_t)snprintf(msg + m, len - m, "%s%s", i ? ", " : "", items[i]);
    free(items[i]);
  }
  snprintf(msg + m, len - m, ".");
  free(items);
  return msg;
}

void sched_fit_error_free(sched_fit_error *e) {
  if (!e) return;
  strmap_free(e->counts, NULL);
  free(e);
}
