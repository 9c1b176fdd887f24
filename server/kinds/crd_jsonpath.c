/* crd_jsonpath.c - the JSONPath subset CRDs use in practice (see
 * crd_schema.h): printer columns (".status.conditions[?(@.type=="Ready")].status",
 * ".spec.ports[0].port", ".metadata.labels['app.kubernetes.io/name']") and the
 * scale subresource paths (".spec.replicas"). A path is parsed step by step;
 * each step is a field name, an index, a quoted key or one equality filter. */
#include "crd_schema.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { STEP_FIELD, STEP_INDEX, STEP_FILTER } step_kind;

typedef struct {
  step_kind kind;
  char name[256];   /* field name, or the filter's field */
  char value[256];  /* filter: the compared value */
  long index;
} step;

/* Parses the step at *p; 1 when one was read, 0 at the end, -1 when bad. */
static int next_step(const char **p, step *s) {
  const char *c = *p;
  if (!*c) return 0;
  memset(s, 0, sizeof *s);
  if (*c == '.') {
    c++;
    size_t n = strcspn(c, ".[");
    if (n == 0 || n >= sizeof s->name) return -1;
    memcpy(s->name, c, n);
    s->kind = STEP_FIELD;
    *p = c + n;
    return 1;
  }
  if (*c != '[') return -1;
  c++;
  if (*c == '\'' || *c == '"') {
    char q = *c++;
    const char *end = strchr(c, q);
    if (!end || end[1] != ']' || (size_t)(end - c) >= sizeof s->name || end == c) return -1;
    memcpy(s->name, c, (size_t)(end - c));
    s->kind = STEP_FIELD;
    *p = end + 2;
    return 1;
  }
  if (isdigit((unsigned char)*c)) {
    char *end;
    s->index = strtol(c, &end, 10);
    if (*end != ']') return -1;
    s->kind = STEP_INDEX;
    *p = end + 1;
    return 1;
  }
  /* [?(@.field=="value")] */
  if (strncmp(c, "?(@.", 4) != 0) return -1;
  c += 4;
  size_t n = strcspn(c, "=");
  if (n == 0 || n >= sizeof s->name || strncmp(c + n, "==", 2) != 0) return -1;
  memcpy(s->name, c, n);
  c += n + 2;
  char q = *c;
  if (q != '"' && q != '\'') return -1;
  const char *end = strchr(c + 1, q);
  if (!end || strncmp(end + 1, ")]", 2) != 0 || (size_t)(end - c - 1) >= sizeof s->value) return -1;
  memcpy(s->value, c + 1, (size_t)(end - c - 1));
  s->kind = STEP_FILTER;
  *p = end + 3;
  return 1;
}

int crd_jsonpath_check(const char *path) {
  if (!path || *path != '.') return -1;
  step s;
  int rc;
  while ((rc = next_step(&path, &s)) == 1) {
  }
  return rc;
}

static const json_t *apply(const json_t *cur, const step *s) {
  switch (s->kind) {
  case STEP_FIELD:
    return json_is_object(cur) ? json_object_get(cur, s->name) : NULL;
  case STEP_INDEX:
    return json_is_array(cur) ? json_array_get(cur, (size_t)s->index) : NULL;
  case STEP_FILTER: {
    size_t i;
    json_t *e;
    json_array_foreach(cur, i, e) {
      const char *v = json_string_value(json_object_get(e, s->name));
      if (v && !strcmp(v, s->value)) return e;
    }
    return NULL;
  }
  }
  return NULL;
}

const json_t *crd_jsonpath_get(const json_t *obj, const char *path) {
  if (crd_jsonpath_check(path) != 0) return NULL;
  const json_t *cur = obj;
  step s;
  while (cur && next_step(&path, &s) == 1) cur = apply(cur, &s);
  return cur;
}

int crd_jsonpath_set(json_t *obj, const char *path, json_t *v) {
  if (crd_jsonpath_check(path) != 0 || !json_is_object(obj)) {
    json_decref(v);
    return -1;
  }
  json_t *cur = obj;
  step s;
  while (next_step(&path, &s) == 1) {
    if (s.kind != STEP_FIELD || !json_is_object(cur)) {
      json_decref(v);
      return -1;
    }
    if (!*path) return json_object_set_new(cur, s.name, v);
    json_t *child = json_object_get(cur, s.name);
    if (!json_is_object(child)) json_object_set_new(cur, s.name, child = json_object());
    cur = child;
  }
  json_decref(v);
  return -1;
}
