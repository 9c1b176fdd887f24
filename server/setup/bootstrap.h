/* bootstrap.h - the objects every cluster has from its first start: the
 * namespaces default, kube-system, kube-public and kube-node-lease, and the
 * `kubernetes` Service (the first address of the Service range, port 443) in default with Endpoints pointing at
 * this server, and the system-node-critical and system-cluster-critical
 * PriorityClasses. Idempotent: existing objects are kept, the Endpoints follow
 * the current listen address. */
#ifndef CKUBE_BOOTSTRAP_H
#define CKUBE_BOOTSTRAP_H
#include "api_server.h"

/* host/port: where this API server listens. 0 or -1 (logged). */
int bootstrap_objects(api_server *srv, const char *host, int port);

#endif
