/* pod_util.h - what several controllers ask of pods and the Services that
 * select them: readiness, whether a pod belongs in endpoints, named
 * targetPort resolution, and which Services select a pod (the rules of
 * pkg/api/v1/pod and pkg/controller/util/endpoint in Kubernetes 1.20). */
#ifndef CKUBE_POD_UTIL_H
#define CKUBE_POD_UTIL_H
#include <stdbool.h>
#include <jansson.h>
#include "ctrl.h"

/* The Ready condition is True. */
bool pod_ready(const json_t *pod);
/* status.phase, "" when unset. */
const char *pod_phase(const json_t *pod);
/* Has an IP, is not terminal for its restartPolicy and (unless
 * include_terminating) not being deleted: ShouldPodBeInEndpointSlice. */
bool pod_in_endpoints(const json_t *pod, bool include_terminating);
/* The container port a ServicePort's targetPort means for pod (a number, or
 * a named container port with the same protocol); -1 when none. */
long pod_find_port(const json_t *pod, const json_t *service_port);
/* spec.hostname is set and spec.subdomain names svc in the pod's namespace. */
bool pod_sets_hostname(const json_t *pod, const json_t *svc);

/* svc has a selector (spec.selector present) and it matches labels. */
bool service_selects(const json_t *svc, const json_t *labels);
/* The pods svc selects (references appended to out). */
void service_pods(const ctrl_context *cctx, const json_t *svc, cobj_vec *out);
/* An informer_fn over pods (ctx = a ctrl): enqueues every Service of the
 * pod's namespace whose selector matches the old or the new labels. */
void enqueue_services_of_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev);

/* Creates a pod from template (a PodTemplateSpec) with a controller
 * ownerReference to owner and generateName "<owner name>-", and records
 * SuccessfulCreate ("Created pod: NAME") or FailedCreate ("Error creating:
 * MESSAGE") on owner as component. Returns the HTTP code. */
int pod_create_for(const ctrl_context *cctx, const json_t *owner, const json_t *tmpl, const char *component);
/* Deletes pod on behalf of owner, recording SuccessfulDelete ("Deleted pod:
 * NAME") or FailedDelete. Returns the HTTP code. */
int pod_delete_for(const ctrl_context *cctx, const json_t *owner, const json_t *pod, const char *component);

#endif
