/* quota_pending.h - ResourceQuota admission's per-namespace ledger of
 * admitted writes not yet visible in the watch cache.
 *
 * The quota plugin counts usage live from the cache, which shows a write only
 * once it is durable. To admit without holding a lock across the store's
 * fsync, each namespace has its own lock, held only while a write is checked,
 * and a list of charges: for each admitted write still in flight, its object
 * and the usage of the version being written, per quota (by quota uid). A
 * check counts a charged object by its charge and never by what the cache
 * shows of it (the write may publish at any moment of the count), and every
 * other object as the cache shows it; charges come and go only under the
 * lock, so two writers can never both take the last unit. A charge is dropped
 * when the writer releases admission, after its write is stored (or failed).
 * Namespaces never share a lock, and writes into a namespace without a quota
 * never take one. */
#ifndef CKUBE_QUOTA_PENDING_H
#define CKUBE_QUOTA_PENDING_H
#include <stdbool.h>
#include <jansson.h>
#include "watch_cache.h"

typedef struct quota_ns quota_ns;
typedef struct quota_charge quota_charge;

/* The namespace's ledger, locked (created on first use). Every call must be
 * paired with quota_ns_unlock. */
quota_ns *quota_ns_lock(const char *ns);
void quota_ns_unlock(quota_ns *q);

/* With q locked: the sum, per resource name of hard, of the charges to the
 * quota quota_uid ({name: qty}, new reference; names absent when none). */
json_t *quota_pending_sum(quota_ns *q, const char *quota_uid, const json_t *hard);

/* With q locked (NULL: false): whether object name of bucket b has a charge
 * (then the live count must skip it: its charge counts it). */
bool quota_pending_has(quota_ns *q, const cache_bucket *b, const char *name);

/* With q locked: records an admitted write of object name in bucket b and the
 * usage of the version it writes per quota uid whose scopes it is in
 * (by_quota: {uid: {name: qty}}, stolen). The charge holds the ledger until
 * quota_charge_drop. */
quota_charge *quota_charge_add(quota_ns *q, cache_bucket *b, const char *name, json_t *by_quota);

/* Removes the charge once its write is stored or abandoned (takes the
 * namespace's lock itself; q must not be held by the caller). NULL: no-op. */
void quota_charge_drop(quota_charge *ch);

#endif
