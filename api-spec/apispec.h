/* apispec.h - documents derived at build time from Kubernetes' swagger.json
 * (by the generators in api-spec/) and embedded into the binaries, looked up by name:
 *   "registry.json"        served resources: see api-spec/README.md
 *   "definitions.json"     swagger "definitions" (ours added), for strict
 *                          field validation and strategic merge patch
 *   "openapi-v2.json"      /openapi/v2 (JSON)
 *   "openapi-v2.pb"        /openapi/v2 (gnostic OpenAPIv2 protobuf)
 *   "openapi-v3.json"      /openapi/v3 discovery index
 *   "rbac-bootstrap-policy.json"  1.20's RBAC bootstrap policy (api-spec/rbac_policy.py)
 *   "openapi-v3/PATH"      one document per group-version, e.g.
 *                          "openapi-v3/api/v1", "openapi-v3/apis/apps/v1"
 * The data lives for the whole process; it is read-only. */
#ifndef CKUBE_APISPEC_H
#define CKUBE_APISPEC_H
#include <stddef.h>

typedef struct {
  const unsigned char *data; /* NULL when there is no such document */
  size_t len;
} apispec_blob;

apispec_blob apispec_get(const char *name);

/* Iterates the embedded documents: name of the i-th, or NULL past the end. */
const char *apispec_name(size_t i);

#endif
