/* garbage_collector.c - ownerReferences-driven deletion, as
 * kube-controller-manager's garbage collector does it:
 *   - an object being deleted with the "orphan" finalizer: its dependents
 *     lose their ownerReference to it, then the finalizer is removed;
 *   - with "foregroundDeletion": its blocking dependents are processed (a
 *     dependent with another live owner only loses the reference; one with
 *     dependents of its own goes in the foreground, cycles are broken by
 *     unblocking references), and once none with blockOwnerDeletion=true
 *     remains the finalizer is removed;
 *   - an object whose owners are all gone is deleted itself.
 * Dependents live in the owner's namespace (or are cluster-scoped with a
 * cluster-scoped owner); they are found by scanning that namespace, which is
 * enough for the object counts a single server holds. Driven by one informer
 * over every resource. */
#include "controllers.h"
#include "api.h"
#include "controller.h"
#include "log.h"
#include "finalizers.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define OWNER_RECHECK_MS 300 /* blocking dependents still there: look again */

static ctrl *ctl;

/* Work keys: "owner|<storage>|<ns>|<name>" (an owner being deleted),
 * "dep|<storage>|<ns>|<name>" (a dependent to check for live owners) and
 * "gone|<ns>|<uid>" (an owner deleted: check its dependents). */
static void enqueue(const char *what, const cobj *o) {
  char key[700];
  const char *slash = strchr(o->subkey, '/');
  int bl = (int)(o->subkey - o->key - 1);
  snprintf(key, sizeof key, "%s|%.*s|%.*s|%s", what, bl, o->key, (int)(slash - o->subkey), o->subkey, slash + 1);
  ctrl_add(ctl, key);
}

static void enqueue_gone(const cobj *o) {
  const json_t *md = json_object_get(o->obj, "metadata");
  const char *uid = json_string_value(json_object_get(md, "uid"));
  const char *ns = json_string_value(json_object_get(md, "namespace"));
  if (!uid) return;
  char key[400];
  snprintf(key, sizeof key, "gone|%s|%s", ns ? ns : "", uid);
  ctrl_add(ctl, key);
}

static const json_t *owner_refs(const json_t *obj) {
  return json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
}

static void on_event(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const json_t *md = json_object_get(obj->obj, "metadata");
  if (type != EV_DELETED && json_object_get(md, "deletionTimestamp") &&
      (finalizers_has(obj->obj, "orphan") || finalizers_has(obj->obj, "foregroundDeletion")))
    enqueue("owner", obj);
  if (type == EV_DELETED) enqueue_gone(obj);
  if (type == EV_ADDED && json_array_size(owner_refs(obj->obj))) enqueue("dep", obj);
}

static const resource *storage_resource(const char *storage) {
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (registry_storage_resource(r) == r && !strcmp(r->storage, storage)) return r;
  }
  return NULL;
}

/* Calls fn for every object that has an ownerReference with uid: in ns for
 * a namespaced owner; anywhere for a cluster-scoped owner (ns empty). */
typedef void (*dep_fn)(const resource *r, const cobj *dep, void *ctx);
static size_t for_dependents(const char *ns, const char *uid, dep_fn fn, void *ctx) {
  size_t n = 0;
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (registry_storage_resource(r) != r || (ns && *ns && !r->ref.namespaced)) continue;
    cobj_vec items = {0};
    lister_list(cctx->informers, r, ns, &items);
    for (size_t k = 0; k < items.n; k++) {
      size_t j;
      json_t *ref;
      json_array_foreach(owner_refs(items.items[k]->obj), j, ref) {
        const char *u = json_string_value(json_object_get(ref, "uid"));
        if (u && !strcmp(u, uid)) {
          n++;
          if (fn) fn(r, items.items[k], ctx);
          break;
        }
      }
    }
    cobj_vec_clear(&items);
  }
  return n;
}

static const char *name_of(const cobj *o) {
  return json_string_value(json_object_get(json_object_get(o->obj, "metadata"), "name"));
}
static const char *ns_of(const cobj *o) {
  const char *ns = json_string_value(json_object_get(json_object_get(o->obj, "metadata"), "namespace"));
  return ns ? ns : "";
}

/* Applies a JSON merge patch (stolen) to o. */
static void merge_patch(const resource *r, const cobj *o, json_t *patch) {
  char *body = json_dumps(patch, JSON_COMPACT);
  json_decref(patch);
  api_opts opts = {0};
  api_result res =
      api_patch(cctx->srv, r, ns_of(o), name_of(o), NULL, "application/merge-patch+json", body, strlen(body), &opts);
  api_result_clear(&res);
  free(body);
}

/* Replaces a dependent's ownerReferences with refs (NULL or empty: none). */
static void set_refs(const resource *r, const cobj *dep, json_t *refs) {
  merge_patch(r, dep, json_pack("{s:{s:O}}", "metadata", "ownerReferences", json_array_size(refs) ? refs : json_null()));
}

/* Removes the ownerReference with uid from a dependent. */
static void drop_ref(const resource *r, const cobj *dep, void *ctx) {
  const char *uid = ctx;
  json_t *refs = json_array();
  size_t j;
  json_t *ref;
  json_array_foreach(owner_refs(dep->obj), j, ref) {
    const char *u = json_string_value(json_object_get(ref, "uid"));
    if (!u || strcmp(u, uid)) json_array_append(refs, ref);
  }
  set_refs(r, dep, refs);
  json_decref(refs);
}

static void delete_obj(const resource *r, const cobj *o, const char *policy) {
  if (json_object_get(json_object_get(o->obj, "metadata"), "deletionTimestamp")) return;
  json_t *opts = json_pack("{s:s}", "propagationPolicy", policy);
  api_opts ao = {0};
  api_result res = api_delete(cctx->srv, r, ns_of(o), name_of(o), opts, &ao);
  api_result_clear(&res);
  json_decref(opts);
}

/* Being deleted in the foreground: waiting for its dependents to go. */
static bool deleting_dependents(const json_t *obj) {
  return json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp") &&
         finalizers_has(obj, "foregroundDeletion");
}

static void process_dependent(const resource *r, const cobj *o);

typedef struct {
  const char *uid;
  size_t n;
} blocking_ctx;

/* Counts dependents whose reference to uid blocks the owner's deletion and
 * asks those not themselves deleting their dependents to go. */
static void handle_blocking(const resource *r, const cobj *dep, void *p) {
  blocking_ctx *b = p;
  size_t j;
  json_t *ref;
  json_array_foreach(owner_refs(dep->obj), j, ref) {
    const char *u = json_string_value(json_object_get(ref, "uid"));
    if (!u || strcmp(u, b->uid) || !json_is_true(json_object_get(ref, "blockOwnerDeletion"))) continue;
    b->n++;
    if (!deleting_dependents(dep->obj)) process_dependent(r, dep);
    break;
  }
}

static void remove_finalizer(const resource *r, const cobj *o, const char *f) {
  json_t *keep = finalizers_without(o->obj, f);
  char rv[32];
  snprintf(rv, sizeof rv, "%lld", (long long)o->rev);
  merge_patch(r, o, json_pack("{s:{s:o,s:s}}", "metadata", "finalizers", keep, "resourceVersion", rv));
}

/* An owner being deleted; returns true when the key must be retried later. */
static bool process_owner(const resource *r, cobj *o) {
  const char *uid = json_string_value(json_object_get(json_object_get(o->obj, "metadata"), "uid"));
  if (!uid || !json_object_get(json_object_get(o->obj, "metadata"), "deletionTimestamp")) return false;
  const char *ns = r->ref.namespaced ? ns_of(o) : "";
  if (finalizers_has(o->obj, "orphan")) {
    for_dependents(ns, uid, drop_ref, (void *)uid);
    remove_finalizer(r, o, "orphan");
    return false;
  }
  if (finalizers_has(o->obj, "foregroundDeletion")) {
    blocking_ctx b = {uid, 0};
    for_dependents(ns, uid, handle_blocking, &b);
    if (b.n) return true;
    remove_finalizer(r, o, "foregroundDeletion");
  }
  return false;
}

/* The live object an ownerReference points to (NULL when gone or replaced by
 * one with another uid); *known false when its kind is not served. */
static cobj *owner_of(const json_t *ref, const char *ns, bool *known) {
  const char *uid = json_string_value(json_object_get(ref, "uid"));
  const char *kind = json_string_value(json_object_get(ref, "kind"));
  const char *av = json_string_value(json_object_get(ref, "apiVersion"));
  const char *oname = json_string_value(json_object_get(ref, "name"));
  *known = false;
  if (!uid || !kind || !av || !oname) return NULL;
  char group[128] = "", version[64];
  const char *slash = strchr(av, '/');
  if (slash) snprintf(group, sizeof group, "%.*s", (int)(slash - av), av), snprintf(version, sizeof version, "%s", slash + 1);
  else snprintf(version, sizeof version, "%s", av);
  const resource *orr = registry_find_kind(group, version, kind);
  if (!orr) return NULL;
  *known = true;
  cobj *owner = lister_get(cctx->informers, orr, ns, oname);
  const char *ouid = owner ? json_string_value(json_object_get(json_object_get(owner->obj, "metadata"), "uid")) : NULL;
  if (ouid && !strcmp(ouid, uid)) return owner;
  cobj_unref(owner);
  return NULL;
}

static void any_deleting_dependents(const resource *r, const cobj *dep, void *p) {
  if (deleting_dependents(dep->obj)) *(bool *)p = true;
}

/* A dependent, as the upstream collector's attemptToDeleteItem sees it:
 * owners are solid (alive), dangling (gone) or waiting for their dependents
 * (foreground deletion). With a solid owner only the references to the others
 * are dropped; with an owner waiting and dependents of its own it is deleted
 * in the foreground (its references unblocked first when one of its
 * dependents waits too: a cycle); with no solid owner it is deleted. */
static void process_dependent(const resource *r, const cobj *o) {
  const json_t *md = json_object_get(o->obj, "metadata");
  if (json_object_get(md, "deletionTimestamp") || !json_array_size(owner_refs(o->obj))) return;
  const char *ns = r->ref.namespaced ? ns_of(o) : "";
  size_t j, solid = 0, waiting = 0, other = 0;
  json_t *keep = json_array(), *ref;
  json_array_foreach(owner_refs(o->obj), j, ref) {
    bool known;
    cobj *owner = owner_of(ref, ns, &known);
    if (!known || (owner && !deleting_dependents(owner->obj))) {
      solid++; /* unknown kinds are never collected */
      json_array_append(keep, ref);
    } else if (owner) {
      waiting++;
    } else {
      other++;
    }
    cobj_unref(owner);
  }
  if (solid) {
    if (waiting + other) set_refs(r, o, keep);
    json_decref(keep);
    return;
  }
  json_decref(keep);
  const char *uid = json_string_value(json_object_get(md, "uid"));
  if (waiting && uid && for_dependents(ns, uid, NULL, NULL)) {
    bool cycle = false;
    for_dependents(ns, uid, any_deleting_dependents, &cycle);
    if (cycle) {
      json_t *refs = json_deep_copy(owner_refs(o->obj));
      json_array_foreach(refs, j, ref) {
        if (json_is_true(json_object_get(ref, "blockOwnerDeletion")))
          json_object_set_new(ref, "blockOwnerDeletion", json_false());
      }
      set_refs(r, o, refs);
      json_decref(refs);
    }
    delete_obj(r, o, "Foreground");
    return;
  }
  delete_obj(r, o,
             finalizers_has(o->obj, "orphan")                ? "Orphan"
             : finalizers_has(o->obj, "foregroundDeletion") ? "Foreground"
                                                           : "Background");
}

static void check_dep(const resource *r, const cobj *dep, void *ctx) { process_dependent(r, dep); }

/* Splits "a|b|c|d" in place into up to 4 fields (empty fields allowed). */
static int split(char *s, char **f, int max) {
  int n = 0;
  f[n++] = s;
  for (char *p = s; *p && n < max; p++)
    if (*p == '|') *p = 0, f[n++] = p + 1;
  return n;
}

static ctrl_result sync(void *ctx, const char *key) {
  char buf[700], *f[4];
  snprintf(buf, sizeof buf, "%s", key);
  int n = split(buf, f, 4);
  bool wait = false;
  if (n == 3 && !strcmp(f[0], "gone")) {
    for_dependents(f[1], f[2], check_dep, NULL);
  } else if (n == 4) {
    const resource *r = storage_resource(f[1]);
    cobj *o = r ? lister_get(cctx->informers, r, f[2], f[3]) : NULL;
    if (o && !strcmp(f[0], "owner")) wait = process_owner(r, o);
    else if (o && !strcmp(f[0], "dep")) process_dependent(r, o);
    cobj_unref(o);
  }
  return wait ? ctrl_requeue_after(OWNER_RECHECK_MS) : ctrl_done();
}

void garbage_collector_start(const ctrl_context *cc) {
  cctx = cc;
  ctl = ctrl_start(cctx, "garbage-collector", sync, NULL);
  ctrl_follow_resource(ctl, NULL, on_event, NULL);
}

void garbage_collector_stop(void) { ctrl_stop(ctl); }
