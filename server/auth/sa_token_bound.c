/* sa_token_bound.c - see sa_token_bound.h. The objects a token names are
 * read from the watch cache, so deleting the pod (or secret, or the
 * ServiceAccount) revokes its tokens at once; a recreated object with the
 * same name has another uid and does not revive them. */
#include "sa_token_bound.h"
#include "sa_token.h"
#include "registry.h"
#include "timestamp.h"
#include "watch_cache.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LEEWAY_SECONDS 60 /* go-jose's jwt.DefaultLeeway */

char *sa_token_issue_bound(const sa_bound_claims *c) {
  char sub[600];
  snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", c->ns, c->sa_name);
  json_t *k8s = json_pack("{s:s,s:{s:s,s:s}}", "namespace", c->ns, "serviceaccount", "name", c->sa_name, "uid",
                          c->sa_uid ? c->sa_uid : "");
  if (c->pod_name)
    json_object_set_new(k8s, "pod", json_pack("{s:s,s:s}", "name", c->pod_name, "uid", c->pod_uid ? c->pod_uid : ""));
  else if (c->secret_name)
    json_object_set_new(k8s, "secret",
                        json_pack("{s:s,s:s}", "name", c->secret_name, "uid", c->secret_uid ? c->secret_uid : ""));
  if (c->warn_after_seconds) json_object_set_new(k8s, "warnafter", json_integer(c->now + c->warn_after_seconds));
  return sa_token_sign(json_pack("{s:O,s:I,s:I,s:s,s:o,s:I,s:s}", "aud", c->audiences, "exp",
                                 (json_int_t)(c->now + c->expiration_seconds), "iat", (json_int_t)c->now, "iss",
                                 sa_token_issuer(), "kubernetes.io", k8s, "nbf", (json_int_t)c->now, "sub", sub));
}

/* Whether ns/name of plural still exists with uid and was not deleted before the leeway. */
static bool object_current(cache *c, const char *plural, const char *ns, const json_t *ref, long long now) {
  const char *name = json_string_value(json_object_get(ref, "name"));
  const char *uid = json_string_value(json_object_get(ref, "uid"));
  const resource *r = registry_find("", "v1", plural);
  cobj *o = r && name ? c ? cache_get(c, r->bucket, ns, name) : NULL : NULL;
  if (!o) return false;
  const json_t *md = json_object_get(o->obj, "metadata");
  const char *have = json_string_value(json_object_get(md, "uid"));
  long long deleted = rfc3339_seconds(json_string_value(json_object_get(md, "deletionTimestamp")));
  bool ok = uid && have && !strcmp(uid, have) && (deleted < 0 || deleted >= now - LEEWAY_SECONDS);
  cobj_unref(o);
  return ok;
}

static bool fail(token_identity *id, const char *msg) {
  snprintf(id->why, sizeof id->why, "%s", msg);
  return false;
}

bool sa_token_bound_valid(cache *c, const json_t *claims, const json_t *audiences, token_identity *id) {
  json_t *common = sa_token_audiences(json_object_get(claims, "aud"), audiences, id);
  if (!common) return false;
  long long now = (long long)time(NULL);
  const json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
  bool ok = false;
  if (!json_is_integer(exp) || json_integer_value(exp) < now - LEEWAY_SECONDS) fail(id, "Token has expired.");
  else if (json_is_integer(nbf) && json_integer_value(nbf) > now + LEEWAY_SECONDS)
    fail(id, "Token could not be validated.");
  else ok = true;
  const json_t *k8s = json_object_get(claims, "kubernetes.io");
  const char *ns = json_string_value(json_object_get(k8s, "namespace"));
  const json_t *sa = json_object_get(k8s, "serviceaccount"), *pod = json_object_get(k8s, "pod"),
               *secret = json_object_get(k8s, "secret");
  if (ok && (!ns || !json_is_object(sa))) ok = fail(id, "Token could not be validated.");
  if (ok && (!object_current(c, "serviceaccounts", ns, sa, now) || (secret && !object_current(c, "secrets", ns, secret, now)) ||
             (pod && !object_current(c, "pods", ns, pod, now))))
    ok = fail(id, "Token has been invalidated");
  if (!ok) {
    json_decref(common);
    return false;
  }
  const char *uid = json_string_value(json_object_get(sa, "uid"));
  snprintf(id->user, sizeof id->user, "system:serviceaccount:%s:%s", ns, json_string_value(json_object_get(sa, "name")));
  snprintf(id->uid, sizeof id->uid, "%s", uid ? uid : "");
  id->audiences = common;
  if (pod) {
    json_object_set_new(id->extra, "authentication.kubernetes.io/pod-name",
                        json_pack("[O]", json_object_get(pod, "name")));
    json_object_set_new(id->extra, "authentication.kubernetes.io/pod-uid",
                        json_pack("[O]", json_object_get(pod, "uid")));
  }
  return true;
}
