/* reviews.h - the create-only "review" resources that compute an answer
 * instead of storing an object: authentication.k8s.io TokenReview and
 * authorization.k8s.io SubjectAccessReview, SelfSubjectAccessReview,
 * LocalSubjectAccessReview and SelfSubjectRulesReview. ckube authorizes every
 * authenticated request (kube-apiserver's AlwaysAllow mode) until RBAC is
 * enforced, so access reviews answer allowed; token reviews check tokens the
 * way request authentication does. */
#ifndef CKUBE_REVIEWS_H
#define CKUBE_REVIEWS_H
#include <stdbool.h>
#include "api.h"
#include "api_server.h"

bool reviews_handles(const resource *r);
/* Validates obj (stolen) and returns 201 with the object and its status,
 * answered by the real authorizers (authz.h); user is the requester's
 * UserInfo (the subject of the Self* reviews). */
api_result reviews_create(api_server *srv, const resource *r, const char *ns, json_t *obj, const json_t *user);

#endif
