/* pod_network.h - each pod's own network namespace on loopback addresses,
 * so two pods of a node may both bind 0.0.0.0:80. The node owns
 * 127.N.0.0/16: a bridge ckbrN carries it (a route in the host's local
 * table, 127.N.0.1 kept local as the node's address); a pod's namespace has
 * a veth (eth0) on that bridge, its own loopback, its IP as its only local
 * 127 address besides 127.0.0.1, and 127.0.0.0/8 routed out of eth0
 * (route_localnet lets 127/8 cross the veth and the bridge). Host -> pod,
 * pod -> pod (bridged, no IP forwarding) and pod -> node address work;
 * docs/ARCHITECTURE.md tells the story. Needs root and iproute2. */
#ifndef CKUBE_POD_NETWORK_H
#define CKUBE_POD_NETWORK_H
#include <stddef.h>

/* Makes the bridge and the host routes of 127.<net>.0.0/16 and removes
 * namespaces left by an earlier agent. 0, or -1 with err (pods then share
 * the host's network). */
int podnet_setup_node(int net, char *err, size_t len);
/* Undoes podnet_setup_node (an agent stopping): routes and bridge gone. */
void podnet_teardown_node(int net);
/* Makes the namespace of pod_ip (replacing a stale one). 0 or -1 with err. */
int podnet_create(int net, const char *pod_ip, char *err, size_t len);
/* An fd of pod_ip's namespace for setns (close-on-exec), or -1. */
int podnet_open(const char *pod_ip);
/* Removes pod_ip's namespace (and with it its veth pair). */
void podnet_delete(const char *pod_ip);

#endif
