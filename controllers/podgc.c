/* podgc.c - the pod garbage collector (kube-controller-manager's podgc,
 * 1.20): every 20 s, pods bound to a node that does not exist are force
 * deleted (grace 0) once the node has been missing for the 40 s quarantine,
 * and unbound pods that are being deleted are force deleted at once. One
 * key on the controller runtime, requeued every period. */
#include "controllers.h"
#include "ctrl.h"
#include "log.h"
#include "strmap.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define GC_PERIOD_MS 20000
#define QUARANTINE_S 40
#define GC_KEY "collect"

static struct {
  ctrl *ctl;
  strmap *missing; /* node name -> first time seen missing (intptr_t seconds); the one worker's */
} G;

static void force_delete(const json_t *pod) {
  const resource *pods = registry_find("", "v1", "pods");
  json_t *opts = json_pack("{s:i}", "gracePeriodSeconds", 0);
  api_opts o = {0};
  api_result res = api_delete(cctx->srv, pods, obj_ns(pod), obj_name(pod), opts, &o);
  if (res.code < 300) LOGI("pod gc: deleted %s/%s", obj_ns(pod), obj_name(pod));
  api_result_clear(&res);
  json_decref(opts);
}

static void collect(void) {
  cobj_vec pods = {0};
  ctrl_list(cctx, "", "v1", "pods", "", &pods);
  long long now = time(NULL);
  strmap *seen_missing = strmap_new();
  for (size_t i = 0; i < pods.n; i++) {
    const json_t *pod = pods.items[i]->obj;
    const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (!node || !*node) {
      if (obj_deleting(pod)) force_delete(pod);
      continue;
    }
    cobj *n = ctrl_get(cctx, "", "v1", "nodes", "", node);
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

static ctrl_result sync(void *ctx, const char *key) {
  collect();
  return ctrl_requeue_after(GC_PERIOD_MS);
}

void podgc_controller_start(const ctrl_context *cc) {
  cctx = cc;
  G.missing = strmap_new(); /* started again after a stop when leadership comes back */
  G.ctl = ctrl_start(cctx, "pod-garbage-collector", sync, NULL);
  ctrl_add_after(G.ctl, GC_KEY, GC_PERIOD_MS);
}

void podgc_controller_stop(void) {
  ctrl_stop(G.ctl);
  G.ctl = NULL;
  strmap_free(G.missing, NULL);
  G.missing = NULL;
}
