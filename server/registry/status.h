/* status.h - the one way to build a metav1.Status error, with the reasons,
 * codes and message wording kube-apiserver uses (k8s.io/apimachinery
 * pkg/api/errors), so kubectl prints e.g. `Error from server (NotFound):
 * deployments.apps "x" not found`. Every function returns a new reference. */
#ifndef CKUBE_STATUS_H
#define CKUBE_STATUS_H
#include <jansson.h>
#include "registry.h"

/* Generic Failure status; details may be NULL (stolen otherwise). */
json_t *status_failure(int code, const char *reason, const char *message, json_t *details);

/* What kube-apiserver answers when no route takes the request, with an
 * empty details object as it sends: 404 "the server could not find the
 * requested resource", 405 "the server does not allow this method on the
 * requested resource", and go-restful's 406 "406: Not Acceptable" and 415
 * "415: Unsupported Media Type". */
json_t *status_no_route(int code);

/* A success Status (for deletes of some kinds). */
json_t *status_success(const resource *r, const char *name, const char *uid);

/* "<plural>.<group> \"name\" not found", 404 NotFound. */
json_t *status_not_found(const resource *r, const char *name);
/* Same, for an explicitly named group/resource (e.g. namespaces). */
json_t *status_not_found_gr(const char *group, const char *plural, const char *name);
/* 409 AlreadyExists. */
json_t *status_already_exists(const resource *r, const char *name);
/* 409 Conflict: "Operation cannot be fulfilled on <gr> \"name\": <why>". */
json_t *status_conflict(const resource *r, const char *name, const char *why);
/* 400 BadRequest. */
json_t *status_bad_request(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 403 Forbidden: "<gr> \"name\" is forbidden: <why>". */
json_t *status_forbidden(const resource *r, const char *name, const char *why);
/* 405 MethodNotAllowed for verb on r. */
json_t *status_method_not_allowed(const resource *r, const char *verb);
/* 410 Expired. */
json_t *status_expired(const char *message);
/* 500 InternalError. */
json_t *status_internal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "deployments.apps" or "pods" into buf. */
const char *group_resource(const char *group, const char *plural, char *buf, size_t len);

#endif
