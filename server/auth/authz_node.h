/* authz_node.h - the Node authorizer of kube-apiserver 1.20 for the
 * identities system:node:NAME in group system:nodes: Secrets, ConfigMaps,
 * PersistentVolumeClaims and PersistentVolumes only when a pod bound to the
 * node uses them (the graph, read from the watch cache's pods), its own
 * Lease in kube-node-lease, everything else by the rules of the bootstrap
 * policy's system:node ClusterRole; plus ckube's call-home endpoints
 * (/ckube/v1/tunnel/NAME/..., /ckube/v1/nodemetrics) for the node itself. */
#ifndef CKUBE_AUTHZ_NODE_H
#define CKUBE_AUTHZ_NODE_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "rbac_rules.h"
#include "watch_cache.h"

typedef enum { AUTHZ_NO_OPINION, AUTHZ_ALLOW, AUTHZ_DENY } authz_decision;

/* Whether user/groups is a node identity; its node name into name when given. */
bool authz_node_identity(const char *user, const json_t *groups, char *name, size_t len);

/* The Node authorizer's decision (never AUTHZ_DENY: it has no opinion instead, with a reason). */
authz_decision authz_node_authorize(cache *c, const authz_attrs *a, char *reason, size_t len);

#endif
