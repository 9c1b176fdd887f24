/* discovery.h - /version, /api, /apis, /api/v1, /apis/<group>[/<version>]
 * (APIVersions, APIGroupList, APIGroup, APIResourceList) and the aggregated
 * discovery documents (apidiscovery.k8s.io v2 and v2beta1) newer kubectl
 * asks for in one round trip, all built from the registry. */
#ifndef CKUBE_DISCOVERY_H
#define CKUBE_DISCOVERY_H
#include <stdbool.h>
#include "http.h"

/* Serves a group-version whose resources live outside the registry (the
 * metrics API): list is its APIResourceList (stolen). Call before serving;
 * the group joins /apis (both forms) and /apis/<group>[/<version>]. */
void discovery_add_external(json_t *list);

/* Handles the request when it is a discovery path; false otherwise. */
bool discovery_handle(http_req *rq);

#endif
