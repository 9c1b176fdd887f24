/* real_node.h - a real node: registers the Node this machine is (capacity
 * from /proc and statvfs of the data dir, extended resources from flags,
 * addresses, nodeInfo, labels, conditions), keeps its Lease and status
 * fresh, and runs the pods bound to it as processes (runtime_pods.h). */
#ifndef CKUBE_REAL_NODE_H
#define CKUBE_REAL_NODE_H
#include <signal.h>

typedef struct {
  const char *kubeconfig, *name, *data_dir;
  const char *pod_cidr;      /* "127.N.0.0/16", or NULL: N derived from the name */
  const char *image_table;   /* or NULL: the defaults next to the binary / in the source tree */
  char **extended;           /* "name=quantity" */
  int nextended;
  int heartbeat_seconds;     /* Lease renewal interval */
} real_node_opts;

/* 127.N.0.0/16 -> N (2..254); -1 when cidr is not such a range. */
int real_node_parse_cidr(const char *cidr);
/* The N a node name maps to when no --pod-cidr is given (200..254, apart
 * from the simulated nodes' 127.1-127.199). */
int real_node_default_net(const char *name);

/* Runs until *stop; 0, or 1 when it could not start (message logged). */
int real_node_run(const real_node_opts *o, volatile sig_atomic_t *stop);

#endif
