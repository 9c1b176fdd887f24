/* api_internal.h - helpers shared by the API core's files (api*.c); not for
 * the REST layer or controllers. */
#ifndef CKUBE_API_INTERNAL_H
#define CKUBE_API_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "api.h"
#include "status.h"

bool spec_changed(const json_t *a, const json_t *b);
/* Waits (at most timeout_ms) until srv's cache has published revision rev,
 * so that a client told of a conflict with rev, or asking for it, then
 * reads at least that version (a committed write is published a moment
 * after it is durable). The revision published when it returns. */
int64_t api_await_published(api_server *srv, int64_t rev, int timeout_ms);
bool same_but_rv(const json_t *a, const json_t *b);
bool tracks_generation(const resource *r);
/* Puts kind, apiVersion, metadata first and metadata's fields in
 * ObjectMeta's order, so stored JSON reads like kube-apiserver's; custom
 * resources get every key sorted, as unstructured JSON is. */
void api_canonical_order(const resource *r, json_t *obj);

/* The shared tail of update and patch: strategy, validation, no-op check and
 * the compare-and-swap against cur. Steals obj. *retry is set when cur was
 * superseded meanwhile (the caller decides whether to try again). */
api_result api_write_update(api_server *srv, const resource *r, const char *ns, const char *name, const char *sub,
                            json_t *obj, cobj *cur, const json_t *old, const api_opts *o, bool *retry);

/* Writes obj (stolen, request version) over cur without strategy or
 * validation: for subresources the core itself implements (pods/binding).
 * code 0 when cur was superseded. */
api_result api_store_unchecked(api_server *srv, const resource *r, const char *ns, const char *name, json_t *obj,
                               cobj *cur);

/* Admission steps with state (service_alloc.c): assigns ClusterIP/NodePorts on
 * create and update; returns NULL or a Status. */
json_t *service_allocate(api_server *srv, const resource *r, json_t *svc, const json_t *old);

#endif
