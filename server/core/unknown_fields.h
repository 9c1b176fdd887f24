/* unknown_fields.h - finds fields an object has that its OpenAPI schema does
 * not declare, for fieldValidation=Strict/Warn (kubectl --validate=strict):
 * paths are reported as Kubernetes does, e.g. `spec.template.spec.containers[0].imagee`. */
#ifndef CKUBE_UNKNOWN_FIELDS_H
#define CKUBE_UNKNOWN_FIELDS_H
#include <jansson.h>

/* Appends one string per unknown field path to out (a JSON array), checking
 * obj against definition def_name in defs. Fields under schemas without
 * declared properties (maps, IntOrString, RawExtension, ...) are free. */
void unknown_fields(const json_t *defs, const char *def_name, const json_t *obj, json_t *out);

#endif
