/* runtime_pods.h - the real kubelet's pod side: a watch on the pods bound
 * to this node (fieldSelector spec.nodeName, a new list after 410 Gone) and
 * one runtime thread that makes each pod's containers real process groups
 * (runtime_proc.h) from the image table (image_table.h): init containers in
 * order, then the containers, restarts under the restart policy with
 * kubelet's back-off, graceful termination on deletion, kubelet's events,
 * and the pod's status (runtime_status.h) written through pods/status. */
#ifndef CKUBE_RUNTIME_PODS_H
#define CKUBE_RUNTIME_PODS_H
#include "image_table.h"

typedef struct {
  const char *kubeconfig, *node_name, *data_dir;
  const char *host_ip;   /* the node's address, hostNetwork pods' too */
  int net;               /* pods get 127.<net>.x.y */
  const image_table *images;
  const char *self_exe;  /* this binary, for builtin images */
  int pod_netns;         /* pods get their own network namespace (pod_network.h set up the node) */
  int mount_ns;          /* containers get their own mount namespace with the pod's volumes (root) */
} rt_config;

typedef struct rt_pods rt_pods;

/* Kills what an earlier agent left (pid files), then starts the watch and
 * the runtime thread. NULL when the server cannot be reached. */
rt_pods *rt_pods_start(const rt_config *cfg);
/* Stops the threads and kills every container the agent runs (SIGTERM, a
 * second's grace, SIGKILL). */
void rt_pods_stop(rt_pods *p);

#endif
