/* tunnel.h - the node's side of the call-home tunnel (server/node_tunnel.h
 * has the protocol): keeps GET /ckube/v1/tunnel/NODE/requests open with the
 * node's credentials and answers each request from the pod state the
 * runtime writes (DIR/pods/<uid>/containers/<name>/<restartCount>.log in
 * CRI format, .../pid while the container runs). */
#ifndef CKUBE_TUNNEL_H
#define CKUBE_TUNNEL_H
#include <signal.h>

typedef struct {
  const char *kubeconfig, *node, *data_dir;
} tunnel_opts;

/* Serves requests until *stop is set; reconnects with back-off. Returns 0. */
int tunnel_run(const tunnel_opts *o, volatile sig_atomic_t *stop);
/* `ckube-node tunnel --kubeconfig FILE --name NODE --data-dir DIR` (argv[0] "tunnel"). */
int tunnel_main(int argc, char **argv);

#endif
