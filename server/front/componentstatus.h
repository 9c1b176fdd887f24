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

/* Tells whether this process runs the scheduler (true) or the controllers
 * (false) right now; without a probe only their Leases count. */
void componentstatus_set_local_probe(bool (*probe)(bool the_scheduler));

#endif
