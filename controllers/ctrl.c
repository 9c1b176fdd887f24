/* ctrl.c - see ctrl.h. The write helpers wrap api_create/api_update/api_delete so controllers
 * stay short and every failed write is logged the same way. */
#include "ctrl.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const json_t *meta(const json_t *o) { return json_object_get(o, "metadata"); }
const char *obj_name(const json_t *o) { return json_string_value(json_object_get(meta(o), "name")); }
const char *obj_ns(const json_t *o) {
  const char *ns = json_string_value(json_object_get(meta(o), "namespace"));
  return ns ? ns : "";
}
const char *obj_uid(const json_t *o) { return json_string_value(json_object_get(meta(o), "uid")); }
const char *obj_label(const json_t *o, const char *key) {
  return json_string_value(json_object_get(json_object_get(meta(o), "labels"), key));
}
const char *obj_annotation(const json_t *o, const char *key) {
  return json_string_value(json_object_get(json_object_get(meta(o), "annotations"), key));
}
bool ctrl_split_key(const char *key, char ns[256], char name[256]) {
  const char *slash = strchr(key, '/');
  if (!slash) return false;
  snprintf(ns, 256, "%.*s", (int)(slash - key), key);
  snprintf(name, 256, "%s", slash + 1);
  return true;
}

bool obj_deleting(const json_t *o) { return json_object_get(meta(o), "deletionTimestamp") != NULL; }

json_t *controller_ref(const json_t *owner) {
  return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "apiVersion", json_string_value(json_object_get(owner, "apiVersion")),
                   "kind", json_string_value(json_object_get(owner, "kind")), "name", obj_name(owner), "uid",
                   obj_uid(owner), "controller", 1, "blockOwnerDeletion", 1);
}

const char *controller_uid(const json_t *o) {
  size_t i;
  json_t *ref;
  json_array_foreach(json_object_get(meta(o), "ownerReferences"), i, ref) {
    if (json_is_true(json_object_get(ref, "controller"))) return json_string_value(json_object_get(ref, "uid"));
  }
  return NULL;
}

void ctrl_list(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
               cobj_vec *out) {
  const resource *r = registry_find(group, version, plural);
  lister_list(cctx->informers, r, ns, out);
}

cobj *ctrl_get(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
               const char *name) {
  const resource *r = registry_find(group, version, plural);
  return lister_get(cctx->informers, r, ns, name);
}

static int finish(const char *verb, const char *plural, const char *ns, const char *name, api_result *res) {
  int code = res->code;
  if (code >= 300 && code != 404 && code != 409) {
    json_t *j = api_result_json(res);
    LOGW("controller %s %s %s/%s: %d %s", verb, plural, ns, name ? name : "", code,
         json_string_value(json_object_get(j, "message")));
    json_decref(j);
  }
  api_result_clear(res);
  return code;
}

int ctrl_create(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
                json_t *obj) {
  const resource *r = registry_find(group, version, plural);
  if (!r) return json_decref(obj), 0;
  char name[256];
  snprintf(name, sizeof name, "%s", obj_name(obj) ? obj_name(obj) : "");
  api_opts o = {0};
  api_result res = api_create(cctx->srv, r, ns, obj, &o);
  return finish("create", plural, ns, name, &res);
}

int ctrl_update(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
                const char *sub, json_t *obj) {
  const resource *r = registry_find(group, version, plural);
  if (!r) return json_decref(obj), 0;
  char name[256];
  snprintf(name, sizeof name, "%s", obj_name(obj) ? obj_name(obj) : "");
  api_opts o = {0};
  api_result res = api_update(cctx->srv, r, ns, name, sub, obj, &o);
  return finish("update", plural, ns, name, &res);
}

int ctrl_delete(const ctrl_context *cctx, const char *group, const char *version, const char *plural, const char *ns,
                const char *name, const char *propagation) {
  const resource *r = registry_find(group, version, plural);
  if (!r) return 0;
  json_t *opts = propagation ? json_pack("{s:s}", "propagationPolicy", propagation) : NULL;
  api_opts o = {0};
  api_result res = api_delete(cctx->srv, r, ns, name, opts, &o);
  json_decref(opts);
  return finish("delete", plural, ns, name, &res);
}
