/* strategic_schema.c - patch metadata lookup in swagger definitions and the
 * Go-compatible value helpers the strategic merge code needs to behave (and
 * word its errors) like k8s.io/apimachinery/pkg/util/strategicpatch. */
#include "strategic_schema.h"
#include "strutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sm_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const json_t *sm_resolve(const json_t *defs, const json_t *schema)
{
    static const char prefix[] = "#/definitions/";
    /* bounded: a $ref cycle in a malformed document must not hang us */
    for (int i = 0; schema && i < 16; i++) {
        const char *ref = json_string_value(json_object_get(schema, "$ref"));
        if (!ref)
            return schema;
        if (strncmp(ref, prefix, sizeof prefix - 1) != 0)
            return NULL;
        schema = json_object_get(defs, ref + sizeof prefix - 1);
    }
    return NULL;
}

int sm_lookup(const json_t *defs, const json_t *schema, const char *key, int is_list,
              struct sm_meta *m, char *err, size_t errlen)
{
    m->sub = NULL;
    m->retain_keys = 0;
    m->strategy = "";
    m->merge_key = "";
    schema = sm_resolve(defs, schema);
    if (!json_is_object(schema))
        return 0;
    const json_t *field = json_object_get(json_object_get(schema, "properties"), key);
    if (!field) {
        field = json_object_get(schema, "additionalProperties");
        if (!json_is_object(field))
            return 0;
    }
    const char *mk = json_string_value(json_object_get(field, "x-kubernetes-patch-merge-key"));
    if (mk)
        m->merge_key = mk;
    const char *ps = json_string_value(json_object_get(field, "x-kubernetes-patch-strategy"));
    if (ps && *ps) {
        /* at most two comma-separated strategies, one of them retainKeys */
        const char *comma = strchr(ps, ',');
        size_t n1 = comma ? (size_t)(comma - ps) : strlen(ps);
        const char *s2 = comma ? comma + 1 : NULL;
        int r1 = n1 == 10 && strncmp(ps, "retainKeys", 10) == 0;
        int r2 = s2 && strcmp(s2, "retainKeys") == 0;
        if (s2 && (strchr(s2, ',') || (!r1 && !r2))) {
            /* Go prints the split list: [a b] */
            char list[256];
            snprintf(list, sizeof list, "%s", ps);
            for (char *q = list; *q; q++)
                if (*q == ',')
                    *q = ' ';
            return sm_err(err, errlen, "unexpected patch strategy: [%s]", list);
        }
        const char *other = r1 ? s2 : ps;
        size_t olen = r1 ? (s2 ? strlen(s2) : 0) : n1;
        m->retain_keys = r1 || r2;
        if (olen == 5 && strncmp(other, "merge", 5) == 0)
            m->strategy = "merge";
        else if (olen == 7 && strncmp(other, "replace", 7) == 0)
            m->strategy = "replace";
    }
    const json_t *sub = sm_resolve(defs, field);
    if (is_list)
        sub = sm_resolve(defs, json_object_get(sub, "items"));
    m->sub = sub;
    return 0;
}

char sm_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return 'm';
    case JSON_ARRAY: return 's';
    case JSON_STRING: return 'S';
    case JSON_INTEGER:
    case JSON_REAL: return 'f';
    case JSON_TRUE:
    case JSON_FALSE: return 'b';
    default: return 'n';
    }
}

const char *sm_gotype(const json_t *v)
{
    switch (sm_kind(v)) {
    case 'm': return "map[string]interface {}";
    case 's': return "[]interface {}";
    case 'S': return "string";
    case 'f': return "float64";
    case 'b': return "bool";
    default: return "%!s(<nil>)";
    }
}

int sm_value_eq(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

/* Go's %v of a float64 is strconv's shortest 'g' form: the fewest digits
 * that round-trip, in exponent form when the decimal exponent is < -4 or
 * >= 6 (so 1000000 prints as 1e+06, as Kubernetes' messages show it). */
static void fmt_float(double d, char *buf, size_t len)
{
    if (isnan(d) || isinf(d)) {
        snprintf(buf, len, "%s", isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[64];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec, d);
    char *e = strchr(tmp, 'e');
    int exp = e ? atoi(e + 1) : 0;
    if (e && (exp < -4 || exp >= 6)) {
        *e = '\0';
        snprintf(buf, len, "%se%c%02d", tmp, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else {
        snprintf(buf, len, "%.*f", prec - exp > 0 ? prec - exp : 0, d);
    }
}

struct sbuf { char *p; size_t len, used; };

static void put(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->used + 1 >= b->len)
        return;
    size_t room = b->len - 1 - b->used;
    if (n > room)
        n = room;
    memcpy(b->p + b->used, s, n);
    b->used += n;
    b->p[b->used] = '\0';
}

static void gofmt_rec(const json_t *v, struct sbuf *b, int depth)
{
    char num[64];
    if (b->used + 1 >= b->len)
        return;
    if (depth > 64) {
        put(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = n ? malloc(n * sizeof *keys) : NULL;
        const char *k;
        json_t *x;
        if (n && !keys)
            return;
        json_object_foreach((json_t *)v, k, x) keys[i++] = k;
        if (n)
            qsort(keys, n, sizeof *keys, strp_cmp);
        put(b, "map[");
        for (i = 0; i < n; i++) {
            if (i)
                put(b, " ");
            put(b, keys[i]);
            put(b, ":");
            gofmt_rec(json_object_get(v, keys[i]), b, depth + 1);
        }
        put(b, "]");
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        put(b, "[");
        json_array_foreach(v, i, x) {
            if (i)
                put(b, " ");
            gofmt_rec(x, b, depth + 1);
        }
        put(b, "]");
        break;
    }
    case JSON_STRING: put(b, json_string_value(v)); break;
    case JSON_INTEGER:
    case JSON_REAL:
        fmt_float(json_number_value(v), num, sizeof num);
        put(b, num);
        break;
    case JSON_TRUE: put(b, "true"); break;
    case JSON_FALSE: put(b, "false"); break;
    default: put(b, "<nil>"); break;
    }
}

char *sm_gofmt(const json_t *v, char *buf, size_t len)
{
    struct sbuf b = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    gofmt_rec(v, &b, 0);
    return buf;
}

int sm_is_directive_key(const char *key)
{
    return strcmp(key, SM_DIRECTIVE) == 0 || strcmp(key, SM_RETAIN_KEYS) == 0 ||
           strncmp(key, SM_DELETE_PRIMITIVE, sizeof SM_DELETE_PRIMITIVE - 1) == 0 ||
           strncmp(key, SM_SET_ORDER, sizeof SM_SET_ORDER - 1) == 0;
}

json_t *sm_strip_copy(const json_t *v)
{
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *k;
        json_t *x;
        if (!out)
            return NULL;
        json_object_foreach((json_t *)v, k, x) {
            if (sm_is_directive_key(k))
                continue;
            json_t *c = sm_strip_copy(x);
            if (!c || json_object_set_new(out, k, c) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *x;
        if (!out)
            return NULL;
        json_array_foreach(v, i, x) {
            json_t *c = sm_strip_copy(x);
            if (!c || json_array_append_new(out, c) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

int sm_deep_eq(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_object(a)) {
        const char *k;
        json_t *x;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, x) {
            if (!sm_deep_eq(x, json_object_get(b, k)))
                return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        size_t i;
        json_t *x;
        if (json_array_size(a) != json_array_size(b))
            return 0;
        json_array_foreach(a, i, x) {
            if (!sm_deep_eq(x, json_array_get(b, i)))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

int sm_err_no_merge_key(const json_t *m, const char *mk, char *err, size_t errlen)
{
    char buf[512];
    return sm_err(err, errlen, "map: %s does not contain declared merge key: %s",
                  sm_gofmt(m, buf, sizeof buf), mk);
}
