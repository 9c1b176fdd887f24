/* openapi_gnostic.h - OpenAPI v2 definitions as gnostic protobuf. */
#ifndef CKUBE_OPENAPI_GNOSTIC_H
#define CKUBE_OPENAPI_GNOSTIC_H
#include <stddef.h>
#include <jansson.h>

/* The bytes of an openapi.v2.Document field 9 (Definitions) holding every
 * schema of defs ({"name": schema}); appended to an encoded Document they
 * add those definitions. malloc'd (caller frees), length in *len. */
unsigned char *gnostic_definitions(const json_t *defs, size_t *len);

#endif
