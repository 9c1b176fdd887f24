/* webhook_review.c - the admission.k8s.io AdmissionReview exchanged with a
 * webhook (k8s.io/apiserver/pkg/admission/plugin/webhook/request and
 * errors): the request in v1 or v1beta1, the checks kube-apiserver 1.20
 * makes on the response (VerifyAdmissionResponse), and the Status errors a
 * denial or a failure becomes, with kube-apiserver's wording. */
#include "webhook_internal.h"
#include "object_meta.h"
#include "go_errors.h"
#include "status.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *gvk(const char *group, const char *version, const char *kind) {
  return json_pack("{s:s,s:s,s:s}", "group", group, "version", version, "kind", kind);
}

static json_t *gvr(const resource *r) {
  return json_pack("{s:s,s:s,s:s}", "group", r->ref.group, "version", r->ref.version, "resource", r->ref.plural);
}

/* authentication/v1 UserInfo as the review carries it: empty fields left out. */
static json_t *user_info(const json_t *user) {
  if (!user) return json_pack("{s:s,s:[s]}", "username", "system:apiserver", "groups", "system:masters");
  json_t *u = json_object();
  static const char *const keys[] = {"username", "uid", "groups", "extra", NULL};
  for (int i = 0; keys[i]; i++) {
    json_t *v = json_object_get(user, keys[i]);
    if (!v || (json_is_string(v) && !*json_string_value(v)) || (json_is_array(v) && !json_array_size(v)) ||
        (json_is_object(v) && !json_object_size(v)))
      continue;
    json_object_set(u, keys[i], v);
  }
  return u;
}

static const char *review_version(const json_t *hook) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hook, "admissionReviewVersions"), i, v) {
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "v1") || !strcmp(s, "v1beta1"))) return !strcmp(s, "v1") ? "v1" : "v1beta1";
  }
  return NULL;
}

json_t *wh_review_request(const json_t *hook, const wh_attrs *a, const wh_invocation *inv, const json_t *obj,
                          const json_t *old, const char **version, char *err, size_t errlen) {
  const char *v = review_version(hook);
  if (!v) {
    snprintf(err, errlen, "webhook does not accept known AdmissionReview versions (v1, v1beta1)");
    return NULL;
  }
  *version = v;
  char uid[40];
  meta_new_uid(uid, sizeof uid);
  const char *sub = a->sub ? a->sub : "";
  wh_invocation req_kind;
  /* the request's own kind: its resource's, or its subresource's */
  req_kind.r = a->r;
  req_kind.group = a->r->ref.group;
  req_kind.version = a->r->ref.version;
  req_kind.kind = a->r->ref.kind;
  const json_t *row = sub[0] ? registry_subresource(a->r, sub) : NULL;
  if (json_string_value(json_object_get(row, "kind")) && *json_string_value(json_object_get(row, "kind"))) {
    req_kind.kind = json_string_value(json_object_get(row, "kind"));
    if (json_string_value(json_object_get(row, "group"))) req_kind.group = json_string_value(json_object_get(row, "group"));
    const char *rv = json_string_value(json_object_get(row, "version"));
    if (rv && *rv) req_kind.version = rv;
  }
  if (a->kind) req_kind.kind = a->kind;
  json_t *rq = json_object();
  json_object_set_new(rq, "uid", json_string(uid));
  json_object_set_new(rq, "kind", gvk(inv->group, inv->version, inv->kind));
  json_object_set_new(rq, "resource", gvr(inv->r));
  if (sub[0]) json_object_set_new(rq, "subResource", json_string(sub));
  json_object_set_new(rq, "requestKind", gvk(req_kind.group, req_kind.version, req_kind.kind));
  json_object_set_new(rq, "requestResource", gvr(a->r));
  if (sub[0]) json_object_set_new(rq, "requestSubResource", json_string(sub));
  if (a->name && *a->name) json_object_set_new(rq, "name", json_string(a->name));
  if (a->ns && *a->ns) json_object_set_new(rq, "namespace", json_string(a->ns));
  json_object_set_new(rq, "operation", json_string(a->operation));
  json_object_set_new(rq, "userInfo", user_info(a->user));
  json_object_set_new(rq, "object", obj ? json_incref((json_t *)obj) : json_null());
  json_object_set_new(rq, "oldObject", old ? json_incref((json_t *)old) : json_null());
  json_object_set_new(rq, "dryRun", json_boolean(a->dry_run));
  json_object_set_new(rq, "options", a->options ? json_incref((json_t *)a->options) : json_null());
  char av[64];
  snprintf(av, sizeof av, "admission.k8s.io/%s", v);
  return json_pack("{s:s,s:s,s:o}", "kind", "AdmissionReview", "apiVersion", av, "request", rq);
}

void wh_response_clear(wh_response *r) {
  json_decref(r->result);
  json_decref(r->patch);
  json_decref(r->warnings);
  memset(r, 0, sizeof *r);
}

int wh_review_response(const char *body, size_t len, const json_t *request, bool mutating, wh_response *out,
                       bool *bad_patch, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  *bad_patch = false;
  json_error_t je;
  json_t *doc = json_loadb(body, len, 0, &je);
  if (!json_is_object(doc)) {
    snprintf(err, errlen, "couldn't get version/kind; json parse error: %s", doc ? "expected an object" : je.text);
    json_decref(doc);
    return -1;
  }
  const char *want_av = json_string_value(json_object_get(request, "apiVersion"));
  bool v1 = want_av && !strcmp(want_av, "admission.k8s.io/v1");
  json_t *resp = json_object_get(doc, "response");
  int rc = -1;
  if (!json_is_object(resp)) {
    snprintf(err, errlen, "webhook response was absent");
    goto done;
  }
  const char *patch_b64 = json_string_value(json_object_get(resp, "patch"));
  json_t *ptype = json_object_get(resp, "patchType");
  bool has_patch = patch_b64 && *patch_b64;
  if (v1) {
    const char *uid = json_string_value(json_object_get(json_object_get(request, "request"), "uid"));
    const char *got = json_string_value(json_object_get(resp, "uid"));
    if (!got || strcmp(uid, got) != 0) {
      snprintf(err, errlen, "expected response.uid=\"%s\", got \"%s\"", uid, got ? got : "");
      goto done;
    }
    const char *av = json_string_value(json_object_get(doc, "apiVersion"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (!av || !kind || strcmp(av, "admission.k8s.io/v1") != 0 || strcmp(kind, "AdmissionReview") != 0) {
      snprintf(err, errlen, "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got %s, Kind=%s",
               av ? av : "", kind ? kind : "");
      goto done;
    }
    if (mutating) {
      if (has_patch && !ptype) {
        snprintf(err, errlen, "webhook returned response.patch but not response.patchType");
        goto done;
      }
      if (!has_patch && ptype) {
        snprintf(err, errlen, "webhook returned response.patchType but not response.patch");
        goto done;
      }
      if (ptype && (!json_is_string(ptype) || !*json_string_value(ptype))) {
        snprintf(err, errlen, "webhook returned invalid response.patchType of \"%s\"",
                 json_is_string(ptype) ? json_string_value(ptype) : "");
        goto done;
      }
    } else {
      if (has_patch) {
        snprintf(err, errlen, "validating webhook may not return response.patch");
        goto done;
      }
      if (ptype) {
        snprintf(err, errlen, "validating webhook may not return response.patchType");
        goto done;
      }
    }
  }
  out->allowed = json_is_true(json_object_get(resp, "allowed"));
  json_t *result = json_object_get(resp, "status");
  if (json_is_object(result)) out->result = json_incref(result);
  json_t *w = json_object_get(resp, "warnings");
  if (json_is_array(w)) out->warnings = json_incref(w);
  rc = 0;
  if (!mutating || !has_patch || !out->allowed) goto done;
  /* the patch: JSONPatch only (v1beta1 implies it) */
  const char *pt = v1 ? json_string_value(ptype) : "JSONPatch";
  size_t rawlen = 0;
  unsigned char *raw = go_base64_decode(patch_b64, strlen(patch_b64), &rawlen);
  if (!raw) {
    snprintf(err, errlen, "illegal base64 data in response.patch");
    rc = -1;
    goto done;
  }
  json_t *patch = json_loadb((const char *)raw, rawlen, JSON_DECODE_ANY, &je);
  free(raw);
  if (!json_is_array(patch)) {
    snprintf(err, errlen, patch ? "json: cannot unmarshal %s into Go value of type jsonpatch.Patch" : "%s",
             patch ? (json_is_object(patch) ? "object" : json_is_string(patch) ? "string" : "number") : je.text);
    json_decref(patch);
    *bad_patch = true;
    rc = -1;
    goto done;
  }
  if (json_array_size(patch) && strcmp(pt, "JSONPatch") != 0) {
    snprintf(err, errlen, "unsupported patch type \"%s\"", pt);
    json_decref(patch);
    rc = -1;
    goto done;
  }
  out->patch = patch;
done:
  if (rc != 0) wh_response_clear(out);
  json_decref(doc);
  return rc;
}

json_t *wh_denied_status(const char *hook_name, const json_t *result) {
  json_t *st = json_pack("{s:s,s:s,s:{}}", "kind", "Status", "apiVersion", "v1", "metadata");
  const char *status = json_string_value(json_object_get(result, "status"));
  const char *msg = json_string_value(json_object_get(result, "message"));
  const char *reason = json_string_value(json_object_get(result, "reason"));
  json_int_t code = json_integer_value(json_object_get(result, "code"));
  json_object_set_new(st, "status", json_string(status && *status && strcmp(status, "Success") ? status : "Failure"));
  char text[4096];
  if (msg && *msg) snprintf(text, sizeof text, "admission webhook \"%s\" denied the request: %s", hook_name, msg);
  else if (reason && *reason) snprintf(text, sizeof text, "admission webhook \"%s\" denied the request: %s", hook_name, reason);
  else snprintf(text, sizeof text, "admission webhook \"%s\" denied the request without explanation", hook_name);
  json_object_set_new(st, "message", json_string(text));
  if (reason && *reason) json_object_set_new(st, "reason", json_string(reason));
  json_t *details = json_object_get(result, "details");
  if (json_is_object(details)) json_object_set(st, "details", details);
  json_object_set_new(st, "code", json_integer(code < 400 ? 400 : code));
  return st;
}

json_t *wh_internal_error(const char *msg) {
  char text[4096];
  snprintf(text, sizeof text, "Internal error occurred: %s", msg);
  return status_failure(500, "InternalError", text, json_pack("{s:[{s:s}]}", "causes", "message", msg));
}
