/* pod_token.c - see pod_token.h. The cache key is what kubelet keys its
 * tokens by (namespace, ServiceAccount, audience, expirationSeconds, pod
 * uid); an entry holds the token, status.expirationTimestamp and the
 * expirationSeconds the API answered with. */
#include "pod_token.h"
#include "timestamp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TTL_SECONDS 86400 /* kubelet's maxTTL: 24 h */
#define MAX_JITTER_SECONDS 10
#define DEFAULT_EXPIRATION 3600

static const char *mstr(const json_t *pod, const char *k) {
  return json_string_value(json_object_get(json_object_get(pod, "metadata"), k));
}

bool pod_token_requires_refresh(long long now, long long exp, long long expiration_seconds, long long jitter) {
  long long iat = exp - expiration_seconds;
  if (now > iat + MAX_TTL_SECONDS - jitter) return true;
  return now > exp - expiration_seconds * 20 / 100 - jitter;
}

int pod_token_get(pod_token_post_fn post, void *ctx, json_t *cache, const json_t *pod, const json_t *src,
                  long long now, char **token, char *why, size_t wlen) {
  const char *ns = mstr(pod, "namespace") ? mstr(pod, "namespace") : "default";
  const char *name = mstr(pod, "name") ? mstr(pod, "name") : "", *uid = mstr(pod, "uid") ? mstr(pod, "uid") : "";
  const char *sa = json_string_value(json_object_get(json_object_get(pod, "spec"), "serviceAccountName"));
  if (!sa || !*sa) sa = "default";
  const char *aud = json_string_value(json_object_get(src, "audience"));
  const json_t *e = json_object_get(src, "expirationSeconds");
  long long exp_s = json_is_integer(e) ? json_integer_value(e) : DEFAULT_EXPIRATION;
  char key[1200];
  snprintf(key, sizeof key, "%s/%s/%s/%lld/%s", ns, sa, aud ? aud : "", exp_s, uid);
  json_t *hit = json_object_get(cache, key);
  long long jitter = (long long)(rand() % (MAX_JITTER_SECONDS + 1));
  if (hit && !pod_token_requires_refresh(now, json_integer_value(json_object_get(hit, "exp")),
                                         json_integer_value(json_object_get(hit, "seconds")), jitter)) {
    *token = strdup(json_string_value(json_object_get(hit, "token")));
    return 0;
  }
  json_t *spec = json_pack("{s:I,s:{s:s,s:s,s:s,s:s}}", "expirationSeconds", (json_int_t)exp_s, "boundObjectRef",
                           "apiVersion", "v1", "kind", "Pod", "name", name, "uid", uid);
  if (aud && *aud) json_object_set_new(spec, "audiences", json_pack("[s]", aud));
  json_t *body = json_pack("{s:s,s:s,s:o}", "apiVersion", "authentication.k8s.io/v1", "kind", "TokenRequest",
                           "spec", spec);
  char path[800];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts/%s/token", ns, sa);
  json_t *out = NULL;
  int code = post(ctx, path, body, &out);
  json_decref(body);
  const json_t *st = json_object_get(out, "status");
  const char *tok = json_string_value(json_object_get(st, "token"));
  long long exp = rfc3339_seconds(json_string_value(json_object_get(st, "expirationTimestamp")));
  const json_t *granted = json_object_get(json_object_get(out, "spec"), "expirationSeconds");
  if (code != 201 || !tok || exp < 0) {
    const char *msg = json_string_value(json_object_get(out, "message"));
    snprintf(why, wlen, "failed to fetch token: %s", msg ? msg : code ? "unexpected answer" : "no connection");
    json_decref(out);
    if (hit) { /* kubelet keeps serving the old token while it is still valid */
      if (json_integer_value(json_object_get(hit, "exp")) > now) {
        *token = strdup(json_string_value(json_object_get(hit, "token")));
        return 0;
      }
    }
    return -1;
  }
  json_object_set_new(cache, key, json_pack("{s:s,s:I,s:I}", "token", tok, "exp", (json_int_t)exp, "seconds",
                                            (json_int_t)(json_is_integer(granted) ? json_integer_value(granted) : exp_s)));
  *token = strdup(tok);
  json_decref(out);
  return 0;
}
