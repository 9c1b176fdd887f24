/* registry.c - loads registry.json and definitions.json (embedded by
 * api-spec/) into the resource table of registry.h, and takes the rows of
 * custom resources at run time. The table is an append-only array of
 * pointers whose length is published with release semantics, so readers
 * need no lock; writers (registry_add/retire) take add_lock. */
#include "registry.h"
#include "json_path.h"
#include "apispec.h"
#include "crd_version_order.h"
#include "watch_cache.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESOURCES 8192

static json_t *reg_doc, *defs_doc;
static resource *table[MAX_RESOURCES];
static atomic_size_t nresources;
static size_t nbuiltin;
static atomic_ulong generation = 1;
static pthread_mutex_t add_lock = PTHREAD_MUTEX_INITIALIZER; /* serializes registry_add/retire/revive */
static cache *bound;  /* the cache whose buckets the rows point into (registry_bind) */

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
  nbuiltin = json_array_size(rows);
  resource *resources = calloc(nbuiltin, sizeof *resources);
  for (size_t i = 0; i < nbuiltin; i++) {
    json_t *e = json_array_get(rows, i);
    resource *r = &resources[i];
    table[i] = r;
    r->ref.group = json_str0(e, "group");
    r->ref.version = json_str0(e, "version");
    r->ref.kind = json_str0(e, "kind");
    r->ref.plural = json_str0(e, "plural");
    r->ref.namespaced = json_is_true(json_object_get(e, "namespaced"));
    r->list_kind = json_str0(e, "listKind");
    r->singular = json_str0(e, "singular");
    r->definition = json_str0(e, "definition");
    r->storage = json_str0(e, "storage");
    r->storage_version = json_str0(e, "storageVersion");
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
  atomic_store_explicit(&nresources, nbuiltin, memory_order_release);
  return 0;
}

void registry_bind(cache *c) {
  bound = c;
  for (size_t i = 0; i < nbuiltin; i++) table[i]->bucket = cache_bucket_get(c, table[i]->storage);
}

size_t registry_count(void) { return atomic_load_explicit(&nresources, memory_order_acquire); }
const resource *registry_at(size_t i) { return i < registry_count() ? table[i] : NULL; }
bool registry_served(const resource *r) { return !__atomic_load_n(&r->retired, __ATOMIC_ACQUIRE); }

const resource *registry_find(const char *group, const char *version, const char *plural) {
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++) {
    const resource *r = table[i];
    if (!strcmp(r->ref.plural, plural) && !strcmp(r->ref.version, version) && !strcmp(r->ref.group, group) &&
        registry_served(r))
      return r;
  }
  return NULL;
}

const resource *registry_find_kind(const char *group, const char *version, const char *kind) {
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++) {
    const resource *r = table[i];
    if (!strcmp(r->ref.kind, kind) && !strcmp(r->ref.version, version) && !strcmp(r->ref.group, group) &&
        registry_served(r))
      return r;
  }
  return NULL;
}

const resource *registry_storage_resource(const resource *r) {
  if (!strcmp(r->group_version, r->storage_version)) return r;
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++) {
    const resource *s = table[i];
    if (!strcmp(s->storage, r->storage) && !strcmp(s->group_version, r->storage_version) && registry_served(s))
      return s;
  }
  return r;
}

bool registry_has_group_version(const char *group, const char *version) {
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++)
    if (!strcmp(table[i]->ref.group, group) && !strcmp(table[i]->ref.version, version) && registry_served(table[i]))
      return true;
  return false;
}

int registry_add(resource *r) {
  pthread_mutex_lock(&add_lock);
  size_t n = registry_count();
  if (n >= MAX_RESOURCES) {
    pthread_mutex_unlock(&add_lock);
    return -1;
  }
  r->bucket = cache_bucket_get(bound, r->storage);
  table[n] = r;
  atomic_store_explicit(&nresources, n + 1, memory_order_release);
  registry_touch();
  pthread_mutex_unlock(&add_lock);
  return 0;
}

static void set_retired(resource *r, bool retired) {
  pthread_mutex_lock(&add_lock);
  __atomic_store_n(&r->retired, retired, __ATOMIC_RELEASE);
  registry_touch();
  pthread_mutex_unlock(&add_lock);
}

void registry_retire(resource *r) { set_retired(r, true); }
void registry_revive(resource *r) { set_retired(r, false); }

resource *registry_find_retired(const char *group, const char *version, const char *plural) {
  size_t n = registry_count();
  for (size_t i = nbuiltin; i < n; i++) {
    resource *r = table[i];
    if (!registry_served(r) && !strcmp(r->ref.plural, plural) && !strcmp(r->ref.version, version) &&
        !strcmp(r->ref.group, group))
      return r;
  }
  return NULL;
}

unsigned long registry_generation(void) { return atomic_load(&generation); }
void registry_touch(void) { atomic_fetch_add(&generation, 1); }

static bool has_group(const json_t *groups, const char *name) {
  size_t i;
  json_t *g;
  json_array_foreach(groups, i, g) {
    if (!strcmp(json_str0(g, "name"), name)) return true;
  }
  return false;
}

static int by_name(const void *a, const void *b) {
  return strcmp(json_str0(*(json_t *const *)a, "name"), json_str0(*(json_t *const *)b, "name"));
}

static int by_kube_version(const void *a, const void *b) {
  return crd_version_compare(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The groups of served custom resources: like kube-aggregator's APIServices
 * of priority 1000, sorted by group name, versions in Kubernetes order. */
static json_t *custom_groups(const json_t *builtin) {
  json_t *groups = json_array();
  size_t n = registry_count();
  for (size_t i = nbuiltin; i < n; i++) {
    const resource *r = table[i];
    if (!registry_served(r) || has_group(builtin, r->ref.group)) continue;
    json_t *g = NULL;
    size_t k;
    json_t *it;
    json_array_foreach(groups, k, it) {
      if (!strcmp(json_str0(it, "name"), r->ref.group)) g = it;
    }
    if (!g) {
      g = json_pack("{s:s,s:[]}", "name", r->ref.group, "versions");
      json_array_append_new(groups, g);
    }
    json_t *versions = json_object_get(g, "versions");
    bool seen = false;
    json_array_foreach(versions, k, it) seen = seen || !strcmp(json_string_value(it), r->ref.version);
    if (!seen) json_array_append_new(versions, json_string(r->ref.version));
  }
  size_t ng = json_array_size(groups);
  json_t **items = calloc(ng ? ng : 1, sizeof *items);
  for (size_t i = 0; i < ng; i++) items[i] = json_incref(json_array_get(groups, i));
  qsort(items, ng, sizeof *items, by_name);
  json_array_clear(groups);
  for (size_t i = 0; i < ng; i++) {
    json_t *versions = json_object_get(items[i], "versions");
    size_t nv = json_array_size(versions);
    json_t **vs = calloc(nv, sizeof *vs);
    for (size_t k = 0; k < nv; k++) vs[k] = json_incref(json_array_get(versions, k));
    qsort(vs, nv, sizeof *vs, by_kube_version);
    json_array_clear(versions);
    for (size_t k = 0; k < nv; k++) json_array_append_new(versions, vs[k]);
    free(vs);
    json_object_set(items[i], "preferredVersion", json_array_get(versions, 0));
    json_array_append_new(groups, items[i]);
  }
  free(items);
  return groups;
}

json_t *registry_groups(void) {
  const json_t *builtin = json_object_get(reg_doc, "groups");
  json_t *all = json_deep_copy(builtin);
  json_t *custom = custom_groups(builtin);
  json_array_extend(all, custom);
  json_decref(custom);
  return all;
}

const json_t *registry_subresource(const resource *r, const char *name) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(r->entry, "subresources"), i, s) {
    if (!strcmp(json_str0(s, "name"), name)) return s;
  }
  return NULL;
}

const json_t *registry_definitions(void) { return defs_doc; }

bool registry_is_core(const resource *r, const char *plural) { return !r->ref.group[0] && !strcmp(r->ref.plural, plural); }
