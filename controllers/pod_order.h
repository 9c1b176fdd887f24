/* pod_order.h - the order in which a controller gives up pods when it has
 * too many: Kubernetes 1.20's ActivePodsWithRanks (controller_utils.go).
 * Pure logic over pod JSON, unit-tested in tests/unit/test_pod_order.c. */
#ifndef CKUBE_POD_ORDER_H
#define CKUBE_POD_ORDER_H
#include <stddef.h>
#include <jansson.h>

typedef struct {
  const json_t *pod;
  int rank; /* ready pods of the same owner family on the pod's node */
} ranked_pod;

/* Sorts so that the pods to delete first come first: unassigned < assigned,
 * Pending < Unknown < Running, not ready < ready, higher rank first, ready
 * more recently < earlier, more restarts < fewer, newer < older. */
void sort_pods_for_deletion(ranked_pod *pods, size_t n);

/* Fills ranks: for each pod, how many ready pods in related (n_related)
 * share its node. */
void rank_pods_by_node(ranked_pod *pods, size_t n, const json_t *const *related, size_t n_related);

#endif
