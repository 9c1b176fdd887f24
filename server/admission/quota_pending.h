/* quota_pending.h - ResourceQuota admission's per-namespace ledger of
 * admitted writes not yet visible in the watch cache.
 *
 * The quota plugin counts usage live from the cache, which shows a write only
 * once it is durable. To admit without holding a lock across the store's
 * fsync, each namespace has its own lock, held only while a write is checked,
 * and a list of charges: what each admitted, still in-flight write adds to
 * each quota (by quota uid). A check adds the charges of the other in-flight
 * writes to the live count, so two writers can never both take the last unit;
 * a charge stops counting as soon as its write is visible (the object's
 * published resourceVersion moved away from the one it was admitted against)
 * and is dropped when the writer releases admission. Namespaces never share
 * a lock, and writes into a namespace without a quota never take one. */
#ifndef CKUBE_QUOTA_PENDING_H
#define CKUBE_QUOTA_PENDING_H
#include <jansson.h>
#include "watch_cache.h"

typedef struct quota_ns quota_ns;
typedef struct quota_charge quota_charge;

/* The namespace's ledger, locked (created on first use). Every call must be
 * paired with quota_ns_unlock. */
quota_ns *quota_ns_lock(const char *ns);
void quota_ns_unlock(quota_ns *q);

/* With q locked: the sum, per resource name of hard, of the charges to the
 * quota quota_uid by in-flight writes whose result is not yet visible in c
 * ({name: qty}, new reference; names absent when nothing is pending). */
json_t *quota_pending_sum(quota_ns *q, cache *c, const char *quota_uid, const json_t *hard);

/* With q locked: records a write of object name in bucket b, admitted against
 * the version base_rv ("" for a create), charging per quota uid what it adds
 * (by_quota: {uid: {name: qty}}, stolen). The charge holds the ledger until
 * quota_charge_drop. */
quota_charge *quota_charge_add(quota_ns *q, cache_bucket *b, const char *name, const char *base_rv,
                               json_t *by_quota);

/* Removes the charge once its write is stored or abandoned (takes the
 * namespace's lock itself; q must not be held by the caller). NULL: no-op. */
void quota_charge_drop(quota_charge *ch);

#endif
