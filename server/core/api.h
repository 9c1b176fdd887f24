/* api.h - the API core: get, list, create, update, patch and delete of any
 * registered resource, with Kubernetes' object semantics (uid,
 * creationTimestamp, resourceVersion, generation, generateName, optimistic
 * concurrency, finalizers and deletionTimestamp, status only through /status,
 * dry-run, field validation, defaulting, validation, version conversion).
 * The REST layer and the in-process controllers both call these functions;
 * neither touches the cache directly for writes. Thread-safe. */
#ifndef CKUBE_API_H
#define CKUBE_API_H
#include <stdbool.h>
#include <jansson.h>
#include "registry.h"
#include "watch_cache.h"
#include "object_meta.h"
#include "request_opts.h"
#include "api_server.h"

/* An outcome: HTTP code and either body (object in the requested version, or
 * a Status) or obj (a stored version whose bytes can be sent as they are). */
typedef struct {
  int code;
  json_t *body;
  cobj *obj;
} api_result;

void api_result_clear(api_result *res);
/* The result of a refused request: status (a metav1.Status, taken) and its code. */
api_result api_fail(json_t *status);
/* The result as JSON, whichever form it holds: a new reference the caller
 * may change (a copy when the result is a published version). */
json_t *api_result_json(const api_result *res);

/* Every verb below that reads or writes objects takes the server it serves
 * (srv: its store and cache, api_server.h) as its first argument: the front
 * passes the request's, in-process callers the one they were given. The
 * registry must be loaded and bound to srv->cache. */

/* The live usage in ns of the quota resources in hard over the objects in
 * spec's scopes, as admission counts it (quota_used_in, admission.h), in the
 * server's cache: for the resource quota controller. New reference. */
json_t *quota_used(api_server *srv, const char *ns, const json_t *spec, const json_t *hard, const resource *skip_r,
                   const char *skip_name);

api_result api_get(api_server *srv, const resource *r, const char *ns, const char *name);
api_result api_create(api_server *srv, const resource *r, const char *ns, json_t *obj, const api_opts *o);
api_result api_update(api_server *srv, const resource *r, const char *ns, const char *name, const char *subresource,
                      json_t *obj, const api_opts *o);
/* content_type: application/merge-patch+json, application/json-patch+json,
 * application/strategic-merge-patch+json, application/apply-patch+yaml. */
api_result api_patch(api_server *srv, const resource *r, const char *ns, const char *name, const char *subresource,
                     const char *content_type, const char *patch, size_t len, const api_opts *o);
/* options: a DeleteOptions object or NULL. */
api_result api_delete(api_server *srv, const resource *r, const char *ns, const char *name, const json_t *options,
                      const api_opts *o);

typedef struct {
  const char *label_selector;
  const char *field_selector;
  long limit;
  const char *continue_token;
  const char *resource_version;
  const char *resource_version_match; /* "", "Exact" or "NotOlderThan" */
} api_list_opts;

/* Collects matching objects (storage version, references) into out, sets
 * *rev to the list's resourceVersion, *cont to a continue token (malloc'd
 * or NULL) and *remaining to the remainingItemCount (-1 when Kubernetes
 * would not report one: last page, or a selector). Returns NULL, or a Status
 * (new reference) for bad options. */
json_t *api_list(api_server *srv, const resource *r, const char *ns, const api_list_opts *lo, cobj_vec *out,
                 int64_t *rev, char **cont, long long *remaining);

/* A published (stored) object in r's version, read-only: the object itself
 * (a shared reference) when no conversion is needed, else a converted copy.
 * Custom resources whose schema has defaults are defaulted on the way
 * (defaulting from storage). Release with json_decref_const. */
const json_t *api_to_version(api_server *srv, const resource *r, const json_t *stored);

/* The same as a new object the caller owns and may change (always a copy). */
json_t *api_version_copy(api_server *srv, const resource *r, const json_t *stored);
/* The same, or NULL with *status (new reference) when the CRD's conversion
 * webhook fails: for answers that must report it (a failed conversion is
 * only logged by the two above). */
json_t *api_version_checked(api_server *srv, const resource *r, const json_t *stored, json_t **status);

/* Converts obj (in from's version) in place to the version of to, another
 * version of the same stored resource, through the storage version.
 * 0, or -1 when there is no conversion. */
int api_convert(api_server *srv, const resource *from, const resource *to, json_t *obj);

/* apiVersion and kind of a request body for r: filled in when absent, else
 * checked; NULL, or the 400 Status (new reference) for a mismatch. */
json_t *api_check_type(const resource *r, json_t *obj);

/* True when stored objects of r can be sent as their stored bytes: same
 * version and nothing to apply on read. */
bool api_stored_as_served(const resource *r);

/* Selectors compiled once for list and watch filtering. */
typedef struct api_filter api_filter;
/* NULL + *status (new reference) on a bad selector. */
api_filter *api_filter_new(const resource *r, const char *label_selector, const char *field_selector,
                           json_t **status);
bool api_filter_match(const api_filter *f, const json_t *obj);
/* Whether f has a label or field selector (without one, every object matches). */
bool api_filter_selects(const api_filter *f);
/* Namespace narrowing a field selector implies (metadata.namespace=x), or NULL. */
const char *api_filter_namespace(const api_filter *f);
void api_filter_free(api_filter *f);

/* pods/binding: assigns the unbound pod ns/pod to node (PodScheduled
 * True). 201 (obj = the bound pod unless dry_run) or an error Status: 404,
 * 409 when already bound or being deleted, 422 without a node. */
api_result api_bind(api_server *srv, const char *ns, const char *pod, const char *node, bool dry_run);

#endif
