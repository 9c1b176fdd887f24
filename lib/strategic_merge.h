/* strategic_merge.h - Kubernetes strategic merge patch
 * (application/strategic-merge-patch+json), driven by the OpenAPI v2
 * definitions of Kubernetes' swagger.json: a list field whose schema has
 * x-kubernetes-patch-strategy "merge" is merged element by element on
 * x-kubernetes-patch-merge-key (containers by name, ports by containerPort,
 * env by name, ...), "retainKeys" honoured; other lists are replaced.
 * Directives: $patch (replace, delete, merge), $deleteFromPrimitiveList/<f>,
 * $setElementOrder/<f>, $retainKeys. Also computes the three-way patch
 * kubectl apply needs on the server side for server-side apply merges. */
#ifndef CKUBE_STRATEGIC_MERGE_H
#define CKUBE_STRATEGIC_MERGE_H
#include <stddef.h>
#include <jansson.h>

/* definitions: the swagger "definitions" object (name -> schema), borrowed.
 * type_name: the definition of the document root, e.g.
 * "io.k8s.api.apps.v1.Deployment"; NULL (unknown schema, e.g. custom
 * resources) makes every list atomic, as Kubernetes does for CRDs.
 * Returns a new reference, or NULL with a message in err for malformed patches
 * (bad directive values, merge-key missing from a list element, ...). */
json_t *strategic_merge_patch(const json_t *original, const json_t *patch,
                              const json_t *definitions, const char *type_name,
                              char *err, size_t errlen);

/* Two-way strategic merge patch turning original into modified (like
 * Kubernetes' CreateTwoWayMergePatch: null for removed keys, $patch: delete
 * elements and $deleteFromPrimitiveList/<f> for merging lists,
 * $setElementOrder/<f> when order or content of a merging list changed,
 * $retainKeys where the schema asks for it). New reference; NULL on error
 * (malformed documents, e.g. a merging list item without its merge key). */
json_t *strategic_merge_diff(const json_t *original, const json_t *modified,
                             const json_t *definitions, const char *type_name);

/* Three-way patch like CreateThreeWayMergePatch with overwrite: changes and
 * additions from live to modified plus deletions from last_applied to
 * modified (last_applied may be NULL: nothing is deleted). Applying it to
 * live with strategic_merge_patch gives what kubectl apply would. New
 * reference, or NULL with a message in err. */
json_t *three_way_merge_patch(const json_t *last_applied, const json_t *modified,
                              const json_t *live, const json_t *definitions,
                              const char *type_name, char *err, size_t errlen);

#endif
