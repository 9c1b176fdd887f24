/* componentstatus.h - v1 componentstatuses, computed per request instead of
 * stored (kubectl get componentstatuses / cs). */
#ifndef CKUBE_COMPONENTSTATUS_H
#define CKUBE_COMPONENTSTATUS_H
#include <stdbool.h>
#include "api.h"
#include "http.h"
#include "table_output.h"

/* Whether r is v1 componentstatuses. */
bool componentstatus_handles(const resource *r);
/* Answers a GET (rq->name set) or LIST of componentstatuses in rq's form. */
void componentstatus_serve(http_req *rq);

#endif
