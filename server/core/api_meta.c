/* api_meta.c - the API core's comparisons that decide generation bumps and
 * no-op updates, and the stored key order (uids, generated names and
 * metadata access are lib/object_meta.c's). */
#include "api_internal.h"
#include "strutil.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

/* True when a and b differ outside metadata and status: Kubernetes bumps
 * metadata.generation then. */
bool spec_changed(const json_t *a, const json_t *b) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)a, k, v) {
    if (!strcmp(k, "metadata") || !strcmp(k, "status")) continue;
    if (!json_equal(v, json_object_get(b, k))) return true;
  }
  json_object_foreach((json_t *)b, k, v) {
    if (!strcmp(k, "metadata") || !strcmp(k, "status")) continue;
    if (!json_object_get(a, k)) return true;
  }
  return false;
}

/* True when a and b are equal but for metadata.resourceVersion. */
bool same_but_rv(const json_t *a, const json_t *b) {
  json_t *x = json_copy((json_t *)a), *y = json_copy((json_t *)b);
  json_t *mx = json_copy(json_object_get(x, "metadata")), *my = json_copy(json_object_get(y, "metadata"));
  json_object_del(mx, "resourceVersion");
  json_object_del(my, "resourceVersion");
  json_object_set_new(x, "metadata", mx);
  json_object_set_new(y, "metadata", my);
  bool eq = json_equal(x, y);
  json_decref(x);
  json_decref(y);
  return eq;
}

bool tracks_generation(const resource *r) {
  if (r->ref.crd) return true;
  static const char *const kinds[] = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
                                      "ReplicationController", "Job", "CronJob", "Ingress",
                                      "PodDisruptionBudget", "NetworkPolicy", "CustomResourceDefinition", NULL};
  for (int i = 0; kinds[i]; i++)
    if (!strcmp(r->ref.kind, kinds[i])) return true;
  return false;
}

/* Moves the keys listed in order to the front of o, in that order. */
static void reorder(json_t *o, const char *const *order) {
  json_t *rest = json_copy(o);
  json_object_clear(o);
  for (int i = 0; order[i]; i++) {
    json_t *v = json_object_get(rest, order[i]);
    if (v) {
      json_object_set(o, order[i], v);
      json_object_del(rest, order[i]);
    }
  }
  json_object_update(o, rest);
  json_decref(rest);
}

/* Rebuilds every object below v with its keys in sorted order, the way Go
 * marshals the maps of an unstructured object. */
static void sort_keys(json_t *v, int depth) {
  if (depth > 128) return;
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) sort_keys(e, depth + 1);
    return;
  }
  if (!json_is_object(v)) return;
  size_t n = json_object_size(v), i = 0;
  const char **keys = malloc((n ? n : 1) * sizeof *keys);
  const char *k;
  json_t *e;
  json_object_foreach(v, k, e) keys[i++] = k;
  qsort(keys, n, sizeof *keys, strp_cmp);
  json_t *copy = json_object();
  for (i = 0; i < n; i++) {
    json_t *val = json_object_get(v, keys[i]);
    sort_keys(val, depth + 1);
    json_object_set(copy, keys[i], val);
  }
  free(keys);
  json_object_clear(v);
  json_object_update(v, copy);
  json_decref(copy);
}

void api_canonical_order(const resource *r, json_t *obj) {
  if (r->ref.crd) {
    json_t *md = json_object_get(obj, "metadata");
    if (json_is_object(md) && !json_object_get(md, "resourceVersion"))
      json_object_set_new(md, "resourceVersion", json_string(""));
    sort_keys(obj, 0);
    return;
  }
  static const char *const top[] = {"kind", "apiVersion", "metadata", NULL};
  static const char *const meta[] = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
                                     "generation", "creationTimestamp", "deletionTimestamp",
                                     "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                                     "finalizers", "clusterName", "managedFields", NULL};
  reorder(obj, top);
  json_t *md = json_object_get(obj, "metadata");
  if (!json_is_object(md)) return;
  /* the cache stamps resourceVersion in place: give it its slot */
  if (!json_object_get(md, "resourceVersion")) json_object_set_new(md, "resourceVersion", json_string(""));
  reorder(md, meta);
}
