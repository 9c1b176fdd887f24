/* bootstrap_signer.c - kube-controller-manager's bootstrapsigner: keeps one
 * detached JWS signature "jws-kubeconfig-<id>" of the cluster-info
 * kubeconfig per bootstrap token usable for signing (unexpired,
 * usage-bootstrap-signing "true") in kube-public/cluster-info, and removes
 * the signatures of tokens that are gone or expired. A joining node checks
 * the CA it reads there against its token with these signatures. */
#include "timestamp.h"
#include "controllers.h"
#include "bootstrap_auth.h"
#include "bootstrap_token.h"
#include "ctrl.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define KEY "kube-public/cluster-info"

static ctrl *c;

static void on_secret(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *t = json_string_value(json_object_get(obj->obj, "type"));
  const char *ns = obj_ns(obj->obj);
  if (t && ns && !strcmp(t, BT_SECRET_TYPE) && !strcmp(ns, "kube-system")) ctrl_add(ctx, KEY);
}

static void on_configmap(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *n = obj_name(obj->obj), *ns = obj_ns(obj->obj);
  if (n && ns && !strcmp(n, "cluster-info") && !strcmp(ns, "kube-public")) ctrl_add(ctx, KEY);
}

/* Desired signatures into sigs; returns ms until the first token expires (0: none). */
static long desired(const char *kubeconfig, json_t *sigs) {
  cobj_vec secrets = {0};
  ctrl_list(cctx, "", "v1", "secrets", "kube-system", &secrets);
  long long now = time(NULL), next = 0;
  for (size_t i = 0; i < secrets.n; i++) {
    const json_t *s = secrets.items[i]->obj;
    char id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1];
    if (!bootstrap_secret_usable(s, "usage-bootstrap-signing", now, id, secret)) continue;
    char key[64];
    snprintf(key, sizeof key, BT_JWS_PREFIX "%s", id);
    char *jws = bt_jws_sign(kubeconfig, id, secret);
    json_object_set_new(sigs, key, json_string(jws));
    free(jws);
    char *exp = bootstrap_secret_value(s, "expiration");
    long long t = exp ? rfc3339_seconds(exp) : -1;
    free(exp);
    if (t > now && (!next || t < next)) next = t;
  }
  cobj_vec_clear(&secrets);
  return next ? (long)((next - now) * 1000 + 500) : 0;
}

static ctrl_result sync(void *ctx, const char *key) {
  cobj *cm = ctrl_get(cctx, "", "v1", "configmaps", "kube-public", "cluster-info");
  if (!cm) return ctrl_done();
  json_t *obj = json_deep_copy(cm->obj);
  cobj_unref(cm);
  json_t *data = json_object_get(obj, "data");
  const char *kubeconfig = json_string_value(json_object_get(data, "kubeconfig"));
  if (!kubeconfig) {
    json_decref(obj);
    return ctrl_done();
  }
  json_t *want = json_object();
  long after = desired(kubeconfig, want);
  bool changed = false;
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(data, tmp, k, v) {
    if (strncmp(k, BT_JWS_PREFIX, strlen(BT_JWS_PREFIX)) || json_object_get(want, k)) continue;
    json_object_del(data, k);
    changed = true;
  }
  json_object_foreach(want, k, v) {
    if (json_equal(json_object_get(data, k), v)) continue;
    json_object_set(data, k, v);
    changed = true;
  }
  json_decref(want);
  if (!changed) {
    json_decref(obj);
    return ctrl_after_or_done(after);
  }
  int code = ctrl_update(cctx, "", "v1", "configmaps", "kube-public", NULL, obj);
  return code >= 300 ? ctrl_retry() : ctrl_after_or_done(after);
}

void bootstrap_signer_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, "bootstrap-signer", sync, NULL);
  ctrl_follow(c, "", "v1", "secrets", on_secret);
  ctrl_follow(c, "", "v1", "configmaps", on_configmap);
  ctrl_add(c, KEY);
}

void bootstrap_signer_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
