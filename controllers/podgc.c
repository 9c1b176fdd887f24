/* podgc.c - the pod garbage collector (kube-controller-manager's podgc,
 * 1.20): every 20 s, pods bound to a node that does not exist are force
 * deleted (grace 0) once the node has been missing for the 40 s quarantine,
 * and unbound pods that are being deleted are force deleted at once. */
#include "controllers.h"
#include "ctrl.h"
#include "log.h"
#include "strmap.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GC_PERIOD_S 20
#define QUARANTINE_S 40

static struct {
  pthread_t thread;
  atomic_bool stop;
  strmap *missing; /* node name -> first time seen missing (intptr_t seconds); gc thread only */
} G;

static void force_delete(const json_t *pod) {
  const resource *pods = registry_find("", "v1", "pods");
  json_t *opts = json_pack("{s:i}", "gracePeriodSeconds", 0);
  api_opts o = {0};
  api_result res = api_delete(pods, obj_ns(pod), obj_name(pod), opts, &o);
  if (res.code < 300) LOGI("pod gc: deleted %s/%s", obj_ns(pod), obj_name(pod));
  api_result_clear(&res);
  json_decref(opts);
}

static void collect(void) {
  cobj_vec pods = {0};
  ctrl_list("", "v1", "pods", "", &pods);
  long long now = time(NULL);
  strmap *seen_missing = strmap_new();
  for (size_t i = 0; i < pods.n; i++) {
    const json_t *pod = pods.items[i]->obj;
    const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (!node || !*node) {
      if (obj_deleting(pod)) force_delete(pod);
      continue;
    }
    cobj *n = ctrl_get("", "v1", "nodes", "", node);
    cobj_unref(n);
    if (n) continue;
    intptr_t since = (intptr_t)strmap_get(G.missing, node);
    if (!since) since = (intptr_t)now;
    strmap_put(seen_missing, node, (void *)since);
    if (now - since >= QUARANTINE_S) force_delete(pod);
  }
  cobj_vec_clear(&pods);
  strmap_free(G.missing, NULL);
  G.missing = seen_missing;
}

static void *run(void *arg) {
  while (!atomic_load(&G.stop)) {
    for (int t = 0; t < GC_PERIOD_S * 10 && !atomic_load(&G.stop); t++) usleep(100000);
    if (!atomic_load(&G.stop)) collect();
  }
  return NULL;
}

void podgc_controller_start(void) {
  atomic_store(&G.stop, false); /* started again after a stop when leadership comes back */
  G.missing = strmap_new();
  pthread_create(&G.thread, NULL, run, NULL);
}

void podgc_controller_stop(void) {
  atomic_store(&G.stop, true);
  pthread_join(G.thread, NULL);
  strmap_free(G.missing, NULL);
}
