/* pod_admission.c - see pod_admission.h. The refusal's status is kubelet's:
 * only phase, reason, message and startTime (its status manager sets the
 * start time); the conditions the pod already has stay, as the merge patch
 * leaves them. */
#include "pod_admission.h"
#include "json_path.h"
#include "log.h"
#include "obj_watch.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WATCH_CATCH_UP_MS 3000 /* how long a pod waits for the watch to show it */

#define REASON "NodePorts"                    /* nodeports.Name, the predicate's name */
#define MESSAGE "Predicate NodePorts failed" /* PredicateFailureError.Error() */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static strmap *admitted; /* uid -> json_t pod (as admitted); under mu */
static strmap *refused;  /* uid -> (void *)1; under mu */
static obj_watch *node_pods; /* the pods bound here; set before the runtime starts, cleared after it stopped */
static int notify_fd = -1;

static bool port_conflicts(const json_t *a, const json_t *b) {
  json_int_t pa = json_integer_value(json_object_get(a, "hostPort"));
  json_int_t pb = json_integer_value(json_object_get(b, "hostPort"));
  if (pa <= 0 || pa != pb) return false;
  const char *proto_a = json_str(a, "protocol") ? json_str(a, "protocol") : "TCP";
  const char *proto_b = json_str(b, "protocol") ? json_str(b, "protocol") : "TCP";
  if (strcmp(proto_a, proto_b)) return false;
  const char *ip_a = json_str(a, "hostIP") && *json_str(a, "hostIP") ? json_str(a, "hostIP") : "0.0.0.0";
  const char *ip_b = json_str(b, "hostIP") && *json_str(b, "hostIP") ? json_str(b, "hostIP") : "0.0.0.0";
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

static bool conflicts_with(const json_t *held_port, const void *want_port) {
  return port_conflicts(held_port, want_port);
}

static bool held_by(const json_t *port, const void *held_pod) { return any_port(held_pod, conflicts_with, port); }

bool pod_host_ports_conflict(const json_t *want, const json_t *held) { return any_port(want, held_by, held); }

static bool has_host_port(const json_t *port, const void *ctx) {
  (void)ctx;
  return json_integer_value(json_object_get(port, "hostPort")) > 0;
}

static const char *uid_of(const json_t *pod) { return json_str(json_object_get(pod, "metadata"), "uid"); }

/* Whether a was created before b: by creation time (RFC 3339 in UTC orders as text), within its second by the
 * order the watch met them (kubelet sorts what it is given by creation time, stably); under mu. */
static bool older(const json_t *a, const json_t *b) {
  const json_t *ma = json_object_get(a, "metadata"), *mb = json_object_get(b, "metadata");
  int c = strcmp(json_str(ma, "creationTimestamp") ?: "", json_str(mb, "creationTimestamp") ?: "");
  if (c) return c < 0;
  unsigned long sa = node_pods ? obj_watch_seq(node_pods, a) : 0, sb = node_pods ? obj_watch_seq(node_pods, b) : 0;
  if (sa && sb) return sa < sb;
  return strcmp(json_str(ma, "name") ?: "", json_str(mb, "name") ?: "") < 0;
}

static bool finished(const json_t *pod) {
  const char *phase = json_str(json_object_get(pod, "status"), "phase");
  return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

static json_t *find_uid(const json_t *pods, const char *uid) {
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) if (uid_of(p) && !strcmp(uid_of(p), uid)) return p;
  return NULL;
}

/* The node's pods once the watch shows pod (so every pod created before it too), or NULL (no watch, or it
 * lagged past WATCH_CATCH_UP_MS). */
static json_t *pods_up_to(const json_t *pod) {
  if (!node_pods) return NULL;
  for (int waited = 0; waited <= WATCH_CATCH_UP_MS; waited += 20) {
    if (obj_watch_listed(node_pods)) {
      json_t *all = obj_watch_snapshot(node_pods);
      if (find_uid(all, uid_of(pod))) return all;
      json_decref(all);
    }
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
  }
  LOGW("pod admission: the watch on this node's pods does not show %s yet", uid_of(pod));
  return NULL;
}

/* The holder: an admitted pod that has not finished, or an older one bound here still to be admitted (neither
 * finished, deleted nor refused); NULL when none; under mu. */
static const json_t *conflicting(const json_t *pod, const json_t *bound) {
  strmap_iter it = {0};
  while (strmap_next(admitted, &it)) { /* one that finished no longer holds its ports (kubelet's active pods) */
    const json_t *now = find_uid(bound, it.key);
    if (!(now && finished(now)) && pod_host_ports_conflict(pod, it.value)) return it.value;
  }
  size_t i;
  json_t *q;
  json_array_foreach(bound, i, q) {
    const char *uid = uid_of(q);
    if (!uid || strmap_get(admitted, uid) || strmap_get(refused, uid) || !strcmp(uid, uid_of(pod))) continue;
    if (finished(q) || json_str(json_object_get(q, "metadata"), "deletionTimestamp") || !older(q, pod)) continue;
    if (pod_host_ports_conflict(pod, q)) return q;
  }
  return NULL;
}

#define REJECT_ATTEMPTS 10 /* 300 ms apart: a server restart or failover */

static void reject(event_queue *q, https_client *c, const json_t *pod) {
  const json_t *m = json_object_get(pod, "metadata");
  char path[1200], now[64];
  rfc3339_now(now, sizeof now);
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", json_str(m, "namespace") ?: "", json_str(m, "name") ?: "");
  json_t *body = json_pack("{s:{s:s},s:{s:s,s:s,s:s,s:s}}", "metadata", "uid", json_str(m, "uid") ?: "", "status", "phase",
                           "Failed", "reason", REASON, "message", "Pod " MESSAGE, "startTime", now);
  int code = 0;
  for (int attempt = 0; attempt < REJECT_ATTEMPTS; attempt++) { /* a lost connection must not leave it Pending */
    json_t *out = NULL;
    code = https_call(c, "PATCH", path, body, "application/merge-patch+json", &out);
    json_decref(out);
    if (code && code < 500 && code != 429) break;
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
  }
  if (code != 200) LOGW("ckube-node: PATCH %s (pod refused): %d", path, code);
  json_decref(body);
  evq_post(q, pod, NULL, NULL, "Warning", REASON, MESSAGE);
}

bool pod_admit(event_queue *q, https_client *c, const json_t *pod) {
  const char *uid = uid_of(pod);
  if (!uid || !any_port(pod, has_host_port, NULL)) return true; /* nothing to hold, nothing to conflict with */
  json_t *bound = pods_up_to(pod);
  pthread_mutex_lock(&mu);
  if (!admitted) admitted = strmap_new(), refused = strmap_new();
  const json_t *holder = strmap_get(admitted, uid) ? NULL : conflicting(pod, bound);
  char held[600] = "";
  if (holder) {
    snprintf(held, sizeof held, "%s/%s", json_str(json_object_get(holder, "metadata"), "namespace") ?: "",
             json_str(json_object_get(holder, "metadata"), "name") ?: "");
    strmap_put(refused, uid, (void *)1);
  } else if (!strmap_get(admitted, uid)) {
    strmap_put(admitted, uid, json_deep_copy(pod));
  }
  pthread_mutex_unlock(&mu);
  json_decref(bound);
  if (!holder) return true;
  LOGI("pod %s/%s refused: a host port it asks for is held by %s", json_str(json_object_get(pod, "metadata"), "namespace"),
       json_str(json_object_get(pod, "metadata"), "name"), held);
  reject(q, c, pod);
  return false;
}

void pod_admission_forget(const char *uid) {
  pthread_mutex_lock(&mu);
  if (admitted) {
    json_decref(strmap_remove(admitted, uid));
    strmap_remove(refused, uid);
  }
  pthread_mutex_unlock(&mu);
}

void pod_admission_start(const char *kubeconfig, const char *node_name) {
  char path[512];
  snprintf(path, sizeof path, "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", node_name);
  notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* never read: the admission polls the snapshot */
  node_pods = obj_watch_start(kubeconfig, path, notify_fd);
  if (!node_pods) LOGW("pod admission: no watch on this node's pods: pods are admitted in the order they are met");
}

void pod_admission_stop(void) {
  obj_watch_stop(node_pods);
  node_pods = NULL;
  if (notify_fd >= 0) close(notify_fd);
  notify_fd = -1;
}
