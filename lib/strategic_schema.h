/* strategic_schema.h - internals shared by the strategic merge patch applier
 * (strategic_merge.c) and its diff engine (strategic_diff.c): patch metadata
 * lookup in the swagger definitions, scalar comparison with Go's
 * interface{} equality (every JSON number is a float64), Go "%v" rendering
 * used both for Kubernetes-worded errors and for the string order Kubernetes
 * sorts list items by, and directive-key helpers. Not a public API. */
#ifndef CKUBE_STRATEGIC_SCHEMA_H
#define CKUBE_STRATEGIC_SCHEMA_H
#include <stddef.h>
#include <jansson.h>

#define SM_DIRECTIVE "$patch"
#define SM_RETAIN_KEYS "$retainKeys"
#define SM_DELETE_PRIMITIVE "$deleteFromPrimitiveList"
#define SM_SET_ORDER "$setElementOrder"

/* Patch metadata of one field. sub is the resolved schema of the field's
 * value (for lists: of the list items), NULL when unknown. */
struct sm_meta {
    const json_t *sub;
    int retain_keys;        /* strategy includes "retainKeys" */
    const char *strategy;   /* "merge", "replace" or "" */
    const char *merge_key;  /* "" when none */
};

/* Follows "$ref" chains to a definition; NULL in, NULL out. */
const json_t *sm_resolve(const json_t *defs, const json_t *schema);

/* Looks up field key of the (resolved) schema. is_list selects the item
 * schema as m->sub. Returns 0, or -1 with an error in err for malformed
 * strategy extensions. Unknown fields give empty metadata. */
int sm_lookup(const json_t *defs, const json_t *schema, const char *key, int is_list,
              struct sm_meta *m, char *err, size_t errlen);

/* Go == on decoded JSON values: numbers compare as doubles; containers
 * compare structurally (Go would panic, we choose to be lenient). */
int sm_value_eq(const json_t *a, const json_t *b);

/* Go's reflect type kind of a decoded JSON value: 'm' map, 's' slice,
 * 'S' string, 'f' float64, 'b' bool, 'n' nil. */
char sm_kind(const json_t *v);

/* Renders v like Go's fmt "%v" of the decoded value into buf (truncated to
 * len); returns buf. */
char *sm_gofmt(const json_t *v, char *buf, size_t len);

/* Go's reflect.TypeOf(v).String() for a decoded JSON value. */
const char *sm_gotype(const json_t *v);

/* Writes a printf-style message into err (NULL/0 tolerated). Returns -1. */
int sm_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when key is (or starts like) a patch directive key. */
int sm_is_directive_key(const char *key);

/* Deep copy of v with all directive keys removed from every object. */
json_t *sm_strip_copy(const json_t *v);

/* reflect.DeepEqual on decoded JSON (numbers compare as float64). */
int sm_deep_eq(const json_t *a, const json_t *b);

/* "map: %v does not contain declared merge key: %s"; returns -1. */
int sm_err_no_merge_key(const json_t *m, const char *mk, char *err, size_t errlen);

/* ---- list ordering (strategic_order.c) ---- */

/* sliceElementType: the common kind of the elements of a and b (either may
 * be NULL). Returns 0, or -1 with Kubernetes' message. */
int sm_elem_kind(const json_t *a, const json_t *b, char *kind, char *err, size_t errlen);

/* Position of val in list, matching maps on merge key mk (kind 'm') and
 * other values by Go ==; -1 when absent. */
int sm_index(const json_t *list, const json_t *val, const char *mk, char kind);

/* Splits merged into the items present in by and the rest (new arrays in
 * *in and *out). Returns 0 or -1 with err set. */
int sm_partition(const json_t *merged, const json_t *by, const char *mk, char kind,
                 json_t **in, json_t **out, char *err, size_t errlen);

/* Kubernetes' normalizeElementOrder: patch items in patch_order, server-only
 * items in server_order, then interleaved by server_order. New array or
 * NULL with err set. */
json_t *sm_normalize_element_order(const json_t *patch_items, const json_t *server_only,
                                   const json_t *patch_order, const json_t *server_order,
                                   const char *mk, char kind, char *err, size_t errlen);

/* Kubernetes' normalizeSliceOrder: to_sort stably ordered by order, with
 * "$patch: delete" maps moved to the end. New array or NULL with err set. */
json_t *sm_normalize_slice_order(const json_t *to_sort, const json_t *order, const char *mk,
                                 char kind, char *err, size_t errlen);

/* Go's deduplicateScalars, in place (keeps the first of equal values but,
 * like Kubernetes, may move later items). */
void sm_dedup_scalars(json_t *arr);

/* ---- the merge engine (strategic_merge.c), for the diff code ---- */

/* Merges patch into orig (both private and mutated); parallel: apply
 * $deleteFromPrimitiveList/$setElementOrder/$retainKeys (server side) rather
 * than carrying them (merging two patches); ignore_nulls: drop nulls that
 * match nothing. Returns a new reference or NULL with err set. */
json_t *sm_merge_map(const json_t *defs, json_t *orig, json_t *patch, const json_t *schema,
                     int parallel, int ignore_nulls, char *err, size_t errlen);

#endif
