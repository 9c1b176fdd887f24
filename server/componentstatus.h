/* componentstatus.h - v1 componentstatuses, computed per request instead of
 * stored (kubectl get componentstatuses / cs). */
#ifndef CKUBE_COMPONENTSTATUS_H
#define CKUBE_COMPONENTSTATUS_H
#include <stdbool.h>
#include "api.h"
#include "http.h"
#include "table_output.h"

/* Answers a GET of componentstatuses (get, list in rq's form; watch is
 * refused), with 1.20's deprecation warning. False: rq is not about them. */
bool componentstatus_get(http_req *rq);

#endif
