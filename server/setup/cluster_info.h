/* cluster_info.h - the kube-public/cluster-info ConfigMap kubeadm publishes:
 * a kubeconfig with the cluster's server URL and CA, which joining nodes read
 * without credentials and trust through the token signatures
 * (jws-kubeconfig-<id>) the bootstrap signer controller adds. */
#ifndef CKUBE_CLUSTER_INFO_H
#define CKUBE_CLUSTER_INFO_H
#include "api_server.h"

/* Creates the ConfigMap, or rewrites its kubeconfig when the URL or CA
 * changed. 0, or -1 (logged). */
int cluster_info_ensure(api_server *srv, const char *server_url, const char *ca_file);

#endif
