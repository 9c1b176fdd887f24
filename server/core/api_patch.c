/* api_patch.c - PATCH in the API core: JSON merge patch, JSON patch,
 * strategic merge patch (merge keys from the Kubernetes schema) and apply
 * patches (server-side apply, handled as a create-or-strategic-merge of the
 * applied configuration). The patched object goes through the same update
 * path as a PUT; without a resourceVersion in the patch a lost race is
 * retried on the new version, as kube-apiserver does. */
#include "api_internal.h"
#include "json_patch.h"
#include "strategic_merge.h"
#include "yaml_json.h"
#include <stdio.h>
#include <string.h>

#define MAX_RETRIES 32

typedef enum { P_MERGE, P_JSON, P_STRATEGIC, P_APPLY, P_UNKNOWN } patch_type;

static patch_type patch_type_of(const char *ct) {
  if (!ct) return P_UNKNOWN;
  size_t n = strcspn(ct, "; ");
  if (!strncmp(ct, "application/merge-patch+json", n)) return P_MERGE;
  if (!strncmp(ct, "application/json-patch+json", n)) return P_JSON;
  if (!strncmp(ct, "application/strategic-merge-patch+json", n)) return P_STRATEGIC;
  if (!strncmp(ct, "application/apply-patch+yaml", n)) return P_APPLY;
  return P_UNKNOWN;
}

static json_t *apply_one(const resource *r, patch_type t, const json_t *old, const json_t *patch, json_t **st) {
  char err[512] = "";
  json_t *out = NULL;
  switch (t) {
  case P_MERGE:
    out = json_merge_patch(old, patch);
    break;
  case P_JSON:
    out = json_patch_apply(old, patch, err, sizeof err);
    /* kube-apiserver hides the patch library's reason: a generic 422, empty details */
    if (!out) *st = status_failure(422, "Invalid", "the server rejected our request due to an error in our request",
                                   json_object());
    return out;
  case P_APPLY:
    if (r->ref.crd) {
      out = json_merge_patch(old, patch);
      break;
    }
    /* fall through */
  case P_STRATEGIC:
    out = strategic_merge_patch(old, patch, registry_definitions(), r->definition, err, sizeof err);
    break;
  default:
    break;
  }
  if (!out) *st = status_bad_request("%s", err[0] ? err : "invalid patch");
  return out;
}

api_result api_patch(api_server *srv, const resource *r, const char *ns, const char *name, const char *sub,
                     const char *content_type, const char *body, size_t len, const api_opts *o) {
  if (!r->ref.namespaced) ns = "";
  patch_type t = patch_type_of(content_type);
  if (t == P_STRATEGIC && r->ref.crd)
    return api_fail(status_failure(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, "
                               "application/apply-patch+yaml",
                               NULL));
  if (t == P_UNKNOWN) return api_fail(status_no_route(415)); /* go-restful's: no PATCH route consumes it */
  char err[512];
  json_t *patch;
  if (t == P_APPLY) {
    patch = yaml_to_json(body, len, err, sizeof err);
  } else {
    json_error_t je;
    patch = json_loadb(body, len, JSON_DECODE_ANY, &je);
    if (!patch) snprintf(err, sizeof err, "%s", je.text);
  }
  if (!patch) return api_fail(status_bad_request("error decoding patch: %s", err));
  if (t == P_JSON ? !json_is_array(patch) : !json_is_object(patch)) {
    json_decref(patch);
    return api_fail(status_bad_request(t == P_JSON ? "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
                                               : "patch body must be a JSON object"));
  }
  if (t == P_APPLY && (!o || !o->field_manager || !*o->field_manager)) {
    json_decref(patch);
    return api_fail(status_bad_request("PATCH requests with apply content type must specify fieldManager"));
  }
  api_opts po = o ? *o : (api_opts){0};
  po.patch = true; /* webhooks see PatchOptions */
  o = &po;
  int64_t want = t == P_JSON ? 0 : meta_rv(patch);
  api_result res = {0};
  for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
    cobj *cur = cache_get_latest(srv->cache, r->bucket, ns, name);
    if (!cur) {
      if (t == P_APPLY && !sub) {
        json_t *obj = json_deep_copy(patch);
        json_decref(patch);
        return api_create(srv, r, ns, obj, o);
      }
      json_decref(patch);
      return api_fail(status_not_found(r, name));
    }
    const json_t *old = api_to_version(srv, r, cur->obj);
    json_t *st = NULL;
    json_t *patched = apply_one(r, t, old, patch, &st);
    if (!patched) {
      json_decref_const(old);
      cobj_unref(cur);
      json_decref(patch);
      return api_fail(st);
    }
    /* a JSON patch's precondition is a resourceVersion it wrote; the one the object had is no precondition, so a
     * conflict with a concurrent writer re-applies the patch to the newer version (as kube-apiserver does) */
    int64_t rv = t == P_JSON ? (meta_rv(patched) != meta_rv(old) ? meta_rv(patched) : 0) : want;
    if (rv < 0 || (rv && rv != cur->rev)) {
      api_await_published(srv, cur->rev, 1000); /* the client's next GET sees what it conflicted with */
      json_decref(patched);
      json_decref_const(old);
      cobj_unref(cur);
      json_decref(patch);
      return api_fail(status_conflict(r, name,
                                  "the object has been modified; please apply your changes to the latest version "
                                  "and try again"));
    }
    char rvs[32];
    snprintf(rvs, sizeof rvs, "%lld", (long long)cur->rev);
    json_object_set_new(meta_of(patched), "resourceVersion", json_string(rvs));
    json_object_set_new(patched, "apiVersion", json_string(r->group_version));
    json_object_set_new(patched, "kind", json_string(r->ref.kind));
    bool retry;
    res = api_write_update(srv, r, ns, name, sub, patched, cur, old, o, &retry);
    json_decref_const(old);
    cobj_unref(cur);
    if (!retry) break;
    if (rv) {
      res = api_fail(status_conflict(r, name, "the object has been modified; please apply your changes to the latest "
                                           "version and try again"));
      break;
    }
  }
  json_decref(patch);
  if (!res.code)
    res = api_fail(status_conflict(r, name, "the object has been modified; please apply your changes to the latest "
                                         "version and try again"));
  return res;
}
