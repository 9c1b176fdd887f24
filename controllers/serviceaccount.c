/* serviceaccount.c - the ServiceAccounts controller: every active namespace
 * has a ServiceAccount named "default" (re-created if deleted), as
 * kube-controller-manager's serviceaccount controller guarantees. */
#include "controllers.h"
#include "api.h"
#include "informer.h"
#include "workqueue.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static workqueue *queue;
static informer *ns_inf, *sa_inf;
static pthread_t worker;

static void on_namespace(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED) workqueue_add(queue, informer_key(obj));
}

static void on_serviceaccount(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type != EV_DELETED) return;
  const json_t *md = json_object_get(obj->obj, "metadata");
  const char *name = json_string_value(json_object_get(md, "name"));
  const char *ns = json_string_value(json_object_get(md, "namespace"));
  if (name && ns && !strcmp(name, "default")) workqueue_add(queue, ns);
}

static void *work(void *arg) {
  const resource *nsr = registry_find("", "v1", "namespaces");
  const resource *sar = registry_find("", "v1", "serviceaccounts");
  char *key;
  while ((key = workqueue_get(queue))) {
    cobj *ns = cache_get(api_cache(), nsr->bucket, "", key);
    bool active = ns && !json_object_get(json_object_get(ns->obj, "metadata"), "deletionTimestamp");
    cobj_unref(ns);
    cobj *sa = active ? cache_get(api_cache(), sar->bucket, key, "default") : NULL;
    if (active && !sa) {
      api_opts o = {0};
      api_result res = api_create(sar, key, json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind",
                                                       "ServiceAccount", "metadata", "name", "default"),
                                  &o);
      if (res.code >= 300 && res.code != 409) workqueue_add_after(queue, key, 1000);
      api_result_clear(&res);
    }
    cobj_unref(sa);
    workqueue_done(queue, key);
    free(key);
  }
  return NULL;
}

void serviceaccount_controller_start(void) {
  queue = workqueue_new();
  ns_inf = informer_start(registry_find("", "v1", "namespaces"), on_namespace, NULL);
  sa_inf = informer_start(registry_find("", "v1", "serviceaccounts"), on_serviceaccount, NULL);
  pthread_create(&worker, NULL, work, NULL);
}

void serviceaccount_controller_stop(void) {
  informer_stop(ns_inf);
  informer_stop(sa_inf);
  workqueue_shutdown(queue);
  pthread_join(worker, NULL);
  workqueue_free(queue);
}
