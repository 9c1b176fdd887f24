/* registry.h - the resource kinds the server serves, as data: loaded from the
 * build-time registry.json (api-spec/) so routing, discovery, printing and
 * storage are driven by one table. Adding a kind is adding a row there.
 * Custom resources (server/crd_*.c) add rows at run time with registry_add()
 * and stop being served with registry_retire(). The table only grows and
 * entries are never freed, so a resource pointer stays valid for the life of
 * the process; lookups are safe from any thread after registry_load(). */
#ifndef CKUBE_REGISTRY_H
#define CKUBE_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "kinds.h"

struct cache;
struct cache_bucket;

typedef enum {
  VERB_GET = 1 << 0, VERB_LIST = 1 << 1, VERB_WATCH = 1 << 2, VERB_CREATE = 1 << 3,
  VERB_UPDATE = 1 << 4, VERB_PATCH = 1 << 5, VERB_DELETE = 1 << 6, VERB_DELETECOLLECTION = 1 << 7,
} verb_mask;

typedef struct resource {
  kind_ref ref;             /* group, version, kind, plural, namespaced */
  const char *list_kind;
  const char *singular;
  const char *definition;   /* swagger definition of the kind */
  const char *storage;      /* storage key shared by all versions */
  const char *storage_version; /* group-version objects are stored in ("v1", "autoscaling/v1") */
  const char *group_version;/* "v1" or "apps/v1": the apiVersion field */
  unsigned verbs;
  const json_t *entry;      /* the registry.json row (shortNames, categories, ...) */
  struct cache_bucket *bucket;
  bool retired;             /* no longer served (its CRD went away); read with registry_served() */
} resource;

/* Parses registry.json from the embedded api-spec. 0 or -1 + err. */
int registry_load(char *err, size_t errlen);

/* Attaches every resource to its bucket in c, and the rows added later
 * (custom resources) too: the registry serves one cache. */
void registry_bind(struct cache *c);

/* Lookup by group ("" core), version and plural; NULL if not served. */
const resource *registry_find(const char *group, const char *version, const char *plural);

/* The resource of a kind in group/version ("Deployment" in apps/v1). */
const resource *registry_find_kind(const char *group, const char *version, const char *kind);

/* The storage-version resource of r (itself when r is stored as served). */
const resource *registry_storage_resource(const resource *r);

/* True when group/version is served at all. */
bool registry_has_group_version(const char *group, const char *version);

/* The subresource row of r ({"name","group","version","kind","verbs"}), or NULL. */
const json_t *registry_subresource(const resource *r, const char *name);

/* Iteration over every resource ever registered, in registry order: built-in
 * ones first, then custom resources. Retired ones are included (their
 * buckets are empty); discovery skips them with registry_served(). */
size_t registry_count(void);
const resource *registry_at(size_t i);
bool registry_served(const resource *r);
/* Whether r is the core group's (apiVersion v1) resource plural. */
bool registry_is_core(const resource *r, const char *plural);

/* The served API groups in discovery order (the "groups" array of
 * registry.json followed by the groups of custom resources): a new reference. */
json_t *registry_groups(void);

/* Adds r (and everything it points to, which must stay valid forever) to the
 * served resources, binding it to its cache bucket. 0, or -1 when the table
 * is full. Serialized with registry_retire by a lock. */
int registry_add(resource *r);
/* Stops serving r; it can be served again with registry_revive. */
void registry_retire(resource *r);
void registry_revive(resource *r);
/* The retired resource group/version/plural, if one exists (for reuse). */
resource *registry_find_retired(const char *group, const char *version, const char *plural);

/* Bumped on every registry change: cached documents (discovery, OpenAPI)
 * rebuild when it moved. */
unsigned long registry_generation(void);
void registry_touch(void);

/* The swagger definitions (borrowed), for validation and strategic merge. */
const json_t *registry_definitions(void);

#endif
