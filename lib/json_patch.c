/* json_patch.c - RFC 7386 JSON merge patch and RFC 6902 JSON patch (see
 * json_patch.h). Inputs are never modified: patches work on deep copies. */
#include "json_patch.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_merge_patch(const json_t *target, const json_t *patch) {
  if (!json_is_object(patch)) return json_deep_copy(patch);
  json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    if (json_is_null(v)) {
      json_object_del(out, k);
    } else {
      json_t *merged = json_merge_patch(json_object_get(out, k), v);
      json_object_set_new(out, k, merged);
    }
  }
  return out;
}

json_t *json_merge_diff(const json_t *a, const json_t *b) {
  if (!json_is_object(a) || !json_is_object(b)) return json_deep_copy(b);
  json_t *d = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)a, k, v) {
    if (!json_object_get(b, k)) json_object_set_new(d, k, json_null());
  }
  json_object_foreach((json_t *)b, k, v) {
    json_t *old = json_object_get(a, k);
    if (old && json_equal(old, v)) continue;
    if (json_is_object(old) && json_is_object(v)) json_object_set_new(d, k, json_merge_diff(old, v));
    else json_object_set_new(d, k, json_deep_copy(v));
  }
  return d;
}

/* Splits an RFC 6901 pointer into unescaped tokens. Returns the count or -1. */
static int pointer_tokens(const char *ptr, char ***out) {
  *out = NULL;
  if (!*ptr) return 0;
  if (*ptr != '/') return -1;
  int n = 0;
  char **toks = NULL;
  const char *p = ptr;
  while (*p == '/') {
    p++;
    size_t len = strcspn(p, "/");
    char *t = malloc(len + 1), *w = t;
    for (size_t i = 0; i < len; i++) {
      if (p[i] == '~' && i + 1 < len && p[i + 1] == '0') *w++ = '~', i++;
      else if (p[i] == '~' && i + 1 < len && p[i + 1] == '1') *w++ = '/', i++;
      else if (p[i] == '~') {
        free(t);
        for (int k = 0; k < n; k++) free(toks[k]);
        free(toks);
        return -1;
      } else *w++ = p[i];
    }
    *w = 0;
    toks = realloc(toks, (size_t)(n + 1) * sizeof *toks);
    toks[n++] = t;
    p += len;
  }
  *out = toks;
  return n;
}

static void free_tokens(char **t, int n) {
  for (int i = 0; i < n; i++) free(t[i]);
  free(t);
}

/* Array index token: digits only (no leading zeros), or "-" when allowed. */
static long array_index(const char *t, size_t size, int allow_end) {
  if (allow_end && !strcmp(t, "-")) return (long)size;
  if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t) || strlen(t) > 9) return -1;
  return atol(t);
}

/* The container addressed by all tokens but the last (borrowed). */
static json_t *parent_of(json_t *doc, char **t, int n) {
  json_t *cur = doc;
  for (int i = 0; i < n - 1 && cur; i++) {
    if (json_is_object(cur)) cur = json_object_get(cur, t[i]);
    else if (json_is_array(cur)) {
      long idx = array_index(t[i], json_array_size(cur), 0);
      cur = idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
    } else cur = NULL;
  }
  return cur;
}

static json_t *get_at(json_t *doc, char **t, int n) {
  if (n == 0) return doc;
  json_t *p = parent_of(doc, t, n);
  if (json_is_object(p)) return json_object_get(p, t[n - 1]);
  if (json_is_array(p)) {
    long idx = array_index(t[n - 1], json_array_size(p), 0);
    return idx < 0 ? NULL : json_array_get(p, (size_t)idx);
  }
  return NULL;
}

/* Removes and returns (a new reference) the value at t, or NULL. */
static json_t *remove_at(json_t *doc, char **t, int n) {
  if (n == 0) return NULL;
  json_t *p = parent_of(doc, t, n);
  json_t *v = NULL;
  if (json_is_object(p)) {
    v = json_incref(json_object_get(p, t[n - 1]));
    if (v) json_object_del(p, t[n - 1]);
  } else if (json_is_array(p)) {
    long idx = array_index(t[n - 1], json_array_size(p), 0);
    if (idx >= 0 && (size_t)idx < json_array_size(p)) {
      v = json_incref(json_array_get(p, (size_t)idx));
      json_array_remove(p, (size_t)idx);
    }
  }
  return v;
}

/* Adds value (stolen) at t; replaces the document root via *doc. 0 or -1. */
static int add_at(json_t **doc, char **t, int n, json_t *value) {
  if (n == 0) {
    json_decref(*doc);
    *doc = value;
    return 0;
  }
  json_t *p = parent_of(*doc, t, n);
  if (json_is_object(p)) return json_object_set_new(p, t[n - 1], value);
  if (json_is_array(p)) {
    long idx = array_index(t[n - 1], json_array_size(p), 1);
    if (idx >= 0 && (size_t)idx <= json_array_size(p)) return json_array_insert_new(p, (size_t)idx, value);
  }
  json_decref(value);
  return -1;
}

json_t *json_patch_apply(const json_t *doc, const json_t *ops, char *err, size_t errlen) {
  if (!json_is_array(ops)) {
    snprintf(err, errlen, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    return NULL;
  }
  json_t *out = json_deep_copy(doc);
  size_t i;
  json_t *op;
  json_array_foreach(ops, i, op) {
    const char *name = json_string_value(json_object_get(op, "op"));
    const char *path = json_string_value(json_object_get(op, "path"));
    json_t *value = json_object_get(op, "value");
    if (!name) {
      snprintf(err, errlen, "Unexpected kind: %s", "missing op");
      goto fail;
    }
    if (!path) {
      snprintf(err, errlen, "operation missing path");
      goto fail;
    }
    char **t;
    int n = pointer_tokens(path, &t);
    if (n < 0) {
      snprintf(err, errlen, "invalid JSON pointer: %s", path);
      goto fail;
    }
    int rc = 0;
    if (!strcmp(name, "add")) {
      if (!value) rc = -1, snprintf(err, errlen, "add operation does not apply: missing value");
      else if (add_at(&out, t, n, json_deep_copy(value)) != 0)
        rc = -1, snprintf(err, errlen, "add operation does not apply: doc is missing path: \"%s\"", path);
    } else if (!strcmp(name, "remove")) {
      json_t *v = remove_at(out, t, n);
      if (!v) rc = -1, snprintf(err, errlen, "remove operation does not apply: doc is missing path: \"%s\"", path);
      json_decref(v);
    } else if (!strcmp(name, "replace")) {
      json_t *v = n ? remove_at(out, t, n) : json_incref(out);
      if (!v || !value) rc = -1, snprintf(err, errlen, "replace operation does not apply: doc is missing key: %s", path);
      else add_at(&out, t, n, json_deep_copy(value));
      json_decref(v);
    } else if (!strcmp(name, "move") || !strcmp(name, "copy")) {
      const char *from = json_string_value(json_object_get(op, "from"));
      char **f;
      int fn = from ? pointer_tokens(from, &f) : -1;
      json_t *v = NULL;
      if (fn >= 0) v = !strcmp(name, "move") ? remove_at(out, f, fn) : json_deep_copy(get_at(out, f, fn));
      if (!v) rc = -1, snprintf(err, errlen, "%s operation does not apply: doc is missing from path: %s", name,
                                from ? from : "");
      else if (add_at(&out, t, n, v) != 0)
        rc = -1, snprintf(err, errlen, "%s operation does not apply: doc is missing destination path: %s", name, path);
      if (fn >= 0) free_tokens(f, fn);
    } else if (!strcmp(name, "test")) {
      json_t *have = get_at(out, t, n);
      if (!have || !value || !json_equal(have, value))
        rc = -1, snprintf(err, errlen, "testing value %s failed: test failed", path);
    } else {
      rc = -1;
      snprintf(err, errlen, "Unexpected kind: %s", name);
    }
    free_tokens(t, n);
    if (rc != 0) goto fail;
  }
  return out;
fail:
  json_decref(out);
  return NULL;
}
