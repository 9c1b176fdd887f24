/* simulate_metrics.h - the resource usage of simulated kubelets: one thread
 * that, every interval, reports for all simulated nodes the usage of each
 * container of the pods they run and the node's own usage (a base plus its
 * pods) to the server's POST /ckube/v1/nodemetrics (a NodeMetricsReport,
 * docs/ARCHITECTURE.md), many nodes per request so 1000 nodes cost a few
 * requests. A container's usage is the pod's ckube.io/simulate-cpu and
 * ckube.io/simulate-memory annotations (quantities, per container), else
 * 1m and 4Mi. Like metrics-server, which needs two scrapes, a container is
 * reported once it has run for a whole window (the interval). */
#ifndef CKUBE_SIMULATE_METRICS_H
#define CKUBE_SIMULATE_METRICS_H
#include <stdint.h>
#include <jansson.h>
#include "simulate_pods.h"

typedef struct sim_metrics sim_metrics;

/* names: the simulated nodes (the indexes sim_pods reports; borrowed, must
 * outlive the reporter). NULL when the thread cannot start. */
sim_metrics *sim_metrics_start(const char *kubeconfig, sim_pods *pods, char *const *names, int n,
                               int interval_seconds);
/* Stops and joins the thread and frees m. */
void sim_metrics_stop(sim_metrics *m);

/* The simulated usage of each container of pod: CPU in nanocores, memory
 * in bytes (the annotations, or the defaults when absent or unreadable). */
void sim_container_usage(const json_t *pod, int64_t *cpu_nano, int64_t *memory);

#endif
