/* control_plane_cli.h - kubeadm's way of adding a control-plane member, for
 * several ckube-servers on one etcd cluster: `ckube-server upload-certs`
 * (on a running server) seals the cluster CA, the service-account key and
 * the admin token into the kube-system/kubeadm-certs Secret with a new
 * certificate key; `ckube-server join-control-plane URL --token T
 * --discovery-token-ca-cert-hash H --certificate-key K` fetches and opens
 * them into a new data directory, so a server started there accepts every
 * token and client certificate the others issue. */
#ifndef CKUBE_CONTROL_PLANE_CLI_H
#define CKUBE_CONTROL_PLANE_CLI_H

/* argv[0] is "upload-certs"; default_dir is the server's default --data-dir.
 * Returns the process exit status. */
int upload_certs_main(int argc, char **argv, const char *default_dir);

/* argv[0] is "join-control-plane". Returns the process exit status. */
int join_control_plane_main(int argc, char **argv, const char *default_dir);

#endif
