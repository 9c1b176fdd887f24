/* token_request.c - see token_request.h. The order of checks is
 * kube-apiserver's: decoding, NodeRestriction (a node may ask only for a
 * token bound to a pod of its own, by uid), validation of
 * spec.expirationSeconds (defaulted to 3600, 10 minutes to 2^32 seconds),
 * the ServiceAccount, then the bound object (Pod: same ServiceAccount; both
 * kinds: the uid, when given, must match). A pod-bound request for exactly
 * 3607 s (kubelet's default) gets a token valid one year that warns after
 * 3607 s (--service-account-extend-token-expiration, on by default); the
 * answer still says 3607. --service-account-max-token-expiration shortens
 * longer requests first. Nothing is stored. */
#include "token_request.h"
#include "api.h"
#include "authz_node.h"
#include "field_errors.h"
#include "registry.h"
#include "rest.h"
#include "sa_token.h"
#include "sa_token_bound.h"
#include "status.h"
#include "timestamp.h"
#include "watch_cache.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_EXPIRATION 3600
#define MIN_EXPIRATION 600
#define MAX_EXPIRATION (1LL << 32)
#define KUBELET_EXPIRATION 3607        /* token.WarnOnlyBoundTokenExpirationSeconds */
#define EXTENDED_EXPIRATION 31536000LL /* token.ExpirationExtensionSeconds: one year */

static long long max_expiration; /* 0: none */

void token_request_set_max_expiration(long long seconds) { max_expiration = seconds > 0 ? seconds : 0; }

static cobj *lookup(const http_req *rq, const char *plural, const char *name) {
  const resource *r = registry_find("", "v1", plural);
  return r ? cache_get(rq->srv->cache, r->bucket, rq->ns, name) : NULL;
}

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""), into buf. */
static const char *av_group(const char *av, char *buf, size_t len) {
  const char *slash = av ? strchr(av, '/') : NULL;
  snprintf(buf, len, "%.*s", slash ? (int)(slash - av) : 0, slash ? av : "");
  return buf;
}

static const char *av_version(const char *av) {
  const char *slash = av ? strchr(av, '/') : NULL;
  return slash ? slash + 1 : av ? av : "";
}

/* NodeRestriction's admitServiceAccount: NULL or the Status refusing a node's request. */
static json_t *node_restriction(http_req *rq, const json_t *ref, const char *node) {
  const resource *sa = registry_find("", "v1", "serviceaccounts");
  const char *av = json_string_value(json_object_get(ref, "apiVersion"));
  const char *kind = json_string_value(json_object_get(ref, "kind"));
  const char *name = json_string_value(json_object_get(ref, "name"));
  const char *uid = json_string_value(json_object_get(ref, "uid"));
  if (!json_is_object(ref) || !av || strcmp(av, "v1") || !kind || strcmp(kind, "Pod") || !name || !*name)
    return status_forbidden(sa, rq->name, "node requested token not bound to a pod");
  if (!uid || !*uid) return status_forbidden(sa, rq->name, "node requested token with a pod binding without a uid");
  cobj *pod = lookup(rq, "pods", name);
  if (!pod) return status_not_found_gr("", "pods", name);
  json_t *st = NULL;
  const char *have = meta_str(pod->obj, "uid");
  const char *on = json_string_value(json_object_get(json_object_get(pod->obj, "spec"), "nodeName"));
  char why[512];
  if (!have || strcmp(uid, have)) {
    snprintf(why, sizeof why,
             "the UID in the bound object reference (%s) does not match the UID in record. The object might have "
             "been deleted and then recreated",
             uid);
    st = status_forbidden(sa, rq->name, why);
  } else if (!on || strcmp(on, node)) {
    st = status_forbidden(sa, rq->name, "node requested token bound to a pod scheduled on a different node");
  }
  cobj_unref(pod);
  return st;
}

/* The bound object of ref (Pod or Secret in the core group), or NULL + *st. */
static cobj *bound_object(http_req *rq, const json_t *ref, bool *is_pod, json_t **st) {
  const char *av = json_string_value(json_object_get(ref, "apiVersion"));
  const char *kind = json_string_value(json_object_get(ref, "kind"));
  const char *name = json_string_value(json_object_get(ref, "name"));
  const char *uid = json_string_value(json_object_get(ref, "uid"));
  char group[256];
  av_group(av, group, sizeof group);
  *is_pod = kind && !strcmp(kind, "Pod");
  if (group[0] || !kind || (strcmp(kind, "Pod") && strcmp(kind, "Secret"))) {
    *st = status_bad_request("cannot bind token to object of type %s/%s, Kind=%s", group, av_version(av),
                             kind ? kind : "");
    return NULL;
  }
  if (!name || !*name) {
    *st = status_bad_request("Name parameter required.");
    return NULL;
  }
  cobj *o = lookup(rq, *is_pod ? "pods" : "secrets", name);
  if (!o) {
    *st = status_not_found_gr("", *is_pod ? "pods" : "secrets", name);
    return NULL;
  }
  const char *sa = json_string_value(json_object_get(json_object_get(o->obj, "spec"), "serviceAccountName"));
  if (*is_pod && strcmp(sa ? sa : "", rq->name)) {
    *st = status_bad_request("cannot bind token for serviceaccount \"%s\" to pod running with different "
                             "serviceaccount name.",
                             rq->name);
  } else if (uid && *uid && strcmp(uid, meta_str(o->obj, "uid") ? meta_str(o->obj, "uid") : "")) {
    char msg[700];
    snprintf(msg, sizeof msg,
             "Operation cannot be fulfilled on %s \"%s\": the UID in the bound object reference (%s) does not match "
             "the UID in record. The object might have been deleted and then recreated",
             kind, name, uid);
    *st = status_failure(409, "Conflict", msg, json_pack("{s:s,s:s}", "name", name, "kind", kind));
  }
  if (*st) {
    cobj_unref(o);
    return NULL;
  }
  return o;
}

/* The decoded body's kind and apiVersion, when given, must be TokenRequest's. */
static json_t *check_kind(const json_t *body) {
  const char *av = json_string_value(json_object_get(body, "apiVersion"));
  const char *kind = json_string_value(json_object_get(body, "kind"));
  const char *want = "authentication.k8s.io/v1";
  if (av && *av && strcmp(av, want) && kind && *kind && strcmp(kind, "TokenRequest"))
    return status_bad_request("%s in version \"%s\" cannot be handled as a TokenRequest: converting (%s.%s) to "
                              "(authentication.TokenRequest): unknown conversion",
                              kind, av_version(av), av_version(av), kind);
  if (av && *av && strcmp(av, want))
    return status_bad_request("TokenRequest in version \"%s\" cannot be handled as a TokenRequest: no kind "
                              "\"TokenRequest\" is registered for version \"%s\" in scheme "
                              "\"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30\"",
                              av_version(av), av);
  return NULL;
}

/* Issues the token; st on failure. */
static json_t *issue(http_req *rq, json_t *body) {
  json_t *spec = json_object_get(body, "spec");
  if (!json_is_object(spec)) json_object_set_new(body, "spec", spec = json_object());
  const json_t *ref = json_object_get(spec, "boundObjectRef");
  if (json_is_null(ref)) ref = NULL;
  char node[256];
  if (authz_node_identity(json_string_value(json_object_get(rq->user, "username")),
                          json_object_get(rq->user, "groups"), node, sizeof node)) {
    json_t *st = node_restriction(rq, ref, node);
    if (st) return st;
  }
  const json_t *e = json_object_get(spec, "expirationSeconds");
  long long exp = json_is_integer(e) ? json_integer_value(e) : DEFAULT_EXPIRATION;
  field_errors *fe = field_errors_new();
  if (exp < MIN_EXPIRATION)
    fe_invalid_int(fe, "spec.expirationSeconds", exp, "may not specify a duration less than 10 minutes");
  else if (exp > MAX_EXPIRATION)
    fe_invalid_int(fe, "spec.expirationSeconds", exp, "may not specify a duration larger than 2^32 seconds");
  if (fe_count(fe)) {
    json_t *st = fe_to_status(fe, "authentication.k8s.io", "TokenRequest", "");
    field_errors_free(fe);
    return st;
  }
  field_errors_free(fe);
  cobj *sa = lookup(rq, "serviceaccounts", rq->name);
  if (!sa) return status_not_found_gr("", "serviceaccounts", rq->name);
  json_t *st = NULL;
  bool is_pod = false;
  cobj *bound = ref ? bound_object(rq, ref, &is_pod, &st) : NULL;
  if (st) {
    cobj_unref(sa);
    return st;
  }
  if (max_expiration && exp > max_expiration) exp = max_expiration;
  const json_t *auds = json_object_get(spec, "audiences");
  if (!json_array_size(auds)) json_object_set_new(spec, "audiences", json_pack("[s]", sa_token_issuer()));
  json_object_set_new(spec, "expirationSeconds", json_integer(exp));
  if (!ref) json_object_set_new(spec, "boundObjectRef", json_null());
  bool extend = bound && is_pod && exp == KUBELET_EXPIRATION;
  sa_bound_claims c = {.ns = rq->ns, .sa_name = rq->name, .sa_uid = meta_str(sa->obj, "uid"),
                       .audiences = json_object_get(spec, "audiences"),
                       .expiration_seconds = extend ? EXTENDED_EXPIRATION : exp,
                       .warn_after_seconds = extend ? exp : 0, .now = (long long)time(NULL)};
  if (bound && is_pod) c.pod_name = meta_str(bound->obj, "name"), c.pod_uid = meta_str(bound->obj, "uid");
  else if (bound) c.secret_name = meta_str(bound->obj, "name"), c.secret_uid = meta_str(bound->obj, "uid");
  char *tok = sa_token_issue_bound(&c);
  char expires[40];
  rfc3339_format(c.now + exp, expires, sizeof expires);
  if (tok) json_object_set_new(body, "status", json_pack("{s:s,s:s}", "token", tok, "expirationTimestamp", expires));
  else st = status_internal("failed to generate token: cannot sign");
  free(tok);
  cobj_unref(sa);
  cobj_unref(bound);
  return st;
}

bool token_request_handle(http_req *rq) {
  if (!rq->res || rq->res->ref.group[0] || strcmp(rq->res->ref.plural, "serviceaccounts") || !rq->name[0] ||
      strcmp(rq->sub, "token"))
    return false;
  json_t *st = NULL;
  json_t *body = rest_decode_typed(rq, "authentication.k8s.io/v1", "TokenRequest", &st);
  if (body && !st) st = check_kind(body);
  if (!st) st = issue(rq, body);
  if (st) {
    http_send_status(rq, st);
    json_decref(body);
    return true;
  }
  json_t *md = json_object_get(body, "metadata");
  json_t *out = json_pack("{s:s,s:s,s:o,s:O,s:O}", "kind", "TokenRequest", "apiVersion", "authentication.k8s.io/v1",
                          "metadata", json_is_object(md) ? json_deep_copy(md) : json_object(), "spec",
                          json_object_get(body, "spec"), "status", json_object_get(body, "status"));
  json_object_set_new(json_object_get(out, "metadata"), "creationTimestamp", json_null());
  json_t *spec = json_object_get(out, "spec"); /* audiences, expirationSeconds, boundObjectRef: the Go field order */
  json_t *ordered = json_pack("{s:O,s:O,s:O}", "audiences", json_object_get(spec, "audiences"), "expirationSeconds",
                              json_object_get(spec, "expirationSeconds"), "boundObjectRef",
                              json_object_get(spec, "boundObjectRef"));
  json_object_set_new(out, "spec", ordered);
  http_send_json(rq, 201, out);
  json_decref(out);
  json_decref(body);
  return true;
}
