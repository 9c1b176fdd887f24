/* rbac_rules.c - see rbac_rules.h. Follows k8s.io/apiserver's
 * endpoints/request.RequestInfoFactory, plugin/pkg/auth/authorizer/rbac's
 * RuleAllows and appliesToUser, and endpoints/handlers/responsewriters'
 * forbiddenMessage + apierrors.NewForbidden. */
#include "rbac_rules.h"
#include "strutil.h"
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Decodes %XX and '+' of one query value into out. */
static void url_decode(const char *s, size_t n, char *out, size_t len) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < len; i++) {
    if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      out[k++] = (char)strtol(hex, NULL, 16);
      i += 2;
    } else {
      out[k++] = s[i] == '+' ? ' ' : s[i];
    }
  }
  out[k] = 0;
}

/* The first value of query parameter name (decoded), or NULL. */
static const char *query_get(const char *query, const char *name, char *buf, size_t len) {
  size_t nl = strlen(name);
  for (const char *p = query; p && *p;) {
    size_t seg = strcspn(p, "&");
    if (seg > nl && !strncmp(p, name, nl) && p[nl] == '=') {
      url_decode(p + nl + 1, seg - nl - 1, buf, len);
      return buf;
    }
    if (seg == nl && !strncmp(p, name, nl)) {
      buf[0] = 0;
      return buf;
    }
    p += seg;
    if (*p) p++;
  }
  return NULL;
}

/* metav1's string -> bool conversion of query parameters: "", "false" and "0" are false. */
static bool query_true(const char *v) { return v && *v && strcasecmp(v, "false") && strcmp(v, "0"); }

/* fields.Selector.RequiresExactMatch("metadata.name") over a field selector string. */
static bool selector_name(const char *sel, char *out, size_t len) {
  bool found = false;
  for (const char *p = sel; *p;) {
    size_t seg = strcspn(p, ",");
    const char *eq = memchr(p, '=', seg);
    if (!eq || (eq > p && eq[-1] == '!')) return false; /* a != term is no exact match */
    size_t key = (size_t)(eq - p);
    const char *val = eq + 1;
    if (*val == '=') val++;
    size_t vl = seg - (size_t)(val - p);
    if (key == strlen("metadata.name") && !strncmp(p, "metadata.name", key)) {
      if (vl >= len) return false;
      memcpy(out, val, vl);
      out[vl] = 0;
      found = true;
    }
    p += seg;
    if (*p) p++;
  }
  return found;
}

/* path.IsValidPathSegmentName: not "." or "..", no '/' or '%'. */
static bool valid_segment(const char *s) {
  return strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') && !strchr(s, '%');
}

static void copy(char *dst, size_t len, const char *src) { snprintf(dst, len, "%s", src ? src : ""); }

void rbac_request_info(const char *method, const char *path, const char *query, authz_attrs *a) {
  a->resource_request = false;
  a->api_group[0] = a->api_version[0] = a->ns[0] = a->resource[0] = a->subresource[0] = a->name[0] = 0;
  copy(a->path, sizeof a->path, path);
  size_t m = 0;
  for (; method[m] && m + 1 < sizeof a->verb; m++) a->verb[m] = (char)tolower((unsigned char)method[m]);
  a->verb[m] = 0;

  char buf[1024];
  copy(buf, sizeof buf, path);
  char *parts[16];
  int n = 0;
  char *save = NULL;
  for (char *s = strtok_r(buf, "/", &save); s && n < 16; s = strtok_r(NULL, "/", &save)) parts[n++] = s;
  if (n < 3 || (strcmp(parts[0], "api") && strcmp(parts[0], "apis"))) return;
  int i = 1;
  if (!strcmp(parts[0], "apis")) {
    if (n - i < 3) return;
    copy(a->api_group, sizeof a->api_group, parts[i++]);
  }
  a->resource_request = true;
  copy(a->api_version, sizeof a->api_version, parts[i++]);

  if (!strcmp(method, "POST")) copy(a->verb, sizeof a->verb, "create");
  else if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) copy(a->verb, sizeof a->verb, "get");
  else if (!strcmp(method, "PUT")) copy(a->verb, sizeof a->verb, "update");
  else if (!strcmp(method, "PATCH")) copy(a->verb, sizeof a->verb, "patch");
  else if (!strcmp(method, "DELETE")) copy(a->verb, sizeof a->verb, "delete");
  else a->verb[0] = 0;

  bool proxy = false;
  if (i < n && (!strcmp(parts[i], "watch") || !strcmp(parts[i], "proxy"))) {
    if (n - i < 2) { /* "/api/v1/watch" alone: kube-apiserver refuses it as unable to determine kind */
      a->resource_request = false;
      return;
    }
    proxy = !strcmp(parts[i], "proxy");
    copy(a->verb, sizeof a->verb, parts[i]);
    i++;
  }
  if (i < n && !strcmp(parts[i], "namespaces")) {
    if (n - i > 1) {
      copy(a->ns, sizeof a->ns, parts[i + 1]);
      if (n - i > 2 && strcmp(parts[i + 2], "status") && strcmp(parts[i + 2], "finalize")) i += 2;
    }
  }
  int left = n - i;
  if (left >= 3 && !proxy) copy(a->subresource, sizeof a->subresource, parts[i + 2]);
  if (left >= 2) copy(a->name, sizeof a->name, parts[i + 1]);
  if (left >= 1) copy(a->resource, sizeof a->resource, parts[i]);

  if (!a->name[0] && !strcmp(a->verb, "get")) {
    char v[256];
    copy(a->verb, sizeof a->verb, query_true(query_get(query, "watch", v, sizeof v)) ? "watch" : "list");
    char name[256];
    if (query_get(query, "fieldSelector", v, sizeof v) && selector_name(v, name, sizeof name) && valid_segment(name))
      copy(a->name, sizeof a->name, name);
  }
  if (!a->name[0] && !strcmp(a->verb, "delete")) copy(a->verb, sizeof a->verb, "deletecollection");
}

/* Whether list (a JSON array of strings) holds "*" or want. */
static bool has_or_star(const json_t *list, const char *want) {
  size_t i;
  const json_t *v;
  json_array_foreach(list, i, v) {
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "*") || !strcmp(s, want))) return true;
  }
  return false;
}

static bool resource_matches(const json_t *rule, const char *combined, const char *sub) {
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(rule, "resources"), i, v) {
    const char *r = json_string_value(v);
    if (!r) continue;
    if (!strcmp(r, "*") || !strcmp(r, combined)) return true;
    if (!*sub) continue;
    if (strlen(r) == strlen(sub) + 2 && !strncmp(r, "*/", 2) && !strcmp(r + 2, sub)) return true;
  }
  return false;
}

static bool name_matches(const json_t *rule, const char *name) {
  const json_t *names = json_object_get(rule, "resourceNames");
  if (!json_array_size(names)) return true;
  size_t i;
  const json_t *v;
  json_array_foreach(names, i, v) {
    const char *s = json_string_value(v);
    if (s && !strcmp(s, name)) return true;
  }
  return false;
}

static bool url_matches(const json_t *rule, const char *path) {
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(rule, "nonResourceURLs"), i, v) {
    const char *u = json_string_value(v);
    if (!u) continue;
    size_t n = strlen(u);
    if (!strcmp(u, "*") || !strcmp(u, path)) return true;
    if (n && u[n - 1] == '*' && !strncmp(path, u, n - 1)) return true;
  }
  return false;
}

bool rbac_rule_allows(const json_t *rule, const authz_attrs *a) {
  if (!has_or_star(json_object_get(rule, "verbs"), a->verb)) return false;
  if (!a->resource_request) return url_matches(rule, a->path);
  char combined[300];
  if (a->subresource[0]) snprintf(combined, sizeof combined, "%s/%s", a->resource, a->subresource);
  else snprintf(combined, sizeof combined, "%s", a->resource);
  return has_or_star(json_object_get(rule, "apiGroups"), a->api_group) &&
         resource_matches(rule, combined, a->subresource) && name_matches(rule, a->name);
}

static bool in_groups(const json_t *groups, const char *g) {
  size_t i;
  const json_t *v;
  json_array_foreach(groups, i, v) {
    const char *s = json_string_value(v);
    if (s && !strcmp(s, g)) return true;
  }
  return false;
}

bool rbac_subject_applies(const json_t *subject, const char *user, const json_t *groups, const char *binding_ns) {
  const char *kind = json_string_value(json_object_get(subject, "kind"));
  const char *name = json_string_value(json_object_get(subject, "name"));
  if (!kind || !name || !user) return false;
  if (!strcmp(kind, "User")) return !strcmp(name, user);
  if (!strcmp(kind, "Group")) return in_groups(groups, name);
  if (!strcmp(kind, "ServiceAccount")) {
    const char *ns = json_string_value(json_object_get(subject, "namespace"));
    if (!ns || !*ns) ns = binding_ns;
    char sa[600];
    snprintf(sa, sizeof sa, "system:serviceaccount:%s:%s", ns ? ns : "", name);
    return !strcmp(sa, user);
  }
  return false;
}

void rbac_describe_subject(const json_t *subject, const char *binding_ns, char *buf, size_t len) {
  const char *kind = json_string_value(json_object_get(subject, "kind"));
  const char *name = json_string_value(json_object_get(subject, "name"));
  if (kind && !strcmp(kind, "ServiceAccount")) {
    const char *ns = json_string_value(json_object_get(subject, "namespace"));
    snprintf(buf, len, "%s \"%s/%s\"", kind, name ? name : "", ns && *ns ? ns : binding_ns ? binding_ns : "");
  } else {
    snprintf(buf, len, "%s \"%s\"", kind ? kind : "", name ? name : "");
  }
}

/* Go's %q of a plain string: quotes, with " and \ escaped. */
static size_t quote(char *out, size_t len, const char *s) {
  size_t k = 0;
  if (k + 1 < len) out[k++] = '"';
  for (; s && *s && k + 3 < len; s++) {
    if (*s == '"' || *s == '\\') out[k++] = '\\';
    out[k++] = *s;
  }
  if (k + 1 < len) out[k++] = '"';
  out[k] = 0;
  return k;
}

void rbac_forbidden_text(const authz_attrs *a, char *buf, size_t len) {
  char user[600], verb[40], what[1100], group[300], ns[600];
  quote(user, sizeof user, a->user ? a->user : "");
  if (!a->resource_request) {
    quote(what, sizeof what, a->path);
    snprintf(buf, len, "User %s cannot %s path %s", user, a->verb, what);
    return;
  }
  char res[300];
  if (a->subresource[0]) snprintf(res, sizeof res, "%s/%s", a->resource, a->subresource);
  else snprintf(res, sizeof res, "%s", a->resource);
  quote(what, sizeof what, res);
  quote(group, sizeof group, a->api_group);
  snprintf(verb, sizeof verb, "%s", a->verb);
  if (a->ns[0]) {
    quote(ns, sizeof ns, a->ns);
    snprintf(buf, len, "User %s cannot %s resource %s in API group %s in the namespace %s", user, verb, what, group,
             ns);
  } else {
    snprintf(buf, len, "User %s cannot %s resource %s in API group %s at the cluster scope", user, verb, what, group);
  }
}

json_t *rbac_forbidden_status(const authz_attrs *a, const char *reason) {
  char text[2048], msg[4096], qname[600];
  rbac_forbidden_text(a, text, sizeof text);
  if (reason && *reason) {
    size_t n = strlen(text);
    snprintf(text + n, sizeof text - n, ": %s", reason);
  }
  const char *res = a->resource_request ? a->resource : "";
  char gr[300];
  if (a->api_group[0]) snprintf(gr, sizeof gr, "%s.%s", res, a->api_group);
  else snprintf(gr, sizeof gr, "%s", res);
  if (!*res && !a->api_group[0]) snprintf(msg, sizeof msg, "forbidden: %s", text);
  else if (!a->name[0]) snprintf(msg, sizeof msg, "%s is forbidden: %s", gr, text);
  else {
    quote(qname, sizeof qname, a->name);
    snprintf(msg, sizeof msg, "%s %s is forbidden: %s", gr, qname, text);
  }
  json_t *details = json_object();
  if (a->resource_request && a->name[0]) json_object_set_new(details, "name", json_string(a->name));
  if (a->resource_request && a->api_group[0]) json_object_set_new(details, "group", json_string(a->api_group));
  if (a->resource_request && *res) json_object_set_new(details, "kind", json_string(res));
  return json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:o,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                   "Failure", "message", msg, "reason", "Forbidden", "details", details, "code", 403);
}

static bool has_str(const json_t *list, const char *s) {
  size_t i;
  const json_t *v;
  json_array_foreach(list, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
  return false;
}

/* resourceCoversAll for one resource: "*", itself, "* /sub" or "res/ *". */
static bool resource_covered(const json_t *owner, const char *res) {
  if (has_str(owner, "*") || has_str(owner, res)) return true;
  const char *slash = strchr(res, '/');
  if (!slash) return false;
  char any_sub[300], any_res[300];
  snprintf(any_sub, sizeof any_sub, "*%s", slash);
  snprintf(any_res, sizeof any_res, "%.*s/*", (int)(slash - res), res);
  return has_str(owner, any_sub) || has_str(owner, any_res);
}

static bool url_covered(const json_t *owner, const char *url) {
  size_t i;
  const json_t *v;
  json_array_foreach(owner, i, v) {
    const char *u = json_string_value(v);
    if (!u) continue;
    size_t n = strlen(u);
    if (!strcmp(u, url) || (n && u[n - 1] == '*' && !strncmp(url, u, n - 1))) return true;
  }
  return false;
}

/* ruleCovers(owner, atomic subrule); the subrule's fields hold at most one value each. */
static bool rule_covers(const json_t *owner, const json_t *sub) {
  const char *verb = json_string_value(json_array_get(json_object_get(sub, "verbs"), 0));
  const json_t *ov = json_object_get(owner, "verbs");
  if (!has_str(ov, "*") && !has_str(ov, verb)) return false;
  const json_t *url = json_array_get(json_object_get(sub, "nonResourceURLs"), 0);
  if (url) return url_covered(json_object_get(owner, "nonResourceURLs"), json_string_value(url));
  const char *group = json_string_value(json_array_get(json_object_get(sub, "apiGroups"), 0));
  const json_t *og = json_object_get(owner, "apiGroups");
  if (!has_str(og, "*") && !has_str(og, group)) return false;
  if (!resource_covered(json_object_get(owner, "resources"),
                        json_string_value(json_array_get(json_object_get(sub, "resources"), 0))))
    return false;
  const json_t *names = json_object_get(owner, "resourceNames");
  const json_t *name = json_array_get(json_object_get(sub, "resourceNames"), 0);
  if (!name) return json_array_size(names) == 0;
  return json_array_size(names) == 0 || has_str(names, json_string_value(name));
}

static void check_atomic(const json_t *owner_rules, json_t *sub, json_t *missing) {
  size_t i;
  const json_t *o;
  json_array_foreach(owner_rules, i, o) if (rule_covers(o, sub)) {
    json_decref(sub);
    return;
  }
  json_array_append_new(missing, sub);
}

json_t *rbac_uncovered(const json_t *owner_rules, const json_t *requested_rules) {
  json_t *missing = json_array();
  size_t r, g, s, v, n;
  const json_t *rule, *grp, *res, *verb, *name;
  json_array_foreach(requested_rules, r, rule) {
    const json_t *verbs = json_object_get(rule, "verbs"), *names = json_object_get(rule, "resourceNames");
    json_array_foreach(json_object_get(rule, "apiGroups"), g, grp) json_array_foreach(json_object_get(rule, "resources"), s, res)
        json_array_foreach(verbs, v, verb) {
      if (json_array_size(names)) {
        json_array_foreach(names, n, name) check_atomic(owner_rules,
                                                        json_pack("{s:[O],s:[O],s:[O],s:[O]}", "apiGroups", grp,
                                                                  "resources", res, "resourceNames", name, "verbs", verb),
                                                        missing);
      } else {
        check_atomic(owner_rules, json_pack("{s:[O],s:[O],s:[O]}", "apiGroups", grp, "resources", res, "verbs", verb),
                     missing);
      }
    }
    json_array_foreach(json_object_get(rule, "nonResourceURLs"), s, res) json_array_foreach(verbs, v, verb)
        check_atomic(owner_rules, json_pack("{s:[O],s:[O]}", "nonResourceURLs", res, "verbs", verb), missing);
  }
  return missing;
}

/* Go's %q of a []string: ["a" "b"]. */
static size_t quote_list(char *out, size_t len, const json_t *list) {
  size_t k = (size_t)snprintf(out, len, "[");
  size_t i;
  const json_t *v;
  json_array_foreach(list, i, v) {
    if (k >= len) break;
    if (i) k += (size_t)snprintf(out + k, len - k, " ");
    if (k < len) k += quote(out + k, len - k, json_string_value(v));
  }
  if (k < len) k += (size_t)snprintf(out + k, len - k, "]");
  return k;
}

/* rbacv1helpers.CompactString of one rule. */
static void compact_string(const json_t *rule, char *out, size_t len) {
  static const char *const fields[][2] = {{"apiGroups", "APIGroups"},
                                          {"resources", "Resources"},
                                          {"nonResourceURLs", "NonResourceURLs"},
                                          {"resourceNames", "ResourceNames"},
                                          {"verbs", "Verbs"}};
  size_t k = (size_t)snprintf(out, len, "{");
  bool first = true;
  for (size_t f = 0; f < 5 && k < len; f++) {
    const json_t *list = json_object_get(rule, fields[f][0]);
    if (!json_array_size(list)) continue;
    k += (size_t)snprintf(out + k, len - k, "%s%s:", first ? "" : ", ", fields[f][1]);
    if (k < len) k += quote_list(out + k, len - k, list);
    first = false;
  }
  if (k < len) snprintf(out + k, len - k, "}");
}

/* json_equal that also holds two absent values equal. */
static bool same(const json_t *a, const json_t *b) { return (!a && !b) || (a && b && json_equal(a, b)); }

void rbac_missing_text(const json_t *missing, char *buf, size_t len) {
  /* CompactRules: simple rules (one group, one resource, at most one name, no URL) merge their verbs */
  json_t *compacted = json_array();
  size_t i, k;
  const json_t *r;
  json_array_foreach(missing, i, r) {
    bool simple = !json_object_get(r, "nonResourceURLs");
    json_t *into = NULL, *c;
    if (simple) json_array_foreach(compacted, k, c) {
        if (!json_object_get(c, "nonResourceURLs") && same(json_object_get(c, "apiGroups"), json_object_get(r, "apiGroups")) &&
            same(json_object_get(c, "resources"), json_object_get(r, "resources")) &&
            same(json_object_get(c, "resourceNames"), json_object_get(r, "resourceNames"))) {
          into = c;
          break;
        }
      }
    if (into) json_array_extend(json_object_get(into, "verbs"), json_object_get(r, "verbs"));
    else json_array_append_new(compacted, json_deep_copy(r));
  }
  size_t n = json_array_size(compacted);
  char **lines = calloc(n ? n : 1, sizeof *lines);
  json_array_foreach(compacted, i, r) {
    lines[i] = malloc(2048);
    compact_string(r, lines[i], 2048);
  }
  qsort(lines, n, sizeof *lines, strp_cmp);
  size_t used = 0;
  buf[0] = 0;
  for (i = 0; i < n; i++) {
    if (i && !strcmp(lines[i], lines[i - 1])) continue;
    if (used < len) used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "\n" : "", lines[i]);
  }
  for (i = 0; i < n; i++) free(lines[i]);
  free(lines);
  json_decref(compacted);
}
