/* json_patch.h - the two schema-free patch formats: JSON merge patch
 * (RFC 7386, application/merge-patch+json) and JSON patch (RFC 6902,
 * application/json-patch+json) with RFC 6901 pointers. Inputs are never
 * modified; results are new references owned by the caller. */
#ifndef CKUBE_JSON_PATCH_H
#define CKUBE_JSON_PATCH_H
#include <stddef.h>
#include <jansson.h>

/* RFC 7386: objects merge recursively, null deletes, everything else replaces. */
json_t *json_merge_patch(const json_t *target, const json_t *patch);

/* Computes a merge patch that turns a into b (used by client-side apply
 * bookkeeping and tests). */
json_t *json_merge_diff(const json_t *a, const json_t *b);

/* RFC 6902: ops add/remove/replace/move/copy/test. Returns NULL and a message
 * in err (as Kubernetes words it where it can, e.g. "the server rejected our
 * request due to an error in our request" cases are left to the caller) when
 * the patch is not an array of valid operations or an operation fails. */
json_t *json_patch_apply(const json_t *doc, const json_t *ops, char *err, size_t errlen);

#endif
