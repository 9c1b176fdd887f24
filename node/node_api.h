/* node_api.h - what every kubelet (simulated or real) writes about its Node:
 * the registration (POST, or a status refresh when the Node exists), the
 * four conditions with kubelet 1.20's reasons and messages, the Lease in
 * kube-node-lease and the periodic status heartbeat that also keeps
 * allocatable in step with capacity. Shared by simulate.c and real_node.c. */
#ifndef CKUBE_NODE_API_H
#define CKUBE_NODE_API_H
#include <stddef.h>
#include <jansson.h>
#include "https_client.h"

/* MemoryPressure, DiskPressure, PIDPressure (False) and Ready (True) as
 * kubelet reports a healthy node, all stamped now (new reference). */
json_t *node_conditions(const char *now);
/* Creates node (a full v1 Node); when it exists (an agent restart),
 * replaces its status. 0 on success, -1 otherwise. */
int node_register(https_client *c, const json_t *node);
/* Renews (or creates) the node's Lease with leaseDurationSeconds 40. */
void node_renew_lease(https_client *c, const char *name);
/* Refreshes the conditions' heartbeat and allocatable from capacity. */
void node_heartbeat_status(https_client *c, const char *name);

#endif
