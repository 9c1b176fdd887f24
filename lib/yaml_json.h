/* yaml_json.h - YAML <-> JSON conversion on libyaml, with the semantics of
 * sigs.k8s.io/yaml (YAML 1.1 scalars resolved like go-yaml v2: true/false/yes/
 * no/on/off booleans, ints, floats, null/~; quoted scalars stay strings), and
 * YAML output shaped like `kubectl get -o yaml` (block style, 2-space indent,
 * keys in the object's order, strings quoted only when needed). */
#ifndef CKUBE_YAML_JSON_H
#define CKUBE_YAML_JSON_H
#include <stddef.h>
#include <jansson.h>

/* Maximum nesting depth accepted by yaml_to_json (deeper input is an error). */
#define YAML_JSON_MAX_DEPTH 100

/* Parses exactly one YAML document (an empty document gives JSON null; more
 * than one document is an error). Returns a new reference, or NULL with a
 * human-readable message (with line/column when known) in err. Never aborts on
 * any input: aliases are expanded with a size cap, tags other than the core
 * schema are ignored. */
json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen);

/* Splits a multi-document YAML stream and converts each document (documents
 * that are empty or null are skipped). Returns a new JSON array or NULL+err. */
json_t *yaml_stream_to_json(const char *buf, size_t len, char *err, size_t errlen);

/* Serializes v as YAML. Returns a malloc'd NUL-terminated string (caller frees)
 * and its length in *len_out when non-NULL; NULL only on allocation failure. */
char *json_to_yaml(const json_t *v, size_t *len_out);

/* Like json_to_yaml, but with map keys in the order go-yaml v2 sorts them
 * (what the real API server and kubectl print: letters by code point,
 * digit runs numerically). Same ownership and errors. */
char *json_to_yaml_sorted(const json_t *v, size_t *len_out);

#endif
