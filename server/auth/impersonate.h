/* impersonate.h - kube-apiserver 1.20's impersonation filter:
 * Impersonate-User, Impersonate-Group (repeated) and Impersonate-Extra-KEY
 * headers (kubectl --as, --as-group) replace the requester's identity when
 * the requester may "impersonate" each of them (users, groups,
 * serviceaccounts for system:serviceaccount:NS:NAME, and
 * authentication.k8s.io userextras/KEY). */
#ifndef CKUBE_IMPERSONATE_H
#define CKUBE_IMPERSONATE_H
#include <jansson.h>
#include "watch_cache.h"

struct mg_request_info;

/* The impersonate checks read RBAC from c. With no Impersonate-* headers: NULL, *user unchanged. Allowed: NULL and
 * *user replaced by the impersonated UserInfo (the old one released).
 * Otherwise the Status to answer (403 Forbidden, or 500 for groups or
 * extras without a user, as 1.20 answers). */
json_t *impersonate_apply(cache *c, const struct mg_request_info *ri, json_t **user);

#endif
