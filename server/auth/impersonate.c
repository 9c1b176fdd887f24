/* impersonate.c - see impersonate.h; follows k8s.io/apiserver's
 * endpoints/filters/impersonation.go: every requested identity is checked
 * with the verb "impersonate" before any is used; the impersonated user
 * gets system:authenticated (unless system:anonymous), and a
 * ServiceAccount without Impersonate-Group its fixed groups. */
#include "impersonate.h"
#include "authz.h"
#include "status.h"
#include <civetweb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#define EXTRA_PREFIX "Impersonate-Extra-"

/* Checks one impersonation; NULL or the Forbidden Status. */
static json_t *may_impersonate(cache *c, const json_t *user, const char *group, const char *resource, const char *ns,
                               const char *sub, const char *name) {
  authz_attrs a = {0};
  a.user = json_string_value(json_object_get(user, "username"));
  a.groups = json_object_get(user, "groups");
  a.resource_request = true;
  snprintf(a.verb, sizeof a.verb, "impersonate");
  snprintf(a.api_group, sizeof a.api_group, "%s", group);
  snprintf(a.resource, sizeof a.resource, "%s", resource);
  snprintf(a.ns, sizeof a.ns, "%s", ns);
  snprintf(a.subresource, sizeof a.subresource, "%s", sub);
  snprintf(a.name, sizeof a.name, "%s", name);
  char reason[2048];
  if (authz_allowed(c, &a, reason, sizeof reason)) return NULL;
  return rbac_forbidden_status(&a, reason);
}

/* Go's textproto canonical header key, lower-cased after the prefix as Kubernetes unescapes it. */
static void extra_key(const char *header, char *out, size_t len) {
  size_t k = 0;
  for (const char *p = header + strlen(EXTRA_PREFIX); *p && k + 1 < len; p++) out[k++] = (char)tolower((unsigned char)*p);
  out[k] = 0;
}

json_t *impersonate_apply(cache *c, const struct mg_request_info *ri, json_t **user) {
  const char *as_user = NULL;
  json_t *groups = json_array(), *extra = json_object();
  bool any = false;
  for (int i = 0; i < ri->num_headers; i++) {
    const char *n = ri->http_headers[i].name, *v = ri->http_headers[i].value;
    if (!strcasecmp(n, "Impersonate-User")) as_user = v, any = true;
    else if (!strcasecmp(n, "Impersonate-Group")) json_array_append_new(groups, json_string(v)), any = true;
    else if (!strncasecmp(n, EXTRA_PREFIX, strlen(EXTRA_PREFIX))) {
      char key[256];
      extra_key(n, key, sizeof key);
      json_t *list = json_object_get(extra, key);
      if (!list) json_object_set_new(extra, key, list = json_array());
      json_array_append_new(list, json_string(v));
      any = true;
    }
  }
  json_t *st = NULL;
  if (!any) goto out;
  if (!as_user || !*as_user) {
    st = status_internal("requested impersonation without impersonating a user");
    goto out;
  }
  bool groups_given = json_array_size(groups) > 0;
  char ns[256], name[256];
  bool sa = sscanf(as_user, "system:serviceaccount:%255[^:]:%255s", ns, name) == 2;
  st = sa ? may_impersonate(c, *user, "", "serviceaccounts", ns, "", name)
          : may_impersonate(c, *user, "", "users", "", "", as_user);
  size_t i;
  json_t *g;
  json_array_foreach(groups, i, g) if (!st) st = may_impersonate(c, *user, "", "groups", "", "", json_string_value(g));
  const char *key;
  json_t *vals;
  json_object_foreach(extra, key, vals) json_array_foreach(vals, i, g) if (!st) st =
      may_impersonate(c, *user, "authentication.k8s.io", "userextras", "", key, json_string_value(g));
  if (st) goto out;
  if (sa && !groups_given) {
    char nsg[300];
    snprintf(nsg, sizeof nsg, "system:serviceaccounts:%s", ns);
    json_array_append_new(groups, json_string("system:serviceaccounts"));
    json_array_append_new(groups, json_string(nsg));
  }
  if (strcmp(as_user, "system:anonymous")) {
    if (!authz_in_group(groups, "system:authenticated")) json_array_append_new(groups, json_string("system:authenticated"));
  } else if (!authz_in_group(groups, "system:unauthenticated")) {
    json_array_append_new(groups, json_string("system:unauthenticated"));
  }
  json_t *u = json_pack("{s:s,s:O}", "username", as_user, "groups", groups);
  if (json_object_size(extra)) json_object_set(u, "extra", extra);
  json_decref(*user);
  *user = u;
out:
  json_decref(groups);
  json_decref(extra);
  return st;
}
