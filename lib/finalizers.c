/* finalizers.c - metadata.finalizers helpers (see finalizers.h). */
#include "finalizers.h"
#include <string.h>

static const json_t *list_of(const json_t *obj) {
  return json_object_get(json_object_get(obj, "metadata"), "finalizers");
}

static bool is(const json_t *v, const char *f) { return json_is_string(v) && !strcmp(json_string_value(v), f); }

bool finalizers_has(const json_t *obj, const char *f) {
  const json_t *list = list_of(obj);
  for (size_t i = 0; i < json_array_size(list); i++)
    if (is(json_array_get(list, i), f)) return true;
  return false;
}

bool finalizers_any(const json_t *obj) { return json_array_size(list_of(obj)) > 0; }

void finalizers_add(json_t *obj, const char *f) {
  json_t *md = json_object_get(obj, "metadata");
  if (!json_is_object(md)) json_object_set_new(obj, "metadata", md = json_object());
  json_t *list = json_object_get(md, "finalizers");
  if (!json_is_array(list)) json_object_set_new(md, "finalizers", list = json_array());
  if (!finalizers_has(obj, f)) json_array_append_new(list, json_string(f));
}

bool finalizers_remove(json_t *obj, const char *f) {
  json_t *list = json_object_get(json_object_get(obj, "metadata"), "finalizers");
  bool removed = false;
  for (size_t i = json_array_size(list); i-- > 0;)
    if (is(json_array_get(list, i), f)) removed = json_array_remove(list, i) == 0 || removed;
  return removed;
}

json_t *finalizers_without(const json_t *obj, const char *f) {
  const json_t *list = list_of(obj);
  json_t *keep = json_array();
  for (size_t i = 0; i < json_array_size(list); i++)
    if (!is(json_array_get(list, i), f)) json_array_append_new(keep, json_deep_copy(json_array_get(list, i)));
  return keep;
}
