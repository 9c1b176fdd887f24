/* pod_order.c - ActivePodsWithRanks ordering (see pod_order.h). */
#include "pod_order.h"
#include "workload.h"
#include "timestamp.h"
#include <stdlib.h>
#include <string.h>

static int phase_ordinal(const json_t *pod) {
  const char *p = json_path_str(pod, "status.phase");
  if (!p) return 0;
  if (!strcmp(p, "Pending")) return 0;
  if (!strcmp(p, "Unknown")) return 1;
  if (!strcmp(p, "Running")) return 2;
  return 0;
}

static long long max_restarts(const json_t *pod) {
  long long m = 0;
  size_t i;
  json_t *cs;
  json_array_foreach(json_path(pod, "status.containerStatuses"), i, cs) {
    long long r = json_path_int(cs, "restartCount", 0);
    if (r > m) m = r;
  }
  return m;
}

/* afterOrZero: t1 after t2, a zero time counting as after any other. */
static int after_or_zero(time_t t1, time_t t2) {
  if (!t1 || !t2) return !t1;
  return t1 > t2;
}

static const char *node_of(const json_t *pod) {
  const char *n = json_path_str(pod, "spec.nodeName");
  return n ? n : "";
}

/* Less(a, b) of ActivePodsWithRanks. */
static int less(const ranked_pod *a, const ranked_pod *b) {
  const char *na = node_of(a->pod), *nb = node_of(b->pod);
  if (strcmp(na, nb) && (!*na || !*nb)) return !*na;
  int pa = phase_ordinal(a->pod), pb = phase_ordinal(b->pod);
  if (pa != pb) return pa < pb;
  bool ra = pod_ready(a->pod), rb = pod_ready(b->pod);
  if (ra != rb) return !ra;
  if (a->rank != b->rank) return a->rank > b->rank;
  if (ra && rb) {
    time_t ta = pod_ready_since(a->pod), tb = pod_ready_since(b->pod);
    if (ta != tb) return after_or_zero(ta, tb);
  }
  long long ca = max_restarts(a->pod), cb = max_restarts(b->pod);
  if (ca != cb) return ca > cb;
  time_t ca_t = rfc3339_seconds(json_path_str(a->pod, "metadata.creationTimestamp"));
  time_t cb_t = rfc3339_seconds(json_path_str(b->pod, "metadata.creationTimestamp"));
  if (ca_t != cb_t) return after_or_zero(ca_t, cb_t);
  return 0;
}

static int cmp(const void *x, const void *y) {
  const ranked_pod *a = x, *b = y;
  if (less(a, b)) return -1;
  if (less(b, a)) return 1;
  /* same rank in every respect: newer names (created later) first, stable */
  const char *an = obj_name(a->pod), *bn = obj_name(b->pod);
  return -strcmp(an ? an : "", bn ? bn : "");
}

void sort_pods_for_deletion(ranked_pod *pods, size_t n) {
  if (n > 1) qsort(pods, n, sizeof *pods, cmp);
}

void rank_pods_by_node(ranked_pod *pods, size_t n, const json_t *const *related, size_t n_related) {
  for (size_t i = 0; i < n; i++) {
    const char *node = node_of(pods[i].pod);
    int rank = 0;
    if (*node)
      for (size_t j = 0; j < n_related; j++)
        if (pod_is_active(related[j]) && pod_ready(related[j]) && !strcmp(node_of(related[j]), node)) rank++;
    pods[i].rank = rank;
  }
}
