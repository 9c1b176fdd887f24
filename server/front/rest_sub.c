/* rest_sub.c - the scale, binding and eviction subresources (see
 * rest_sub.h). Scale writes become a merge patch of spec.replicas on the
 * parent, so they share the parent's validation and conflict handling. */
#include "rest_sub.h"
#include "table_output.h"
#include "pod_log.h"
#include "crd.h"
#include "crd_schema.h"
#include "rest.h"
#include "api_internal.h"
#include "json_patch.h"
#include "strategic_merge.h"
#include "token_request.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The string form of a selector, as labels.Selector.String() prints it. */
static void selector_string(const json_t *sel, bool rc_map, char *buf, size_t len) {
  buf[0] = 0;
  size_t n = 0;
  const json_t *labels = rc_map ? sel : json_object_get(sel, "matchLabels");
  const char **keys = NULL;
  size_t nk = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)labels, k, v) {
    keys = realloc(keys, (nk + 1) * sizeof *keys);
    keys[nk++] = k;
  }
  for (size_t i = 0; i < nk; i++)
    for (size_t j = i + 1; j < nk; j++)
      if (strcmp(keys[j], keys[i]) < 0) {
        const char *t = keys[i];
        keys[i] = keys[j];
        keys[j] = t;
      }
  for (size_t i = 0; i < nk && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? "," : "", keys[i],
                          json_string_value(json_object_get(labels, keys[i])));
  free(keys);
  if (rc_map) return;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
    if (n >= len) break;
    const char *key = json_string_value(json_object_get(e, "key"));
    const char *op = json_string_value(json_object_get(e, "operator"));
    if (!key || !op) continue;
    if (!strcmp(op, "Exists")) n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", key);
    else if (!strcmp(op, "DoesNotExist")) n += (size_t)snprintf(buf + n, len - n, "%s!%s", n ? "," : "", key);
    else {
      n += (size_t)snprintf(buf + n, len - n, "%s%s %s (", n ? "," : "", key, !strcmp(op, "In") ? "in" : "notin");
      size_t j;
      json_t *val;
      json_array_foreach(json_object_get(e, "values"), j, val) {
        if (n < len) n += (size_t)snprintf(buf + n, len - n, "%s%s", j ? "," : "", json_string_value(val));
      }
      if (n < len) n += (size_t)snprintf(buf + n, len - n, ")");
    }
  }
}

/* A custom resource's Scale: replicas and selector at the paths of the CRD
 * version's scale subresource; the selector is left out when unset. */
static json_t *custom_scale(const json_t *paths, const json_t *obj, json_t *smd) {
  const json_t *spec_rep = crd_jsonpath_get(obj, json_string_value(json_object_get(paths, "specReplicasPath")));
  const json_t *st_rep = crd_jsonpath_get(obj, json_string_value(json_object_get(paths, "statusReplicasPath")));
  const char *selp = json_string_value(json_object_get(paths, "labelSelectorPath"));
  const json_t *sel = selp ? crd_jsonpath_get(obj, selp) : NULL;
  json_t *status = json_pack("{s:I}", "replicas", json_integer_value(st_rep));
  if (json_is_string(sel) && *json_string_value(sel)) json_object_set(status, "selector", (json_t *)sel);
  return json_pack("{s:s,s:s,s:o,s:{s:I},s:o}", "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata", smd,
                   "spec", "replicas", json_integer_value(spec_rep), "status", status);
}

static json_t *scale_of(const resource *r, const json_t *obj) {
  const json_t *md = json_object_get(obj, "metadata");
  const json_t *spec = json_object_get(obj, "spec");
  const json_t *status = json_object_get(obj, "status");
  char sel[2048];
  bool rc = !r->ref.group[0];
  selector_string(json_object_get(spec, "selector"), rc, sel, sizeof sel);
  json_t *smd = json_object();
  static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp", NULL};
  for (int i = 0; keep[i]; i++) {
    json_t *v = json_object_get(md, keep[i]);
    if (v) json_object_set(smd, keep[i], v);
  }
  if (r->ref.crd && r->ref.crd->scale) return custom_scale(r->ref.crd->scale, obj, smd);
  json_t *rep = json_object_get(spec, "replicas");
  return json_pack("{s:s,s:s,s:o,s:{s:I},s:{s:I,s:s}}", "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata",
                   smd, "spec", "replicas", rep ? json_integer_value(rep) : (json_int_t)1, "status", "replicas",
                   json_integer_value(json_object_get(status, "replicas")), "selector", sel);
}

static void send_scale(http_req *rq, api_result *res) {
  if (res->code >= 300 || !res->code) {
    http_send_result(rq, res);
    return;
  }
  json_t *obj = api_result_json(res);
  api_result_clear(res);
  json_t *sc = scale_of(rq->res, obj);
  json_decref(obj);
  out_form f = rq->form;
  if (f != OUT_YAML) rq->form = OUT_JSON;
  http_send_json(rq, 200, sc);
  rq->form = f;
  json_decref(sc);
}

bool rest_sub_get(http_req *rq) {
  if (!strcmp(rq->sub, "log") && !rq->res->ref.group[0] && !strcmp(rq->res->ref.plural, "pods")) {
    pod_log_get(rq);
    return true;
  }
  if (strcmp(rq->sub, "scale") != 0) return false;
  api_result res = api_get(rq->srv, rq->res, rq->ns, rq->name);
  if (res.code == 404 && !rq->res->ref.crd) { /* the scale REST of built-in kinds names itself */
    char gr[160];
    snprintf(gr, sizeof gr, "%s/scale", rq->res->ref.plural);
    api_result_clear(&res);
    res = (api_result){404, status_not_found_gr(rq->res->ref.group, gr, rq->name), NULL};
  }
  send_scale(rq, &res);
  return true;
}

/* Applies a Scale's spec.replicas (and resourceVersion precondition). */
static void write_replicas(http_req *rq, const json_t *scale, const api_opts *o) {
  json_t *rep = json_object_get(json_object_get(scale, "spec"), "replicas");
  json_int_t n = rep ? json_integer_value(rep) : (json_int_t)0;
  json_t *patch;
  if (rq->res->ref.crd && rq->res->ref.crd->scale) {
    patch = json_object();
    crd_jsonpath_set(patch, json_string_value(json_object_get(rq->res->ref.crd->scale, "specReplicasPath")),
                     json_integer(n));
  } else {
    patch = json_pack("{s:{s:I}}", "spec", "replicas", n);
  }
  const char *rv = json_string_value(json_object_get(json_object_get(scale, "metadata"), "resourceVersion"));
  if (rv && *rv) json_object_set_new(patch, "metadata", json_pack("{s:s}", "resourceVersion", rv));
  char *body = json_dumps(patch, JSON_COMPACT);
  json_decref(patch);
  api_result res =
      api_patch(rq->srv, rq->res, rq->ns, rq->name, NULL, "application/merge-patch+json", body, strlen(body), o);
  free(body);
  send_scale(rq, &res);
}

bool rest_sub_put(http_req *rq, const api_opts *o) {
  if (strcmp(rq->sub, "scale") != 0) return false;
  json_t *st = NULL;
  json_t *scale = rest_decode_body(rq, &st);
  if (!scale) {
    http_send_status(rq, st);
    return true;
  }
  write_replicas(rq, scale, o);
  json_decref(scale);
  return true;
}

/* Whether a merge or JSON patch sets or tests metadata.resourceVersion. */
static bool patch_names_rv(const json_t *patch) {
  if (json_is_object(patch)) return json_object_get(json_object_get(patch, "metadata"), "resourceVersion") != NULL;
  size_t i;
  json_t *op;
  json_array_foreach(patch, i, op) {
    const char *path = json_string_value(json_object_get(op, "path"));
    if (path && !strcmp(path, "/metadata/resourceVersion")) return true;
  }
  return false;
}

bool rest_sub_patch(http_req *rq, const api_opts *o) {
  if (strcmp(rq->sub, "scale") != 0) return false;
  api_result cur = api_get(rq->srv, rq->res, rq->ns, rq->name);
  if (cur.code != 200) {
    http_send_result(rq, &cur);
    return true;
  }
  json_t *obj = api_result_json(&cur);
  api_result_clear(&cur);
  json_t *scale = scale_of(rq->res, obj);
  json_decref(obj);
  json_error_t je;
  json_t *patch = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, &je);
  char err[512] = "";
  json_t *patched = NULL;
  const char *ct = rq->content_type ? rq->content_type : "";
  if (patch && !strncmp(ct, "application/json-patch+json", 27)) patched = json_patch_apply(scale, patch, err, sizeof err);
  else if (json_is_object(patch)) patched = json_merge_patch(scale, patch);
  else snprintf(err, sizeof err, "%s", je.text);
  /* the version read above is no precondition unless the patch names one:
   * a concurrent status write (a controller) must not fail the patch */
  if (patched && !patch_names_rv(patch)) json_object_del(json_object_get(patched, "metadata"), "resourceVersion");
  if (!patched) http_send_status(rq, status_bad_request("%s", err));
  else write_replicas(rq, patched, o);
  json_decref(patched);
  json_decref(patch);
  json_decref(scale);
  return true;
}

static void send_created_status(http_req *rq) {
  json_t *s = json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                        "Success", "code", 201);
  http_send_json(rq, 201, s);
  json_decref(s);
}

/* pods/binding: the API core binds (api_bind), as the scheduler does. */
static void bind(http_req *rq, const char *pod, const json_t *binding, bool dry_run) {
  const char *node = json_string_value(json_object_get(json_object_get(binding, "target"), "name"));
  api_result res = api_bind(rq->srv, rq->ns, pod, node, dry_run);
  if (res.code >= 300) http_send_result(rq, &res);
  else {
    api_result_clear(&res);
    send_created_status(rq);
  }
}

bool rest_sub_post(http_req *rq, const api_opts *o) {
  if (token_request_handle(rq)) return true;
  const resource *r = rq->res;
  bool core = !r->ref.group[0];
  bool binding_res = core && !strcmp(r->ref.plural, "bindings");
  bool pod_sub = core && !strcmp(r->ref.plural, "pods") && rq->name[0] &&
                 (!strcmp(rq->sub, "binding") || !strcmp(rq->sub, "eviction"));
  if (!binding_res && !pod_sub) return false;
  json_t *st = NULL;
  json_t *body = rest_decode_body(rq, &st);
  if (!body) {
    http_send_status(rq, st);
    return true;
  }
  const resource *pods = registry_find("", "v1", "pods");
  if (!strcmp(rq->sub, "eviction")) {
    json_t *opts = json_object_get(body, "deleteOptions");
    api_result res = api_delete(rq->srv, pods, rq->ns, rq->name, opts, o);
    if (res.code < 300) {
      api_result_clear(&res);
      send_created_status(rq);
    } else {
      http_send_result(rq, &res);
    }
  } else {
    const char *name = rq->name[0] ? rq->name : json_string_value(json_object_get(json_object_get(body, "metadata"), "name"));
    if (!name || !*name) http_send_status(rq, status_bad_request("name is required for a binding"));
    else bind(rq, name, body, o && o->dry_run);
  }
  json_decref(body);
  return true;
}
