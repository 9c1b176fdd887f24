/* node_lifecycle.c - the node lifecycle controller (kube-controller-manager's
 * nodelifecycle, 1.20, with taint-based evictions):
 *  - health: a node whose Lease renewTime and Ready heartbeat have not
 *    changed for --node-monitor-grace-period (40 s) gets Ready,
 *    MemoryPressure, DiskPressure and PIDPressure Unknown ("Kubelet stopped
 *    posting node status."), a NodeNotReady event, and its pods' Ready
 *    condition False;
 *  - NoSchedule taints follow the conditions (not-ready, unreachable,
 *    memory/disk/pid-pressure, network-unavailable) and spec.unschedulable;
 *  - NoExecute taints not-ready / unreachable follow Ready (added at most
 *    one node per 10 s, --node-eviction-rate 0.1);
 *  - taint manager: pods on a node with NoExecute taints they do not
 *    tolerate are deleted (TaintManagerEviction), those that tolerate them
 *    for tolerationSeconds after that long.
 * Each node is one key of a ctrl queue, looked at again every monitor
 * period; Lease and Node changes only refresh the health record. */
#include "controllers.h"
#include "conditions.h"
#include "ctrl.h"
#include "events.h"
#include "log.h"
#include "strmap.h"
#include "taints.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define EVICTION_INTERVAL_MS 10000 /* --node-eviction-rate 0.1 nodes/s, burst 1 */

typedef struct {
  char renew[48], heartbeat[48]; /* last seen Lease renewTime and Ready lastHeartbeatTime */
  long long probe_ms;            /* when either last changed (monotonic) */
} node_health;

static struct {
  pthread_mutex_t mu; /* guards health and last_eviction_ms */
  strmap *health;     /* node name -> node_health */
  long long last_eviction_ms;
  int grace_seconds;
  ctrl *c;
} L = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 40, NULL};

void node_lifecycle_set_grace_period(int seconds) {
  if (seconds > 0) L.grace_seconds = seconds;
}

static long monitor_period_ms(void) { return L.grace_seconds >= 40 ? 5000 : 1000; }

static const char *condition_status(const json_t *node, const char *type) {
  return json_string_value(json_object_get(cond_get(json_object_get(node, "status"), type), "status"));
}

/* Refreshes the probe time from the Lease and the Ready heartbeat; returns
 * how long ago the kubelet was last heard of (ms). */
static long long silence_ms(const char *name, const json_t *node, const json_t *lease) {
  const char *renew = json_string_value(json_object_get(json_object_get(lease, "spec"), "renewTime")) ?: "";
  const json_t *ready = cond_get(json_object_get(node, "status"), "Ready");
  const char *hb = json_string_value(json_object_get(ready, "lastHeartbeatTime")) ?: "";
  long long now = mono_ms();
  pthread_mutex_lock(&L.mu);
  node_health *h = strmap_get(L.health, name);
  if (!h) {
    h = calloc(1, sizeof *h);
    h->probe_ms = now;
    strmap_put(L.health, name, h);
  }
  if (strcmp(h->renew, renew) || strcmp(h->heartbeat, hb)) {
    snprintf(h->renew, sizeof h->renew, "%s", renew);
    snprintf(h->heartbeat, sizeof h->heartbeat, "%s", hb);
    h->probe_ms = now;
  }
  long long silence = now - h->probe_ms;
  pthread_mutex_unlock(&L.mu);
  return silence;
}

/* The pods bound to node (references appended to out). */
static void pods_on(const char *node, cobj_vec *out) {
  cobj_vec all = {0};
  ctrl_list(cctx, "", "v1", "pods", "", &all);
  for (size_t i = 0; i < all.n; i++) {
    const char *n = json_string_value(json_object_get(json_object_get(all.items[i]->obj, "spec"), "nodeName"));
    if (n && !strcmp(n, node)) cobj_vec_push(out, cobj_ref(all.items[i]));
  }
  cobj_vec_clear(&all);
}

/* MarkPodsNotReady: the Ready condition of every pod on the node turns False. */
static void mark_pods_not_ready(const char *node) {
  cobj_vec pods = {0};
  pods_on(node, &pods);
  char now[32];
  rfc3339_format(time(NULL), now, sizeof now);
  for (size_t i = 0; i < pods.n; i++) {
    const json_t *pod = pods.items[i]->obj;
    json_t *ready = NULL;
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), k, c) {
      const char *t = json_string_value(json_object_get(c, "type"));
      if (t && !strcmp(t, "Ready")) ready = c;
    }
    const char *st = json_string_value(json_object_get(ready, "status"));
    if (!st || strcmp(st, "True")) continue;
    json_t *copy = json_deep_copy(pod);
    json_array_foreach(json_object_get(json_object_get(copy, "status"), "conditions"), k, c) {
      const char *t = json_string_value(json_object_get(c, "type"));
      if (t && !strcmp(t, "Ready")) {
        json_object_set_new(c, "status", json_string("False"));
        json_object_set_new(c, "lastTransitionTime", json_string(now));
      }
    }
    ctrl_update(cctx, "", "v1", "pods", obj_ns(pod), "status", copy);
  }
  cobj_vec_clear(&pods);
}

/* tryUpdateNodeHealth's stale branch: conditions to Unknown. Returns true
 * when the node was written. */
static bool mark_unknown(const json_t *node) {
  static const char *const types[] = {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"};
  json_t *copy = json_deep_copy(node);
  json_t *status = json_object_get(copy, "status");
  if (!json_is_object(status)) json_object_set_new(copy, "status", status = json_object());
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
  char now[32];
  rfc3339_format(time(NULL), now, sizeof now);
  bool changed = false;
  for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
    json_t *c = cond_get(json_object_get(copy, "status"), types[t]);
    if (!c) {
      const char *created = json_string_value(json_object_get(json_object_get(node, "metadata"), "creationTimestamp"));
      json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", types[t], "status", "Unknown",
                                             "lastHeartbeatTime", created ? created : now, "lastTransitionTime", now,
                                             "reason", "NodeStatusNeverUpdated", "message",
                                             "Kubelet never posted node status."));
      changed = true;
    } else if (strcmp(json_string_value(json_object_get(c, "status")) ?: "", "Unknown")) {
      json_object_set_new(c, "status", json_string("Unknown"));
      json_object_set_new(c, "reason", json_string("NodeStatusUnknown"));
      json_object_set_new(c, "message", json_string("Kubelet stopped posting node status."));
      json_object_set_new(c, "lastTransitionTime", json_string(now));
      changed = true;
    }
  }
  if (!changed) {
    json_decref(copy);
    return false;
  }
  return ctrl_update(cctx, "", "v1", "nodes", "", "status", copy) < 300;
}

static bool managed_taint(const char *key, const char *effect) {
  static const char *const no_schedule[] = {TAINT_NOT_READY, TAINT_UNREACHABLE, "node.kubernetes.io/memory-pressure",
                                            "node.kubernetes.io/disk-pressure", "node.kubernetes.io/pid-pressure",
                                            "node.kubernetes.io/network-unavailable", TAINT_UNSCHEDULABLE};
  if (!strcmp(effect, "NoExecute")) return !strcmp(key, TAINT_NOT_READY) || !strcmp(key, TAINT_UNREACHABLE);
  if (strcmp(effect, "NoSchedule")) return false;
  for (size_t i = 0; i < sizeof no_schedule / sizeof *no_schedule; i++)
    if (!strcmp(key, no_schedule[i])) return true;
  return false;
}

static const json_t *find_taint(const json_t *taints, const char *key, const char *effect) {
  size_t i;
  json_t *t;
  json_array_foreach(taints, i, t) {
    if (!strcmp(json_string_value(json_object_get(t, "key")) ?: "", key) &&
        !strcmp(json_string_value(json_object_get(t, "effect")) ?: "", effect))
      return t;
  }
  return NULL;
}

/* Appends key:effect to want, keeping the node's existing taint (and its
 * timeAdded) when it has one. */
static void want_taint(json_t *want, const json_t *have, const char *key, const char *effect) {
  const json_t *old = find_taint(have, key, effect);
  if (old) {
    json_array_append(want, (json_t *)old);
    return;
  }
  json_t *t = json_pack("{s:s,s:s}", "key", key, "effect", effect);
  if (!strcmp(effect, "NoExecute")) {
    char now[32];
    rfc3339_format(time(NULL), now, sizeof now);
    json_object_set_new(t, "timeAdded", json_string(now));
  }
  json_array_append_new(want, t);
}

/* May another NoExecute taint be added now (the eviction rate limiter)? */
static bool eviction_token(void) {
  long long now = mono_ms();
  pthread_mutex_lock(&L.mu);
  bool ok = L.last_eviction_ms == 0 || now - L.last_eviction_ms >= EVICTION_INTERVAL_MS;
  if (ok) L.last_eviction_ms = now;
  pthread_mutex_unlock(&L.mu);
  return ok;
}

/* Brings the node's controller-managed taints in line with its conditions;
 * true when the node was written. */
static bool sync_taints(const json_t *node) {
  const json_t *have = json_object_get(json_object_get(node, "spec"), "taints");
  json_t *want = json_array();
  size_t i;
  json_t *t;
  json_array_foreach(have, i, t) {
    if (!managed_taint(json_string_value(json_object_get(t, "key")) ?: "",
                       json_string_value(json_object_get(t, "effect")) ?: ""))
      json_array_append(want, t);
  }
  static const char *const by_condition[][3] = {
      {"Ready", "False", TAINT_NOT_READY},
      {"Ready", "Unknown", TAINT_UNREACHABLE},
      {"MemoryPressure", "True", "node.kubernetes.io/memory-pressure"},
      {"DiskPressure", "True", "node.kubernetes.io/disk-pressure"},
      {"PIDPressure", "True", "node.kubernetes.io/pid-pressure"},
      {"NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"}};
  for (size_t k = 0; k < sizeof by_condition / sizeof *by_condition; k++) {
    const char *st = condition_status(node, by_condition[k][0]);
    if (st && !strcmp(st, by_condition[k][1])) want_taint(want, have, by_condition[k][2], "NoSchedule");
  }
  if (json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable")))
    want_taint(want, have, TAINT_UNSCHEDULABLE, "NoSchedule");
  const char *ready = condition_status(node, "Ready");
  const char *no_execute = !ready ? NULL : !strcmp(ready, "False") ? TAINT_NOT_READY
                                        : !strcmp(ready, "Unknown") ? TAINT_UNREACHABLE : NULL;
  if (no_execute) {
    bool had = find_taint(have, TAINT_NOT_READY, "NoExecute") || find_taint(have, TAINT_UNREACHABLE, "NoExecute");
    if (find_taint(have, no_execute, "NoExecute") || had || eviction_token())
      want_taint(want, have, no_execute, "NoExecute");
  }
  bool same = json_array_size(want) == json_array_size(have);
  json_array_foreach(want, i, t) if (same && !json_equal(t, json_array_get(have, i))) same = false;
  if (same) {
    json_decref(want);
    return false;
  }
  json_t *copy = json_deep_copy(node);
  if (json_array_size(want)) json_object_set_new(json_object_get(copy, "spec"), "taints", want);
  else {
    json_object_del(json_object_get(copy, "spec"), "taints");
    json_decref(want);
  }
  return ctrl_update(cctx, "", "v1", "nodes", "", NULL, copy) < 300;
}

/* The taint manager for one node: deletes pods that do not tolerate its
 * NoExecute taints (now, or tolerationSeconds after the taint was added).
 * Returns ms until the next eviction is due, or 0. */
static long evict_pods(const json_t *node) {
  const json_t *taints = json_object_get(json_object_get(node, "spec"), "taints");
  long long added = -1;
  size_t i;
  json_t *t;
  int no_execute = 0;
  json_array_foreach(taints, i, t) {
    if (strcmp(json_string_value(json_object_get(t, "effect")) ?: "", "NoExecute")) continue;
    no_execute++;
    long long at = rfc3339_seconds(json_string_value(json_object_get(t, "timeAdded")));
    if (at > added) added = at;
  }
  if (!no_execute) return 0;
  if (added < 0) added = time(NULL);
  cobj_vec pods = {0};
  pods_on(obj_name(node), &pods);
  long long now = time(NULL), next = 0;
  for (size_t p = 0; p < pods.n; p++) {
    const json_t *pod = pods.items[p]->obj;
    if (obj_deleting(pod)) continue;
    const json_t *tols = json_object_get(json_object_get(pod, "spec"), "tolerations");
    long long min_seconds = -1; /* -1: tolerated forever */
    bool tolerated = true;
    json_array_foreach(taints, i, t) {
      const char *key = json_string_value(json_object_get(t, "key")) ?: "";
      const char *value = json_string_value(json_object_get(t, "value")) ?: "";
      if (strcmp(json_string_value(json_object_get(t, "effect")) ?: "", "NoExecute")) continue;
      bool any = false;
      size_t k;
      json_t *tol;
      json_array_foreach(tols, k, tol) {
        if (!toleration_matches(tol, key, value, "NoExecute")) continue;
        any = true;
        json_t *secs = json_object_get(tol, "tolerationSeconds");
        if (json_is_integer(secs)) {
          long long s = json_integer_value(secs) < 0 ? 0 : json_integer_value(secs);
          if (min_seconds < 0 || s < min_seconds) min_seconds = s;
        }
      }
      if (!any) tolerated = false;
    }
    long long due = !tolerated ? now : min_seconds < 0 ? -1 : added + min_seconds;
    if (due < 0) continue;
    if (due > now) {
      if (!next || due - now < next) next = due - now;
      continue;
    }
    char who[600];
    snprintf(who, sizeof who, "%s/%s", obj_ns(pod), obj_name(pod));
    event_record(cctx, pod, "taint-controller", "Normal", "TaintManagerEviction", "Marking for deletion Pod %s", who);
    ctrl_delete(cctx, "", "v1", "pods", obj_ns(pod), obj_name(pod), NULL);
  }
  cobj_vec_clear(&pods);
  return (long)(next * 1000);
}

static ctrl_result sync_node(void *ctx, const char *name) {
  cobj *n = ctrl_get(cctx, "", "v1", "nodes", "", name);
  if (!n) {
    pthread_mutex_lock(&L.mu);
    free(strmap_remove(L.health, name));
    pthread_mutex_unlock(&L.mu);
    return ctrl_done();
  }
  cobj *lease = ctrl_get(cctx, "coordination.k8s.io", "v1", "leases", "kube-node-lease", name);
  long long silence = silence_ms(name, n->obj, lease ? lease->obj : NULL);
  cobj_unref(lease);
  long period = monitor_period_ms(), again = period;
  if (silence > (long long)L.grace_seconds * 1000) {
    const char *was = condition_status(n->obj, "Ready");
    bool was_ready = was && !strcmp(was, "True");
    if (mark_unknown(n->obj)) {
      if (was_ready) {
        event_record(cctx, n->obj, "node-controller", "Normal", "NodeNotReady", "Node %s status is now: NodeNotReady",
                     name);
        mark_pods_not_ready(name);
      }
      cobj_unref(n);
      return ctrl_requeue_after(200); /* taints follow on the next look */
    }
  }
  if (sync_taints(n->obj)) again = 200;
  else {
    long evict = evict_pods(n->obj);
    if (evict > 0 && evict < again) again = evict;
  }
  cobj_unref(n);
  return ctrl_after_or_done(again);
}

static void on_node(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_ADDED || type == EV_DELETED) ctrl_add(ctx, informer_key(obj));
  else if (prev && !json_equal(json_object_get(obj->obj, "spec"), json_object_get(prev->obj, "spec")))
    ctrl_add(ctx, informer_key(obj)); /* cordon, taints */
}

void node_lifecycle_controller_start(const ctrl_context *cc) {
  cctx = cc;
  L.health = strmap_new();
  L.c = ctrl_start(cctx, "node-lifecycle", sync_node, NULL);
  ctrl_follow(L.c, "", "v1", "nodes", on_node);
}

void node_lifecycle_controller_stop(void) {
  ctrl_stop(L.c);
  strmap_free(L.health, free);
  L.health = NULL;
}
