/* reviews.c - see reviews.h. Validation follows
 * pkg/apis/authorization/validation and pkg/apis/authentication; the answer
 * is the request echoed in the version asked (v1 or v1beta1, whose
 * SubjectAccessReview spec names the groups "group") with
 * metadata.creationTimestamp null and a status. */
#include "reviews.h"
#include "authz.h"
#include "field_errors.h"
#include "http.h"
#include "http_auth.h"
#include "status.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>

bool reviews_handles(const resource *r) {
  const char *k = r->ref.kind;
  size_t n = strlen(k);
  return n > 6 && !strcmp(k + n - 6, "Review") &&
         (!strcmp(r->ref.group, "authentication.k8s.io") || !strcmp(r->ref.group, "authorization.k8s.io"));
}

static api_result answer(json_t *obj, json_t *status) {
  json_t *md = json_object_get(obj, "metadata");
  if (!json_is_object(md)) json_object_set_new(obj, "metadata", md = json_object());
  json_object_set_new(md, "creationTimestamp", json_null());
  json_object_set_new(obj, "status", status);
  return (api_result){201, obj, NULL};
}

/* Metadata must be empty (but for the namespace of a LocalSubjectAccessReview). */
static bool meta_empty(const json_t *obj, bool allow_namespace) {
  const json_t *md = json_object_get(obj, "metadata");
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)md, k, v) {
    if (!strcmp(k, "managedFields") || (allow_namespace && !strcmp(k, "namespace"))) continue;
    if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
        (json_is_object(v) && !json_object_size(v)) || (json_is_array(v) && !json_array_size(v)))
      continue;
    return false;
  }
  return true;
}

static void validate_access_spec(const json_t *spec, bool self, const char *groups_key, field_errors *fe) {
  const json_t *ra = json_object_get(spec, "resourceAttributes");
  const json_t *nra = json_object_get(spec, "nonResourceAttributes");
  bool has_ra = json_is_object(ra), has_nra = json_is_object(nra);
  if (has_ra && has_nra)
    fe_invalid_raw(fe, "spec.nonResourceAttributes", "&authorization.NonResourceAttributes{...}",
                   "cannot be specified in combination with resourceAttributes");
  if (!has_ra && !has_nra)
    /* Go's field.Error turns a nil pointer into the string "null", printed quoted */
    fe_invalid_str(fe, "spec.resourceAttributes", "null",
                   "exactly one of nonResourceAttributes or resourceAttributes must be specified");
  if (!self) {
    const char *user = json_string_value(json_object_get(spec, "user"));
    if ((!user || !*user) && !json_array_size(json_object_get(spec, groups_key)))
      fe_invalid_str(fe, "spec.user", user ? user : "", "at least one of user or group must be specified");
  }
}

/* The attributes a SubjectAccessReview spec asks about, for user and groups. */
static void spec_attrs(const json_t *spec, const char *user, const json_t *groups, authz_attrs *a) {
  a->user = user ? user : "";
  a->groups = groups;
  const json_t *ra = json_object_get(spec, "resourceAttributes");
  const json_t *nra = json_object_get(spec, "nonResourceAttributes");
  a->resource_request = json_is_object(ra);
  const json_t *src = a->resource_request ? ra : nra;
  snprintf(a->verb, sizeof a->verb, "%s", json_string_value(json_object_get(src, "verb")) ?: "");
  if (!a->resource_request) {
    snprintf(a->path, sizeof a->path, "%s", json_string_value(json_object_get(nra, "path")) ?: "");
    return;
  }
  static const struct { const char *key; size_t off, len; } fields[] = {
      {"namespace", offsetof(authz_attrs, ns), sizeof ((authz_attrs *)0)->ns},
      {"group", offsetof(authz_attrs, api_group), sizeof ((authz_attrs *)0)->api_group},
      {"version", offsetof(authz_attrs, api_version), sizeof ((authz_attrs *)0)->api_version},
      {"resource", offsetof(authz_attrs, resource), sizeof ((authz_attrs *)0)->resource},
      {"subresource", offsetof(authz_attrs, subresource), sizeof ((authz_attrs *)0)->subresource},
      {"name", offsetof(authz_attrs, name), sizeof ((authz_attrs *)0)->name}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    snprintf((char *)a + fields[i].off, fields[i].len, "%s", json_string_value(json_object_get(ra, fields[i].key)) ?: "");
}

/* SubjectAccessReviewStatus from the authorizers: allowed, reason when there is one. */
static json_t *access_status(cache *c, const json_t *spec, const char *user, const json_t *groups) {
  authz_attrs a = {0};
  spec_attrs(spec, user, groups, &a);
  char reason[2048];
  bool ok = authz_allowed(c, &a, reason, sizeof reason);
  json_t *st = json_pack("{s:b}", "allowed", ok);
  if (*reason) json_object_set_new(st, "reason", json_string(reason));
  return st;
}

api_result reviews_create(api_server *srv, const resource *r, const char *ns, json_t *obj, const json_t *user) {
  const char *me = json_string_value(json_object_get(user, "username"));
  const json_t *my_groups = json_object_get(user, "groups");
  const char *kind = r->ref.kind;
  json_t *bad = api_check_type(r, obj);
  if (bad) {
    json_decref(obj);
    return (api_result){400, bad, NULL};
  }
  json_t *spec = json_object_get(obj, "spec");
  field_errors *fe = field_errors_new();
  json_t *status = NULL;
  if (!strcmp(kind, "TokenReview")) {
    const char *tok = json_string_value(json_object_get(spec, "token"));
    if (!tok || !*tok) fe_required(fe, "spec.token", NULL);
    else {
      char user[600];
      json_t *groups = json_array();
      if (http_authenticate_token(srv, tok, user, sizeof user, groups))
        status = json_pack("{s:b,s:{s:s,s:o}}", "authenticated", 1, "user", "username", user, "groups", groups);
      else {
        json_decref(groups);
        status = json_pack("{s:{},s:s}", "user", "error", "invalid bearer token");
      }
    }
  } else if (!strcmp(kind, "SelfSubjectRulesReview")) {
    const char *rns = json_string_value(json_object_get(spec, "namespace"));
    status = authz_rules_review(srv->cache, me, my_groups, rns ? rns : "");
  } else {
    bool self = !strcmp(kind, "SelfSubjectAccessReview"), local = !strcmp(kind, "LocalSubjectAccessReview");
    validate_access_spec(spec, self, strcmp(r->ref.version, "v1beta1") ? "groups" : "group", fe);
    if (local) {
      const json_t *ra = json_object_get(spec, "resourceAttributes");
      const char *rns = json_string_value(json_object_get(ra, "namespace"));
      if (json_is_object(ra) && strcmp(rns ? rns : "", ns ? ns : ""))
        fe_invalid_str(fe, "spec.resourceAttributes.namespace", rns ? rns : "", "must match metadata.namespace");
      if (json_is_object(json_object_get(spec, "nonResourceAttributes")))
        fe_invalid_raw(fe, "spec.nonResourceAttributes", "&authorization.NonResourceAttributes{...}",
                       "disallowed on this kind of request");
    }
    if (!meta_empty(obj, local))
      fe_invalid_raw(fe, "metadata", "v1.ObjectMeta{...}",
                     local ? "must be empty except for namespace" : "must be empty");
    const char *groups_key = strcmp(r->ref.version, "v1beta1") ? "groups" : "group";
    status = self ? access_status(srv->cache, spec, me, my_groups)
                  : access_status(srv->cache, spec, json_string_value(json_object_get(spec, "user")),
                                  json_object_get(spec, groups_key));
  }
  if (fe_count(fe)) {
    json_t *st = fe_to_status(fe, r->ref.group, kind, "");
    field_errors_free(fe);
    json_decref(status);
    json_decref(obj);
    return (api_result){(int)json_integer_value(json_object_get(st, "code")), st, NULL};
  }
  field_errors_free(fe);
  return answer(obj, status);
}
