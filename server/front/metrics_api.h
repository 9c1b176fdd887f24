/* metrics_api.h - the resource metrics API (metrics.k8s.io/v1beta1, what
 * metrics-server serves behind an APIService in Kubernetes): NodeMetrics
 * "nodes" and PodMetrics "pods", get and list with label (and field)
 * selectors, as JSON, YAML or a Table; and the ckube-internal endpoint node
 * agents report usage to, POST /ckube/v1/nodemetrics (a NodeMetricsReport,
 * see resource_metrics.h and docs/ARCHITECTURE.md). The data lives in
 * resource_metrics.c; the Node and Pod objects come from the API core. */
#ifndef CKUBE_METRICS_API_H
#define CKUBE_METRICS_API_H
#include <stdbool.h>
#include "http.h"

/* Registers metrics.k8s.io/v1beta1 with discovery; call once before serving. */
void metrics_api_init(void);

/* Handles the request when it is a metrics API or report path; false otherwise. */
bool metrics_api_handle(http_req *rq);

#endif
