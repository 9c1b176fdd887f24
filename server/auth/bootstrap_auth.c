/* bootstrap_auth.c - see bootstrap_auth.h. Validity as 1.20's
 * plugin/pkg/auth/authenticator/token/bootstrap: the Secret's name matches
 * the id, its type is the bootstrap type, token-secret equals the secret
 * (constant time), expiration (RFC 3339) is in the future, the usage is
 * "true". A shaped token that fails any check gets 401, as kube-apiserver. */
#include "bootstrap_auth.h"
#include "registry.h"
#include "bootstrap_token.h"
#include "go_errors.h"
#include "timestamp.h"
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool bootstrap_token_shaped(const char *t) {
  char id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1];
  return bt_parse(t, id, secret);
}

char *bootstrap_secret_value(const json_t *secret, const char *key) {
  const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
  if (!v) return NULL;
  size_t n;
  char *out = (char *)go_base64_decode(v, strlen(v), &n);
  return out;
}

bool bootstrap_secret_usable(const json_t *secret, const char *usage, long long now, char *id, char *tsecret) {
  const char *type = json_string_value(json_object_get(secret, "type"));
  const char *name = json_string_value(json_object_get(json_object_get(secret, "metadata"), "name"));
  if (!type || strcmp(type, BT_SECRET_TYPE) || !name || strncmp(name, BT_SECRET_PREFIX, strlen(BT_SECRET_PREFIX)))
    return false;
  char *tid = bootstrap_secret_value(secret, "token-id");
  char *ts = bootstrap_secret_value(secret, "token-secret");
  char *exp = bootstrap_secret_value(secret, "expiration");
  char *use = bootstrap_secret_value(secret, usage);
  bool ok = tid && ts && bt_is_id(tid) && !strcmp(name + strlen(BT_SECRET_PREFIX), tid) &&
            strlen(ts) == BT_SECRET_LEN && use && !strcmp(use, "true");
  if (ok && exp) {
    long long t = rfc3339_seconds(exp);
    ok = t >= 0 && now < t;
  }
  if (ok) {
    strcpy(id, tid);
    strcpy(tsecret, ts);
  }
  free(tid);
  free(ts);
  free(exp);
  free(use);
  return ok;
}

bool bootstrap_token_authenticate(cache *c, const char *t, char *user, size_t len, json_t *groups) {
  char id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1];
  if (!bt_parse(t, id, secret)) return false;
  const resource *r = registry_find("", "v1", "secrets");
  char name[64];
  snprintf(name, sizeof name, BT_SECRET_PREFIX "%s", id);
  cobj *o = r ? cache_get(c, r->bucket, "kube-system", name) : NULL;
  if (!o) return false;
  char sid[BT_ID_LEN + 1], ssecret[BT_SECRET_LEN + 1];
  bool ok = bootstrap_secret_usable(o->obj, "usage-bootstrap-authentication", (long long)time(NULL), sid, ssecret) &&
            CRYPTO_memcmp(ssecret, secret, BT_SECRET_LEN) == 0;
  char *extra = ok ? bootstrap_secret_value(o->obj, "auth-extra-groups") : NULL;
  cobj_unref(o);
  if (!ok) return false;
  snprintf(user, len, "system:bootstrap:%s", id);
  if (groups) {
    json_array_append_new(groups, json_string("system:bootstrappers"));
    for (char *g = extra ? strtok(extra, ",") : NULL; g; g = strtok(NULL, ",")) {
      while (*g == ' ') g++;
      if (*g) json_array_append_new(groups, json_string(g));
    }
  }
  free(extra);
  return true;
}
