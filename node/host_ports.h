/* host_ports.h - the pods' hostPorts on their node, as kubelet with the CNI
 * portmap plugin serves them: every container port with a hostPort of a pod
 * bound here that has an address and has not finished answers on
 * hostIP:hostPort (the node's own address when hostIP is empty or 0.0.0.0:
 * agents sharing a machine must not take each other's ports) and is relayed
 * to podIP:containerPort, TCP or UDP. This is the pure half: pods -> service
 * proxy frontends (service_table.h); service_proxy.c opens their listeners
 * without SO_REUSEPORT, as a host port belongs to one pod. hostNetwork pods
 * bind their ports themselves and get none. */
#ifndef CKUBE_HOST_PORTS_H
#define CKUBE_HOST_PORTS_H
#include "service_table.h"
#include <jansson.h>
#include <stdint.h>

/* Adds the hostPort frontends of pods (an array of Pod objects, all bound
 * to this node) to t; node_ip (host order) stands for hostIP 0.0.0.0. */
void host_ports_add(svc_table *t, const json_t *pods, uint32_t node_ip);

#endif
