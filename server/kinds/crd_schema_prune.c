/* crd_schema_prune.c - structural defaulting and pruning of custom resources
 * (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting and
 * pruning): defaults fill absent properties of objects the value has, the
 * walk going through properties, additionalProperties and array items;
 * pruning drops every field the schema does not specify unless the node says
 * x-kubernetes-preserve-unknown-fields. apiVersion, kind and metadata survive
 * at the root and in x-kubernetes-embedded-resource objects. */
#include "crd_schema.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

static const json_t *child_schema(const json_t *s, const char *key) {
  const json_t *ps = json_object_get(json_object_get(s, "properties"), key);
  if (ps) return ps;
  const json_t *addl = json_object_get(s, "additionalProperties");
  return json_is_object(addl) ? addl : NULL;
}

static void default_node(const json_t *s, json_t *v, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return;
  if (json_is_object(v)) {
    const char *k;
    json_t *ps;
    json_object_foreach(json_object_get(s, "properties"), k, ps) {
      const json_t *def = json_object_get(ps, "default");
      if (def && !json_object_get(v, k)) json_object_set_new(v, k, json_deep_copy(def));
    }
    json_t *e;
    json_object_foreach(v, k, e) default_node(child_schema(s, k), e, depth + 1);
  } else if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) default_node(json_object_get(s, "items"), e, depth + 1);
  }
}

void crd_schema_default(const json_t *schema, json_t *obj) { default_node(schema, obj, 0); }

static bool kept_meta_field(const char *k) {
  return !strcmp(k, "apiVersion") || !strcmp(k, "kind") || !strcmp(k, "metadata");
}

static void prune_node(const json_t *s, json_t *v, char *path, size_t plen, size_t cap, json_t *found, bool root,
                       int depth) {
  if (depth > MAX_DEPTH) return;
  bool preserve = json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields"));
  if (json_is_true(json_object_get(s, "x-kubernetes-int-or-string"))) return;
  if (json_is_object(v)) {
    bool embedded = root || json_is_true(json_object_get(s, "x-kubernetes-embedded-resource"));
    const char *k;
    json_t *e, *tmp;
    json_object_foreach_safe(v, tmp, k, e) {
      if (embedded && kept_meta_field(k)) continue;
      int n = snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", k);
      if (n < 0 || plen + (size_t)n >= cap) continue;
      const json_t *cs = child_schema(s, k);
      if (cs) {
        prune_node(cs, e, path, plen + (size_t)n, cap, found, false, depth + 1);
      } else if (!preserve) {
        if (found) {
          char msg[1200];
          snprintf(msg, sizeof msg, "unknown field \"%s\"", path);
          json_array_append_new(found, json_string(msg));
        }
        json_object_del(v, k);
      }
    }
    path[plen] = 0;
  } else if (json_is_array(v)) {
    const json_t *items = json_object_get(s, "items");
    if (!items) return;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      int n = snprintf(path + plen, cap - plen, "[%zu]", i);
      if (n > 0 && plen + (size_t)n < cap) prune_node(items, e, path, plen + (size_t)n, cap, found, false, depth + 1);
    }
    path[plen] = 0;
  }
}

void crd_schema_prune(const json_t *schema, json_t *obj, json_t *found) {
  if (!schema) return;
  char path[1024] = "";
  prune_node(schema, obj, path, 0, sizeof path, found, true, 0);
}
