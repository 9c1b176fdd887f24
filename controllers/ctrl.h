/* ctrl.h - what every controller shares beyond the controller runtime
 * (controller_runtime/controller.h: informers, work queue, workers, results):
 * the small object accessors, reads through the listers by group/version/
 * plural, and the write helpers. */
#ifndef CKUBE_CTRL_H
#define CKUBE_CTRL_H
#include <stdbool.h>
#include <jansson.h>
#include "api.h"
#include "controller.h"

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
/* Objects of group/version/plural in ns ("" = all namespaces), from its lister. */
void ctrl_list(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
               cobj_vec *out);
/* A reference to the object (from its lister) or NULL. */
cobj *ctrl_get(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
               const char *name);

/* Writes through the API core and logs failures; all steal obj. Return the
 * HTTP code (0 when the resource is not served). */
int ctrl_create(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
                json_t *obj);
/* sub: NULL or "status". obj carries the resourceVersion it was read at. */
int ctrl_update(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
                const char *sub, json_t *obj);
/* propagation: "Background", "Foreground", "Orphan" or NULL (the default). */
int ctrl_delete(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
                const char *name, const char *propagation);

#endif
