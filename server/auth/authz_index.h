/* authz_index.h - RBAC's bindings compiled for the authorizer: every
 * (binding, subject) pair indexed by the identity it names ("U:user",
 * "G:group"; a ServiceAccount subject under its user name) and the
 * binding's namespace, holding the bound role's published version and the
 * text reasons quote. Rebuilt on the first decision after any write to
 * roles, cluster roles or their bindings (a watch-cache write hook marks it
 * stale before the write returns), so a decision costs a few hash lookups
 * instead of a walk over every binding. */
#ifndef CKUBE_AUTHZ_INDEX_H
#define CKUBE_AUTHZ_INDEX_H
#include <stdbool.h>
#include <stddef.h>
#include "rbac_rules.h"
#include "watch_cache.h"

/* RBAC's decision for a over the bindings in c, as authz_rbac_allowed defines it.
 * One index per process: every call passes the same cache. */
bool authz_index_allowed(cache *c, const authz_attrs *a, char *reason, size_t len);

#endif
