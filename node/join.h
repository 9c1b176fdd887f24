/* join.h - `ckube-node join`: kubeadm join's TLS bootstrap for the node
 * agent (see join.c), then the real-node mode. */
#ifndef CKUBE_JOIN_H
#define CKUBE_JOIN_H

/* argv[0] is "join". Returns an exit status, or does not return (exec). */
int join_main(int argc, char **argv);

#endif
