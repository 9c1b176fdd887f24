/* pod_admission.h - kubelet's admission of the pods bound to this node
 * (lifecycle.predicateAdmitHandler), its NodePorts predicate: a pod asking
 * for a host port (hostIP, hostPort, protocol) that a pod admitted here
 * before still holds is refused, as kubelet's rejectPod does: phase Failed,
 * reason "NodePorts", message "Pod Predicate NodePorts failed" and a Warning
 * event; its controller (a StatefulSet's, say) then replaces it. Ports
 * conflict on the same protocol and port when the addresses are equal or
 * either is 0.0.0.0 (the scheduler's HostPortInfo rules). Kubelet admits the
 * pods it is given in creation order; the runtime's threads meet pods in any
 * order, so a pod asking for host ports is also refused when an older pod
 * bound here that asks for the same port is still to be admitted (a watch on
 * the node's pods, which has seen the pod itself, so every older one too).
 * Admitted and refused pods are remembered by uid until
 * pod_admission_forget; the tables are the process's (one agent per
 * process), under their own lock. */
#ifndef CKUBE_POD_ADMISSION_H
#define CKUBE_POD_ADMISSION_H
#include "event_queue.h"
#include "https_client.h"
#include <jansson.h>
#include <stdbool.h>

/* Starts the watch on the pods bound to node_name (pod_admit works without
 * it, in the order it is called). */
void pod_admission_start(const char *kubeconfig, const char *node_name);
/* Stops the watch. */
void pod_admission_stop(void);
/* Admits pod or refuses it (its Failed status written through c, the event
 * queued on q). True when admitted. */
bool pod_admit(event_queue *q, https_client *c, const json_t *pod);
/* The pod (uid) no longer holds its ports. */
void pod_admission_forget(const char *uid);
/* Pure: whether a container port of want conflicts with one of held (pods). */
bool pod_host_ports_conflict(const json_t *want, const json_t *held);

#endif
