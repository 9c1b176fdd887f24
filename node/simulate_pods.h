/* simulate_pods.h - the pod side of simulated kubelets: one watch on all
 * pods (list, then watch from its resourceVersion; a new list after 410
 * Gone; reconnects with bounded backoff) keeps a table of the pods bound to
 * this process's nodes, and workers apply simulate_status.h's steps to them
 * through pods/status and DELETE, each on its own HTTPS connection. */
#ifndef CKUBE_SIMULATE_PODS_H
#define CKUBE_SIMULATE_PODS_H
#include <jansson.h>

typedef struct sim_pods sim_pods;

/* names[i], ips[i]: the simulated nodes and their InternalIPs (copied);
 * node i hands out pod addresses from slot first_slot + i. workers:
 * concurrent status writers. NULL when the server cannot be reached. */
sim_pods *sim_pods_start(const char *kubeconfig, int workers, char *const *names, char *const *ips, int n,
                         int first_slot);
/* Calls fn for every pod whose containers run now (started, not finished)
 * with the time its current run began; under the table lock, so fn must be
 * quick and must not keep pod. */
typedef void (*sim_pod_visit_fn)(void *ctx, const json_t *pod, long long running_since_ms);
void sim_pods_visit_running(sim_pods *p, sim_pod_visit_fn fn, void *ctx);
/* Stops the watch and the workers and frees everything. */
void sim_pods_stop(sim_pods *p);

#endif
