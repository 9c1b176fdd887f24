/* pod_admission.c - see pod_admission.h. The refusal's status is kubelet's:
 * only phase, reason, message and startTime (its status manager sets the
 * start time); the conditions the pod already has stay, as the merge patch
 * leaves them. */
#include "pod_admission.h"
#include "log.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define REASON "NodePorts"                    /* nodeports.Name, the predicate's name */
#define MESSAGE "Predicate NodePorts failed" /* PredicateFailureError.Error() */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static strmap *admitted; /* uid -> json_t pod (its spec at admission); under mu */

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static bool port_conflicts(const json_t *a, const json_t *b) {
  json_int_t pa = json_integer_value(json_object_get(a, "hostPort")), pb = json_integer_value(json_object_get(b, "hostPort"));
  if (pa <= 0 || pa != pb) return false;
  const char *proto_a = str(a, "protocol") ? str(a, "protocol") : "TCP";
  const char *proto_b = str(b, "protocol") ? str(b, "protocol") : "TCP";
  if (strcmp(proto_a, proto_b)) return false;
  const char *ip_a = str(a, "hostIP") && *str(a, "hostIP") ? str(a, "hostIP") : "0.0.0.0";
  const char *ip_b = str(b, "hostIP") && *str(b, "hostIP") ? str(b, "hostIP") : "0.0.0.0";
  return !strcmp(ip_a, "0.0.0.0") || !strcmp(ip_b, "0.0.0.0") || !strcmp(ip_a, ip_b);
}

/* Calls fn on every container port of pod (init containers too, as schedutil.GetContainerPorts). */
static bool any_port(const json_t *pod, bool (*fn)(const json_t *port, const void *ctx), const void *ctx) {
  static const char *lists[] = {"initContainers", "containers"};
  for (int l = 0; l < 2; l++) {
    size_t i, j;
    json_t *ctr, *port;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, ctr)
      json_array_foreach(json_object_get(ctr, "ports"), j, port) if (fn(port, ctx)) return true;
  }
  return false;
}

static bool conflicts_with(const json_t *held_port, const void *want_port) { return port_conflicts(held_port, want_port); }

static bool held_by(const json_t *port, const void *held_pod) { return any_port(held_pod, conflicts_with, port); }

bool pod_host_ports_conflict(const json_t *want, const json_t *held) { return any_port(want, held_by, held); }

static bool has_host_port(const json_t *port, const void *ctx) {
  (void)ctx;
  return json_integer_value(json_object_get(port, "hostPort")) > 0;
}

/* The holder among the admitted pods, or NULL; under mu. */
static const json_t *conflicting(const json_t *pod) {
  if (!admitted || !any_port(pod, has_host_port, NULL)) return NULL;
  strmap_iter it = {0};
  while (strmap_next(admitted, &it))
    if (pod_host_ports_conflict(pod, it.value)) return it.value;
  return NULL;
}

static void reject(event_queue *q, https_client *c, const json_t *pod) {
  const json_t *m = json_object_get(pod, "metadata");
  char path[1200], now[64];
  rfc3339_now(now, sizeof now);
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", str(m, "namespace") ?: "", str(m, "name") ?: "");
  json_t *body = json_pack("{s:{s:s},s:{s:s,s:s,s:s,s:s}}", "metadata", "uid", str(m, "uid") ?: "", "status", "phase",
                           "Failed", "reason", REASON, "message", "Pod " MESSAGE, "startTime", now);
  json_t *out = NULL;
  int code = https_call(c, "PATCH", path, body, "application/merge-patch+json", &out);
  if (code != 200) LOGW("ckube-node: PATCH %s (pod refused): %d", path, code);
  json_decref(out);
  json_decref(body);
  evq_post(q, pod, NULL, NULL, "Warning", REASON, MESSAGE);
}

bool pod_admit(event_queue *q, https_client *c, const json_t *pod) {
  const char *uid = str(json_object_get(pod, "metadata"), "uid");
  if (!uid) return true;
  pthread_mutex_lock(&mu);
  if (!admitted) admitted = strmap_new();
  const json_t *holder = strmap_get(admitted, uid) ? NULL : conflicting(pod);
  char held[600] = "";
  if (holder)
    snprintf(held, sizeof held, "%s/%s", str(json_object_get(holder, "metadata"), "namespace") ?: "",
             str(json_object_get(holder, "metadata"), "name") ?: "");
  else if (!strmap_get(admitted, uid))
    strmap_put(admitted, uid, json_deep_copy(pod));
  pthread_mutex_unlock(&mu);
  if (!holder) return true;
  LOGI("pod %s/%s refused: a host port it asks for is held by %s", str(json_object_get(pod, "metadata"), "namespace"),
       str(json_object_get(pod, "metadata"), "name"), held);
  reject(q, c, pod);
  return false;
}

void pod_admission_forget(const char *uid) {
  pthread_mutex_lock(&mu);
  if (admitted) json_decref(strmap_remove(admitted, uid));
  pthread_mutex_unlock(&mu);
}
