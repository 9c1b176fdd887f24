/* simulate.h - simulated nodes (like KWOK): registers N Node objects with
 * capacity, keeps their Leases in kube-node-lease and their Ready condition
 * fresh, and plays the kubelet for the pods bound to them without running
 * anything (simulate_pods.h). Scale tests and the controller tests use it;
 * the real pod runtime comes with the node agent. */
#ifndef CKUBE_SIMULATE_H
#define CKUBE_SIMULATE_H
#include <signal.h>

typedef struct {
  const char *kubeconfig;
  const char *prefix; /* nodes are <prefix>-0 .. <prefix>-(n-1) */
  int count;
  const char *cpu, *memory, *pods;
  int heartbeat_seconds;
  int pod_workers; /* concurrent pod status writers */
  int metrics_seconds; /* resource usage report interval (simulate_metrics.h); 0 = 5 */
  const char *unpullable_images; /* regex of images that fail to pull, or NULL */
} simulate_opts;

/* Registers the nodes, then renews them until *stop becomes non-zero.
 * Returns 0, or 1 when the server could not be reached at start. */
int simulate_run(const simulate_opts *o, volatile sig_atomic_t *stop);

#endif
