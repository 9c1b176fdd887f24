/* authz.h - authorization as kube-apiserver 1.20 runs it with
 * --authorization-mode=Node,RBAC: the system:masters group first (always
 * allowed), then the Node authorizer (authz_node.c), then RBAC over the
 * Roles, ClusterRoles and their bindings in the watch cache. The union
 * stops at the first decision; the reasons of those without one are joined
 * with newlines. In-process controllers call the API core directly and are
 * not authorized (see docs/ARCHITECTURE.md, "Authentication and RBAC"). */
#ifndef CKUBE_AUTHZ_H
#define CKUBE_AUTHZ_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "rbac_rules.h"
#include "watch_cache.h"

/* Every authorizer reads the RBAC objects, pods and volumes of the cache c
 * it is given (the server's watch cache). */

/* Whether the request a (user and groups set) is allowed; reason gets the
 * deciding (or the joined) reason, possibly "". */
bool authz_allowed(cache *c, const authz_attrs *a, char *reason, size_t len);

/* RBAC alone: whether the user's bindings allow a; reason as RBAC words it. */
bool authz_rbac_allowed(cache *c, const authz_attrs *a, char *reason, size_t len);

/* Every rbac/v1 PolicyRule that applies to the user in ns (cluster-wide
 * bindings first), as a new array; errors ("clusterrole... not found")
 * appended to errs when it is an array. */
json_t *authz_rbac_rules_for(cache *c, const char *user, const json_t *groups, const char *ns, json_t *errs);

/* SelfSubjectRulesReview's status for the user in ns, from all authorizers. */
json_t *authz_rules_review(cache *c, const char *user, const json_t *groups, const char *ns);

/* Whether groups (a JSON array) holds g. */
bool authz_in_group(const json_t *groups, const char *g);

#endif
