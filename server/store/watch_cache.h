/* watch_cache.h - every object in memory, the write path and the event window.
 *
 * Objects are grouped in buckets, one per storage resource ("apps/deployments"),
 * each a sorted array keyed "<namespace>/<name>", so GET, LIST (with
 * continue) and WATCH never touch the disk. One global revision orders all
 * writes; it becomes metadata.resourceVersion.
 *
 * Writes: cache_write() checks its precondition against the latest state
 * (including writes not yet durable), assigns the next revision and queues the
 * write; a committer thread makes queued writes durable in one store
 * transaction (group commit), then publishes them to readers and to the event
 * ring, and only then does cache_write() return. Readers never see a write
 * that is not durable. */
#ifndef CKUBE_WATCH_CACHE_H
#define CKUBE_WATCH_CACHE_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "json_const.h"
#include "store.h"

/* One immutable version of one object. Shared by reference between the
 * cache, the event ring and readers; never modified once published. */
typedef struct cobj {
  atomic_int refs;
  int64_t rev;        /* revision of the write that produced this version */
  char *key;          /* "<bucket>/<ns>/<name>" */
  const char *subkey; /* "<ns>/<name>", points into key */
  const json_t *obj;  /* parsed, read-only by type: json_deep_copy to edit */
  char *data;         /* compact JSON serialization */
  size_t len;
  /* FNV-1a of json_dumps(obj, JSON_COMPACT) when published (0: not yet
   * known, for versions loaded from the store): cache_check_published's
   * proof that nobody changed obj afterwards */
  _Atomic uint64_t print;
} cobj;

cobj *cobj_ref(cobj *o);
void cobj_unref(cobj *o);

typedef struct cache cache;
typedef struct cache_bucket cache_bucket;

typedef enum { EV_ADDED, EV_MODIFIED, EV_DELETED } cache_event_type;

typedef struct {
  int64_t rev;
  cache_event_type type;
  cache_bucket *bucket;
  cobj *obj;  /* new version; for DELETED the last version stamped with the delete revision */
  cobj *prev; /* previous version (NULL for ADDED) */
} cache_event;

/* Loads the store into memory and starts the committer; the cache owns st
 * from then on (also on failure) and closes it in cache_close. window = how many
 * events are kept for watch resumption. NULL + err on failure. */
cache *cache_open(store *st, size_t window, char *err, size_t errlen);
void cache_close(cache *c);

/* The bucket for a storage key ("apps/deployments"), created on first use;
 * valid for the cache's lifetime. */
cache_bucket *cache_bucket_get(cache *c, const char *storage);
const char *cache_bucket_name(const cache_bucket *b);

/* Latest published revision. */
int64_t cache_rev(cache *c);

/* The published object, or NULL. Returns a reference. */
cobj *cache_get(cache *c, cache_bucket *b, const char *ns, const char *name);

/* The newest version including writes still being committed: the base for a
 * read-modify-write whose cache_write() passes its rev as expect_rev. */
cobj *cache_get_latest(cache *c, cache_bucket *b, const char *ns, const char *name);

typedef struct {
  cobj **items;
  size_t n, cap;
} cobj_vec;
void cobj_vec_push(cobj_vec *v, cobj *o); /* takes the reference */
void cobj_vec_clear(cobj_vec *v);         /* unrefs all, frees storage */

/* Appends references to the published objects of bucket b in key order:
 * namespace ns only when ns is non-empty, keys strictly after after_subkey when
 * non-NULL, at most limit (0 = all). Returns the revision of the snapshot. */
int64_t cache_list(cache *c, cache_bucket *b, const char *ns, const char *after_subkey,
                   size_t limit, cobj_vec *out);

/* As cache_list, but the state at revision rev (<= the current one), rebuilt
 * from the event window: returns rev, or -1 when rev is older than the
 * window (the caller answers 410 Expired). */
int64_t cache_list_at(cache *c, cache_bucket *b, const char *ns, const char *after_subkey, size_t limit,
                      int64_t rev, cobj_vec *out);

/* Number of published objects of bucket b in namespace ns (all when empty)
 * whose key sorts after after_subkey. */
size_t cache_count_after(cache *c, cache_bucket *b, const char *ns, const char *after_subkey);

/* Number of published objects in bucket b. */
size_t cache_count(cache *c, cache_bucket *b);

enum { CW_OK = 0, CW_CONFLICT = 1, CW_ERROR = -1 };

/* Writes obj (stealing the caller's reference) as the new version of
 * b/ns/name, or deletes it when del (obj is then the final state, stamped with
 * the delete revision for the DELETED event). expect_rev: -1 unconditional,
 * 0 the key must not exist, >0 the latest version must have that revision.
 * Sets metadata.resourceVersion. Blocks until durable and published.
 * Returns CW_OK with *out = new version (a reference; may be NULL when out is
 * NULL), CW_CONFLICT with *current = latest revision (0 = absent), or CW_ERROR
 * when the store failed (message in err). */
int cache_write(cache *c, cache_bucket *b, const char *ns, const char *name, int64_t expect_rev,
                json_t *obj, bool del, cobj **out, int64_t *current, char *err, size_t errlen);

/* Oldest revision a watch can resume from: a watch from rv needs rv >= this. */
int64_t cache_window_start(cache *c);

/* At most this many writes share one revision (a remote store's group
 * commit writes up to this many keys in one transaction); every cache_wait
 * caller's max is at least this. */
enum { CACHE_REVISION_WRITES_MAX = 64 };

/* Waits up to timeout_ms for events with rev > *cursor on bucket b (NULL =
 * all buckets), fills up to max events (references: release with
 * cache_event_release) and advances *cursor. The events of one revision
 * (several with a remote store: the writes of one transaction) come in the
 * same call, never split across two: a call that cannot take all of them
 * stops before that revision. Returns the number of events, 0 on timeout or
 * when *stop became true, -1 when *cursor fell out of the window (or one
 * revision has more than max events of b: the caller lists again). */
int cache_wait(cache *c, cache_bucket *b, int64_t *cursor, cache_event *evs, int max,
               int timeout_ms, const atomic_bool *stop);
/* Waits up to timeout_ms until revision rev is published; returns the
 * latest published revision (< rev after a timeout). Copies no events. */
int64_t cache_wait_rev(cache *c, int64_t rev, int timeout_ms);
void cache_event_release(cache_event *e);

/* Drops the events so far: watches can only resume from the current
 * revision on (kube-apiserver's watch cache starts at its initial list). */
void cache_reset_window(cache *c);

/* Called by the committer after each durable commit (for metrics; with a
 * remote store after each store transaction, ops = its writes). */
void cache_set_commit_observer(cache *c, void (*fn)(double seconds, int ops));

/* Calls fn in the writer's thread after every successful write to b, once
 * the write is published and before cache_write returns (derived indexes,
 * such as the RBAC authorizer's, mark themselves stale). */
void cache_bucket_on_write(cache_bucket *b, void (*fn)(void));

/* Calls fn(arg) in the committer's thread after each batch is published
 * and its writers and watchers woken (the watch event loop's wake-up; fn
 * must not block). One observer; set before writes start. */
void cache_on_publish(cache *c, void (*fn)(void *arg), void *arg);

/* Whether the last commit to the store succeeded; if not, why into why. */
bool cache_store_healthy(cache *c, char *why, size_t len);
/* The store under the cache (owned by the cache): for a remote store's
 * bookkeeping keys (store.h get_raw/put_raw_if), which bypass the cache. */
store *cache_store(cache *c);

/* Wakes every cache_wait (used at shutdown and when a watcher is cancelled). */
void cache_wake_all(cache *c);

/* Debug check that published objects stay immutable: re-serializes every
 * current version and compares it with its fingerprint from publication
 * (a version loaded from the store gets its fingerprint at its first check).
 * Logs each changed object; returns how many changed. Holds the read lock
 * only to take references; costs a json_dumps per object (test mode only). */
size_t cache_check_published(cache *c);

#endif
