/* crd_schema_validate.c - validates a custom resource against its CRD's
 * structural schema the way kube-openapi's SchemaValidator does, with the
 * messages ValidateCustomResource turns its results into
 * (`spec.replicas: Invalid value: "string": spec.replicas in body must be of
 * type integer: "string"`). Per node, in the validator order of kube-openapi:
 * type (a mismatch ends the node), nullable, allOf/anyOf/oneOf/not, string
 * length/pattern, format, number bounds, array sizes, enum, then object
 * required/property counts and the children. x-kubernetes-list-type set/map
 * duplicates and embedded resources' apiVersion/kind are checked after, as
 * the structural validation does. Property order follows the object's keys
 * (Kubernetes' own order is a Go map's, i.e. random). */
#include "crd_schema.h"
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

/* Go's %v of a float64: the shortest %g that reads back the same. */
static void go_float(double d, char *buf, size_t len) {
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, len, "%.*g", p, d);
    if (strtod(buf, NULL) == d) return;
  }
}

static double num(const json_t *v) { return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v); }

static const char *type_of(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "object";
  case JSON_ARRAY: return "array";
  case JSON_STRING: return "string";
  case JSON_INTEGER: return "integer";
  case JSON_REAL: return "number";
  case JSON_TRUE:
  case JSON_FALSE: return "boolean";
  default: return "null";
  }
}

static bool is_integral(const json_t *v) {
  return json_is_integer(v) || (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v));
}

static bool type_matches(const char *type, const json_t *v) {
  if (!strcmp(type, "integer")) return is_integral(v);
  if (!strcmp(type, "number")) return json_is_number(v);
  if (!strcmp(type, "boolean")) return json_is_boolean(v);
  return !strcmp(type, type_of(v));
}

/* The path errors are reported at: "<nil>" for the root, as Kubernetes. */
static const char *at(const char *path) { return *path ? path : "<nil>"; }

static void invalid(field_errors *fe, const char *path, const json_t *value, const char *fmt, const char *a,
                    const char *b) {
  char msg[1400];
  snprintf(msg, sizeof msg, fmt, a, b);
  fe_add(fe, FE_INVALID, at(path), value, "%s", msg);
}

static void invalid_len(field_errors *fe, const char *path, long long value, const char *what, long long limit) {
  json_t *v = json_integer(value);
  fe_add(fe, FE_INVALID, at(path), v, "%s in body should %s %lld items", path, what, limit);
  json_decref(v);
}

static void validate_node(const json_t *s, const json_t *v, const char *path, field_errors *fe, int depth);

/* How many errors validating v against s would give (for anyOf/oneOf/not). */
static size_t error_count(const json_t *s, const json_t *v, const char *path, int depth) {
  field_errors *tmp = field_errors_new();
  validate_node(s, v, path, tmp, depth);
  size_t n = fe_count(tmp);
  field_errors_free(tmp);
  return n;
}

static void combinators(const json_t *s, const json_t *v, const char *path, field_errors *fe, int depth) {
  char msg[1200];
  const json_t *all = json_object_get(s, "allOf"), *any = json_object_get(s, "anyOf"),
               *one = json_object_get(s, "oneOf"), *not = json_object_get(s, "not");
  size_t i;
  json_t *sub;
  json_array_foreach(all, i, sub) validate_node(sub, v, path, fe, depth + 1);
  if (json_array_size(any)) {
    bool ok = false;
    json_array_foreach(any, i, sub) ok = ok || error_count(sub, v, path, depth + 1) == 0;
    if (!ok) {
      snprintf(msg, sizeof msg, "\"%s\" must validate at least one schema (anyOf)", path);
      json_t *e = json_string("");
      fe_add(fe, FE_INVALID, "<nil>", e, "%s", msg);
      json_decref(e);
      validate_node(json_array_get(any, 0), v, path, fe, depth + 1);
    }
  }
  if (json_array_size(one)) {
    size_t valid = 0;
    json_array_foreach(one, i, sub) valid += error_count(sub, v, path, depth + 1) == 0;
    if (valid != 1) {
      if (valid == 0) snprintf(msg, sizeof msg, "\"%s\" must validate one and only one schema (oneOf). Found none valid", path);
      else snprintf(msg, sizeof msg, "\"%s\" must validate one and only one schema (oneOf). Found %zu valid alternatives", path, valid);
      json_t *e = json_string("");
      fe_add(fe, FE_INVALID, "<nil>", e, "%s", msg);
      json_decref(e);
      if (valid == 0) validate_node(json_array_get(one, 0), v, path, fe, depth + 1);
    }
  }
  if (json_is_object(not) && error_count(not, v, path, depth + 1) == 0) {
    snprintf(msg, sizeof msg, "\"%s\" must not validate the schema (not)", path);
    json_t *e = json_string("");
    fe_add(fe, FE_INVALID, "<nil>", e, "%s", msg);
    json_decref(e);
  }
}

static bool all_chars(const char *s, const char *set) { return strspn(s, set) == strlen(s); }

static bool valid_format(const char *format, const char *s) {
  regex_t re;
  const char *pattern = NULL;
  if (!strcmp(format, "date-time"))
    pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";
  else if (!strcmp(format, "date")) pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
  else if (!strcmp(format, "uuid"))
    pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
  else if (!strcmp(format, "ipv4"))
    pattern = "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";
  else if (!strcmp(format, "hostname"))
    pattern = "^[a-zA-Z0-9]([-a-zA-Z0-9]{0,62}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,62}[a-zA-Z0-9])?)*$";
  else if (!strcmp(format, "email")) pattern = "^[^@[:space:]]+@[^@[:space:]]+$";
  else if (!strcmp(format, "byte"))
    return strlen(s) % 4 == 0 && all_chars(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
  else if (!strcmp(format, "ipv6"))
    return strchr(s, ':') && all_chars(s, "0123456789abcdefABCDEF:.");
  if (!pattern) return true;
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return true;
  bool ok = regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

/* Go's regexp (RE2) syntax mostly overlaps POSIX ERE; \d and friends are
 * rewritten, patterns POSIX cannot compile are not enforced. */
static bool pattern_matches(const char *pattern, const char *s) {
  char ere[2048];
  size_t w = 0;
  for (const char *p = pattern; *p && w + 16 < sizeof ere; p++) {
    if (p[0] == '\\' && p[1]) {
      const char *rep = p[1] == 'd' ? "[0-9]" : p[1] == 'w' ? "[A-Za-z0-9_]" : p[1] == 's' ? "[[:space:]]" : NULL;
      if (rep) {
        w += (size_t)snprintf(ere + w, sizeof ere - w, "%s", rep);
        p++;
        continue;
      }
    }
    ere[w++] = *p;
  }
  ere[w] = 0;
  regex_t re;
  if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0) return true;
  bool ok = regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

static size_t utf8_len(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static void string_checks(const json_t *s, const json_t *v, const char *path, field_errors *fe) {
  const char *str = json_string_value(v);
  size_t n = utf8_len(str);
  const json_t *maxl = json_object_get(s, "maxLength"), *minl = json_object_get(s, "minLength");
  char msg[1200];
  /* kube-openapi's string validator stops at its first failure */
  if (json_is_integer(maxl) && (long long)n > json_integer_value(maxl)) {
    snprintf(msg, sizeof msg, "%s in body should be at most %lld chars long", path, json_integer_value(maxl));
    fe_add(fe, FE_INVALID, at(path), v, "%s", msg);
  } else if (json_is_integer(minl) && (long long)n < json_integer_value(minl)) {
    snprintf(msg, sizeof msg, "%s in body should be at least %lld chars long", path, json_integer_value(minl));
    fe_add(fe, FE_INVALID, at(path), v, "%s", msg);
  } else {
    const char *pattern = json_string_value(json_object_get(s, "pattern"));
    if (pattern && !pattern_matches(pattern, str)) invalid(fe, path, v, "%s in body should match '%s'", path, pattern);
  }
  const char *format = json_string_value(json_object_get(s, "format"));
  if (format && !valid_format(format, str)) {
    snprintf(msg, sizeof msg, "%s in body must be of type %s: \"%s\"", path, format, str);
    fe_add(fe, FE_INVALID, at(path), v, "%s", msg);
  }
}

static void number_checks(const json_t *s, const json_t *v, const char *path, field_errors *fe) {
  double d = num(v);
  char lim[64], msg[1200];
  const json_t *mult = json_object_get(s, "multipleOf"), *max = json_object_get(s, "maximum"),
               *min = json_object_get(s, "minimum");
  if (json_is_number(mult) && num(mult) > 0) {
    double q = d / num(mult);
    if (fabs(q - round(q)) > 1e-9) {
      go_float(num(mult), lim, sizeof lim);
      snprintf(msg, sizeof msg, "%s in body should be a multiple of %s", path, lim);
      fe_add(fe, FE_INVALID, at(path), v, "%s", msg);
    }
  }
  if (json_is_number(max)) {
    bool excl = json_is_true(json_object_get(s, "exclusiveMaximum"));
    if (excl ? d >= num(max) : d > num(max)) {
      go_float(num(max), lim, sizeof lim);
      snprintf(msg, sizeof msg, excl ? "%s in body should be less than %s" : "%s in body should be less than or equal to %s",
               path, lim);
      fe_add(fe, FE_INVALID, at(path), v, "%s", msg);
    }
  }
  if (json_is_number(min)) {
    bool excl = json_is_true(json_object_get(s, "exclusiveMinimum"));
    if (excl ? d <= num(min) : d < num(min)) {
      go_float(num(min), lim, sizeof lim);
      snprintf(msg, sizeof msg,
               excl ? "%s in body should be greater than %s" : "%s in body should be greater than or equal to %s", path,
               lim);
      fe_add(fe, FE_INVALID, at(path), v, "%s", msg);
    }
  }
}

static void enum_check(const json_t *s, const json_t *v, const char *path, field_errors *fe) {
  const json_t *en = json_object_get(s, "enum");
  if (!json_is_array(en) || !json_array_size(en)) return;
  size_t i, n = json_array_size(en);
  json_t *e;
  json_array_foreach(en, i, e) {
    if (json_equal(e, (json_t *)v) || (json_is_number(e) && json_is_number(v) && num(e) == num(v))) return;
  }
  char **vals = calloc(n + 1, sizeof *vals);
  json_array_foreach(en, i, e) vals[i] = json_is_string(e) ? strdup(json_string_value(e)) : json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
  fe_not_supported(fe, at(path), v, (const char *const *)vals);
  for (i = 0; i < n; i++) free(vals[i]);
  free(vals);
}

static void array_checks(const json_t *s, const json_t *v, const char *path, field_errors *fe, int depth) {
  long long n = (long long)json_array_size(v);
  const json_t *mini = json_object_get(s, "minItems"), *maxi = json_object_get(s, "maxItems");
  if (json_is_integer(maxi) && n > json_integer_value(maxi))
    invalid_len(fe, path, n, "have at most", json_integer_value(maxi));
  if (json_is_integer(mini) && n < json_integer_value(mini))
    invalid_len(fe, path, n, "have at least", json_integer_value(mini));
  const json_t *items = json_object_get(s, "items");
  if (!json_is_object(items)) return;
  size_t i;
  json_t *e;
  char p[1100];
  json_array_foreach(v, i, e) {
    snprintf(p, sizeof p, "%s[%zu]", path, i);
    validate_node(items, e, p, fe, depth + 1);
  }
}

static void child_path(char *out, size_t len, const char *path, const char *key) {
  snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

static void property_count(field_errors *fe, const char *path, const json_t *limit, const char *what) {
  char msg[1200];
  snprintf(msg, sizeof msg, "%s in body should have %s %lld properties", path, what, json_integer_value(limit));
  fe_add(fe, FE_INVALID, at(path), limit, "%s", msg);
}

static void object_checks(const json_t *s, const json_t *v, const char *path, field_errors *fe, int depth) {
  char p[1100];
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(s, "required"), i, r) {
    const char *name = json_string_value(r);
    if (name && !json_object_get(v, name)) {
      child_path(p, sizeof p, path, name);
      fe_required(fe, p, "");
    }
  }
  const json_t *minp = json_object_get(s, "minProperties"), *maxp = json_object_get(s, "maxProperties");
  long long n = (long long)json_object_size(v);
  if (json_is_integer(maxp) && n > json_integer_value(maxp)) property_count(fe, path, maxp, "at most");
  if (json_is_integer(minp) && n < json_integer_value(minp)) property_count(fe, path, minp, "at least");
  const json_t *props = json_object_get(s, "properties"), *addl = json_object_get(s, "additionalProperties");
  const char *k;
  json_t *e;
  json_object_foreach((json_t *)v, k, e) {
    if (!path[0] && (!strcmp(k, "metadata") || !strcmp(k, "apiVersion") || !strcmp(k, "kind"))) continue;
    const json_t *ps = json_object_get(props, k);
    if (!ps && json_is_object(addl)) ps = addl;
    if (!ps) continue;
    child_path(p, sizeof p, path, k);
    validate_node(ps, e, p, fe, depth + 1);
  }
}

static void validate_node(const json_t *s, const json_t *v, const char *path, field_errors *fe, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return;
  if (json_is_null(v) && json_is_true(json_object_get(s, "nullable"))) return;
  const char *type = json_string_value(json_object_get(s, "type"));
  bool int_or_string = json_is_true(json_object_get(s, "x-kubernetes-int-or-string"));
  char msg[1200];
  if (int_or_string && !is_integral(v) && !json_is_string(v)) {
    snprintf(msg, sizeof msg, "%s in body must be of type integer,string: \"%s\"", path, type_of(v));
    json_t *t = json_string(type_of(v));
    fe_add(fe, FE_INVALID, at(path), t, "%s", msg);
    json_decref(t);
    return;
  }
  if (type && *type && !type_matches(type, v)) {
    snprintf(msg, sizeof msg, "%s in body must be of type %s: \"%s\"", path, type, type_of(v));
    json_t *t = json_string(type_of(v));
    fe_add(fe, FE_INVALID, at(path), t, "%s", msg);
    json_decref(t);
    return;
  }
  combinators(s, v, path, fe, depth);
  if (json_is_string(v)) string_checks(s, v, path, fe);
  if (json_is_number(v)) number_checks(s, v, path, fe);
  if (json_is_array(v)) array_checks(s, v, path, fe, depth);
  enum_check(s, v, path, fe);
  if (json_is_object(v)) object_checks(s, v, path, fe, depth);
}

/* ---- structural checks after the OpenAPI validation ------------------- */

static bool same_keys(const json_t *a, const json_t *b, const json_t *keys) {
  size_t i;
  json_t *k;
  json_array_foreach(keys, i, k) {
    const char *name = json_string_value(k);
    if (!name || !json_equal(json_object_get(a, name), json_object_get(b, name))) return false;
  }
  return true;
}

/* Go's %#v of a list-map element's keys: map[string]interface {}{"name":"a"}. */
static char *render_keys(const json_t *e, const json_t *keys) {
  size_t cap = 256, len = 0;
  char *out = malloc(cap);
  len += (size_t)snprintf(out, cap, "map[string]interface {}{");
  size_t i;
  json_t *k;
  json_array_foreach(keys, i, k) {
    char *val = fe_render_value(json_object_get(e, json_string_value(k)));
    size_t need = len + strlen(json_string_value(k)) + strlen(val) + 8;
    if (need > cap) out = realloc(out, cap = need * 2);
    len += (size_t)snprintf(out + len, cap - len, "%s\"%s\":%s", i ? ", " : "", json_string_value(k), val);
    free(val);
  }
  if (len + 2 > cap) out = realloc(out, len + 2);
  strcpy(out + len, "}");
  return out;
}

static void list_type_checks(const json_t *s, const json_t *v, const char *path, field_errors *fe) {
  const char *lt = json_string_value(json_object_get(s, "x-kubernetes-list-type"));
  if (!lt || !json_is_array(v)) return;
  const json_t *keys = json_object_get(s, "x-kubernetes-list-map-keys");
  char p[1100];
  for (size_t i = 1; i < json_array_size(v); i++) {
    const json_t *e = json_array_get(v, i);
    for (size_t j = 0; j < i; j++) {
      const json_t *o = json_array_get(v, j);
      bool dup = !strcmp(lt, "set") ? json_equal((json_t *)e, (json_t *)o)
                 : !strcmp(lt, "map") && json_is_object(e) && json_is_object(o) ? same_keys(e, o, keys)
                                                                             : false;
      if (!dup) continue;
      snprintf(p, sizeof p, "%s[%zu]", path, i);
      if (!strcmp(lt, "map")) {
        char *r = render_keys(e, keys);
        fe_add_rendered(fe, FE_DUPLICATE, p, r, NULL);
        free(r);
      } else {
        fe_add(fe, FE_DUPLICATE, p, e, NULL);
      }
      break;
    }
  }
}

static void embedded_checks(const json_t *s, const json_t *v, const char *path, field_errors *fe) {
  if (!json_is_true(json_object_get(s, "x-kubernetes-embedded-resource")) || !json_is_object(v)) return;
  char p[1100];
  static const char *const fields[] = {"apiVersion", "kind"};
  for (int i = 0; i < 2; i++) {
    const char *val = json_string_value(json_object_get(v, fields[i]));
    if (val && *val) continue;
    child_path(p, sizeof p, path, fields[i]);
    fe_required(fe, p, "must not be empty");
  }
}

static void structural(const json_t *s, const json_t *v, const char *path, field_errors *fe, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return;
  list_type_checks(s, v, path, fe);
  embedded_checks(s, v, path, fe);
  char p[1100];
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      snprintf(p, sizeof p, "%s[%zu]", path, i);
      structural(json_object_get(s, "items"), e, p, fe, depth + 1);
    }
  } else if (json_is_object(v)) {
    const json_t *props = json_object_get(s, "properties"), *addl = json_object_get(s, "additionalProperties");
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) {
      const json_t *ps = json_object_get(props, k);
      if (!ps && json_is_object(addl)) ps = addl;
      child_path(p, sizeof p, path, k);
      structural(ps, e, p, fe, depth + 1);
    }
  }
}

void crd_schema_validate(const json_t *schema, const json_t *obj, field_errors *fe) {
  if (!schema) return;
  validate_node(schema, obj, "", fe, 0);
  structural(schema, obj, "", fe, 0);
}
