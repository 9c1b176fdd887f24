/* api_internal.h - helpers shared by the API core's files (api*.c); not for
 * the REST layer or controllers. */
#ifndef CKUBE_API_INTERNAL_H
#define CKUBE_API_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "api.h"
#include "status.h"

void api_time_rfc3339(time_t t, char *buf, size_t len);
json_t *meta_of(json_t *obj);                 /* borrowed; created when missing */
const char *meta_str(const json_t *obj, const char *field);
int64_t meta_rv(const json_t *obj);           /* 0 unset, -1 malformed */
bool spec_changed(const json_t *a, const json_t *b);
bool same_but_rv(const json_t *a, const json_t *b);
bool tracks_generation(const resource *r);
bool has_finalizers(const json_t *obj);
void add_finalizer(json_t *obj, const char *f);
/* Puts kind, apiVersion, metadata first and metadata's fields in
 * ObjectMeta's order, so stored JSON reads like kube-apiserver's; custom
 * resources get every key sorted, as unstructured JSON is. */
void api_canonical_order(const resource *r, json_t *obj);

/* The shared tail of update and patch: strategy, validation, no-op check and
 * the compare-and-swap against cur. Steals obj. *retry is set when cur was
 * superseded meanwhile (the caller decides whether to try again). */
api_result api_write_update(const resource *r, const char *ns, const char *name, const char *sub, json_t *obj,
                            cobj *cur, const json_t *old, const api_opts *o, bool *retry);

/* Writes obj (stolen, request version) over cur without strategy or
 * validation: for subresources the core itself implements (pods/binding).
 * code 0 when cur was superseded. */
api_result api_store_unchecked(const resource *r, const char *ns, const char *name, json_t *obj, cobj *cur);

/* Admission steps with state (service_alloc.c): assigns ClusterIP/NodePorts on
 * create and update; returns NULL or a Status. */
json_t *service_allocate(const resource *r, json_t *svc, const json_t *old);

/* Dynamic admission (api_webhook.c): the mutating webhooks of a create
 * (old NULL) or update, run after the built-in mutating plugins; the
 * validating ones after the kind's validation and the built-in validating
 * plugins; and both on delete (cur: the object as it is, options: the
 * DeleteOptions or NULL). sub: subresource or NULL. Each returns NULL or
 * the Status to answer (new reference); free when no webhook is configured. */
json_t *api_webhook_mutate(const resource *r, const char *sub, const char *ns, const char *name, json_t *obj,
                           const json_t *old, const api_opts *o);
json_t *api_webhook_validate(const resource *r, const char *sub, const char *ns, const char *name, json_t *obj,
                             const json_t *old, const api_opts *o);
json_t *api_webhook_delete(const resource *r, const char *ns, const char *name, const json_t *cur,
                           const json_t *options, bool dry_run, const api_opts *o);

#endif
