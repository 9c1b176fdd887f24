/* json_patch.c - JSON merge patch (RFC 7386), the merge-patch diff, and JSON
 * patch (RFC 6902) with RFC 6901 pointers.
 *
 * JSON patch follows the library Kubernetes 1.20 uses (evanphx/json-patch
 * 4.9) where it departs from the RFC, because clients must not see a
 * difference: error texts are its "<what>: <cause>" strings, negative array
 * indices count from the end, the root pointer "" is not addressable, and
 * "replace" of a missing object member adds it. Operations run on a private
 * deep copy, so a failed patch leaves nothing half-applied. */
#include "json_patch.h"
#include "errbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- merge patch ---- */

json_t *json_merge_patch(const json_t *target, const json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    /* A non-object target is replaced by an empty object before merging
     * (RFC 7386 section 2), which also strips nulls from new subtrees. */
    json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
    if (!out)
        return NULL;
    const char *key;
    json_t *pv;
    json_object_foreach((json_t *)patch, key, pv) {
        if (json_is_null(pv)) {
            json_object_del(out, key);
            continue;
        }
        json_t *merged = json_merge_patch(json_object_get(out, key), pv);
        if (!merged || json_object_set_new(out, key, merged) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

json_t *json_merge_diff(const json_t *a, const json_t *b)
{
    if (!json_is_object(a) || !json_is_object(b))
        return json_deep_copy(b);
    json_t *out = json_object();
    if (!out)
        return NULL;
    const char *key;
    json_t *av, *bv;
    json_object_foreach((json_t *)a, key, av) {
        if (!json_object_get(b, key) && json_object_set_new(out, key, json_null()) != 0)
            goto fail;
    }
    json_object_foreach((json_t *)b, key, bv) {
        av = json_object_get(a, key);
        if (av && json_equal(av, bv))
            continue;
        json_t *d;
        if (av && json_is_object(av) && json_is_object(bv))
            d = json_merge_diff(av, bv);
        else
            d = json_deep_copy(bv);
        if (!d || json_object_set_new(out, key, d) != 0)
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* ---- JSON patch ---- */

/* Decodes one RFC 6901 reference token (~1 is '/', ~0 is '~') from
 * [s, s+n) into a new NUL-terminated string; NULL on allocation failure. */
static char *decode_token(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[j++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

/* Parses an array index the way Go's strconv.Atoi does (optional sign,
 * decimal digits). Returns 0 on success. */
static int parse_index(const char *s, long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

/* Resolves every token of pointer but the last inside doc. On success sets
 * *parent (borrowed) and *last (malloc'd, caller frees) and returns 0; returns
 * -1 when the path cannot be resolved, -2 on allocation failure. */
static int find_parent(json_t *doc, const char *ptr, json_t **parent, char **last)
{
    if (!ptr || ptr[0] != '/')
        return -1;
    json_t *cur = doc;
    const char *s = ptr + 1;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        char *tok = decode_token(s, n);
        if (!tok)
            return -2;
        if (!slash) {
            if (!json_is_object(cur) && !json_is_array(cur)) {
                free(tok);
                return -1;
            }
            *parent = cur;
            *last = tok;
            return 0;
        }
        json_t *next = NULL;
        if (json_is_object(cur)) {
            next = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            long idx;
            if (parse_index(tok, &idx) == 0 && idx >= 0 && (size_t)idx < json_array_size(cur))
                next = json_array_get(cur, (size_t)idx);
        }
        free(tok);
        if (!next || (!json_is_object(next) && !json_is_array(next)))
            return -1;
        cur = next;
        s = slash + 1;
    }
}

/* Normalizes idx for an array of size n where idx may equal n when
 * allow_end; negative values count from the end. Returns 0 if valid. */
static int norm_index(long *idx, size_t n, int allow_end)
{
    long lim = (long)n + (allow_end ? 1 : 0);
    if (*idx >= lim || *idx < -lim)
        return -1;
    if (*idx < 0)
        *idx += lim;
    return 0;
}

/* Reads member key of container c. Returns 0 and a borrowed *val, or -1 with
 * the cause written into err. A missing object member is (NULL, 0), as in the
 * library Kubernetes uses. */
static int cont_get(json_t *c, const char *key, json_t **val, char *err, size_t errlen)
{
    if (json_is_object(c)) {
        *val = json_object_get(c, key);
        return 0;
    }
    long idx;
    if (parse_index(key, &idx) != 0) {
        errbuf_printf(err, errlen, "strconv.Atoi: parsing \"%s\": invalid syntax", key);
        return -1;
    }
    if (idx < 0 || (size_t)idx >= json_array_size(c)) {
        errbuf_printf(err, errlen, "Unable to access invalid index: %ld: invalid index referenced", idx);
        return -1;
    }
    *val = json_array_get(c, (size_t)idx);
    return 0;
}

/* Adds val (reference stolen) to container c under key. */
static int cont_add(json_t *c, const char *key, json_t *val, char *err, size_t errlen)
{
    if (json_is_object(c)) {
        if (json_object_set_new(c, key, val) != 0) {
            errbuf_printf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "-") == 0) {
        if (json_array_append_new(c, val) != 0) {
            errbuf_printf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    long idx;
    if (parse_index(key, &idx) != 0) {
        errbuf_printf(err, errlen, "value was not a proper array index: '%s': strconv.Atoi: parsing \"%s\": invalid syntax", key, key);
        json_decref(val);
        return -1;
    }
    long orig = idx;
    if (norm_index(&idx, json_array_size(c), 1) != 0) {
        errbuf_printf(err, errlen, "Unable to access invalid index: %ld: invalid index referenced", orig);
        json_decref(val);
        return -1;
    }
    if (json_array_insert_new(c, (size_t)idx, val) != 0) {
        errbuf_printf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int cont_remove(json_t *c, const char *key, char *err, size_t errlen)
{
    if (json_is_object(c)) {
        if (json_object_del(c, key) != 0) {
            errbuf_printf(err, errlen, "Unable to remove nonexistent key: %s: missing value", key);
            return -1;
        }
        return 0;
    }
    long idx;
    if (parse_index(key, &idx) != 0) {
        errbuf_printf(err, errlen, "strconv.Atoi: parsing \"%s\": invalid syntax", key);
        return -1;
    }
    long orig = idx;
    if (norm_index(&idx, json_array_size(c), 0) != 0) {
        errbuf_printf(err, errlen, "Unable to access invalid index: %ld: invalid index referenced", orig);
        return -1;
    }
    json_array_remove(c, (size_t)idx);
    return 0;
}

/* Returns the string member name of op, or NULL when absent/not a string. */
static const char *op_str(const json_t *op, const char *name)
{
    return json_string_value(json_object_get(op, name));
}

/* Applies one operation to *doc in place. Returns 0, or -1 with err set. */
static int apply_op(json_t *doc, const json_t *op, char *err, size_t errlen)
{
    char cause[256] = "";
    const char *kind = op_str(op, "op");
    if (!kind)
        kind = "unknown";
    const char *path = op_str(op, "path");
    const char *from = op_str(op, "from");
    json_t *value = json_object_get(op, "value");
    json_t *parent;
    char *key = NULL;
    int rc = -1, fr;

    if (strcmp(kind, "add") == 0) {
        if (!path) {
            errbuf_printf(err, errlen, "add operation failed to decode path: missing value");
            return -1;
        }
        if ((fr = find_parent(doc, path, &parent, &key)) != 0) {
            errbuf_printf(err, errlen, "add operation does not apply: doc is missing path: \"%s\": missing value", path);
            return -1;
        }
        if (cont_add(parent, key, value ? json_deep_copy(value) : json_null(), cause, sizeof cause) != 0)
            errbuf_printf(err, errlen, "error in add for path: '%s': %s", path, cause);
        else
            rc = 0;
    } else if (strcmp(kind, "remove") == 0) {
        if (!path) {
            errbuf_printf(err, errlen, "remove operation failed to decode path: missing value");
            return -1;
        }
        if (find_parent(doc, path, &parent, &key) != 0) {
            errbuf_printf(err, errlen, "remove operation does not apply: doc is missing path: \"%s\": missing value", path);
            return -1;
        }
        if (cont_remove(parent, key, cause, sizeof cause) != 0)
            errbuf_printf(err, errlen, "error in remove for path: '%s': %s", path, cause);
        else
            rc = 0;
    } else if (strcmp(kind, "replace") == 0) {
        json_t *cur;
        if (!path) {
            errbuf_printf(err, errlen, "replace operation failed to decode path: operation missing path field: missing value");
            return -1;
        }
        if (find_parent(doc, path, &parent, &key) != 0) {
            errbuf_printf(err, errlen, "replace operation does not apply: doc is missing path: %s: missing value", path);
            return -1;
        }
        if (cont_get(parent, key, &cur, cause, sizeof cause) != 0) {
            errbuf_printf(err, errlen, "replace operation does not apply: doc is missing key: %s: missing value", path);
        } else {
            json_t *nv = value ? json_deep_copy(value) : json_null();
            int sr = json_is_object(parent) ? json_object_set_new(parent, key, nv)
                                            : json_array_set_new(parent, (size_t)atol(key), nv);
            if (sr != 0)
                errbuf_printf(err, errlen, "out of memory");
            else
                rc = 0;
        }
    } else if (strcmp(kind, "move") == 0 || strcmp(kind, "copy") == 0) {
        int is_move = kind[0] == 'm';
        json_t *val;
        if (!from) {
            errbuf_printf(err, errlen, "%s operation failed to decode from: operation, missing from field: missing value", kind);
            return -1;
        }
        if (find_parent(doc, from, &parent, &key) != 0) {
            errbuf_printf(err, errlen, "%s operation does not apply: doc is missing from path: %s: missing value", kind, from);
            return -1;
        }
        if (cont_get(parent, key, &val, cause, sizeof cause) != 0) {
            if (is_move)
                errbuf_printf(err, errlen, "error in move for path: '%s': %s", key, cause);
            else
                errbuf_printf(err, errlen, "error in copy for from: '%s': %s", from, cause);
            goto out;
        }
        /* The value outlives its removal from the source below. */
        val = val ? json_incref(val) : json_null();
        if (is_move && cont_remove(parent, key, cause, sizeof cause) != 0) {
            errbuf_printf(err, errlen, "error in move for path: '%s': %s", key, cause);
            json_decref(val);
            goto out;
        }
        free(key);
        key = NULL;
        if (!path) {
            errbuf_printf(err, errlen, "%s operation failed to decode path: missing value", kind);
            json_decref(val);
            return -1;
        }
        if (find_parent(doc, path, &parent, &key) != 0) {
            errbuf_printf(err, errlen, "%s operation does not apply: doc is missing destination path: %s: missing value", kind, path);
            json_decref(val);
            return -1;
        }
        json_t *placed = is_move ? val : json_deep_copy(val);
        if (!is_move)
            json_decref(val);
        if (!placed) {
            errbuf_printf(err, errlen, "out of memory");
            goto out;
        }
        if (cont_add(parent, key, placed, cause, sizeof cause) != 0) {
            if (is_move)
                errbuf_printf(err, errlen, "error in move for path: '%s': %s", path, cause);
            else
                errbuf_printf(err, errlen, "error while adding value during copy: %s", cause);
        } else {
            rc = 0;
        }
    } else if (strcmp(kind, "test") == 0) {
        json_t *cur;
        if (!path) {
            errbuf_printf(err, errlen, "test operation failed to decode path: operation missing path field: missing value");
            return -1;
        }
        if (find_parent(doc, path, &parent, &key) != 0) {
            errbuf_printf(err, errlen, "test operation does not apply: is missing path: %s: missing value", path);
            return -1;
        }
        if (cont_get(parent, key, &cur, cause, sizeof cause) != 0) {
            errbuf_printf(err, errlen, "error in test for path: '%s': %s", path, cause);
        } else {
            /* A missing member equals an absent or null value. */
            int same = cur ? (value && json_equal(cur, value))
                           : (!value || json_is_null(value));
            if (same)
                rc = 0;
            else
                errbuf_printf(err, errlen, "testing value %s failed: test failed", path);
        }
    } else {
        errbuf_printf(err, errlen, "Unexpected kind: %s", kind);
    }
out:
    free(key);
    return rc;
}

json_t *json_patch_apply(const json_t *doc, const json_t *ops, char *err, size_t errlen)
{
    if (!json_is_array(ops)) {
        errbuf_printf(err, errlen, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        return NULL;
    }
    if (!json_is_object(doc) && !json_is_array(doc)) {
        errbuf_printf(err, errlen, "json: cannot unmarshal into Go value of type jsonpatch.partialDoc");
        return NULL;
    }
    json_t *out = json_deep_copy(doc);
    if (!out) {
        errbuf_printf(err, errlen, "out of memory");
        return NULL;
    }
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        if (!json_is_object(op)) {
            errbuf_printf(err, errlen, "json: cannot unmarshal %s into Go value of type jsonpatch.Operation",
                   json_is_array(op) ? "array" : json_is_string(op) ? "string"
                   : json_is_number(op) ? "number" : json_is_boolean(op) ? "bool" : "null");
            json_decref(out);
            return NULL;
        }
        if (apply_op(out, op, err, errlen) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
