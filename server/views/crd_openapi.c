/* crd_openapi.c - the OpenAPI definitions of custom resources, as
 * kube-apiserver 1.20 publishes them: one definition per served version
 * named after the reversed group ("com.example.v1.Foo", and its List), the
 * version's schema made OpenAPI v2-compatible as 1.20's CRD OpenAPI builder
 * does (to_v2), apiVersion, kind and metadata filled in (also in embedded
 * resources), and x-kubernetes-group-version-kind for kubectl to find it.
 * Non-structural schemas, and in /openapi/v2 CRDs keeping unknown fields
 * (spec.preserveUnknownFields), publish a bare object. */
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

/* Keys of a structural schema node that reach the published document. */
static const char *const KEPT[] = {
    "type", "description", "title", "default", "format", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf",
    "enum", "maxProperties", "minProperties", "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type", "x-kubernetes-map-type", NULL};

static bool kept(const char *k) {
  for (const char *const *p = KEPT; *p; p++)
    if (!strcmp(*p, k)) return true;
  return false;
}

static bool flag(const json_t *s, const char *k) { return json_is_true(json_object_get(s, k)); }

/* The v2 form of a schema node (new reference), as 1.20's
 * ToStructuralOpenAPIV2 makes it: junctors (allOf, anyOf, oneOf, not)
 * dropped; a nullable node loses its type, properties and items; a node
 * preserving unknown fields loses properties and items (and an object type);
 * an array left without items loses its type; nullable properties are not
 * required. */
static json_t *to_v2(const json_t *s, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return json_object();
  bool nullable = flag(s, "nullable"), preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
  bool open = nullable || preserve; /* properties and items go */
  const json_t *props = json_object_get(s, "properties"), *items = json_object_get(s, "items");
  const json_t *addl = json_object_get(s, "additionalProperties");
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)s, k, v) {
    if (!strcmp(k, "properties") && json_is_object(v) && !open) {
      json_t *pp = json_object();
      const char *pk;
      json_t *pv;
      json_object_foreach(v, pk, pv) json_object_set_new(pp, pk, to_v2(pv, depth + 1));
      json_object_set_new(out, k, pp);
    } else if (!strcmp(k, "items") && json_is_object(v) && !open) {
      json_object_set_new(out, k, to_v2(v, depth + 1));
    } else if (!strcmp(k, "additionalProperties")) {
      json_object_set_new(out, k, json_is_object(v) ? to_v2(v, depth + 1) : json_copy(v));
    } else if (!strcmp(k, "required") && json_is_array(v)) {
      if (json_is_object(addl) && flag(addl, "nullable")) continue;
      json_t *req = json_array();
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) {
        if (!flag(json_object_get(props, json_string_value(e) ? json_string_value(e) : ""), "nullable"))
          json_array_append(req, e);
      }
      json_object_set_new(out, k, req);
    } else if (!strcmp(k, "type")) {
      const char *t = json_string_value(v);
      if (nullable || !t || (!strcmp(t, "array") && (open || !items)) || (preserve && !strcmp(t, "object"))) continue;
      json_object_set(out, k, v);
    } else if (kept(k)) {
      json_object_set(out, k, v);
    }
  }
  return out;
}

/* apiVersion, kind and metadata of an object as a CRD publishes them. */
static void set_type_meta(json_t *props, const char *api_version_desc, const char *kind_desc) {
  json_object_set_new(props, "apiVersion", json_pack("{s:s,s:s}", "description", api_version_desc, "type", "string"));
  json_object_set_new(props, "kind", json_pack("{s:s,s:s}", "description", kind_desc, "type", "string"));
  json_object_set_new(props, "metadata",
                      json_pack("{s:s,s:s}", "description",
                                "Standard object's metadata. More info: "
                                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                                "$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
}

static void require(json_t *s, const char *field) {
  json_t *req = json_object_get(s, "required");
  if (!json_is_array(req)) json_object_set_new(s, "required", req = json_array());
  size_t i;
  json_t *e;
  json_array_foreach(req, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), field)) return;
  json_array_append_new(req, json_string(field));
}

/* x-kubernetes-embedded-resource nodes get apiVersion, kind and metadata
 * (not those preserving unknown fields: kubectl would then refuse them). */
static void add_embedded(json_t *s, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return;
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(s, "properties"), k, v) add_embedded(v, depth + 1);
  add_embedded(json_object_get(s, "items"), depth + 1);
  add_embedded(json_object_get(s, "additionalProperties"), depth + 1);
  if (flag(s, "x-kubernetes-preserve-unknown-fields") || !flag(s, "x-kubernetes-embedded-resource")) return;
  json_t *props = json_object_get(s, "properties");
  if (!json_is_object(props)) json_object_set_new(s, "properties", props = json_object());
  set_type_meta(props,
                "apiVersion defines the versioned schema of this representation of an object. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                "kind is a string value representing the type of this object. In CamelCase. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds");
  require(s, "kind");
  require(s, "apiVersion");
}

static json_t *gvk(const char *group, const char *version, const char *kind) {
  /* a list in definitions (operations carry one object) */
  return json_pack("[{s:s,s:s,s:s}]", "group", group, "kind", kind, "version", version);
}

static void add_version(json_t *defs, const resource *r, bool v2) {
  char name[600], list[600];
  crd_openapi_name(r->ref.group, r->ref.version, r->ref.kind, name, sizeof name);
  crd_openapi_name(r->ref.group, r->ref.version, r->list_kind, list, sizeof list);
  const crd_version *cv = r->ref.crd;
  const json_t *schema = cv->schema;
  json_t *def;
  if (!schema || !cv->structural || flag(schema, "x-kubernetes-preserve-unknown-fields") || (v2 && cv->preserve_unknown)) {
    /* no properties at all, not even metadata: kubectl would refuse every
     * other field (as kube-apiserver 1.20 publishes it); non-structural
     * schemas are not published */
    def = json_pack("{s:s}", "type", "object");
  } else {
    def = to_v2(schema, 0);
    json_t *props = json_object_get(def, "properties");
    if (!json_is_object(props)) json_object_set_new(def, "properties", props = json_object());
    set_type_meta(props, DESC_API_VERSION, DESC_KIND);
    add_embedded(def, 0);
  }
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
    add_version(defs, r, group == NULL);
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
