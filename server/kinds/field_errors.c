/* field_errors.c - field.ErrorList and its Status (see field_errors.h). Bad
 * values print as Go's field.Error does: strings %q-quoted, numbers and
 * booleans bare, string maps as map[string]string{"k":"v"}, null as null. */
#include "field_errors.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  field_error_type type;
  char *field;
  char *body; /* ErrorBody(): "Invalid value: 3: must be ..." */
} field_error;

struct field_errors {
  field_error *v;
  size_t n, cap;
};

static const char *const type_text[] = {"Not found", "Required value", "Duplicate value", "Invalid value",
                                        "Unsupported value", "Forbidden", "Too long", "Too many",
                                        "Internal error", "Invalid value"};
static const char *const type_reason[] = {"FieldValueNotFound", "FieldValueRequired", "FieldValueDuplicate",
                                          "FieldValueInvalid", "FieldValueNotSupported", "FieldValueForbidden",
                                          "FieldValueTooLong", "FieldValueTooMany", "InternalError",
                                          "FieldValueTypeInvalid"};

field_errors *field_errors_new(void) { return calloc(1, sizeof(field_errors)); }

void field_errors_free(field_errors *fe) {
  if (!fe) return;
  for (size_t i = 0; i < fe->n; i++) free(fe->v[i].field), free(fe->v[i].body);
  free(fe->v);
  free(fe);
}

/* Go's %q for a string into f. */
static void go_quote(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p == '\t') fputs("\\t", f);
    else if (*p < 0x20) fprintf(f, "\\x%02x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* Go's %v of a float64: the shortest digits that read back the same, in
 * exponent form only from 1e21 (or below 1e-4), where C's %g switches at the
 * precision; values in between that %g puts in exponent form are whole. */
static void go_float(FILE *f, double d) {
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  if (strchr(buf, 'e') && d < 1e21 && d > -1e21 && (d >= 1e-4 || d <= -1e-4)) snprintf(buf, sizeof buf, "%.0f", d);
  fputs(buf, f);
}

static void go_value(FILE *f, const json_t *v) {
  if (!v || json_is_null(v)) fputs("null", f);
  else if (json_is_string(v)) go_quote(f, json_string_value(v));
  else if (json_is_integer(v)) fprintf(f, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) go_float(f, json_real_value(v));
  else if (json_is_boolean(v)) fputs(json_is_true(v) ? "true" : "false", f);
  else if (json_is_object(v)) {
    /* map[string]string{"a":"b"} with keys sorted, as %#v prints Go maps */
    size_t n = json_object_size(v), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) keys[i++] = k;
    for (size_t a = 0; a < n; a++)
      for (size_t b = a + 1; b < n; b++)
        if (strcmp(keys[b], keys[a]) < 0) {
          const char *t = keys[a];
          keys[a] = keys[b];
          keys[b] = t;
        }
    fputs("map[string]string{", f);
    for (i = 0; i < n; i++) {
      if (i) fputs(", ", f);
      go_quote(f, keys[i]);
      fputc(':', f);
      json_t *e2 = json_object_get(v, keys[i]);
      if (json_is_string(e2)) go_quote(f, json_string_value(e2));
      else go_value(f, e2);
    }
    fputc('}', f);
    free(keys);
  } else if (json_is_array(v)) {
    /* %#v of a Go slice: []string{"a", "b"} or []interface {}{...} */
    size_t i;
    json_t *e;
    bool strs = true;
    json_array_foreach(v, i, e) strs = strs && json_is_string(e);
    fputs(strs ? "[]string{" : "[]interface {}{", f);
    json_array_foreach(v, i, e) {
      if (i) fputs(", ", f);
      go_value(f, e);
    }
    fputc('}', f);
  } else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    fputs(s ? s : "", f);
    free(s);
  }
}

static void add_raw(field_errors *fe, field_error_type type, const char *field, char *body) {
  if (fe->n == fe->cap) {
    fe->cap = fe->cap ? fe->cap * 2 : 8;
    fe->v = realloc(fe->v, fe->cap * sizeof *fe->v);
  }
  fe->v[fe->n++] = (field_error){type, strdup(field), body};
}

static void vadd(field_errors *fe, field_error_type type, const char *field, const json_t *bad, const char *fmt,
                 va_list ap) {
  char *body = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&body, &len);
  fputs(type_text[type], f);
  if (type != FE_REQUIRED && type != FE_FORBIDDEN && type != FE_TOO_LONG && type != FE_INTERNAL) {
    fputs(": ", f);
    /* field.Error turns a nil value into the string "null", then quotes it */
    if (!bad || json_is_null(bad)) fputs("\"null\"", f);
    else go_value(f, bad);
  }
  if (fmt && *fmt) {
    char detail[2048];
    vsnprintf(detail, sizeof detail, fmt, ap);
    if (*detail) fprintf(f, ": %s", detail);
  }
  fclose(f);
  add_raw(fe, type, field, body);
}

void fe_add(field_errors *fe, field_error_type type, const char *field, const json_t *bad, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vadd(fe, type, field, bad, fmt, ap);
  va_end(ap);
}

char *fe_render_value(const json_t *v) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f) return NULL;
  if (!v || json_is_null(v)) fputs("\"null\"", f);
  else go_value(f, v);
  fclose(f);
  return out;
}

/* %#v of a metav1.LabelSelector value: nil map and slice print as typed nils. */
char *fe_render_selector(const json_t *sel) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f) return NULL;
  fputs("v1.LabelSelector{MatchLabels:", f);
  const json_t *ml = json_object_get(sel, "matchLabels");
  if (json_is_object(ml)) go_value(f, ml);
  else fputs("map[string]string(nil)", f);
  fputs(", MatchExpressions:", f);
  const json_t *me = json_object_get(sel, "matchExpressions");
  if (json_is_array(me)) {
    fputs("[]v1.LabelSelectorRequirement{", f);
    size_t i;
    json_t *r;
    json_array_foreach(me, i, r) {
      const char *key = json_string_value(json_object_get(r, "key"));
      const char *op = json_string_value(json_object_get(r, "operator"));
      fputs(i ? ", v1.LabelSelectorRequirement{Key:" : "v1.LabelSelectorRequirement{Key:", f);
      go_quote(f, key ? key : "");
      fputs(", Operator:", f);
      go_quote(f, op ? op : "");
      fputs(", Values:", f);
      const json_t *vals = json_object_get(r, "values");
      if (json_is_array(vals)) go_value(f, vals);
      else fputs("[]string(nil)", f);
      fputc('}', f);
    }
    fputc('}', f);
  } else {
    fputs("[]v1.LabelSelectorRequirement(nil)", f);
  }
  fputc('}', f);
  fclose(f);
  return out;
}

void fe_add_rendered(field_errors *fe, field_error_type type, const char *field, const char *rendered,
                     const char *detail) {
  char *body = NULL;
  bool shows = type != FE_REQUIRED && type != FE_FORBIDDEN && type != FE_TOO_LONG && type != FE_INTERNAL;
  if (asprintf(&body, "%s%s%s%s%s", type_text[type], shows ? ": " : "", shows ? (rendered ? rendered : "\"null\"") : "",
               detail && *detail ? ": " : "", detail ? detail : "") < 0)
    return;
  add_raw(fe, type, field, body);
}

void fe_invalid_raw(field_errors *fe, const char *field, const char *go_value, const char *detail) {
  char *body = NULL;
  if (asprintf(&body, "%s: %s%s%s", type_text[FE_INVALID], go_value, detail && *detail ? ": " : "",
               detail ? detail : "") < 0)
    return;
  add_raw(fe, FE_INVALID, field, body);
}

void fe_required(field_errors *fe, const char *field, const char *detail) {
  fe_add(fe, FE_REQUIRED, field, NULL, "%s", detail ? detail : "");
}

void fe_forbidden(field_errors *fe, const char *field, const char *detail) {
  fe_add(fe, FE_FORBIDDEN, field, NULL, "%s", detail ? detail : "");
}

void fe_invalid_str(field_errors *fe, const char *field, const char *value, const char *detail) {
  json_t *v = json_string(value ? value : "");
  fe_add(fe, FE_INVALID, field, v, "%s", detail ? detail : "");
  json_decref(v);
}

void fe_invalid_int(field_errors *fe, const char *field, long long value, const char *detail) {
  json_t *v = json_integer(value);
  fe_add(fe, FE_INVALID, field, v, "%s", detail ? detail : "");
  json_decref(v);
}

void fe_not_supported(field_errors *fe, const char *field, const json_t *bad, const char *const *supported) {
  char *list = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&list, &len);
  for (int i = 0; supported && supported[i]; i++) {
    if (i) fputs(", ", f);
    go_quote(f, supported[i]);
  }
  fclose(f);
  if (supported && supported[0]) fe_add(fe, FE_NOT_SUPPORTED, field, bad, "supported values: %s", list);
  else fe_add(fe, FE_NOT_SUPPORTED, field, bad, NULL);
  free(list);
}

size_t fe_count(const field_errors *fe) { return fe ? fe->n : 0; }

const char *fe_field(const field_errors *fe, size_t i) { return fe && i < fe->n ? fe->v[i].field : NULL; }
const char *fe_body(const field_errors *fe, size_t i) { return fe && i < fe->n ? fe->v[i].body : NULL; }

char *fe_message(const field_errors *fe) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  /* ToAggregate drops duplicate messages */
  size_t shown = 0;
  for (size_t i = 0; i < fe->n; i++) {
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++)
      dup = !strcmp(fe->v[i].field, fe->v[j].field) && !strcmp(fe->v[i].body, fe->v[j].body);
    if (!dup) shown++;
  }
  if (shown > 1) fputc('[', f);
  size_t k = 0;
  for (size_t i = 0; i < fe->n; i++) {
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++)
      dup = !strcmp(fe->v[i].field, fe->v[j].field) && !strcmp(fe->v[i].body, fe->v[j].body);
    if (dup) continue;
    fprintf(f, "%s%s: %s", k++ ? ", " : "", fe->v[i].field, fe->v[i].body);
  }
  if (shown > 1) fputc(']', f);
  fclose(f);
  return out;
}

json_t *fe_to_status(const field_errors *fe, const char *group, const char *kind, const char *name) {
  char *msg = fe_message(fe);
  char *full = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&full, &len);
  fprintf(f, "%s%s%s ", kind, group && *group ? "." : "", group ? group : "");
  go_quote(f, name ? name : "");
  fprintf(f, " is invalid: %s", msg);
  fclose(f);
  json_t *causes = json_array();
  for (size_t i = 0; i < fe->n; i++)
    json_array_append_new(causes, json_pack("{s:s,s:s,s:s}", "reason", type_reason[fe->v[i].type], "message",
                                            fe->v[i].body, "field", fe->v[i].field));
  json_t *details = json_object();
  if (name && *name) json_object_set_new(details, "name", json_string(name));
  if (group && *group) json_object_set_new(details, "group", json_string(group));
  json_object_set_new(details, "kind", json_string(kind));
  json_object_set_new(details, "causes", causes);
  json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:o,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                         "status", "Failure", "message", full, "reason", "Invalid", "details", details, "code", 422);
  free(msg);
  free(full);
  return st;
}

void fe_invalid_selector(field_errors *fe, const char *field, const json_t *sel, const char *detail) {
  char *repr = fe_render_selector(sel);
  fe_invalid_raw(fe, field, repr, detail);
  free(repr);
}
