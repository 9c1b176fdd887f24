/* strategic_order.c - element ordering of merged strategic-merge lists.
 * Kubernetes keeps the items named by the patch (or its $setElementOrder
 * list) in the patch's order, keeps server-only items in their live order,
 * and interleaves the two by live position; these helpers reproduce that
 * (normalizeElementOrder, normalizeSliceOrder, mergeSortedSlice) on jansson
 * arrays. All returned arrays are new references. */
#include "strategic_schema.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int sm_elem_kind(const json_t *a, const json_t *b, char *kind, char *err, size_t errlen)
{
    const json_t *lists[2] = { a, b };
    char prev = 0;
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        if (!json_is_array(lists[l]))
            continue;
        json_array_foreach(lists[l], i, v) {
            char k = sm_kind(v);
            if (!prev) {
                prev = k;
                if (k == 's')
                    return sm_err(err, errlen, "lists of lists are not supported");
            } else if (prev != k) {
                char b1[256], b2[256];
                return sm_err(err, errlen, "list element types are not identical: [%s %s]",
                              sm_gofmt(a, b1, sizeof b1), sm_gofmt(b, b2, sizeof b2));
            }
        }
    }
    if (!prev)
        return sm_err(err, errlen, "no elements in any of the given slices");
    *kind = prev;
    return 0;
}

/* The value an item is identified by: its merge key for maps, itself else. */
static const json_t *ident(const json_t *item, const char *mk, char kind)
{
    if (kind == 'm')
        return json_is_object(item) ? json_object_get(item, mk) : NULL;
    return item;
}

int sm_index(const json_t *list, const json_t *val, const char *mk, char kind)
{
    const json_t *want = ident(val, mk, kind);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (i > INT_MAX)
            break;
        if (sm_value_eq(want, ident(v, mk, kind)))
            return (int)i;
    }
    return -1;
}

int sm_partition(const json_t *merged, const json_t *by, const char *mk, char kind,
                 json_t **in, json_t **out, char *err, size_t errlen)
{
    *in = json_array();
    *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(merged, i, v) {
        if (kind == 'm' && *mk) {
            if (!json_is_object(v)) {
                sm_err(err, errlen, "expected a map[string]interface {}, but received a %s", sm_gotype(v));
                goto fail;
            }
            if (!json_object_get(v, mk)) {
                sm_err_no_merge_key(v, mk, err, errlen);
                goto fail;
            }
        }
        json_array_append(sm_index(by, v, mk, kind) >= 0 ? *in : *out, v);
    }
    return 0;
fail:
    json_decref(*in);
    json_decref(*out);
    *in = *out = NULL;
    return -1;
}

struct keyed { json_t *v; long key; size_t pos; };

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int check_merge_keys(const json_t *list, const char *mk, char *err, size_t errlen)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_object(v))
            return sm_err(err, errlen, "expected a map[string]interface {}, but received a %s", sm_gotype(v));
        if (!json_object_get(v, mk))
            return sm_err_no_merge_key(v, mk, err, errlen);
    }
    return 0;
}

static int is_delete_item(const json_t *v)
{
    const char *d = json_string_value(json_object_get(v, SM_DIRECTIVE));
    return d && strcmp(d, "delete") == 0;
}

json_t *sm_normalize_slice_order(const json_t *to_sort, const json_t *order, const char *mk,
                                 char kind, char *err, size_t errlen)
{
    if (kind == 'm' && (check_merge_keys(to_sort, mk, err, errlen) != 0 ||
                        check_merge_keys(order, mk, err, errlen) != 0))
        return NULL;
    size_t n = json_array_size(to_sort), m = 0;
    struct keyed *items = n ? calloc(n, sizeof *items) : NULL;
    json_t *out = json_array();
    if ((n && !items) || !out) {
        free(items);
        json_decref(out);
        sm_err(err, errlen, "out of memory");
        return NULL;
    }
    size_t i;
    json_t *v;
    /* Items the order does not know keep their relative order after the
     * known ones; Kubernetes' comparator is inconsistent there, and any
     * deterministic choice is as good. */
    json_array_foreach(to_sort, i, v) {
        if (kind == 'm' && is_delete_item(v))
            continue;
        int idx = sm_index(order, v, mk, kind);
        items[m].v = v;
        items[m].key = idx >= 0 ? idx : LONG_MAX;
        items[m].pos = i;
        m++;
    }
    if (m)
        qsort(items, m, sizeof *items, cmp_keyed);
    for (i = 0; i < m; i++)
        json_array_append(out, items[i].v);
    if (kind == 'm') {
        json_array_foreach(to_sort, i, v) {
            if (is_delete_item(v))
                json_array_append(out, v);
        }
    }
    free(items);
    return out;
}

/* Kubernetes' mergeSortedSlice: inserts each server-only item (left) into
 * the patch items (right) before the first right item that comes after it
 * in the live order; relative orders of both inputs are kept. */
static json_t *merge_sorted(const json_t *left, const json_t *right, const json_t *server_order,
                            const char *mk, char kind)
{
    json_t *out = json_array();
    size_t i = 0, j = 0, nl = json_array_size(left), nr = json_array_size(right);
    while (out && (i < nl || j < nr)) {
        json_t *take;
        if (i >= nl) {
            take = json_array_get(right, j++);
        } else if (j >= nr) {
            take = json_array_get(left, i++);
        } else {
            int li = sm_index(server_order, json_array_get(left, i), mk, kind);
            int ri = sm_index(server_order, json_array_get(right, j), mk, kind);
            if (li >= 0 && ri >= 0 && li < ri)
                take = json_array_get(left, i++);
            else
                take = json_array_get(right, j++);
        }
        json_array_append(out, take);
    }
    return out;
}

json_t *sm_normalize_element_order(const json_t *patch_items, const json_t *server_only,
                                   const json_t *patch_order, const json_t *server_order,
                                   const char *mk, char kind, char *err, size_t errlen)
{
    json_t *empty = json_array();
    if (!patch_order)
        patch_order = empty;
    if (!server_order)
        server_order = empty;
    json_t *p = sm_normalize_slice_order(patch_items, patch_order, mk, kind, err, errlen);
    json_t *s = p ? sm_normalize_slice_order(server_only, server_order, mk, kind, err, errlen) : NULL;
    json_t *all = s ? merge_sorted(s, p, server_order, mk, kind) : NULL;
    json_decref(p);
    json_decref(s);
    json_decref(empty);
    return all;
}

void sm_dedup_scalars(json_t *arr)
{
    long length = (long)json_array_size(arr) - 1;
    for (long i = 0; i < length; i++) {
        for (long j = i + 1; j <= length; j++) {
            if (sm_value_eq(json_array_get(arr, (size_t)i), json_array_get(arr, (size_t)j))) {
                json_array_set(arr, (size_t)j, json_array_get(arr, (size_t)length));
                json_array_remove(arr, (size_t)length);
                length--;
                j--;
            }
        }
    }
}
