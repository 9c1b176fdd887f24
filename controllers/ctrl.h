/* ctrl.h - the scaffold most controllers share: a work queue of object keys,
 * one worker thread calling the controller's sync function per key, and
 * informers whose handlers enqueue keys (see informer.h, workqueue.h). Also
 * the small object accessors and write helpers every controller needs. */
#ifndef CKUBE_CTRL_H
#define CKUBE_CTRL_H
#include <stdbool.h>
#include <jansson.h>
#include "api.h"
#include "informer.h"

/* Returns 0 when the key is done, >0 to look at it again after that many
 * milliseconds (a timer: deadlines, back-off, schedules), <0 when it failed
 * and must be retried (after a second). */
typedef long (*ctrl_sync_fn)(const char *key);

typedef struct ctrl ctrl;

/* Starts the worker; name is used in logs. */
ctrl *ctrl_start(const char *name, ctrl_sync_fn sync);
/* Follows group/version/plural with fn (called on the informer thread with
 * ctx = the ctrl). Returns false when the resource is not served. */
bool ctrl_follow(ctrl *c, const char *group, const char *version, const char *plural, informer_fn fn);
/* Hands an informer started elsewhere (e.g. over every resource) to c,
 * which stops it in ctrl_stop. */
void ctrl_own_informer(ctrl *c, informer *inf);
void ctrl_add(ctrl *c, const char *key);
/* An informer_fn (ctx = the ctrl) that enqueues the changed object's key. */
void ctrl_enqueue_self(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev);
void ctrl_add_after(ctrl *c, const char *key, long ms);
/* Stops informers and worker, frees c. */
void ctrl_stop(ctrl *c);

/* Object accessors: borrowed strings, NULL when absent ("" for ns of a
 * cluster-scoped object). */
const char *obj_name(const json_t *o);
const char *obj_ns(const json_t *o);
const char *obj_uid(const json_t *o);
const char *obj_label(const json_t *o, const char *key);
const char *obj_annotation(const json_t *o, const char *key);
bool obj_deleting(const json_t *o);

/* The controller ownerReference to owner: {apiVersion, kind, name, uid,
 * controller: true, blockOwnerDeletion: true}. New reference. */
json_t *controller_ref(const json_t *owner);
/* The uid of o's controller ownerReference, or NULL. */
const char *controller_uid(const json_t *o);

/* Splits a work-queue key "<ns>/<name>" into ns and name (truncated to 255
 * bytes, more than Kubernetes names take); false when key has no '/'. */
bool ctrl_split_key(const char *key, char ns[256], char name[256]);
/* Stored objects of group/version/plural in ns ("" = all namespaces). */
void ctrl_list(const char *group, const char *version, const char *plural, const char *ns, cobj_vec *out);
/* A reference to the stored object or NULL. */
cobj *ctrl_get(const char *group, const char *version, const char *plural, const char *ns, const char *name);

/* Writes through the API core and logs failures; all steal obj. Return the
 * HTTP code (0 when the resource is not served). */
int ctrl_create(const char *group, const char *version, const char *plural, const char *ns, json_t *obj);
/* sub: NULL or "status". obj carries the resourceVersion it was read at. */
int ctrl_update(const char *group, const char *version, const char *plural, const char *ns, const char *sub,
                json_t *obj);
/* propagation: "Background", "Foreground", "Orphan" or NULL (the default). */
int ctrl_delete(const char *group, const char *version, const char *plural, const char *ns, const char *name,
                const char *propagation);

#endif
