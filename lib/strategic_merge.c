/* strategic_merge.c - applies a Kubernetes strategic merge patch, following
 * k8s.io/apimachinery/pkg/util/strategicpatch (mergeMap and friends): maps
 * merge recursively and null deletes; lists whose field is marked
 * x-kubernetes-patch-strategy "merge" merge by merge key (or union, for
 * primitives) and other lists are replaced; the $patch, $retainKeys,
 * $setElementOrder/<f> and $deleteFromPrimitiveList/<f> directives are
 * honoured. Work happens on private deep copies of both documents, which the
 * engine freely mutates (as Kubernetes mutates its decoded maps).
 *
 * Where Kubernetes would copy directive-bearing patch values verbatim (new
 * keys, replaced lists) and rely on decoding into Go structs to drop the
 * markers, we strip directive keys from the final result instead. */
#include "strategic_merge.h"
#include "strategic_schema.h"

#include <stdio.h>
#include <string.h>

struct ctx {
    const json_t *defs;
    char *err;
    size_t errlen;
    int parallel;      /* MergeParallelList: we are applying, not combining */
    int ignore_nulls;  /* IgnoreUnmatchedNulls */
};

static json_t *merge_map(struct ctx *c, json_t *orig, json_t *patch, const json_t *schema);

/* Go's "%s" of an arbitrary decoded value, for ErrBadPatchType. */
static const char *go_s(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_null(v))
        return "%!s(<nil>)";
    char inner[200];
    snprintf(buf, len, "%%!s(%s=%s)", sm_gotype(v), sm_gofmt(v, inner, sizeof inner));
    return buf;
}

static int err_bad_patch_type(struct ctx *c, const json_t *t, const json_t *m)
{
    char b1[256], b2[512];
    return sm_err(c->err, c->errlen, "unknown patch type: %s in map: %s",
                  go_s(t, b1, sizeof b1), sm_gofmt(m, b2, sizeof b2));
}

static int err_bad_arg(struct ctx *c, const char *expected, const json_t *actual)
{
    return sm_err(c->err, c->errlen, "expected a %s, but received a %s", expected, sm_gotype(actual));
}

/* extractKey: "<prefix>/<field>" -> field, or NULL. */
static const char *after_prefix(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n) != 0 || key[n] != '/')
        return NULL;
    return key + n + 1;
}

/* A patch value taken where nothing exists to merge with. Applying, a map
 * is merged into an empty one so its directives and nulls take effect;
 * combining patches keeps it verbatim. */
static json_t *adopt(struct ctx *c, json_t *pv, const json_t *schema, const char *key)
{
    if (!c->parallel || !json_is_object(pv))
        return json_deep_copy(pv);
    struct sm_meta m;
    if (sm_lookup(c->defs, schema, key, 0, &m, c->err, c->errlen) != 0)
        return NULL;
    if (strcmp(m.strategy, "replace") == 0)
        return json_deep_copy(pv);
    json_t *empty = json_object();
    json_t *r = empty ? merge_map(c, empty, pv, m.sub) : NULL;
    json_decref(empty);
    return r;
}

/* $patch on a map: replace (the patch without the marker) or delete. */
static json_t *map_directive(struct ctx *c, json_t *d, json_t *patch)
{
    const char *s = json_string_value(d);
    if (s && strcmp(s, "replace") == 0) {
        json_t *r = json_deep_copy(patch);
        if (r)
            json_object_del(r, SM_DIRECTIVE);
        return r;
    }
    if (s && strcmp(s, "delete") == 0)
        return json_object();
    err_bad_patch_type(c, d, patch);
    return NULL;
}

/* applyRetainKeysDirective */
static int apply_retain_keys(struct ctx *c, json_t *orig, json_t *patch)
{
    json_t *rk = json_object_get(patch, SM_RETAIN_KEYS);
    if (!rk)
        return 0;
    json_incref(rk);
    json_object_del(patch, SM_RETAIN_KEYS);
    int rc = 0;
    if (!c->parallel) {
        json_t *in_orig = json_object_get(orig, SM_RETAIN_KEYS);
        if (in_orig && !sm_deep_eq(in_orig, rk)) {
            char b1[256], b2[256];
            rc = sm_err(c->err, c->errlen,
                        "%s and %s are not deep equal: this may happen when calculating the 3-way diff patch",
                        sm_gofmt(in_orig, b1, sizeof b1), sm_gofmt(rk, b2, sizeof b2));
        } else if (!in_orig) {
            json_object_set(orig, SM_RETAIN_KEYS, rk);
        }
        json_decref(rk);
        return rc;
    }
    if (!json_is_array(rk)) {
        json_decref(rk);
        return sm_err(c->err, c->errlen, "invalid patch format of retainKeys");
    }
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (json_is_null(v) || strncmp(k, SM_DELETE_PRIMITIVE, sizeof SM_DELETE_PRIMITIVE - 1) == 0 ||
            strncmp(k, SM_SET_ORDER, sizeof SM_SET_ORDER - 1) == 0)
            continue;
        json_t *name = json_string(k);
        int found = sm_index(rk, name, "", 'S') >= 0;
        json_decref(name);
        if (!found) {
            json_decref(rk);
            return sm_err(c->err, c->errlen, "invalid patch format of retainKeys");
        }
    }
    void *iter_tmp;
    json_object_foreach_safe(orig, iter_tmp, k, v) {
        json_t *name = json_string(k);
        if (sm_index(rk, name, "", 'S') < 0)
            json_object_del(orig, k);
        json_decref(name);
    }
    json_decref(rk);
    return 0;
}

/* validatePatchWithSetOrderList: the patch list's items (deletions aside)
 * must appear in the $setElementOrder list, in the same relative order. */
static int validate_set_order(struct ctx *c, const json_t *plist, const json_t *order, const char *mk)
{
    if (!json_array_size(order) || !json_array_size(plist))
        return 0;
    json_t *keep = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(plist, i, v) {
        if (*mk) {
            if (!json_is_object(v)) {
                json_decref(keep);
                return err_bad_arg(c, "map[string]interface {}", v);
            }
            const char *d = json_string_value(json_object_get(v, SM_DIRECTIVE));
            if (d && strcmp(d, "delete") == 0)
                continue;
        }
        json_array_append(keep, v);
    }
    size_t pi = 0, si = 0, np = json_array_size(keep), ns = json_array_size(order);
    int rc = 0;
    while (pi < np && si < ns) {
        json_t *p = json_array_get(keep, pi), *s = json_array_get(order, si);
        if (json_is_object(p) && json_object_get(p, SM_DIRECTIVE)) {
            pi++;
            continue;
        }
        int eq;
        if (*mk) {
            if (!json_is_object(p) || !json_is_object(s)) {
                rc = err_bad_arg(c, "map[string]interface {}", json_is_object(p) ? s : p);
                break;
            }
            json_t *a = json_object_get(p, mk), *b = json_object_get(s, mk);
            if (!a || !b) {
                rc = sm_err_no_merge_key(a ? s : p, mk, c->err, c->errlen);
                break;
            }
            eq = sm_value_eq(a, b);
        } else {
            eq = sm_value_eq(p, s);
        }
        if (eq)
            pi++;
        si++;
    }
    if (rc == 0 && pi < np && si >= ns) {
        char b1[512], b2[512];
        rc = sm_err(c->err, c->errlen, "The order in patch list:\n%s\n doesn't match %s list:\n%s\n",
                    sm_gofmt(plist, b1, sizeof b1), SM_SET_ORDER, sm_gofmt(order, b2, sizeof b2));
    }
    json_decref(keep);
    return rc;
}

static json_t *merge_slice(struct ctx *c, json_t *orig, json_t *patch, const json_t *schema,
                           const char *mk, int is_delete_list);

/* mergePatchIntoOriginal: applies every $setElementOrder/<f> together with
 * the <f> list it orders, then drops both from the patch. */
static int merge_set_order(struct ctx *c, json_t *orig, json_t *patch, const json_t *schema)
{
    const char *k;
    json_t *pv;
    /* collect the names first: handling one deletes other patch keys */
    json_t *names = json_array();
    if (!names)
        return sm_err(c->err, c->errlen, "out of memory");
    json_object_foreach(patch, k, pv) {
        if (strncmp(k, SM_SET_ORDER, sizeof SM_SET_ORDER - 1) == 0)
            json_array_append_new(names, json_string(k));
    }
    size_t ni;
    json_t *name;
    json_array_foreach(names, ni, name) {
        const char *key = json_string_value(name);
        pv = json_object_get(patch, key);
        if (!pv)
            continue;
        json_t *order = json_incref(pv);
        int rc = -1;
        json_t *merged = NULL, *in = NULL, *out = NULL, *result = NULL, *olist, *plist;
        if (!c->parallel) {
            json_t *have = json_object_get(orig, key);
            if (have && !sm_deep_eq(have, order)) {
                sm_err(c->err, c->errlen, "invalid patch format of setElementOrder list");
                goto done;
            }
            if (!have)
                json_object_set(orig, key, order);
        }
        json_object_del(patch, key);
        if (!json_is_array(order)) {
            err_bad_arg(c, "[]interface {}", order);
            goto done;
        }
        const char *field = after_prefix(key, SM_SET_ORDER);
        if (!field) {
            sm_err(c->err, c->errlen, "invalid patch format of setElementOrder list");
            goto done;
        }
        olist = json_object_get(orig, field);
        plist = json_object_get(patch, field);
        if ((olist && !json_is_array(olist)) || (plist && !json_is_array(plist))) {
            err_bad_arg(c, "[]interface {}", olist && !json_is_array(olist) ? olist : plist);
            goto done;
        }
        struct sm_meta m;
        if (sm_lookup(c->defs, schema, field, 1, &m, c->err, c->errlen) != 0 ||
            validate_set_order(c, plist, order, m.merge_key) != 0)
            goto done;
        if (olist && plist)
            merged = strcmp(m.strategy, "merge") == 0
                         ? merge_slice(c, olist, plist, m.sub, m.merge_key, 0)
                         : json_deep_copy(plist);
        else if (olist || plist)
            merged = json_incref(olist ? olist : plist);
        else {
            rc = 0;
            goto done;
        }
        if (!merged)
            goto done;
        char kind;
        if (sm_partition(merged, order, m.merge_key, *m.merge_key ? 'm' : 'S', &in, &out,
                         c->err, c->errlen) != 0 ||
            sm_elem_kind(olist, plist, &kind, c->err, c->errlen) != 0)
            goto done;
        result = sm_normalize_element_order(in, out, order, olist, m.merge_key, kind,
                                            c->err, c->errlen);
        if (!result)
            goto done;
        json_object_set_new(orig, field, result);
        json_object_del(patch, field);
        rc = 0;
    done:
        json_decref(order);
        json_decref(merged);
        json_decref(in);
        json_decref(out);
        if (rc != 0) {
            json_decref(names);
            return -1;
        }
    }
    json_decref(names);
    return 0;
}

/* mergeSliceWithSpecialElements: applies $patch elements of a merging list
 * of maps. Sets *base to the surviving original items and *rest to the
 * ordinary patch items (both new arrays). */
static int special_elements(struct ctx *c, json_t *orig, json_t *patch, const char *mk,
                            json_t **base, json_t **rest)
{
    *base = json_copy(orig);
    *rest = json_array();
    int replace = 0;
    size_t i;
    json_t *pe;
    json_array_foreach(patch, i, pe) {
        json_t *d = json_object_get(pe, SM_DIRECTIVE);
        if (!d) {
            json_array_append(*rest, pe);
            continue;
        }
        const char *s = json_string_value(d);
        if (s && strcmp(s, "delete") == 0) {
            json_t *mv = json_object_get(pe, mk);
            if (!mv) {
                sm_err_no_merge_key(pe, mk, c->err, c->errlen);
                goto fail;
            }
            for (size_t j = json_array_size(*base); j-- > 0;) {
                json_t *cand = json_array_get(*base, j);
                if (!json_is_object(cand)) {
                    sm_err(c->err, c->errlen, "value for key %zu is not a map", j);
                    goto fail;
                }
                json_t *cv = json_object_get(cand, mk);
                if (cv && sm_value_eq(cv, mv))
                    json_array_remove(*base, j);
            }
        } else if (s && strcmp(s, "replace") == 0) {
            replace = 1;
        } else if (s && strcmp(s, "merge") == 0) {
            sm_err(c->err, c->errlen, "merging lists cannot yet be specified in the patch");
            goto fail;
        } else {
            err_bad_patch_type(c, d, pe);
            goto fail;
        }
    }
    if (replace) {
        json_decref(*base);
        *base = *rest;
        *rest = json_array();
    }
    return 0;
fail:
    json_decref(*base);
    json_decref(*rest);
    *base = *rest = NULL;
    return -1;
}

/* mergeSlice: merges patch into orig (a list with strategy merge). */
static json_t *merge_slice(struct ctx *c, json_t *orig, json_t *patch, const json_t *schema,
                           const char *mk, int is_delete_list)
{
    if (!json_array_size(orig) && !json_array_size(patch))
        return json_incref(orig);
    char kind;
    if (sm_elem_kind(orig, patch, &kind, c->err, c->errlen) != 0)
        return NULL;
    json_t *merged = NULL, *patch_order = NULL, *server_order = NULL;
    size_t i;
    json_t *v;
    if (kind != 'm') {
        if (c->parallel && is_delete_list) {
            json_t *r = json_array();
            json_array_foreach(orig, i, v) {
                if (sm_index(patch, v, "", kind) < 0)
                    json_array_append(r, v);
            }
            return r;
        }
        merged = json_copy(orig);
        json_array_extend(merged, patch);
        sm_dedup_scalars(merged);
        patch_order = json_incref(patch);
        server_order = json_incref(orig);
        mk = "";
    } else {
        if (!*mk) {
            sm_err(c->err, c->errlen, "cannot merge lists without merge key for struct");
            return NULL;
        }
        json_t *base, *rest;
        if (special_elements(c, orig, patch, mk, &base, &rest) != 0)
            return NULL;
        server_order = json_copy(base);
        patch_order = rest;
        merged = base;
        json_array_foreach(rest, i, v) {
            json_t *mv = json_object_get(v, mk);
            if (!mv) {
                sm_err_no_merge_key(v, mk, c->err, c->errlen);
                goto fail;
            }
            int idx = sm_index(merged, v, mk, 'm');
            json_t *nv;
            if (idx >= 0) {
                nv = merge_map(c, json_array_get(merged, (size_t)idx), v, schema);
                if (!nv)
                    goto fail;
                json_array_set_new(merged, (size_t)idx, nv);
            } else {
                if (c->parallel) {
                    json_t *empty = json_object();
                    nv = merge_map(c, empty, v, schema);
                    json_decref(empty);
                } else {
                    nv = json_incref(v);
                }
                if (!nv)
                    goto fail;
                json_array_append_new(merged, nv);
            }
        }
    }
    json_t *in, *out, *result = NULL;
    if (sm_partition(merged, patch_order, mk, kind, &in, &out, c->err, c->errlen) == 0) {
        result = sm_normalize_element_order(in, out, patch_order, server_order, mk, kind,
                                            c->err, c->errlen);
        json_decref(in);
        json_decref(out);
    }
    json_decref(merged);
    json_decref(patch_order);
    json_decref(server_order);
    return result;
fail:
    json_decref(merged);
    json_decref(patch_order);
    json_decref(server_order);
    return NULL;
}

/* mergeMap: merges patch into orig; returns a new reference (usually orig). */
static json_t *merge_map(struct ctx *c, json_t *orig, json_t *patch, const json_t *schema)
{
    json_t *d = json_object_get(patch, SM_DIRECTIVE);
    if (d)
        return map_directive(c, d, patch);
    if (apply_retain_keys(c, orig, patch) != 0 || merge_set_order(c, orig, patch, schema) != 0)
        return NULL;
    const char *k;
    json_t *pv;
    json_object_foreach(patch, k, pv) {
        const char *key = k;
        int is_delete_list = 0;
        if (strncmp(k, SM_DELETE_PRIMITIVE, sizeof SM_DELETE_PRIMITIVE - 1) == 0) {
            if (!c->parallel) {
                json_object_set_new(orig, k, json_deep_copy(pv));
                continue;
            }
            key = after_prefix(k, SM_DELETE_PRIMITIVE);
            if (!key) {
                sm_err(c->err, c->errlen, "invalid patch format of primitive list");
                return NULL;
            }
            is_delete_list = 1;
        }
        if (json_is_null(pv)) {
            json_object_del(orig, key);
            if (c->ignore_nulls)
                continue;
        }
        json_t *ov = json_object_get(orig, key), *nv;
        if (is_delete_list && (!ov || !json_is_array(ov) || !json_is_array(pv))) {
            /* nothing to delete from; Kubernetes would store the deletion
             * list itself as the field's value, which helps no one */
            continue;
        }
        if (!ov || sm_kind(ov) != sm_kind(pv)) {
            nv = adopt(c, pv, schema, key);
        } else if (json_is_object(ov)) {
            struct sm_meta m;
            if (sm_lookup(c->defs, schema, key, 0, &m, c->err, c->errlen) != 0)
                return NULL;
            nv = strcmp(m.strategy, "replace") == 0 ? json_deep_copy(pv) : merge_map(c, ov, pv, m.sub);
        } else if (json_is_array(ov)) {
            struct sm_meta m;
            if (sm_lookup(c->defs, schema, key, 1, &m, c->err, c->errlen) != 0)
                return NULL;
            nv = strcmp(m.strategy, "merge") == 0
                     ? merge_slice(c, ov, pv, m.sub, m.merge_key, is_delete_list)
                     : json_deep_copy(pv);
        } else {
            nv = json_deep_copy(pv);
        }
        if (!nv)
            return NULL;
        json_object_set_new(orig, key, nv);
    }
    return json_incref(orig);
}

json_t *sm_merge_map(const json_t *defs, json_t *orig, json_t *patch, const json_t *schema,
                     int parallel, int ignore_nulls, char *err, size_t errlen)
{
    struct ctx c = { defs, err, errlen, parallel, ignore_nulls };
    return merge_map(&c, orig, patch, schema);
}

static int has_directive(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) {
            if (sm_is_directive_key(k) || has_directive(x))
                return 1;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            if (has_directive(x))
                return 1;
        }
    }
    return 0;
}

json_t *strategic_merge_patch(const json_t *original, const json_t *patch,
                              const json_t *definitions, const char *type_name,
                              char *err, size_t errlen)
{
    if ((original && !json_is_object(original) && !json_is_null(original)) ||
        (patch && !json_is_object(patch) && !json_is_null(patch))) {
        sm_err(err, errlen, "invalid JSON document");
        return NULL;
    }
    const json_t *schema = type_name ? json_object_get(definitions, type_name) : NULL;
    json_t *o = json_is_object(original) ? json_deep_copy(original) : json_object();
    json_t *p = json_is_object(patch) ? json_deep_copy(patch) : json_object();
    json_t *r = NULL;
    if (o && p)
        r = sm_merge_map(definitions, o, p, schema, 1, 1, err, errlen);
    else
        sm_err(err, errlen, "out of memory");
    json_decref(o);
    json_decref(p);
    if (r && has_directive(r)) {
        json_t *clean = sm_strip_copy(r);
        json_decref(r);
        r = clean;
    }
    return r;
}
