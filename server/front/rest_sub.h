/* rest_sub.h - subresources with their own shapes: scale (autoscaling/v1
 * Scale over spec.replicas of deployments, replicasets, statefulsets and
 * replicationcontrollers), pods/binding (and the bindings resource),
 * pods/eviction and pods/log (pod_log.h). Each returns true when it
 * handled (answered) the request. */
#ifndef CKUBE_REST_SUB_H
#define CKUBE_REST_SUB_H
#include <stdbool.h>
#include "http.h"

bool rest_sub_get(http_req *rq);
bool rest_sub_put(http_req *rq, const api_opts *o);
bool rest_sub_patch(http_req *rq, const api_opts *o);
bool rest_sub_post(http_req *rq, const api_opts *o);

#endif
