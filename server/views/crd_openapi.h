/* crd_openapi.h - OpenAPI definitions of the served custom resources. */
#ifndef CKUBE_CRD_OPENAPI_H
#define CKUBE_CRD_OPENAPI_H
#include <stddef.h>
#include <jansson.h>

/* {"com.example.v1.Foo": schema, "com.example.v1.FooList": schema, ...} for
 * every served custom resource version (group NULL), or those of one
 * group/version. New reference. */
json_t *crd_openapi_definitions(const char *group, const char *version);

/* v3 paths (read and list operations, with x-kubernetes-group-version-kind)
 * of the custom resources of group/version; references still in the v2
 * "#/definitions/" form. New reference. */
json_t *crd_openapi_paths(const char *group, const char *version);

/* The definition name of group/version/kind: "com.example.v1.Foo". */
void crd_openapi_name(const char *group, const char *version, const char *kind, char *out, size_t len);

#endif
