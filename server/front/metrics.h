/* metrics.h - Prometheus text metrics at /metrics: apiserver_request_total
 * and apiserver_request_duration_seconds by verb/resource/code,
 * apiserver_registered_watchers, apiserver_storage_objects per resource,
 * and the store's commit latency. Thread-safe. */
#ifndef CKUBE_METRICS_H
#define CKUBE_METRICS_H
#include "http.h"
#include <stdio.h>

void metrics_observe_request(const http_req *rq, double seconds);
void metrics_observe_commit(double seconds, int ops);
void metrics_watchers(int delta);
void metrics_handle(http_req *rq);
/* Another module's series, appended to /metrics (the Ingress proxy's). */
void metrics_set_extra(void (*write)(FILE *f));

#endif
