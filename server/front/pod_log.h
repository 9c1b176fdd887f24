/* pod_log.h - the pods/log subresource (see pod_log.c). */
#ifndef CKUBE_POD_LOG_H
#define CKUBE_POD_LOG_H
#include "http.h"

/* Answers GET .../pods/NAME/log. */
void pod_log_get(http_req *rq);

#endif
