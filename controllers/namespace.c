/* namespace.c - the namespace lifecycle controller: when a namespace is
 * marked for deletion (phase Terminating), delete every namespaced object in
 * it, wait until all are gone (finalizers and graceful pod deletion may take
 * time: the key is re-queued), then remove the "kubernetes" finalizer through
 * namespaces/finalize so the namespace itself disappears. */
#include "controllers.h"
#include "api.h"
#include "informer.h"
#include "log.h"
#include "workqueue.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static workqueue *queue;
static informer *inf;
static pthread_t worker;

static void on_event(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) return;
  if (json_object_get(json_object_get(obj->obj, "metadata"), "deletionTimestamp"))
    workqueue_add(queue, informer_key(obj));
}

/* Deletes what is left in ns; returns how many objects still exist. */
static size_t empty_namespace(const char *ns) {
  size_t left = 0;
  json_t *opts = json_pack("{s:s}", "propagationPolicy", "Background");
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (!r->ref.namespaced || registry_storage_resource(r) != r || !(r->verbs & VERB_DELETE)) continue;
    cobj_vec items = {0};
    cache_list(api_cache(), r->bucket, ns, NULL, 0, &items);
    for (size_t k = 0; k < items.n; k++) {
      const json_t *md = json_object_get(items.items[k]->obj, "metadata");
      left++;
      if (json_object_get(md, "deletionTimestamp")) continue;
      api_opts o = {0};
      api_result res = api_delete(r, ns, json_string_value(json_object_get(md, "name")), opts, &o);
      api_result_clear(&res);
    }
    cobj_vec_clear(&items);
  }
  json_decref(opts);
  return left;
}

static void finalize(const resource *nsr, const cobj *cur, const char *name) {
  json_t *obj = json_deep_copy(cur->obj);
  json_t *spec = json_object_get(obj, "spec");
  json_t *kept = json_array();
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(spec, "finalizers"), i, f) {
    if (!json_is_string(f) || strcmp(json_string_value(f), "kubernetes") != 0) json_array_append(kept, f);
  }
  if (json_is_object(spec)) json_object_set_new(spec, "finalizers", kept);
  else json_decref(kept);
  api_opts o = {0};
  api_result res = api_update(nsr, "", name, "finalize", obj, &o);
  if (res.code >= 300) LOGW("finalizing namespace %s failed with %d", name, res.code);
  api_result_clear(&res);
}

static void *work(void *arg) {
  const resource *nsr = registry_find("", "v1", "namespaces");
  char *key;
  while ((key = workqueue_get(queue))) {
    cobj *cur = cache_get(api_cache(), nsr->bucket, "", key);
    if (cur && json_object_get(json_object_get(cur->obj, "metadata"), "deletionTimestamp")) {
      size_t left = empty_namespace(key);
      if (left) workqueue_add_after(queue, key, 500);
      else finalize(nsr, cur, key);
    }
    cobj_unref(cur);
    workqueue_done(queue, key);
    free(key);
  }
  return NULL;
}

void namespace_controller_start(void) {
  queue = workqueue_new();
  inf = informer_start(registry_find("", "v1", "namespaces"), on_event, NULL);
  pthread_create(&worker, NULL, work, NULL);
}

void namespace_controller_stop(void) {
  informer_stop(inf);
  workqueue_shutdown(queue);
  pthread_join(worker, NULL);
  workqueue_free(queue);
}
