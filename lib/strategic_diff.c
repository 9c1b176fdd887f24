/* strategic_diff.c - computes strategic merge patches: the two-way patch
 * between two versions of an object and kubectl apply's three-way patch
 * (last-applied, the user's new config, and the live object), following
 * diffMaps/diffLists and CreateThreeWayMergePatch of
 * k8s.io/apimachinery/pkg/util/strategicpatch. Lists of maps and of
 * scalars are compared after sorting by Go's "%v" text, as Kubernetes does,
 * so deletion lists come out in the same order as kubectl's. */
#include "strategic_merge.h"
#include "strategic_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dopts {
    int set_order;        /* SetElementOrder */
    int ignore_changes;   /* IgnoreChangesAndAdditions */
    int ignore_deletions; /* IgnoreDeletions */
    int build_retain;     /* BuildRetainKeysDirective */
};

struct dctx {
    const json_t *defs;
    char *err;
    size_t errlen;
};

static json_t *diff_maps(struct dctx *c, const json_t *orig, const json_t *mod,
                         const json_t *schema, struct dopts o);

/* A list item with its sort text; pos keeps the sort deterministic. */
struct sitem { json_t *v; char *text; size_t pos; };

static int cmp_sitem(const void *a, const void *b)
{
    const struct sitem *x = a, *y = b;
    int r = strcmp(x->text, y->text);
    if (r)
        return r;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sorts list by the "%v" text of each item (or of its merge key). Returns
 * a malloc'd array of n items (texts malloc'd), or NULL when n is 0 or on
 * allocation failure (*ok tells which). */
static struct sitem *sorted(const json_t *list, const char *mk, size_t *n, int *ok)
{
    *n = json_array_size(list);
    *ok = 1;
    if (!*n)
        return NULL;
    struct sitem *it = calloc(*n, sizeof *it);
    if (!it) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++) {
        char buf[1024];
        json_t *v = json_array_get(list, i);
        it[i].v = v;
        it[i].pos = i;
        it[i].text = strdup(sm_gofmt(mk ? json_object_get(v, mk) : v, buf, sizeof buf));
        if (!it[i].text)
            *ok = 0;
    }
    qsort(it, *n, sizeof *it, cmp_sitem);
    return it;
}

static void free_sorted(struct sitem *it, size_t n)
{
    for (size_t i = 0; it && i < n; i++)
        free(it[i].text);
    free(it);
}

static int check_maps_with_key(struct dctx *c, const json_t *list, const char *mk)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_object(v))
            return sm_err(c->err, c->errlen, "expected a map[string]interface {}, but received a %s",
                          sm_gotype(v));
        if (!json_object_get(v, mk))
            return sm_err_no_merge_key(v, mk, c->err, c->errlen);
    }
    return 0;
}

/* diffListsOfMaps: changed/added items into *add, $patch: delete items
 * into *del. */
static int diff_lists_of_maps(struct dctx *c, const json_t *orig, const json_t *mod,
                              const json_t *schema, const char *mk, struct dopts o,
                              json_t *add, json_t *del)
{
    if (check_maps_with_key(c, orig, mk) != 0 || check_maps_with_key(c, mod, mk) != 0)
        return -1;
    size_t no, nm;
    int ok1, ok2, rc = 0;
    struct sitem *so = sorted(orig, mk, &no, &ok1), *sm = sorted(mod, mk, &nm, &ok2);
    if (!ok1 || !ok2) {
        rc = sm_err(c->err, c->errlen, "out of memory");
        goto out;
    }
    size_t oi = 0, mi = 0;
    while (oi < no || mi < nm) {
        int cmp = oi >= no ? 1 : mi >= nm ? -1 : strcmp(so[oi].text, sm[mi].text);
        if (cmp == 0) {
            json_t *pv = diff_maps(c, so[oi].v, sm[mi].v, schema, o);
            if (!pv) {
                rc = -1;
                goto out;
            }
            if (json_object_size(pv)) {
                json_object_set_new(pv, mk, json_deep_copy(json_object_get(sm[mi].v, mk)));
                json_array_append(add, pv);
            }
            json_decref(pv);
            oi++;
            mi++;
        } else if (cmp > 0) {
            if (!o.ignore_changes)
                json_array_append_new(add, json_deep_copy(sm[mi].v));
            mi++;
        } else {
            if (!o.ignore_deletions)
                json_array_append_new(del, json_pack("{s:o,s:s}", mk, json_deep_copy(json_object_get(so[oi].v, mk)),
                                                     SM_DIRECTIVE, "delete"));
            oi++;
        }
    }
out:
    free_sorted(so, no);
    free_sorted(sm, nm);
    return rc;
}

/* diffListsOfScalars */
static int diff_lists_of_scalars(struct dctx *c, const json_t *orig, const json_t *mod,
                                 struct dopts o, json_t *add, json_t *del)
{
    size_t no, nm;
    int ok1, ok2, rc = 0;
    struct sitem *so = sorted(orig, NULL, &no, &ok1), *sm = sorted(mod, NULL, &nm, &ok2);
    if (!ok1 || !ok2) {
        rc = sm_err(c->err, c->errlen, "out of memory");
        goto out;
    }
    size_t oi = 0, mi = 0;
    while (oi < no || mi < nm) {
        int cmp = oi >= no ? 1 : mi >= nm ? -1 : strcmp(so[oi].text, sm[mi].text);
        if (cmp == 0) {
            oi++;
            mi++;
        } else if (cmp > 0) {
            if (!o.ignore_changes)
                json_array_append_new(add, json_deep_copy(sm[mi].v));
            mi++;
        } else {
            if (!o.ignore_deletions)
                json_array_append_new(del, json_deep_copy(so[oi].v));
            oi++;
        }
    }
    sm_dedup_scalars(del);
out:
    free_sorted(so, no);
    free_sorted(sm, nm);
    return rc;
}

static int is_order_same(struct dctx *c, const json_t *orig, const json_t *mod, const char *mk)
{
    if (json_array_size(orig) != json_array_size(mod))
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(mod, i, v) {
        json_t *a = json_object_get(json_array_get(orig, i), mk), *b = json_object_get(v, mk);
        if (!a || !b)
            return sm_err_no_merge_key(a ? v : json_array_get(orig, i), mk, c->err, c->errlen);
        if (!sm_value_eq(a, b))
            return 0;
    }
    return 1;
}

/* diffLists: fills *add (patch list incl. deletions for maps), *del (the
 * parallel deletion list for scalars) and *order ($setElementOrder). */
static int diff_lists(struct dctx *c, const json_t *orig, const json_t *mod, const json_t *schema,
                      const char *mk, struct dopts o, json_t **add, json_t **del, json_t **order)
{
    *add = *del = *order = NULL;
    if (!json_array_size(orig)) {
        if (json_array_size(mod) && !o.ignore_changes)
            *add = json_deep_copy(mod);
        return 0;
    }
    char kind;
    if (sm_elem_kind(orig, mod, &kind, c->err, c->errlen) != 0)
        return -1;
    json_t *a = json_array(), *d = json_array();
    int rc = -1;
    if (kind == 'm') {
        if (diff_lists_of_maps(c, orig, mod, schema, mk, o, a, d) != 0)
            goto out;
        json_t *sorted_add = sm_normalize_slice_order(a, mod, mk, kind, c->err, c->errlen);
        if (!sorted_add)
            goto out;
        json_decref(a);
        a = sorted_add;
        int same = is_order_same(c, orig, mod, mk);
        if (same < 0)
            goto out;
        json_array_extend(a, d);
        json_array_clear(d);
        if (o.set_order && ((!o.ignore_changes && (json_array_size(a) || !same)) ||
                            (!o.ignore_deletions && json_array_size(a)))) {
            json_t *ord = json_array();
            size_t i;
            json_t *v;
            json_array_foreach(mod, i, v) {
                json_t *kv = json_object_get(v, mk);
                json_array_append_new(ord, json_pack("{s:o}", mk, kv ? json_deep_copy(kv) : json_null()));
            }
            *order = ord;
        }
    } else {
        if (diff_lists_of_scalars(c, orig, mod, o, a, d) != 0)
            goto out;
        json_t *sorted_add = sm_normalize_slice_order(a, mod, "", kind, c->err, c->errlen);
        if (!sorted_add)
            goto out;
        json_decref(a);
        a = sorted_add;
        if (o.set_order && ((!o.ignore_deletions && json_array_size(d)) ||
                            (!o.ignore_changes && !sm_deep_eq(orig, mod))))
            *order = json_deep_copy(mod);
    }
    rc = 0;
out:
    if (rc == 0) {
        *add = a;
        *del = d;
    } else {
        json_decref(a);
        json_decref(d);
    }
    return rc;
}

static int set_if_nonempty(json_t *patch, const char *prefix, const char *key, json_t *v)
{
    if (v && json_array_size(v)) {
        char name[1024];
        if (prefix)
            snprintf(name, sizeof name, "%s/%s", prefix, key);
        json_object_set(patch, prefix ? name : key, v);
    }
    json_decref(v);
    return 0;
}

static int handle_slice_diff(struct dctx *c, const char *key, const json_t *ov, const json_t *mv,
                             json_t *patch, const json_t *schema, struct dopts o)
{
    struct sm_meta m;
    if (sm_lookup(c->defs, schema, key, 1, &m, c->err, c->errlen) != 0)
        return -1;
    if (strcmp(m.strategy, "merge") == 0) {
        json_t *add, *del, *order;
        o.build_retain = m.retain_keys;
        if (diff_lists(c, ov, mv, m.sub, m.merge_key, o, &add, &del, &order) != 0)
            return -1;
        set_if_nonempty(patch, NULL, key, add);
        set_if_nonempty(patch, SM_DELETE_PRIMITIVE, key, del);
        set_if_nonempty(patch, SM_SET_ORDER, key, order);
        return 0;
    }
    if (!o.ignore_changes && !sm_deep_eq(ov, mv))
        json_object_set_new(patch, key, json_deep_copy(mv));
    return 0;
}

static int handle_map_diff(struct dctx *c, const char *key, const json_t *ov, const json_t *mv,
                           json_t *patch, const json_t *schema, struct dopts o)
{
    struct sm_meta m;
    if (sm_lookup(c->defs, schema, key, 0, &m, c->err, c->errlen) != 0)
        return -1;
    o.build_retain = m.retain_keys;
    if (strcmp(m.strategy, "replace") == 0) {
        if (!o.ignore_changes)
            json_object_set_new(patch, key, json_deep_copy(mv));
        return 0;
    }
    json_t *pv = diff_maps(c, ov, mv, m.sub, o);
    if (!pv)
        return -1;
    if (json_object_size(pv))
        json_object_set(patch, key, pv);
    json_decref(pv);
    return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* diffMaps: the patch turning orig into mod under the given options. */
static json_t *diff_maps(struct dctx *c, const json_t *orig, const json_t *mod,
                         const json_t *schema, struct dopts o)
{
    json_t *patch = json_object();
    size_t nretain = 0, cap = json_object_size(mod);
    json_t **retain = cap ? calloc(cap, sizeof *retain) : NULL;
    const char *k;
    json_t *mv, *ov;
    if (!patch || (cap && !retain))
        goto fail;
    json_object_foreach((json_t *)mod, k, mv) {
        if (o.build_retain && !json_is_null(mv))
            retain[nretain++] = json_string(k);
        ov = json_object_get(orig, k);
        if (!ov) {
            if (!o.ignore_changes)
                json_object_set_new(patch, k, json_deep_copy(mv));
            continue;
        }
        if (strcmp(k, SM_DIRECTIVE) == 0) {
            if (!json_is_string(ov) || !json_is_string(mv)) {
                sm_err(c->err, c->errlen, "invalid value for special key: %s", SM_DIRECTIVE);
                goto fail;
            }
            if (!json_equal(ov, mv))
                json_object_set_new(patch, k, json_deep_copy(mv));
            continue;
        }
        if (sm_kind(ov) != sm_kind(mv)) {
            if (!o.ignore_changes)
                json_object_set_new(patch, k, json_deep_copy(mv));
            continue;
        }
        int rc = 0;
        if (json_is_object(ov))
            rc = handle_map_diff(c, k, ov, mv, patch, schema, o);
        else if (json_is_array(ov))
            rc = handle_slice_diff(c, k, ov, mv, patch, schema, o);
        else if (!o.ignore_changes && !sm_deep_eq(ov, mv))
            json_object_set_new(patch, k, json_deep_copy(mv));
        if (rc != 0)
            goto fail;
    }
    int extra = 0;
    json_object_foreach((json_t *)orig, k, ov) {
        if (json_object_get(mod, k))
            continue;
        if (!o.ignore_deletions)
            json_object_set_new(patch, k, json_null());
        if (!json_is_null(ov))
            extra = 1;
    }
    if (nretain && (json_object_size(patch) || extra)) {
        qsort(retain, nretain, sizeof *retain, cmp_json_str);
        json_t *list = json_array();
        for (size_t i = 0; i < nretain; i++)
            json_array_append(list, retain[i]);
        json_object_set_new(patch, SM_RETAIN_KEYS, list);
    }
    for (size_t i = 0; i < nretain; i++)
        json_decref(retain[i]);
    free(retain);
    return patch;
fail:
    for (size_t i = 0; i < nretain; i++)
        json_decref(retain[i]);
    free(retain);
    json_decref(patch);
    return NULL;
}

static const json_t *root_schema(const json_t *defs, const char *type_name)
{
    return type_name ? json_object_get(defs, type_name) : NULL;
}

json_t *strategic_merge_diff(const json_t *original, const json_t *modified,
                             const json_t *definitions, const char *type_name)
{
    char err[256];
    struct dctx c = { definitions, err, sizeof err };
    struct dopts o = { .set_order = 1 };
    if ((original && !json_is_object(original)) || (modified && !json_is_object(modified)))
        return NULL;
    json_t *empty = json_object();
    json_t *r = diff_maps(&c, original ? original : empty, modified ? modified : empty,
                          root_schema(definitions, type_name), o);
    json_decref(empty);
    return r;
}

json_t *three_way_merge_patch(const json_t *last_applied, const json_t *modified,
                              const json_t *live, const json_t *definitions,
                              const char *type_name, char *err, size_t errlen)
{
    struct dctx c = { definitions, err, errlen };
    const json_t *schema = root_schema(definitions, type_name);
    const json_t *docs[3] = { last_applied, modified, live };
    for (int i = 0; i < 3; i++) {
        if (docs[i] && !json_is_object(docs[i]) && !json_is_null(docs[i])) {
            sm_err(err, errlen, "invalid JSON document");
            return NULL;
        }
    }
    json_t *empty = json_object();
    const json_t *la = json_is_object(last_applied) ? last_applied : empty;
    const json_t *mo = json_is_object(modified) ? modified : empty;
    const json_t *li = json_is_object(live) ? live : empty;
    struct dopts delta_o = { .set_order = 1, .ignore_deletions = 1 };
    struct dopts del_o = { .set_order = 1, .ignore_changes = 1 };
    json_t *delta = diff_maps(&c, li, mo, schema, delta_o);
    json_t *deletions = delta ? diff_maps(&c, la, mo, schema, del_o) : NULL;
    json_t *patch = NULL;
    if (delta && deletions)
        patch = sm_merge_map(definitions, deletions, delta, schema, 0, 0, err, errlen);
    json_decref(delta);
    json_decref(deletions);
    json_decref(empty);
    return patch;
}
