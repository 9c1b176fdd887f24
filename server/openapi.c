/* openapi.c - serves the OpenAPI documents embedded by api-spec/ (see
 * openapi.h). kubectl 1.20 asks for the v2 document as gnostic protobuf;
 * newer clients fetch the v3 index and then one document per group-version
 * (the ?hash= query only drives their caching). */
#include "openapi.h"
#include "apispec.h"
#include "status.h"
#include <stdio.h>
#include <string.h>


static void send_blob(http_req *rq, const char *name, const char *ctype) {
  apispec_blob b = apispec_get(name);
  if (!b.data) {
    http_send_status(rq, status_failure(404, "NotFound", "the server could not find the requested resource", NULL));
    return;
  }
  http_send(rq, 200, ctype, (const char *)b.data, b.len);
}

bool openapi_handle(http_req *rq) {
  const char *p = rq->path;
  if (strncmp(p, "/openapi/", 9) != 0) return false;
  if (!strcmp(p, "/openapi/v2") || !strcmp(p, "/openapi/v2/")) {
    if (rq->accept && strstr(rq->accept, "application/com.github.proto-openapi.spec.v2"))
      send_blob(rq, "openapi-v2.pb", "application/octet-stream"); /* as kube-apiserver labels it */
    else
      send_blob(rq, "openapi-v2.json", "application/json");
    return true;
  }
  if (!strcmp(p, "/openapi/v3") || !strcmp(p, "/openapi/v3/")) {
    send_blob(rq, "openapi-v3.json", "application/json");
    return true;
  }
  if (!strncmp(p, "/openapi/v3/", 12)) {
    char name[300];
    snprintf(name, sizeof name, "openapi-v3/%s", p + 12);
    send_blob(rq, name, "application/json");
    return true;
  }
  return false;
}
