/* history.h - ControllerRevisions for StatefulSets and DaemonSets
 * (pkg/controller/history and the controllers' revision code): a revision
 * holds the owner's pod template as a strategic patch
 * {"spec":{"template":{...,"$patch":"replace"}}}, is owned (controller
 * ownerReference) by it, carries the template labels plus a hash label, and
 * is numbered; old ones beyond revisionHistoryLimit that no pod uses are
 * deleted. */
#ifndef CKUBE_HISTORY_H
#define CKUBE_HISTORY_H
#include "workload.h"

typedef struct {
  const json_t *owner;
  const resource *owner_resource;
} history_owner;

/* The revisions the owner controls (adopting/releasing by selector),
 * sorted by revision number then name. References go to out. */
void history_list(const ctrl_context *cctx, const history_owner *h, cobj_vec *out);

/* The revision data for the owner's current template (new reference). */
json_t *history_data(const json_t *owner);
/* Whether a revision's data equals data. */
bool history_matches(const json_t *rev, const json_t *data);
/* The pod template a revision records (borrowed from rev), or NULL. */
const json_t *history_template(const json_t *rev);
long long history_number(const json_t *rev);
long long history_max_number(const cobj_vec *revs);

/* HashControllerRevision: fnv-32a of the data plus the collision count,
 * SafeEncodeString'd (out: 16 bytes). */
void history_hash(const json_t *data, const json_t *collision_count, char *out, size_t outlen);

/* Creates a revision named <owner>-<hash> with the template labels plus
 * label_key=hash_value, data and number. Returns the stored object (new
 * reference); NULL with *collision=true when a different revision holds
 * the name (the caller bumps status.collisionCount), else NULL on error. */
json_t *history_create(const ctrl_context *cctx, const history_owner *h, const char *hash, const char *label_key,
                       const char *label_value, const json_t *data, long long number, bool copy_annotations,
                       bool *collision);

/* Gives a revision a new number; returns the stored object or NULL. */
json_t *history_renumber(const ctrl_context *cctx, const json_t *rev, long long number);

/* Deletes the oldest revisions not in keep (names) while more than limit
 * non-kept ones remain. */
void history_truncate(const ctrl_context *cctx, const cobj_vec *revs, const char *const *keep, size_t nkeep,
                      long long limit);

#endif
