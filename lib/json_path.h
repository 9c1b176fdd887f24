/* json_path.h - reading JSON by dotted field path ("spec.template.metadata"),
 * written once for the API server's printers, the controllers and the CRD
 * code. Reads go through const values (published objects are const);
 * json_path_mut is the same walk over an object the caller owns. A path
 * step longer than 127 bytes finds nothing. */
#ifndef CKUBE_JSON_PATH_H
#define CKUBE_JSON_PATH_H
#include <jansson.h>

/* The value at path (borrowed; JSON null included), or NULL when absent. */
const json_t *json_path(const json_t *obj, const char *path);

/* The same inside an object the caller owns and may change. */
json_t *json_path_mut(json_t *obj, const char *path);

/* The string at path, or NULL when absent or not a string. */
const char *json_path_str(const json_t *obj, const char *path);

/* The string at path, or "" when absent or not a string (Go's zero value). */
const char *json_path_str0(const json_t *obj, const char *path);

/* The string member key of obj (one key, taken whole: it may hold dots),
 * or NULL / "" when absent or not a string. */
const char *json_str(const json_t *obj, const char *key);
const char *json_str0(const json_t *obj, const char *key);

/* The integer at path, or def when absent or not an integer. */
long long json_path_int(const json_t *obj, const char *path, long long def);

#endif
