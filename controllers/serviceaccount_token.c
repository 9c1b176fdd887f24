/* serviceaccount_token.c - the token controller of kube-controller-manager:
 * every ServiceAccount references a Secret of type
 * kubernetes.io/service-account-token ("<sa>-token-<5 chars>") holding a
 * signed token (server/sa_token.c), the cluster CA and the namespace. A
 * deleted token Secret is dropped from its account's list and replaced;
 * a deleted account takes its token Secrets with it; a token Secret created
 * by hand for an existing account gets its data filled in. Keys in the queue
 * are "sa/NS/NAME" and "secret/NS/NAME". */
#include "controllers.h"
#include "api.h"
#include "controller.h"
#include "k8s_protobuf_text.h"
#include "sa_token.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define TOKEN_TYPE "kubernetes.io/service-account-token"
#define ANN_NAME "kubernetes.io/service-account.name"
#define ANN_UID "kubernetes.io/service-account.uid"

static ctrl *ctl;
static const resource *sa_res, *secret_res;

static const char *annotation(const json_t *o, const char *key) {
  return json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"), "annotations"), key));
}

static bool is_token_secret(const json_t *s) {
  const char *t = json_string_value(json_object_get(s, "type"));
  return t && !strcmp(t, TOKEN_TYPE);
}

static void enqueue(const char *kind, const json_t *o) {
  char key[600];
  snprintf(key, sizeof key, "%s/%s/%s", kind, meta_str(o, "namespace"), meta_str(o, "name"));
  ctrl_add(ctl, key);
}

static void on_sa(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  enqueue("sa", obj->obj);
}

static void on_secret(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (!is_token_secret(obj->obj)) return;
  enqueue("secret", obj->obj);
  const char *sa = annotation(obj->obj, ANN_NAME);
  if (sa && type == EV_DELETED) {
    char key[600];
    snprintf(key, sizeof key, "sa/%s/%s", meta_str(obj->obj, "namespace"), sa);
    ctrl_add(ctl, key);
  }
}

static json_t *b64(const char *s) { return pbtext_base64((const unsigned char *)s, strlen(s)); }

/* The data a token Secret for account sa holds (new reference), or NULL. */
static json_t *token_data(const json_t *sa, const char *secret_name) {
  const char *ns = meta_str(sa, "namespace"), *name = meta_str(sa, "name"), *uid = meta_str(sa, "uid");
  char *tok = sa_token_issue(ns, name, uid ? uid : "", secret_name);
  if (!tok) return NULL;
  json_t *d = json_pack("{s:o,s:o,s:o}", "token", b64(tok), "ca.crt", b64(sa_token_ca_pem()), "namespace", b64(ns));
  free(tok);
  return d;
}

/* True when the account lists a token Secret that exists and belongs to it;
 * drops list entries naming token Secrets that are gone. */
static bool has_valid_token(const char *ns, cobj *sa) {
  const json_t *refs = json_object_get(sa->obj, "secrets");
  const char *uid = meta_str(sa->obj, "uid");
  bool found = false, stale = false;
  json_t *keep = json_array();
  size_t i;
  const json_t *ref;
  json_array_foreach(refs, i, ref) {
    const char *sn = json_string_value(json_object_get(ref, "name"));
    cobj *s = sn ? lister_get(cctx->informers, secret_res, ns, sn) : NULL;
    bool mine = s && is_token_secret(s->obj) && annotation(s->obj, ANN_NAME) &&
                !strcmp(annotation(s->obj, ANN_NAME), meta_str(sa->obj, "name")) &&
                (!annotation(s->obj, ANN_UID) || !uid || !strcmp(annotation(s->obj, ANN_UID), uid));
    if (mine) found = true;
    if (!s && sn) {
      /* a reference to a Secret that no longer exists: k8s drops it only for token secrets it made,
       * which we recognise by name */
      char prefix[300];
      snprintf(prefix, sizeof prefix, "%s-token-", meta_str(sa->obj, "name"));
      if (!strncmp(sn, prefix, strlen(prefix))) {
        stale = true;
        cobj_unref(s);
        continue;
      }
    }
    json_array_append(keep, (json_t *)ref);
    cobj_unref(s);
  }
  if (stale) {
    json_t *upd = json_deep_copy(sa->obj);
    json_object_set(upd, "secrets", keep);
    api_opts o = {0};
    api_result r = api_update(cctx->srv, sa_res, ns, meta_str(sa->obj, "name"), "", upd, &o);
    api_result_clear(&r);
  }
  json_decref(keep);
  return found;
}

/* Returns false when the work should be retried. */
static bool sync_sa(const char *ns, const char *name) {
  cobj *sa = lister_get(cctx->informers, sa_res, ns, name);
  if (!sa) { /* deleted: its token Secrets go too */
    cobj_vec v = {0};
    lister_list(cctx->informers, secret_res, ns, &v);
    for (size_t i = 0; i < v.n; i++) {
      const json_t *s = v.items[i]->obj;
      const char *owner = annotation(s, ANN_NAME);
      if (is_token_secret(s) && owner && !strcmp(owner, name)) {
        api_opts o = {0};
        api_result r = api_delete(cctx->srv, secret_res, ns, meta_str(s, "name"), NULL, &o);
        api_result_clear(&r);
      }
    }
    cobj_vec_clear(&v);
    return true;
  }
  bool ok = true;
  if (!meta_str(sa->obj, "deletionTimestamp") && !has_valid_token(ns, sa)) {
    char suffix[6], sname[300];
    meta_random_suffix(suffix, 5);
    snprintf(sname, sizeof sname, "%.240s-token-%s", name, suffix);
    json_t *data = token_data(sa->obj, sname);
    json_t *secret = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:s,s:o}", "apiVersion", "v1", "kind", "Secret",
                               "metadata", "name", sname, "namespace", ns, "annotations", ANN_NAME, name, ANN_UID,
                               meta_str(sa->obj, "uid"), "type", TOKEN_TYPE, "data", data ? data : json_object());
    api_opts o = {0};
    api_result r = api_create(cctx->srv, secret_res, ns, secret, &o);
    ok = r.code < 300;
    api_result_clear(&r);
    if (ok) { /* reference it from the account, against the version we read */
      cobj *cur = lister_get(cctx->informers, sa_res, ns, name);
      json_t *upd = cur ? json_deep_copy(cur->obj) : NULL;
      if (upd) {
        json_t *refs = json_object_get(upd, "secrets");
        if (!json_is_array(refs)) json_object_set_new(upd, "secrets", refs = json_array());
        json_array_append_new(refs, json_pack("{s:s}", "name", sname));
        api_result u = api_update(cctx->srv, sa_res, ns, name, "", upd, &o);
        ok = u.code < 300;
        api_result_clear(&u);
        if (!ok) { /* the account changed or went: drop the unreferenced Secret and retry */
          api_result d = api_delete(cctx->srv, secret_res, ns, sname, NULL, &o);
          api_result_clear(&d);
        }
      }
      cobj_unref(cur);
    }
  }
  cobj_unref(sa);
  return ok;
}

/* A token Secret: filled in when its data is missing, deleted when its account is gone. */
static bool sync_secret(const char *ns, const char *name) {
  cobj *s = lister_get(cctx->informers, secret_res, ns, name);
  if (!s) return true;
  bool ok = true;
  const char *owner = annotation(s->obj, ANN_NAME), *uid = annotation(s->obj, ANN_UID);
  cobj *sa = owner ? lister_get(cctx->informers, sa_res, ns, owner) : NULL;
  api_opts o = {0};
  if (!sa || (uid && meta_str(sa->obj, "uid") && strcmp(uid, meta_str(sa->obj, "uid")))) {
    api_result r = api_delete(cctx->srv, secret_res, ns, name, NULL, &o);
    ok = r.code < 300 || r.code == 404;
    api_result_clear(&r);
  } else if (!json_object_get(json_object_get(s->obj, "data"), "token")) {
    json_t *upd = json_deep_copy(s->obj);
    json_t *data = token_data(sa->obj, name);
    if (!json_is_object(json_object_get(upd, "data"))) json_object_set_new(upd, "data", json_object());
    if (data) json_object_update(json_object_get(upd, "data"), data);
    json_decref(data);
    json_t *ann = json_object_get(json_object_get(upd, "metadata"), "annotations");
    if (!uid && json_is_object(ann)) json_object_set_new(ann, ANN_UID, json_string(meta_str(sa->obj, "uid")));
    api_result r = api_update(cctx->srv, secret_res, ns, name, "", upd, &o);
    ok = r.code < 300 || r.code == 404;
    api_result_clear(&r);
  }
  cobj_unref(sa);
  cobj_unref(s);
  return ok;
}

/* Keys: "sa/<ns>/<name>" or "secret/<ns>/<name>". */
static ctrl_result sync(void *ctx, const char *key) {
  char kind[16], ns[256], name[300];
  if (sscanf(key, "%15[^/]/%255[^/]/%299s", kind, ns, name) != 3) return ctrl_done();
  bool ok = !strcmp(kind, "sa") ? sync_sa(ns, name) : sync_secret(ns, name);
  return ok ? ctrl_done() : ctrl_retry();
}

void serviceaccount_token_controller_start(const ctrl_context *cc) {
  cctx = cc;
  sa_res = registry_find("", "v1", "serviceaccounts");
  secret_res = registry_find("", "v1", "secrets");
  ctl = ctrl_start(cctx, "tokens-controller", sync, NULL);
  ctrl_follow_resource(ctl, sa_res, on_sa, NULL);
  ctrl_follow_resource(ctl, secret_res, on_secret, NULL);
}

void serviceaccount_token_controller_stop(void) { ctrl_stop(ctl); }
