/* crd_openapi.c - the OpenAPI definitions of custom resources, as
 * kube-apiserver 1.20 publishes them: one definition per served version
 * named after the reversed group ("com.example.v1.Foo", and its List), the
 * version's schema made OpenAPI v2-compatible (nullable, int-or-string,
 * oneOf/anyOf/not and defaults left out), apiVersion, kind and metadata
 * filled in, and x-kubernetes-group-version-kind for kubectl to find it. */
#include "crd.h"
#include "crd_openapi.h"
#include "registry.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

static const char DESC_API_VERSION[] =
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized "
    "schemas to the latest internal value, and may reject unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
static const char DESC_KIND[] =
    "Kind is a string value representing the REST resource this object represents. Servers may infer this from the "
    "endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

void crd_openapi_name(const char *group, const char *version, const char *kind, char *out, size_t len) {
  char rev[300] = "";
  const char *end = group + strlen(group);
  while (end > group) {
    const char *dot = end;
    while (dot > group && dot[-1] != '.') dot--;
    size_t l = strlen(rev);
    snprintf(rev + l, sizeof rev - l, "%s%.*s", l ? "." : "", (int)(end - dot), dot);
    end = dot > group ? dot - 1 : group;
  }
  snprintf(out, len, "%s.%s.%s", rev, version, kind);
}

/* The v2 form of a schema node (new reference). */
static json_t *to_v2(const json_t *s, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return json_object();
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)s, k, v) {
    if (!strcmp(k, "nullable") || !strcmp(k, "oneOf") || !strcmp(k, "anyOf") || !strcmp(k, "not") ||
        !strcmp(k, "default") || !strcmp(k, "x-kubernetes-int-or-string"))
      continue;
    if (!strcmp(k, "properties") && json_is_object(v)) {
      json_t *props = json_object();
      const char *pk;
      json_t *pv;
      json_object_foreach(v, pk, pv) json_object_set_new(props, pk, to_v2(pv, depth + 1));
      json_object_set_new(out, k, props);
    } else if ((!strcmp(k, "items") || !strcmp(k, "additionalProperties")) && json_is_object(v)) {
      json_object_set_new(out, k, to_v2(v, depth + 1));
    } else if (!strcmp(k, "allOf") && json_is_array(v)) {
      json_t *all = json_array();
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) json_array_append_new(all, to_v2(e, depth + 1));
      json_object_set_new(out, k, all);
    } else {
      json_object_set(out, k, v);
    }
  }
  return out;
}

static json_t *gvk(const char *group, const char *version, const char *kind) {
  /* a list in definitions (operations carry one object) */
  return json_pack("[{s:s,s:s,s:s}]", "group", group, "kind", kind, "version", version);
}

static void add_version(json_t *defs, const resource *r) {
  char name[600], list[600];
  crd_openapi_name(r->ref.group, r->ref.version, r->ref.kind, name, sizeof name);
  crd_openapi_name(r->ref.group, r->ref.version, r->list_kind, list, sizeof list);
  json_t *def = to_v2(r->ref.crd->schema, 0);
  if (!json_object_get(def, "type")) json_object_set_new(def, "type", json_string("object"));
  json_t *props = json_object_get(def, "properties");
  if (!json_is_object(props)) json_object_set_new(def, "properties", props = json_object());
  json_object_set_new(props, "apiVersion", json_pack("{s:s,s:s}", "description", DESC_API_VERSION, "type", "string"));
  json_object_set_new(props, "kind", json_pack("{s:s,s:s}", "description", DESC_KIND, "type", "string"));
  json_object_set_new(props, "metadata",
                      json_pack("{s:s,s:s}", "description",
                                "Standard object's metadata. More info: "
                                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                                "$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  json_object_set_new(def, "x-kubernetes-group-version-kind", gvk(r->ref.group, r->ref.version, r->ref.kind));
  json_object_set_new(defs, name, def);
  char ref[620], desc[700], items_desc[700];
  snprintf(ref, sizeof ref, "#/definitions/%s", name);
  snprintf(desc, sizeof desc, "%s is a list of %s", r->list_kind, r->ref.kind);
  snprintf(items_desc, sizeof items_desc,
           "List of %s. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
           r->ref.plural);
  json_t *ld = json_pack(
      "{s:s,s:[s],s:{s:{s:s,s:s},s:{s:s,s:s,s:{s:s}},s:{s:s,s:s},s:{s:s,s:s}},s:o}", "description", desc, "required",
      "items", "properties", "apiVersion", "description", DESC_API_VERSION, "type", "string", "items", "description",
      items_desc, "type", "array", "items", "$ref", ref, "kind", "description", DESC_KIND, "type", "string", "metadata",
      "description",
      "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
      "$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta", "x-kubernetes-group-version-kind",
      gvk(r->ref.group, r->ref.version, r->list_kind));
  json_object_set_new(defs, list, ld);
}

json_t *crd_openapi_definitions(const char *group, const char *version) {
  json_t *defs = json_object();
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++) {
    const resource *r = registry_at(i);
    if (!r->ref.crd || !registry_served(r)) continue;
    if (group && (strcmp(r->ref.group, group) || strcmp(r->ref.version, version))) continue;
    add_version(defs, r);
  }
  return defs;
}

/* One GET operation of the v3 paths, returning schema name. */
static json_t *get_op(const resource *r, const char *action, const char *def_name, bool with_name) {
  char desc[400], ref[700];
  snprintf(desc, sizeof desc, with_name ? "read the specified %s" : "list objects of kind %s", r->ref.kind);
  snprintf(ref, sizeof ref, "#/definitions/%s", def_name);
  json_t *params = json_array();
  if (with_name)
    json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", "name", "in", "path", "required", 1,
                                            "schema", "type", "string"));
  if (r->ref.namespaced)
    json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", "namespace", "in", "path", "required", 1,
                                            "schema", "type", "string"));
  return json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:o,s:{s:{s:s,s:{s:{s:{s:s}}}}}}", "description", desc,
                   "x-kubernetes-action", action, "x-kubernetes-group-version-kind", "group", r->ref.group, "kind",
                   r->ref.kind, "version", r->ref.version, "parameters", params, "responses", "200", "description", "OK", "content", "application/json",
                   "schema", "$ref", ref);
}

json_t *crd_openapi_paths(const char *group, const char *version) {
  json_t *paths = json_object();
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++) {
    const resource *r = registry_at(i);
    if (!r->ref.crd || !registry_served(r) || strcmp(r->ref.group, group) || strcmp(r->ref.version, version)) continue;
    char name[600], list[600], base[700], path[800];
    crd_openapi_name(r->ref.group, r->ref.version, r->ref.kind, name, sizeof name);
    crd_openapi_name(r->ref.group, r->ref.version, r->list_kind, list, sizeof list);
    snprintf(base, sizeof base, "/apis/%s/%s/%s%s", group, version, r->ref.namespaced ? "namespaces/{namespace}/" : "",
             r->ref.plural);
    json_object_set_new(paths, base, json_pack("{s:o}", "get", get_op(r, "list", list, false)));
    snprintf(path, sizeof path, "%s/{name}", base);
    json_object_set_new(paths, path, json_pack("{s:o}", "get", get_op(r, "get", name, true)));
  }
  return paths;
}
