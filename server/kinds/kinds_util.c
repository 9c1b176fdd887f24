/* kinds_util.c - helpers of the kinds_*.c files (see kinds_util.h), with
 * apimachinery's name-format rules and messages. */
#include "kinds_util.h"
#include "quantity.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *kobj(json_t *obj, const char *key) {
  if (!json_is_object(obj)) return NULL; /* jansson would free the new object at once */
  json_t *v = json_object_get(obj, key);
  if (!json_is_object(v)) {
    v = json_object();
    json_object_set_new(obj, key, v);
  }
  return v;
}

void kdefault(json_t *obj, const char *key, json_t *v) {
  if (json_is_object(obj) && !json_object_get(obj, key)) json_object_set_new(obj, key, v);
  else json_decref(v);
}

const char *kstr(const json_t *obj, const char *key) { return json_string_value(json_object_get(obj, key)); }

bool kis(const kind_ref *k, const char *group, const char *kind) {
  return !strcmp(k->group, group) && !strcmp(k->kind, kind);
}

static bool alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static bool is_label(const char *s, size_t n, bool first_alpha) {
  if (n == 0 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1])) return false;
  if (first_alpha && !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (size_t i = 0; i < n; i++)
    if (!alnum_lower(s[i]) && s[i] != '-') return false;
  return true;
}

static const char *const subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char *const label_msg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char *const dns1035_msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, "
    "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')";

void check_dns1123_subdomain(field_errors *fe, const char *field, const char *v) {
  size_t n = strlen(v);
  if (n > 253) fe_invalid_str(fe, field, v, "must be no more than 253 characters");
  bool ok = n > 0;
  for (const char *p = v; ok && *p;) {
    size_t len = strcspn(p, ".");
    ok = is_label(p, len, false);
    p += len;
    if (*p == '.') {
      p++;
      ok = ok && *p;
    }
  }
  if (!ok) fe_invalid_str(fe, field, v, subdomain_msg);
}

void check_dns1123_label(field_errors *fe, const char *field, const char *v) {
  if (strlen(v) > 63) fe_invalid_str(fe, field, v, "must be no more than 63 characters");
  if (!is_label(v, strlen(v), false)) fe_invalid_str(fe, field, v, label_msg);
}

void check_dns1035_label(field_errors *fe, const char *field, const char *v) {
  if (strlen(v) > 63) fe_invalid_str(fe, field, v, "must be no more than 63 characters");
  if (!is_label(v, strlen(v), true)) fe_invalid_str(fe, field, v, dns1035_msg);
}

static bool qualified_part(const char *s, size_t n) {
  if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1])) return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
  return true;
}

static const char *const qname_regex_msg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

static void invalid2(field_errors *fe, const char *field, const char *shown, const char *a, const char *b) {
  char *m = NULL;
  if (asprintf(&m, "%s%s", a, b) < 0) return;
  fe_invalid_str(fe, field, shown, m);
  free(m);
}

void check_qualified_name_as(field_errors *fe, const char *field, const char *shown, const char *v) {
  const char *slash = strchr(v, '/');
  if (slash && strchr(slash + 1, '/')) {
    char *m = NULL;
    if (asprintf(&m, "%s with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                 qname_regex_msg) >= 0)
      invalid2(fe, field, shown, "a qualified name ", m);
    free(m);
    return;
  }
  const char *name = slash ? slash + 1 : v;
  if (slash) {
    size_t plen = (size_t)(slash - v);
    char *prefix = strndup(v, plen);
    if (!plen) invalid2(fe, field, shown, "prefix part ", "must be non-empty");
    else if (prefix) {
      if (plen > 253) invalid2(fe, field, shown, "prefix part ", "must be no more than 253 characters");
      field_errors *tmp = field_errors_new();
      check_dns1123_subdomain(tmp, field, prefix);
      if (fe_count(tmp) > (plen > 253 ? 1u : 0u)) invalid2(fe, field, shown, "prefix part ", subdomain_msg);
      field_errors_free(tmp);
    }
    free(prefix);
  }
  size_t n = strlen(name);
  if (!n) invalid2(fe, field, shown, "name part ", "must be non-empty");
  else if (n > 63) invalid2(fe, field, shown, "name part ", "must be no more than 63 characters");
  bool ok = n > 0 && isalnum((unsigned char)name[0]) && isalnum((unsigned char)name[n - 1]);
  for (size_t i = 0; ok && i < n; i++)
    ok = isalnum((unsigned char)name[i]) || strchr("-_.", name[i]);
  if (!ok) invalid2(fe, field, shown, "name part ", qname_regex_msg);
}

void check_qualified_name(field_errors *fe, const char *field, const char *v) {
  check_qualified_name_as(fe, field, v, v);
}

void check_label_value(field_errors *fe, const char *field, const char *v) {
  size_t n = strlen(v);
  if (n > 63) fe_invalid_str(fe, field, v, "must be no more than 63 characters");
  if (n && !qualified_part(v, n < 64 ? n : 63))
    fe_invalid_str(fe, field, v,
                   "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

bool kone_of(const char *s, const char *const *list) {
  for (int i = 0; s && list[i]; i++)
    if (!strcmp(s, list[i])) return true;
  return false;
}

void kcheck_enum(field_errors *fe, const char *field, const json_t *obj, const char *key, const char *const *list) {
  const char *s = kstr(obj, key);
  if (s && !kone_of(s, list)) fe_not_supported(fe, field, json_object_get(obj, key), list);
}

void kcheck_nonneg(field_errors *fe, const char *field, const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  if (json_is_integer(v) && json_integer_value(v) < 0)
    fe_add(fe, FE_INVALID, field, v, "must be greater than or equal to 0");
}

void check_port(field_errors *fe, const char *field, const json_t *v) {
  json_int_t p = json_integer_value(v);
  if (!v) fe_invalid_int(fe, field, 0, "must be between 1 and 65535, inclusive");
  else if (!json_is_integer(v) || p < 1 || p > 65535)
    fe_add(fe, FE_INVALID, field, v, "must be between 1 and 65535, inclusive");
}

void check_config_keys(field_errors *fe, const char *prefix, const json_t *map) {
  static const char *const chars = "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)map, k, v) {
    char f[512];
    snprintf(f, sizeof f, "%s[%s]", prefix, k);
    size_t n = strlen(k);
    if (n > 253) fe_invalid_str(fe, f, k, "must be no more than 253 characters");
    if (!n || strspn(k, chars) != n)
      fe_invalid_str(fe, f, k,
                     "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                     "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    if (!strcmp(k, ".")) fe_invalid_str(fe, f, k, "must not be '.'");
    else if (!strcmp(k, "..")) fe_invalid_str(fe, f, k, "must not be '..'");
    else if (!strncmp(k, "..", 2)) fe_invalid_str(fe, f, k, "must not start with '..'");
  }
}

void kcanonical_quantities(json_t *list) {
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(list, tmp, k, v) {
    char buf[64], num[64];
    if (json_is_integer(v) || json_is_real(v)) { /* Quantity's UnmarshalJSON takes a bare number too */
      if (json_is_integer(v)) snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
      else snprintf(num, sizeof num, "%.15g", json_real_value(v));
      if (quantity_canonicalize(num, buf, sizeof buf) == 0) json_object_set_new(list, k, json_string(buf));
    } else if (json_is_string(v) && quantity_canonicalize(json_string_value(v), buf, sizeof buf) == 0 &&
               strcmp(buf, json_string_value(v))) {
      json_string_set(v, buf);
    }
  }
}

void check_port_name(field_errors *fe, const char *field, const char *name) {
  size_t n = strlen(name);
  if (n > 15) fe_invalid_str(fe, field, name, "must be no more than 15 characters");
  if (!n || strspn(name, "-abcdefghijklmnopqrstuvwxyz0123456789") != n)
    fe_invalid_str(fe, field, name, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!strpbrk(name, "abcdefghijklmnopqrstuvwxyz"))
    fe_invalid_str(fe, field, name, "must contain at least one letter or number (a-z, 0-9)");
  if (strstr(name, "--")) fe_invalid_str(fe, field, name, "must not contain consecutive hyphens");
  if (n && (name[0] == '-' || name[n - 1] == '-')) fe_invalid_str(fe, field, name, "must not begin or end with a hyphen");
}

void check_port_num_or_name(field_errors *fe, const char *field, const json_t *v) {
  if (json_is_string(v)) check_port_name(fe, field, json_string_value(v));
  else check_port(fe, field, v);
}
