/* history.c - ControllerRevision bookkeeping shared by the StatefulSet and
 * DaemonSet controllers (see history.h). Revision data is compared as JSON
 * values; the hash is FNV-1 32 over the data's compact sorted-key JSON
 * plus the collision count in decimal, as HashControllerRevision does. */
#include "history.h"
#include "deployment_util.h"
#include "log.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const resource *revisions_resource(void) { return registry_find("apps", "v1", "controllerrevisions"); }

long long history_number(const json_t *rev) { return json_path_int(rev, "revision", 0); }

static int by_number(const void *a, const void *b) {
  const json_t *x = (*(cobj *const *)a)->obj, *y = (*(cobj *const *)b)->obj;
  long long nx = history_number(x), ny = history_number(y);
  if (nx != ny) return nx < ny ? -1 : 1;
  return strcmp(obj_name(x), obj_name(y));
}

void history_list(const ctrl_context *cctx, const history_owner *h, cobj_vec *out) {
  label_selector *sel = workload_selector(h->owner, false);
  cobj_vec all = {0};
  list_namespace(cctx, revisions_resource(), obj_ns(h->owner), &all);
  if (sel) {
    claim_spec cs = {h->owner, h->owner_resource, sel, NULL, NULL};
    claim_objects(cctx, &cs, revisions_resource(), &all, out);
  }
  if (out->n > 1) qsort(out->items, out->n, sizeof *out->items, by_number);
  cobj_vec_clear(&all);
  label_selector_free(sel);
}

/* The data is the bytes kube-controller-manager writes (clients compare
 * them with their own encoding, e.g. the DaemonSet e2e's Match): the
 * template as Go's encoding/json gives it back (metadata.creationTimestamp
 * null), keys sorted at every level, as a map is marshalled. */
json_t *history_data(const json_t *owner) {
  json_t *tmpl = json_deep_copy(json_path(owner, "spec.template"));
  if (!tmpl) tmpl = json_object();
  json_t *md = json_object_get(tmpl, "metadata");
  if (!json_is_object(md)) json_object_set_new(tmpl, "metadata", md = json_object());
  if (!json_object_get(md, "creationTimestamp")) json_object_set_new(md, "creationTimestamp", json_null());
  json_object_set_new(tmpl, "$patch", json_string("replace"));
  json_t *data = json_pack("{s:{s:o}}", "spec", "template", tmpl);
  char *sorted = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(data);
  data = sorted ? json_loads(sorted, JSON_DECODE_ANY, NULL) : NULL;
  free(sorted);
  return data ? data : json_object();
}

bool history_matches(const json_t *rev, const json_t *data) { return json_equal(json_object_get(rev, "data"), (json_t *)data); }

const json_t *history_template(const json_t *rev) { return json_path(rev, "data.spec.template"); }

long long history_max_number(const cobj_vec *revs) {
  long long max = 0;
  for (size_t i = 0; i < revs->n; i++)
    if (history_number(revs->items[i]->obj) > max) max = history_number(revs->items[i]->obj);
  return max;
}

void history_hash(const json_t *data, const json_t *collision_count, char *out, size_t outlen) {
  char *raw = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)raw; *p; p++) h = (h * 16777619u) ^ *p;
  free(raw);
  if (json_is_integer(collision_count)) {
    char probe[24];
    snprintf(probe, sizeof probe, "%lld", (long long)json_integer_value(collision_count));
    for (const char *p = probe; *p; p++) h = (h * 16777619u) ^ (unsigned char)*p;
  }
  char dec[16];
  snprintf(dec, sizeof dec, "%u", h);
  safe_encode_string(dec, out, outlen);
}

json_t *history_create(const ctrl_context *cctx, const history_owner *h, const char *hash, const char *label_key,
                       const char *label_value, const json_t *data, long long number, bool copy_annotations,
                       bool *collision) {
  *collision = false;
  char name[300];
  snprintf(name, sizeof name, "%.223s-%s", obj_name(h->owner), hash);
  json_t *labels = json_deep_copy(json_path(h->owner, "spec.template.metadata.labels"));
  if (!labels) labels = json_object();
  json_object_set_new(labels, label_key, json_string(label_value));
  json_t *rev = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:[o]},s:O,s:I}", "apiVersion", "apps/v1", "kind",
                          "ControllerRevision", "metadata", "name", name, "namespace", obj_ns(h->owner), "labels",
                          labels, "ownerReferences", controller_ref(h->owner), "data", data,
                          "revision", (json_int_t)number);
  const json_t *ann = json_path(h->owner, "metadata.annotations");
  if (copy_annotations && json_object_size(ann))
    json_object_set_new(json_object_get(rev, "metadata"), "annotations", json_deep_copy(ann));
  api_opts o = {0};
  api_result res = api_create(cctx->srv, revisions_resource(), obj_ns(h->owner), rev, &o);
  json_t *out = res.code < 300 ? api_result_json(&res) : NULL;
  if (res.code == 409) {
    cobj *ex = lister_get(cctx->informers, revisions_resource(), obj_ns(h->owner), name);
    const json_t *ref = ex ? controller_of(ex->obj) : NULL;
    if (ex && ref && !strcmp(json_path_str(ref, "uid") ? json_path_str(ref, "uid") : "", obj_uid(h->owner)) &&
        history_matches(ex->obj, data))
      out = json_deep_copy(ex->obj);
    else
      *collision = true;
    cobj_unref(ex);
  } else if (!out) {
    LOGW("creating ControllerRevision %s/%s: code %d", obj_ns(h->owner), name, res.code);
  }
  api_result_clear(&res);
  return out;
}

json_t *history_renumber(const ctrl_context *cctx, const json_t *rev, long long number) {
  json_t *copy = json_deep_copy(rev);
  json_object_set_new(copy, "revision", json_integer(number));
  int code;
  json_t *out = update_object(cctx, revisions_resource(), copy, false, &code);
  json_decref(copy);
  return out;
}

void history_truncate(const ctrl_context *cctx, const cobj_vec *revs, const char *const *keep, size_t nkeep,
                      long long limit) {
  size_t nold = 0;
  const json_t *old[revs->n + 1];
  for (size_t i = 0; i < revs->n; i++) {
    const char *name = obj_name(revs->items[i]->obj);
    bool kept = false;
    for (size_t k = 0; k < nkeep && !kept; k++) kept = keep[k] && !strcmp(keep[k], name);
    if (!kept) old[nold++] = revs->items[i]->obj; /* revs is sorted oldest first */
  }
  for (size_t i = 0; (long long)(nold - i) > limit; i++) {
    api_opts o = {0};
    api_result res = api_delete(cctx->srv, revisions_resource(), obj_ns(old[i]), obj_name(old[i]), NULL, &o);
    api_result_clear(&res);
  }
}
