/* audit_policy.c - see audit_policy.h. The validated policy is kept as its
 * JSON document and matched rule by rule as apiserver's policy checker
 * (pkg/audit/policy/checker.go) does; validation follows
 * pkg/apis/audit/validation (field paths and messages). */
#include "audit_policy.h"
#include "yaml_json.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audit_policy {
  json_t *doc;
  unsigned omit; /* the policy's omitStages */
};

static const char *const level_names[] = {"None", "Metadata", "Request", "RequestResponse"};
static const char *const stage_names[] = {"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"};

const char *audit_level_name(audit_level l) { return level_names[l]; }

const char *audit_stage_name(unsigned stage) {
  for (int i = 0; i < 4; i++)
    if (stage == 1u << i) return stage_names[i];
  return "";
}

typedef struct {
  char *buf;
  size_t len, cap;
  int n;
} errlist;

static void add_err(errlist *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_err(errlist *e, const char *fmt, ...) {
  char one[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(one, sizeof one, fmt, ap);
  va_end(ap);
  size_t need = e->len + strlen(one) + 3;
  if (need > e->cap) e->buf = realloc(e->buf, e->cap = need * 2);
  e->len += (size_t)sprintf(e->buf + e->len, "%s%s", e->n++ ? ", " : "", one);
}

/* Go's %q of a string, into out. */
static void quote(const char *s, char *out, size_t len) {
  size_t k = 0;
  if (len < 3) return;
  out[k++] = '"';
  for (; *s && k + 5 < len; s++) {
    if (*s == '"' || *s == '\\') out[k++] = '\\';
    out[k++] = *s;
  }
  out[k++] = '"';
  out[k] = 0;
}

static bool valid_dns1123_subdomain(const char *s) {
  size_t n = strlen(s);
  if (!n || n > 253) return false;
  for (const char *label = s; label;) {
    const char *dot = strchr(label, '.');
    size_t l = dot ? (size_t)(dot - label) : strlen(label);
    if (!l || !isalnum((unsigned char)label[0]) || !isalnum((unsigned char)label[l - 1])) return false;
    for (size_t i = 0; i < l; i++)
      if (!(islower((unsigned char)label[i]) || isdigit((unsigned char)label[i]) || label[i] == '-')) return false;
    label = dot ? dot + 1 : NULL;
  }
  return true;
}

/* Whether v is absent, null or an array of strings; else a decoding error. */
static bool string_list(const json_t *v) {
  if (!v || json_is_null(v)) return true;
  if (!json_is_array(v)) return false;
  size_t i;
  const json_t *s;
  json_array_foreach(v, i, s) if (!json_is_string(s)) return false;
  return true;
}

static unsigned stages_of(const json_t *list, const char *path, errlist *e) {
  unsigned bits = 0;
  size_t i;
  const json_t *s;
  json_array_foreach(list, i, s) {
    const char *v = json_string_value(s);
    unsigned bit = 0;
    for (int k = 0; k < 4; k++)
      if (!strcmp(v, stage_names[k])) bit = 1u << k;
    if (!bit) {
      char q[300];
      quote(v, q, sizeof q);
      add_err(e, "%s[%zu]: Invalid value: %s: allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic",
              path, i, q);
    }
    bits |= bit;
  }
  return bits;
}

static int level_of(const json_t *v) {
  const char *s = json_string_value(v);
  for (int i = 0; s && i < 4; i++)
    if (!strcmp(s, level_names[i])) return i;
  return -1;
}

static void validate_rule(const json_t *r, size_t idx, errlist *e) {
  char p[64], q[300];
  snprintf(p, sizeof p, "rules[%zu]", idx);
  const char *lv = json_string_value(json_object_get(r, "level"));
  if (!lv || !*lv) add_err(e, "%s.level: Required value", p);
  else if (level_of(json_object_get(r, "level")) < 0) {
    quote(lv, q, sizeof q);
    add_err(e, "%s.level: Unsupported value: %s: supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"", p, q);
  }
  const json_t *urls = json_object_get(r, "nonResourceURLs");
  size_t i;
  const json_t *u;
  json_array_foreach(urls, i, u) {
    const char *s = json_string_value(u);
    if (!strcmp(s, "*")) continue;
    quote(s, q, sizeof q);
    if (s[0] != '/')
      add_err(e, "%s.nonResourceURLs[%zu]: Invalid value: %s: non-resource URL rules must begin with a '/' character", p, i, q);
    size_t n = strlen(s);
    if (n && memchr(s, '*', n - 1))
      add_err(e, "%s.nonResourceURLs[%zu]: Invalid value: %s: non-resource URL wildcards '*' must be the final character of the rule", p, i, q);
  }
  const json_t *res = json_object_get(r, "resources");
  const json_t *g;
  json_array_foreach(res, i, g) {
    const char *group = json_string_value(json_object_get(g, "group"));
    if (group && *group && !valid_dns1123_subdomain(group)) {
      quote(group, q, sizeof q);
      add_err(e, "%s.resources.group: Invalid value: %s: a lowercase RFC 1123 subdomain must consist of lower case "
                 "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                 "'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
              p, q);
    }
    if (json_array_size(json_object_get(g, "resourceNames")) && !json_array_size(json_object_get(g, "resources"))) {
      char names[400] = "[]string{";
      size_t k;
      const json_t *nm;
      json_array_foreach(json_object_get(g, "resourceNames"), k, nm) {
        quote(json_string_value(nm), q, sizeof q);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "", q);
      }
      snprintf(names + strlen(names), sizeof names - strlen(names), "}");
      add_err(e, "%s.resources.resourceNames: Invalid value: %s: using resourceNames requires at least one resource", p, names);
    }
  }
  if (json_array_size(urls) && (json_array_size(res) || json_array_size(json_object_get(r, "namespaces")))) {
    char list[400] = "[]string{";
    json_array_foreach(urls, i, u) {
      quote(json_string_value(u), q, sizeof q);
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", q);
    }
    snprintf(list + strlen(list), sizeof list - strlen(list), "}");
    add_err(e, "%s.nonResourceURLs: Invalid value: %s: rules cannot apply to both regular resources and non-resource URLs", p, list);
  }
  char sp[80];
  snprintf(sp, sizeof sp, "%s.omitStages", p);
  stages_of(json_object_get(r, "omitStages"), sp, e);
}

/* The shapes json decoding into audit.Policy would refuse; the field in *bad. */
static bool well_typed(const json_t *doc, const char **bad) {
  const json_t *rules = json_object_get(doc, "rules");
  if (!string_list(json_object_get(doc, "omitStages"))) return *bad = "omitStages", false;
  if (rules && !json_is_null(rules) && !json_is_array(rules)) return *bad = "rules", false;
  size_t i;
  const json_t *r;
  json_array_foreach(rules, i, r) {
    if (!json_is_object(r)) return *bad = "rules", false;
    static const char *const lists[] = {"users", "userGroups", "verbs", "namespaces", "nonResourceURLs", "omitStages"};
    for (size_t k = 0; k < sizeof lists / sizeof *lists; k++)
      if (!string_list(json_object_get(r, lists[k]))) return *bad = lists[k], false;
    const json_t *lv = json_object_get(r, "level");
    if (lv && !json_is_string(lv) && !json_is_null(lv)) return *bad = "level", false;
    const json_t *res = json_object_get(r, "resources");
    if (res && !json_is_null(res) && !json_is_array(res)) return *bad = "resources", false;
    size_t k;
    const json_t *g;
    json_array_foreach(res, k, g) {
      if (!json_is_object(g) || (json_object_get(g, "group") && !json_is_string(json_object_get(g, "group"))) ||
          !string_list(json_object_get(g, "resources")) || !string_list(json_object_get(g, "resourceNames")))
        return *bad = "resources", false;
    }
  }
  return true;
}

audit_policy *audit_policy_parse(const char *text, size_t len, char *err, size_t errlen) {
  char yerr[300];
  json_t *doc = yaml_to_json(text, len, yerr, sizeof yerr);
  if (!doc || !json_is_object(doc)) {
    snprintf(err, errlen, "failed decoding: %s", doc ? "the policy is not an object" : yerr);
    json_decref(doc);
    return NULL;
  }
  const char *av = json_string_value(json_object_get(doc, "apiVersion"));
  const char *kind = json_string_value(json_object_get(doc, "kind"));
  if (!av || !kind || !*av || !*kind) {
    snprintf(err, errlen, "failed decoding: Object '%s' is missing", !kind || !*kind ? "Kind" : "apiVersion");
    json_decref(doc);
    return NULL;
  }
  if ((strcmp(av, "audit.k8s.io/v1") && strcmp(av, "audit.k8s.io/v1beta1") && strcmp(av, "audit.k8s.io/v1alpha1")) ||
      strcmp(kind, "Policy")) {
    snprintf(err, errlen, "failed decoding: no kind \"%s\" is registered for version \"%s\"", kind, av);
    json_decref(doc);
    return NULL;
  }
  const char *bad = NULL;
  if (!well_typed(doc, &bad)) {
    snprintf(err, errlen, "failed decoding: cannot read field \"%s\" of audit.Policy", bad);
    json_decref(doc);
    return NULL;
  }
  errlist e = {0};
  unsigned omit = stages_of(json_object_get(doc, "omitStages"), "omitStages", &e);
  size_t i;
  const json_t *r;
  json_array_foreach(json_object_get(doc, "rules"), i, r) validate_rule(r, i, &e);
  if (e.n) {
    snprintf(err, errlen, e.n > 1 ? "[%s]" : "%s", e.buf);
    free(e.buf);
    json_decref(doc);
    return NULL;
  }
  free(e.buf);
  if (!json_array_size(json_object_get(doc, "rules"))) {
    snprintf(err, errlen, "loaded illegal policy with 0 rules");
    json_decref(doc);
    return NULL;
  }
  audit_policy *p = calloc(1, sizeof *p);
  p->doc = doc;
  p->omit = omit;
  return p;
}

void audit_policy_free(audit_policy *p) {
  if (!p) return;
  json_decref(p->doc);
  free(p);
}

static bool has(const json_t *list, const char *s) {
  size_t i;
  const json_t *v;
  json_array_foreach(list, i, v) if (s && !strcmp(json_string_value(v), s)) return true;
  return false;
}

static bool path_matches(const char *path, const char *spec) {
  size_t n = strlen(spec);
  if (!strcmp(spec, "*") || !strcmp(spec, path)) return true;
  if (n && spec[n - 1] == '*') {
    while (n && spec[n - 1] == '*') n--; /* strings.TrimRight(spec, "*") */
    return !strncmp(path, spec, n);
  }
  return false;
}

static bool resource_matches(const json_t *r, const authz_attrs *a) {
  if (!a->resource_request) return false;
  const json_t *nss = json_object_get(r, "namespaces");
  if (json_array_size(nss) && !has(nss, a->ns)) return false;
  const json_t *grs = json_object_get(r, "resources");
  if (!json_array_size(grs)) return true;
  char combined[300];
  snprintf(combined, sizeof combined, a->subresource[0] ? "%s/%s" : "%s", a->resource, a->subresource);
  size_t i, k;
  const json_t *gr, *res;
  json_array_foreach(grs, i, gr) {
    const char *group = json_string_value(json_object_get(gr, "group"));
    if (strcmp(group ? group : "", a->api_group)) continue;
    const json_t *list = json_object_get(gr, "resources"), *names = json_object_get(gr, "resourceNames");
    if (!json_array_size(list)) return true;
    json_array_foreach(list, k, res) {
      if (json_array_size(names) && !has(names, a->name)) continue;
      const char *s = json_string_value(res);
      size_t n = strlen(s);
      if (!strcmp(s, combined) || !strcmp(s, "*")) return true;
      if (a->subresource[0] && !strncmp(s, "*/", 2)) { /* strings.TrimLeft(res, "* /") */
        const char *t = s;
        while (*t == '*' || *t == '/') t++;
        if (!strcmp(t, a->subresource)) return true;
      }
      if (n >= 2 && !strcmp(s + n - 2, "/*")) { /* strings.TrimRight(res, "/ *") */
        size_t m = n;
        while (m && (s[m - 1] == '/' || s[m - 1] == '*')) m--;
        if (strlen(a->resource) == m && !strncmp(s, a->resource, m)) return true;
      }
    }
  }
  return false;
}

static bool rule_matches(const json_t *r, const authz_attrs *a) {
  const json_t *users = json_object_get(r, "users"), *groups = json_object_get(r, "userGroups");
  if (json_array_size(users) && (!a->user || !has(users, a->user))) return false;
  if (json_array_size(groups)) {
    bool in = false;
    size_t i;
    const json_t *g;
    json_array_foreach(a->groups, i, g) if (has(groups, json_string_value(g))) in = true;
    if (!a->user || !in) return false;
  }
  const json_t *verbs = json_object_get(r, "verbs");
  if (json_array_size(verbs) && !has(verbs, a->verb)) return false;
  if (json_array_size(json_object_get(r, "namespaces")) || json_array_size(json_object_get(r, "resources")))
    return resource_matches(r, a);
  const json_t *urls = json_object_get(r, "nonResourceURLs");
  if (json_array_size(urls)) {
    if (a->resource_request) return false;
    size_t i;
    const json_t *u;
    json_array_foreach(urls, i, u) if (path_matches(a->path, json_string_value(u))) return true;
    return false;
  }
  return true;
}

audit_level audit_policy_level(const audit_policy *p, const authz_attrs *a, unsigned *omit) {
  *omit = p ? p->omit : 0;
  size_t i;
  const json_t *r;
  json_array_foreach(p ? json_object_get(p->doc, "rules") : NULL, i, r) {
    if (!rule_matches(r, a)) continue;
    size_t k;
    const json_t *s;
    json_array_foreach(json_object_get(r, "omitStages"), k, s) {
      for (int b = 0; b < 4; b++)
        if (!strcmp(json_string_value(s), stage_names[b])) *omit |= 1u << b;
    }
    return (audit_level)level_of(json_object_get(r, "level"));
  }
  return AUDIT_NONE;
}
