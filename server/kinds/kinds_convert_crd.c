/* kinds_convert_crd.c - CustomResourceDefinition between apiextensions.k8s.io
 * v1 (the storage version) and v1beta1, as 1.20 converts through its
 * internal type (apiextensions/v1/conversion.go; the internal type has the
 * v1beta1 shape): v1beta1's top-level validation, subresources and printer
 * columns go to every version, spec.version becomes the only version when
 * none is listed, JSONPath is jsonPath, webhookClientConfig and
 * conversionReviewVersions live in conversion.webhook, and
 * preserveUnknownFields is a plain bool (left out when false). Back from v1,
 * per-version values identical in every version move to the top level and
 * spec.version names the first version. Fields come out in the order of the
 * target's Go struct, as Kubernetes writes them. */
#include "crd.h"
#include "kinds_util.h"
#include <string.h>

/* Rebuilds obj's keys in the given order, the others after them. */
static void order_keys(json_t *obj, const char *const *order) {
  if (!json_is_object(obj)) return;
  json_t *copy = json_object();
  for (int i = 0; order[i]; i++) {
    json_t *v = json_object_get(obj, order[i]);
    if (v) json_object_set(copy, order[i], v);
  }
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) if (!json_object_get(copy, k)) json_object_set(copy, k, v);
  json_object_clear(obj);
  json_object_update(obj, copy);
  json_decref(copy);
}

static const char *const spec_v1[] = {"group", "names", "scope", "versions", "conversion", "preserveUnknownFields",
                                      NULL};
static const char *const spec_v1beta1[] = {"group", "version", "names", "scope", "validation", "subresources",
                                           "versions", "additionalPrinterColumns", "conversion",
                                           "preserveUnknownFields", NULL};
static const char *const version_keys[] = {"name", "served", "storage", "deprecated", "deprecationWarning",
                                           "schema", "subresources", "additionalPrinterColumns", NULL};
static const char *const column_v1[] = {"name", "type", "format", "description", "priority", "jsonPath", NULL};
static const char *const column_v1beta1[] = {"name", "type", "format", "description", "priority", "JSONPath", NULL};

/* A copy of a column list with the JSON path under its other name. */
static json_t *columns_renamed(const json_t *cols, const char *from, const char *to, const char *const *order) {
  json_t *out = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(cols, i, c) {
    json_t *copy = json_deep_copy(c);
    json_t *p = json_incref(json_object_get(copy, from));
    json_object_del(copy, from);
    json_object_set_new(copy, to, p ? p : json_string("")); /* Go writes the string even when empty */
    order_keys(copy, order);
    json_array_append_new(out, copy);
  }
  return out;
}

void crd_v1beta1_to_v1(json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) return;
  json_t *versions = json_object_get(spec, "versions");
  const char *version = kstr(spec, "version");
  if (!json_array_size(versions) && version && *version) {
    versions = json_pack("[{s:s,s:b,s:b}]", "name", version, "served", 1, "storage", 1);
    json_object_set_new(spec, "versions", versions);
  }
  json_object_del(spec, "version");
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) {
    json_t *cols = json_object_get(v, "additionalPrinterColumns");
    if (json_is_array(cols)) json_object_set_new(v, "additionalPrinterColumns",
                                                 columns_renamed(cols, "JSONPath", "jsonPath", column_v1));
  }
  /* the top-level fields win over per-version ones, as in conversion.go */
  json_t *subs = json_object_get(spec, "subresources"), *val = json_object_get(spec, "validation");
  json_t *cols = json_object_get(spec, "additionalPrinterColumns");
  json_array_foreach(versions, i, v) {
    if (json_is_object(subs)) json_object_set_new(v, "subresources", json_deep_copy(subs));
    if (json_is_object(val)) json_object_set_new(v, "schema", json_deep_copy(val));
    if (json_is_array(cols))
      json_object_set_new(v, "additionalPrinterColumns", columns_renamed(cols, "JSONPath", "jsonPath", column_v1));
    order_keys(v, version_keys);
  }
  json_object_del(spec, "subresources");
  json_object_del(spec, "validation");
  json_object_del(spec, "additionalPrinterColumns");
  json_t *conv = json_object_get(spec, "conversion");
  if (json_is_object(conv)) {
    json_t *cc = json_object_get(conv, "webhookClientConfig"), *crv = json_object_get(conv, "conversionReviewVersions");
    if ((cc && !json_is_null(cc)) || (crv && !json_is_null(crv))) {
      json_t *wh = json_object();
      if (cc && !json_is_null(cc)) json_object_set(wh, "clientConfig", cc);
      if (crv && !json_is_null(crv)) json_object_set(wh, "conversionReviewVersions", crv);
      json_object_set_new(conv, "webhook", wh);
    }
    json_object_del(conv, "webhookClientConfig");
    json_object_del(conv, "conversionReviewVersions");
  }
  if (!json_is_true(json_object_get(spec, "preserveUnknownFields"))) json_object_del(spec, "preserveUnknownFields");
  order_keys(spec, spec_v1);
}

/* A per-version value as Semantic.DeepEqual sees it: absent, null and an
 * empty list are all nil. */
static const json_t *nil_or(const json_t *v) {
  return !v || json_is_null(v) || (json_is_array(v) && !json_array_size(v)) ? NULL : v;
}

/* Whether every version has an equal value at key (nil counting as one). */
static bool identical(const json_t *versions, const char *key) {
  const json_t *first = nil_or(json_object_get(json_array_get(versions, 0), key));
  for (size_t i = 1; i < json_array_size(versions); i++) {
    const json_t *v = nil_or(json_object_get(json_array_get(versions, i), key));
    if (!first != !v || (first && !json_equal((json_t *)first, (json_t *)v))) return false;
  }
  return true;
}

void crd_v1_to_v1beta1(json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) return;
  json_t *versions = json_object_get(spec, "versions");
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) {
    json_t *cols = json_object_get(v, "additionalPrinterColumns");
    if (json_is_array(cols))
      json_object_set_new(v, "additionalPrinterColumns", columns_renamed(cols, "jsonPath", "JSONPath", column_v1beta1));
  }
  if (json_array_size(versions)) {
    json_object_set_new(spec, "version", json_string(kstr(json_array_get(versions, 0), "name")));
    static const struct {
      const char *per_version, *top;
    } moved[] = {{"subresources", "subresources"}, {"schema", "validation"},
                 {"additionalPrinterColumns", "additionalPrinterColumns"}};
    for (size_t m = 0; m < sizeof moved / sizeof moved[0]; m++) {
      if (!identical(versions, moved[m].per_version)) continue;
      const json_t *val = nil_or(json_object_get(json_array_get(versions, 0), moved[m].per_version));
      if (val) json_object_set(spec, moved[m].top, (json_t *)val);
      json_array_foreach(versions, i, v) json_object_del(v, moved[m].per_version);
    }
  }
  json_array_foreach(versions, i, v) order_keys(v, version_keys);
  json_t *conv = json_object_get(spec, "conversion");
  json_t *wh = json_object_get(conv, "webhook");
  if (json_is_object(wh)) {
    json_t *cc = json_object_get(wh, "clientConfig"), *crv = json_object_get(wh, "conversionReviewVersions");
    if (cc) json_object_set(conv, "webhookClientConfig", cc);
    if (crv) json_object_set(conv, "conversionReviewVersions", crv);
  }
  if (json_is_object(conv)) json_object_del(conv, "webhook");
  /* a pointer in v1beta1: always written */
  json_object_set_new(spec, "preserveUnknownFields", json_boolean(json_is_true(json_object_get(spec, "preserveUnknownFields"))));
  order_keys(spec, spec_v1beta1);
}
