/* strategic_merge.c - Kubernetes strategic merge patch (see
 * strategic_merge.h), driven by the swagger definitions: a list field whose
 * schema says x-kubernetes-patch-strategy "merge" is merged element by
 * element on its x-kubernetes-patch-merge-key (lists of primitives are
 * unioned), other lists are replaced, maps merge recursively and null deletes.
 * Directives: $patch (replace/delete/merge), $retainKeys,
 * $setElementOrder/<field>, $deleteFromPrimitiveList/<field>. */
#include "strategic_merge.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 100

typedef struct {
  const json_t *defs;
  char *err;
  size_t errlen;
  bool failed;
} smp;

static void fail(smp *s, const char *msg) {
  if (!s->failed) snprintf(s->err, s->errlen, "%s", msg);
  s->failed = true;
}

static const json_t *resolve(const smp *s, const json_t *schema) {
  for (int i = 0; i < 8 && schema; i++) {
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    if (!ref) {
      const json_t *all = json_object_get(schema, "allOf");
      if (json_array_size(all) == 1) {
        schema = json_array_get(all, 0);
        continue;
      }
      return schema;
    }
    const char *slash = strrchr(ref, '/');
    schema = json_object_get(s->defs, slash ? slash + 1 : ref);
  }
  return schema;
}

/* Schema of field key inside an object schema (properties or a map's values). */
static const json_t *field_schema(const smp *s, const json_t *schema, const char *key) {
  schema = resolve(s, schema);
  if (!schema) return NULL;
  const json_t *p = json_object_get(json_object_get(schema, "properties"), key);
  if (p) return p;
  const json_t *ap = json_object_get(schema, "additionalProperties");
  return json_is_object(ap) ? ap : NULL;
}

static bool is_directive(const char *k) {
  return !strcmp(k, "$patch") || !strcmp(k, "$retainKeys") || !strncmp(k, "$setElementOrder/", 17) ||
         !strncmp(k, "$deleteFromPrimitiveList/", 25);
}

static const char *patch_directive(const json_t *v) {
  return json_is_object(v) ? json_string_value(json_object_get(v, "$patch")) : NULL;
}

static json_t *merge_value(smp *s, const json_t *orig, const json_t *patch, const json_t *schema, int depth);

/* A copy of v with directives resolved against nothing (new content). */
static json_t *fresh(smp *s, const json_t *v, const json_t *schema, int depth) {
  return merge_value(s, NULL, v, schema, depth);
}

static bool same_key(const json_t *a, const json_t *b, const char *mk) {
  const json_t *x = json_object_get(a, mk), *y = json_object_get(b, mk);
  return x && y && json_equal(x, y);
}

static json_t *merge_list(smp *s, const json_t *orig, const json_t *patch, const json_t *fs, int depth) {
  const json_t *rs = resolve(s, fs);
  const char *strategy = json_string_value(json_object_get(fs, "x-kubernetes-patch-strategy"));
  if (!strategy) strategy = json_string_value(json_object_get(rs, "x-kubernetes-patch-strategy"));
  const char *mk = json_string_value(json_object_get(fs, "x-kubernetes-patch-merge-key"));
  if (!mk) mk = json_string_value(json_object_get(rs, "x-kubernetes-patch-merge-key"));
  const json_t *item_schema = json_object_get(rs, "items");
  size_t i;
  json_t *p;
  /* {"$patch": "replace"} anywhere in the list replaces it */
  bool replace = !strategy || !strstr(strategy, "merge");
  json_array_foreach(patch, i, p) {
    const char *d = patch_directive(p);
    if (d && !strcmp(d, "replace")) replace = true;
  }
  json_t *out = json_array();
  if (replace) {
    json_array_foreach(patch, i, p) {
      const char *d = patch_directive(p);
      if (d && (!strcmp(d, "replace") || !strcmp(d, "delete"))) continue;
      json_array_append_new(out, fresh(s, p, item_schema, depth + 1));
    }
    return out;
  }
  if (json_is_array(orig)) json_array_extend(out, (json_t *)orig);
  json_t *copy = json_deep_copy(out);
  json_decref(out);
  out = copy;
  json_array_foreach(patch, i, p) {
    if (!json_is_object(p) || !mk) { /* primitives: union */
      bool present = false;
      size_t k;
      json_t *o;
      json_array_foreach(out, k, o) if (json_equal(o, p)) present = true;
      if (!present) json_array_append_new(out, json_deep_copy(p));
      continue;
    }
    if (!json_object_get(p, mk)) {
      char msg[256];
      snprintf(msg, sizeof msg, "map: %s does not contain declared merge key: %s", "patch element", mk);
      fail(s, msg);
      break;
    }
    const char *d = patch_directive(p);
    size_t k, found = (size_t)-1;
    json_t *o;
    json_array_foreach(out, k, o) {
      if (same_key(o, p, mk)) {
        found = k;
        break;
      }
    }
    if (d && !strcmp(d, "delete")) {
      if (found != (size_t)-1) json_array_remove(out, found);
      continue;
    }
    if (found != (size_t)-1) json_array_set_new(out, found, merge_value(s, json_array_get(out, found), p, item_schema, depth + 1));
    else json_array_append_new(out, fresh(s, p, item_schema, depth + 1));
  }
  return out;
}

/* Reorders list per order (elements by merge key, or primitive values);
 * elements not named keep their relative order after the named ones. */
static void set_order(json_t *list, const json_t *order, const char *mk) {
  if (!json_is_array(list) || !json_is_array(order)) return;
  json_t *sorted = json_array(), *rest = json_deep_copy(list);
  size_t i;
  json_t *want;
  json_array_foreach(order, i, want) {
    size_t k;
    json_t *o;
    json_array_foreach(rest, k, o) {
      bool match = mk && json_is_object(want) ? same_key(o, want, mk) : json_equal(o, want);
      if (match) {
        json_array_append(sorted, o);
        json_array_remove(rest, k);
        break;
      }
    }
  }
  json_array_extend(sorted, rest);
  json_decref(rest);
  json_array_clear(list);
  json_array_extend(list, sorted);
  json_decref(sorted);
}

static json_t *merge_map(smp *s, const json_t *orig, const json_t *patch, const json_t *schema, int depth) {
  const char *d = patch_directive(patch);
  if (d && strcmp(d, "replace") && strcmp(d, "merge") && strcmp(d, "delete")) {
    char msg[128];
    snprintf(msg, sizeof msg, "Unknown patch type: %s", d);
    fail(s, msg);
  }
  json_t *out = json_is_object(orig) && !(d && !strcmp(d, "replace")) ? json_deep_copy(orig) : json_object();
  const json_t *retain = json_object_get(patch, "$retainKeys");
  if (json_is_array(retain)) {
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(out, tmp, k, v) {
      bool keep = false;
      size_t i;
      json_t *r;
      json_array_foreach(retain, i, r) if (json_is_string(r) && !strcmp(json_string_value(r), k)) keep = true;
      if (!keep) json_object_del(out, k);
    }
  }
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    if (is_directive(k)) continue;
    if (json_is_null(v)) {
      json_object_del(out, k);
      continue;
    }
    const char *vd = patch_directive(v);
    if (vd && !strcmp(vd, "delete")) {
      json_object_del(out, k);
      continue;
    }
    json_object_set_new(out, k, merge_value(s, json_object_get(out, k), v, field_schema(s, schema, k), depth + 1));
  }
  json_object_foreach((json_t *)patch, k, v) {
    if (!strncmp(k, "$deleteFromPrimitiveList/", 25)) {
      json_t *list = json_object_get(out, k + 25);
      size_t i;
      json_t *gone;
      json_array_foreach(v, i, gone) {
        for (size_t j = json_array_size(list); j-- > 0;)
          if (json_equal(json_array_get(list, j), gone)) json_array_remove(list, j);
      }
    } else if (!strncmp(k, "$setElementOrder/", 17)) {
      const json_t *fs = field_schema(s, schema, k + 17);
      const char *mk = json_string_value(json_object_get(fs, "x-kubernetes-patch-merge-key"));
      set_order(json_object_get(out, k + 17), v, mk);
    }
  }
  return out;
}

static json_t *merge_value(smp *s, const json_t *orig, const json_t *patch, const json_t *schema, int depth) {
  if (depth > MAX_DEPTH) {
    fail(s, "patch nesting is too deep");
    return json_null();
  }
  if (json_is_object(patch)) return merge_map(s, orig, patch, schema, depth);
  if (json_is_array(patch)) return merge_list(s, orig, patch, schema, depth);
  return json_deep_copy(patch);
}

json_t *strategic_merge_patch(const json_t *original, const json_t *patch, const json_t *definitions,
                              const char *type_name, char *err, size_t errlen) {
  smp s = {definitions, err, errlen, false};
  if (!json_is_object(patch)) {
    snprintf(err, errlen, "strategic merge patch must be a JSON object");
    return NULL;
  }
  const json_t *schema = type_name && definitions ? json_object_get(definitions, type_name) : NULL;
  json_t *out = merge_map(&s, original, patch, schema, 0);
  if (s.failed) {
    json_decref(out);
    return NULL;
  }
  return out;
}
