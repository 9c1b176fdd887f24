/* fuzz_crd_schema.c - libFuzzer target for the structural schema code of
 * CRDs: input "<schema>\n<object>". The schema is checked as a CRD's schema
 * would be, then the object is validated, defaulted and pruned against it
 * (each on its own copy), as the API core does for a custom resource. Any
 * crash, leak or sanitizer report is a bug; results are not asserted. */
#include <stdlib.h>

#include "crd_schema.h"
#include "fuzz_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *schema, *obj;
    if (fuzz_split(data, size, &schema, &obj) != 0)
        return 0;
    field_errors *fe = field_errors_new();
    crd_schema_check(schema, "spec.validation.openAPIV3Schema", fe);
    crd_schema_validate(schema, obj, fe);
    char *msg = fe_count(fe) ? fe_message(fe) : NULL;
    free(msg);
    field_errors_free(fe);
    json_t *copy = json_deep_copy(obj);
    crd_schema_default(schema, copy);
    json_t *found = json_array();
    crd_schema_prune(schema, copy, found);
    json_decref(found);
    json_decref(copy);
    const char *path = json_string_value(json_object_get(schema, "jsonPath"));
    if (path) {
        crd_jsonpath_get(obj, path);
        json_t *target = json_object();
        crd_jsonpath_set(target, path, json_integer(1));
        json_decref(target);
    }
    json_decref(schema);
    json_decref(obj);
    return 0;
}
