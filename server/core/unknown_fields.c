/* unknown_fields.c - walks an object alongside its swagger schema
 * (properties, $ref, items, additionalProperties) and lists the fields the
 * schema does not declare (see unknown_fields.h). */
#include "unknown_fields.h"
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

static const json_t *resolve(const json_t *defs, const json_t *schema) {
  for (int i = 0; i < 8 && schema; i++) {
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    if (!ref) {
      /* {allOf: [{$ref}]} wrappers */
      json_t *all = json_object_get(schema, "allOf");
      if (json_array_size(all) == 1) {
        schema = json_array_get(all, 0);
        continue;
      }
      return schema;
    }
    const char *slash = strrchr(ref, '/');
    schema = json_object_get(defs, slash ? slash + 1 : ref);
  }
  return schema;
}

static void walk(const json_t *defs, const json_t *schema, const json_t *v, char *path, size_t plen,
                 size_t cap, json_t *out, int depth) {
  schema = resolve(defs, schema);
  if (!schema || depth > MAX_DEPTH) return;
  if (json_is_true(json_object_get(schema, "x-kubernetes-preserve-unknown-fields"))) return;
  if (json_is_object(v)) {
    const json_t *props = json_object_get(schema, "properties");
    const json_t *addl = json_object_get(schema, "additionalProperties");
    if (!props) {
      if (json_is_object(addl)) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) {
          int n = snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", k);
          if (n > 0 && plen + n < cap) walk(defs, addl, e, path, plen + n, cap, out, depth + 1);
        }
      }
      path[plen] = 0;
      return;
    }
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) {
      int n = snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", k);
      if (n < 0 || plen + n >= cap) continue;
      const json_t *ps = json_object_get(props, k);
      if (!ps) {
        if (depth == 0 && (!strcmp(k, "apiVersion") || !strcmp(k, "kind"))) continue;
        char msg[1200];
        snprintf(msg, sizeof msg, "unknown field \"%s\"", path);
        json_array_append_new(out, json_string(msg));
      } else {
        walk(defs, ps, e, path, plen + n, cap, out, depth + 1);
      }
    }
    path[plen] = 0;
  } else if (json_is_array(v)) {
    const json_t *items = json_object_get(schema, "items");
    if (!items) return;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      int n = snprintf(path + plen, cap - plen, "[%zu]", i);
      if (n > 0 && plen + n < cap) walk(defs, items, e, path, plen + n, cap, out, depth + 1);
    }
    path[plen] = 0;
  }
}

void unknown_fields(const json_t *defs, const char *def_name, const json_t *obj, json_t *out) {
  const json_t *schema = json_object_get(defs, def_name);
  if (!schema) return;
  char path[1024] = "";
  walk(defs, schema, obj, path, 0, sizeof path, out, 0);
}
