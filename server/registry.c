/* registry.c - loads registry.json and definitions.json (embedded by
 * api-spec/) into the resource table of registry.h. */
#include "registry.h"
#include "apispec.h"
#include "watch_cache.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *reg_doc, *defs_doc;
static resource *resources;
static size_t nresources;

static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static unsigned parse_verbs(const json_t *arr) {
  static const char *names[] = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"};
  unsigned m = 0;
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
      if (json_is_string(v) && strcmp(json_string_value(v), names[k]) == 0) m |= 1u << k;
  }
  return m;
}

static json_t *load_doc(const char *name, char *err, size_t errlen) {
  apispec_blob b = apispec_get(name);
  if (!b.data) {
    snprintf(err, errlen, "api-spec document %s missing from the build", name);
    return NULL;
  }
  json_error_t je;
  json_t *d = json_loadb((const char *)b.data, b.len, 0, &je);
  if (!d) snprintf(err, errlen, "%s: %s at line %d", name, je.text, je.line);
  return d;
}

int registry_load(char *err, size_t errlen) {
  if (reg_doc) return 0;
  reg_doc = load_doc("registry.json", err, errlen);
  defs_doc = reg_doc ? load_doc("definitions.json", err, errlen) : NULL;
  if (!reg_doc || !defs_doc) return -1;
  json_t *rows = json_object_get(reg_doc, "resources");
  nresources = json_array_size(rows);
  resources = calloc(nresources, sizeof *resources);
  for (size_t i = 0; i < nresources; i++) {
    json_t *e = json_array_get(rows, i);
    resource *r = &resources[i];
    r->ref.group = str(e, "group");
    r->ref.version = str(e, "version");
    r->ref.kind = str(e, "kind");
    r->ref.plural = str(e, "plural");
    r->ref.namespaced = json_is_true(json_object_get(e, "namespaced"));
    r->list_kind = str(e, "listKind");
    r->singular = str(e, "singular");
    r->definition = str(e, "definition");
    r->storage = str(e, "storage");
    r->storage_version = str(e, "storageVersion");
    char *gv;
    if (*r->ref.group) {
      if (asprintf(&gv, "%s/%s", r->ref.group, r->ref.version) < 0) gv = NULL;
    } else {
      gv = strdup(r->ref.version);
    }
    r->group_version = gv;
    if (!*r->storage_version) r->storage_version = gv;
    r->verbs = parse_verbs(json_object_get(e, "verbs"));
    r->entry = e;
  }
  return 0;
}

void registry_bind(cache *c) {
  for (size_t i = 0; i < nresources; i++) resources[i].bucket = cache_bucket_get(c, resources[i].storage);
}

const resource *registry_find(const char *group, const char *version, const char *plural) {
  for (size_t i = 0; i < nresources; i++) {
    const resource *r = &resources[i];
    if (!strcmp(r->ref.plural, plural) && !strcmp(r->ref.version, version) && !strcmp(r->ref.group, group))
      return r;
  }
  return NULL;
}

const resource *registry_find_kind(const char *group, const char *version, const char *kind) {
  for (size_t i = 0; i < nresources; i++) {
    const resource *r = &resources[i];
    if (!strcmp(r->ref.kind, kind) && !strcmp(r->ref.version, version) && !strcmp(r->ref.group, group))
      return r;
  }
  return NULL;
}

const resource *registry_storage_resource(const resource *r) {
  if (!strcmp(r->group_version, r->storage_version)) return r;
  for (size_t i = 0; i < nresources; i++) {
    const resource *s = &resources[i];
    if (!strcmp(s->storage, r->storage) && !strcmp(s->group_version, r->storage_version)) return s;
  }
  return r;
}

bool registry_has_group_version(const char *group, const char *version) {
  for (size_t i = 0; i < nresources; i++)
    if (!strcmp(resources[i].ref.group, group) && !strcmp(resources[i].ref.version, version)) return true;
  return false;
}

const json_t *registry_subresource(const resource *r, const char *name) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(r->entry, "subresources"), i, s) {
    if (!strcmp(str(s, "name"), name)) return s;
  }
  return NULL;
}

size_t registry_count(void) { return nresources; }
const resource *registry_at(size_t i) { return i < nresources ? &resources[i] : NULL; }
const json_t *registry_groups(void) { return json_object_get(reg_doc, "groups"); }
const json_t *registry_definitions(void) { return defs_doc; }
