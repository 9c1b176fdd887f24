/* pod_proxy.h - the proxy subresources of pods and services
 * (/api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy[/PATH] and
 * .../services/[SCHEME:]NAME[:PORT]/proxy[/PATH], any method), answered
 * through the pod's node tunnel. */
#ifndef CKUBE_POD_PROXY_H
#define CKUBE_POD_PROXY_H
#include <stdbool.h>
#include "http.h"

/* true for a pods/services proxy path (whatever its Accept header, the backend answers). */
bool pod_proxy_path(const char *path);
/* Answers a pods/services proxy request; false when rq's path is another. */
bool pod_proxy_handle(http_req *rq);

#endif
