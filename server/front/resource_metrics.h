/* resource_metrics.h - the resource usage node agents report, kept in
 * memory the way metrics-server keeps its last scrape (never in the store):
 * per node the time of the sample, its window and the node's usage, and the
 * usage of every container of the pods the node runs. A report replaces all
 * that is known about the nodes it names; a node silent for three windows
 * (at least 30 s) is forgotten. metrics_api.c serves this as
 * metrics.k8s.io/v1beta1 and the HPA controller reads it directly.
 * Thread-safe (one rwlock). */
#ifndef CKUBE_RESOURCE_METRICS_H
#define CKUBE_RESOURCE_METRICS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Takes a NodeMetricsReport (docs/ARCHITECTURE.md, "Resource metrics"):
 *   {"kind":"NodeMetricsReport","apiVersion":"ckube.io/v1","window":"5s",
 *    "nodes":[{"name","timestamp","usage":{"cpu","memory"},
 *              "pods":[{"namespace","name","uid","containers":[{"name","usage":{...}}]}]}]}
 * Returns the number of nodes taken, or -1 with a message in err (nothing
 * is taken then). */
int resource_metrics_report(const json_t *report, char *err, size_t errlen);

/* The NodeMetrics / PodMetrics object (metrics.k8s.io/v1beta1, new
 * reference) of a fresh sample, or NULL. metadata is the Node's or Pod's
 * (name, namespace, labels, creationTimestamp are copied from it); a pod
 * whose uid differs from the reported one has no metrics. */
json_t *resource_metrics_node(const json_t *node);
json_t *resource_metrics_pod(const json_t *pod);

/* One pod's usage of resource ("cpu" or "memory") in milli-units, summed
 * over its containers or only over container when non-NULL, as the HPA's
 * metrics client reads PodMetrics. Returns 1 with *milli, *ts_ms and
 * *window_ms; 0 when the pod has no fresh sample or a container lacks the
 * resource; -1 when container is given and the pod has no such container. */
int resource_metrics_pod_usage(const json_t *pod, const char *resource, const char *container, int64_t *milli,
                               long long *ts_ms, long long *window_ms);

/* Forgets everything (tests, shutdown). */
void resource_metrics_reset(void);

#endif
