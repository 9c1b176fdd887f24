/* openapi.h - /openapi/v2 (JSON, or gnostic protobuf for kubectl 1.20) and
 * /openapi/v3 (index and per group-version documents), served from the
 * documents api-spec/ generated at build time. */
#ifndef CKUBE_OPENAPI_H
#define CKUBE_OPENAPI_H
#include <stdbool.h>
#include "http.h"

bool openapi_handle(http_req *rq);

#endif
