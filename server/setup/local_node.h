/* local_node.h - the node ckube-server runs in its own process tree (unless
 * --no-local-node): `ckube-node` from beside the server binary, in real-node
 * mode (through `ckube-node join`, which also starts its call-home tunnel),
 * with a client certificate for system:node:<hostname> the server signs
 * itself, restarted with back-off whenever it exits. */
#ifndef CKUBE_LOCAL_NODE_H
#define CKUBE_LOCAL_NODE_H

/* Starts the supervisor thread. 0, or -1 (logged) when the node cannot be
 * prepared (no binary, no certificate); the server runs on without it.
 * pod_cidr ("127.N.0.0/16") or NULL: the node picks from its name. */
int local_node_start(const char *data_dir, const char *server_url, const char *pod_cidr);
/* Stops the node (SIGTERM, then SIGKILL after 10 s) and the supervisor. */
void local_node_stop(void);

#endif
