/* json_path.c - the dotted-path walk behind json_path.h: one object key per
 * step, no array indexes (CRD columns and scale paths use the JSONPath
 * subset in server/crd_jsonpath.c). */
#include "json_path.h"
#include <string.h>

const json_t *json_path(const json_t *obj, const char *path) {
  char key[128];
  const json_t *cur = obj;
  while (cur && *path) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (n >= sizeof key) return NULL;
    memcpy(key, path, n);
    key[n] = 0;
    cur = json_object_get(cur, key);
    path += n + (dot ? 1 : 0);
  }
  return cur;
}

json_t *json_path_mut(json_t *obj, const char *path) {
  /* the walk only reads; the result is as changeable as obj */
  return (json_t *)json_path(obj, path);
}

const char *json_path_str(const json_t *obj, const char *path) { return json_string_value(json_path(obj, path)); }

const char *json_path_str0(const json_t *obj, const char *path) {
  const char *s = json_path_str(obj, path);
  return s ? s : "";
}

long long json_path_int(const json_t *obj, const char *path, long long def) {
  const json_t *v = json_path(obj, path);
  return json_is_integer(v) ? json_integer_value(v) : def;
}

const char *json_str(const json_t *obj, const char *key) { return json_string_value(json_object_get(obj, key)); }

const char *json_str0(const json_t *obj, const char *key) {
  const char *s = json_str(obj, key);
  return s ? s : "";
}
