/* simulate.c - see simulate.h. Each node gets what a kubelet would write at
 * registration (capacity/allocatable, addresses on loopback, nodeInfo,
 * conditions) and a Lease renewed every heartbeat; the Ready condition's
 * heartbeat time is refreshed as kubelets do (status every 4 leases). Up to
 * 8 threads share the nodes so 1000 nodes register in seconds and their
 * Leases stay fresh under load. The pods bound to the nodes are run by
 * simulate_pods.c. */
#include "simulate.h"
#include "https_client.h"
#include "log.h"
#include "simulate_metrics.h"
#include "simulate_pods.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HEARTBEAT_THREADS 8 /* registration and Lease renewal run on this many connections */

static void now_rfc3339(char *buf, size_t len, int micro) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  if (micro) snprintf(buf + n, len - n, ".%06ldZ", ts.tv_nsec / 1000);
  else snprintf(buf + n, len - n, "Z");
}

static json_t *conditions(const char *now) {
  static const char *const types[][4] = {
      {"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
      {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
      {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
      {"Ready", "True", "KubeletReady", "kubelet is posting ready status"}};
  json_t *a = json_array();
  for (int i = 0; i < 4; i++)
    json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", types[i][0], "status", types[i][1],
                                       "lastHeartbeatTime", now, "lastTransitionTime", now, "reason", types[i][2],
                                       "message", types[i][3]));
  return a;
}

/* Address slots: node i of a process takes slot base + i, where the base
 * comes from the name prefix, so several --simulate processes side by side
 * hand out different node and pod addresses (simulate_pods.c). */
static int address_base(const char *prefix) {
  unsigned h = 2166136261u;
  for (const char *p = prefix; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
  return (int)(h % 50) * 1000;
}

static void node_ip(int slot, char *ip, size_t len) {
  snprintf(ip, len, "127.1.%d.%d", (slot / 250) % 250, slot % 250 + 1);
}

static json_t *node_object(const simulate_opts *o, const char *name, int i, const char *now) {
  char ip[32];
  node_ip(address_base(o->prefix) + i, ip, sizeof ip);
  json_t *res = json_pack("{s:s,s:s,s:s,s:s}", "cpu", o->cpu, "memory", o->memory, "pods", o->pods,
                          "ephemeral-storage", "100Gi");
  return json_pack(
      "{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s,s:s,s:s}},s:{},s:{s:o,s:o,s:o,s:[{s:s,s:s},{s:s,s:s}],s:{s:{s:i}},s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}}}",
      "apiVersion", "v1", "kind", "Node", "metadata", "name", name, "labels", "kubernetes.io/hostname", name,
      "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64", "beta.kubernetes.io/os", "linux",
      "type", "ckube-simulated", "spec", "status", "capacity", res, "allocatable", json_deep_copy(res), "conditions",
      conditions(now), "addresses", "type", "InternalIP", "address", ip, "type", "Hostname", "address", name,
      "daemonEndpoints", "kubeletEndpoint", "Port", 10250, "nodeInfo", "machineID", "", "systemUUID", "", "bootID", "",
      "kernelVersion", "simulated", "osImage", "ckube simulated node", "containerRuntimeVersion", "simulated://1.0",
      "kubeletVersion", "v1.20.2", "kubeProxyVersion", "v1.20.2", "operatingSystem", "linux", "architecture", "amd64");
}

static int register_node(https_client *c, const simulate_opts *o, const char *name, int i) {
  char now[40], path[300];
  now_rfc3339(now, sizeof now, 0);
  json_t *node = node_object(o, name, i, now), *out = NULL;
  int st = https_call(c, "POST", "/api/v1/nodes", node, NULL, &out);
  json_decref(out);
  if (st == 409) { /* already registered (a restart): refresh its status */
    json_t *patch = json_pack("{s:O}", "status", json_object_get(node, "status"));
    snprintf(path, sizeof path, "/api/v1/nodes/%s/status", name);
    st = https_call(c, "PATCH", path, patch, "application/merge-patch+json", &out);
    json_decref(out);
    json_decref(patch);
  }
  json_decref(node);
  return st >= 200 && st < 300 ? 0 : -1;
}

static void renew_lease(https_client *c, const simulate_opts *o, const char *name) {
  char now[40], path[300];
  now_rfc3339(now, sizeof now, 1);
  snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", name);
  json_t *patch = json_pack("{s:{s:s,s:i,s:s}}", "spec", "holderIdentity", name, "leaseDurationSeconds", 40,
                            "renewTime", now), *out = NULL;
  int st = https_call(c, "PATCH", path, patch, "application/merge-patch+json", &out);
  json_decref(out);
  if (st == 404) {
    json_t *lease = json_pack("{s:s,s:s,s:{s:s,s:s},s:O}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                              "metadata", "name", name, "namespace", "kube-node-lease", "spec",
                              json_object_get(patch, "spec"));
    https_call(c, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease, NULL, &out);
    json_decref(out);
    json_decref(lease);
  }
  json_decref(patch);
}

/* IsExtendedResourceName: outside kubernetes.io, with a domain, not a quota "requests." name. */
static bool extended_resource(const char *name) {
  return strchr(name, '/') && strncmp(name, "kubernetes.io/", 14) && !strstr(name, ".kubernetes.io/") &&
         strncmp(name, "requests.", 9);
}

/* The kubelet's allocatable: every capacity resource (nothing is reserved
 * here), and no extended resource that left capacity; so resources an
 * administrator patches into status.capacity become schedulable. The merge
 * patch that gets there, or NULL when allocatable already is. */
static json_t *allocatable_patch(const json_t *node) {
  const json_t *st = json_object_get(node, "status");
  const json_t *cap = json_object_get(st, "capacity"), *alloc = json_object_get(st, "allocatable");
  json_t *want = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)cap, k, v) {
    const json_t *have = json_object_get(alloc, k);
    if (!have || !json_equal(have, v)) json_object_set(want, k, v);
  }
  json_object_foreach((json_t *)alloc, k, v)
    if (!json_object_get(cap, k) && extended_resource(k)) json_object_set_new(want, k, json_null());
  if (!json_object_size(want)) {
    json_decref(want);
    return NULL;
  }
  return json_pack("{s:{s:o}}", "status", "allocatable", want);
}

static void heartbeat_status(https_client *c, const char *name) {
  char now[40], path[300];
  now_rfc3339(now, sizeof now, 0);
  snprintf(path, sizeof path, "/api/v1/nodes/%s/status", name);
  json_t *patch = json_pack("{s:{s:o}}", "status", "conditions", conditions(now)), *out = NULL;
  int st = https_call(c, "PATCH", path, patch, "application/strategic-merge-patch+json", &out);
  json_decref(patch);
  patch = st >= 200 && st < 300 ? allocatable_patch(out) : NULL;
  json_decref(out);
  out = NULL;
  if (patch) {
    https_call(c, "PATCH", path, patch, "application/merge-patch+json", &out);
    json_decref(out);
    json_decref(patch);
  }
}

/* One heartbeat thread: registers nodes first, first + stride, ... and
 * keeps their Leases (and every 4th round their status) fresh. */
typedef struct {
  const simulate_opts *o;
  volatile sig_atomic_t *stop;
  char **names;
  int first, stride;
  pthread_t thread;
  atomic_int *registered;
} heartbeat_share;

static void *heartbeat(void *arg) {
  heartbeat_share *h = arg;
  const simulate_opts *o = h->o;
  char err[512] = "";
  https_client *c = https_client_open(o->kubeconfig, err, sizeof err);
  if (!c) {
    LOGE("%s", err);
    return NULL;
  }
  for (int i = h->first; i < o->count && !*h->stop; i += h->stride) {
    if (register_node(c, o, h->names[i], i) == 0) atomic_fetch_add(h->registered, 1);
    else LOGW("could not register node %s", h->names[i]);
    renew_lease(c, o, h->names[i]);
  }
  for (unsigned round = 1; !*h->stop; round++) {
    for (int s = 0; s < o->heartbeat_seconds * 10 && !*h->stop; s++) usleep(100000);
    for (int i = h->first; i < o->count && !*h->stop; i += h->stride) {
      renew_lease(c, o, h->names[i]);
      if (round % 4 == 0) heartbeat_status(c, h->names[i]);
    }
  }
  https_client_close(c);
  return NULL;
}

int simulate_run(const simulate_opts *o, volatile sig_atomic_t *stop) {
  char err[512] = "";
  https_client *probe = https_client_open(o->kubeconfig, err, sizeof err);
  if (!probe) {
    LOGE("%s", err);
    return 1;
  }
  https_client_close(probe);
  char **names = calloc((size_t)o->count, sizeof *names), **ips = calloc((size_t)o->count, sizeof *ips);
  char name[256], ip[32];
  for (int i = 0; i < o->count; i++) {
    snprintf(name, sizeof name, "%s-%d", o->prefix, i);
    node_ip(address_base(o->prefix) + i, ip, sizeof ip);
    names[i] = strdup(name);
    ips[i] = strdup(ip);
  }
  sim_pods *pods = sim_pods_start(o->kubeconfig, o->pod_workers, names, ips, o->count, address_base(o->prefix));
  sim_metrics *metrics = sim_metrics_start(o->kubeconfig, pods, names, o->count, o->metrics_seconds);
  int nthreads = o->count < HEARTBEAT_THREADS ? o->count : HEARTBEAT_THREADS;
  heartbeat_share *shares = calloc((size_t)nthreads, sizeof *shares);
  atomic_int registered = 0;
  for (int k = 0; k < nthreads; k++) {
    shares[k] = (heartbeat_share){o, stop, names, k, nthreads, 0, &registered};
    pthread_create(&shares[k].thread, NULL, heartbeat, &shares[k]);
  }
  bool announced = false;
  while (!*stop) {
    usleep(100000);
    if (!announced && atomic_load(&registered) == o->count) {
      LOGI("registered %d simulated nodes (%s-0..%s-%d)", o->count, o->prefix, o->prefix, o->count - 1);
      announced = true;
    }
  }
  for (int k = 0; k < nthreads; k++) pthread_join(shares[k].thread, NULL);
  free(shares);
  sim_metrics_stop(metrics);
  sim_pods_stop(pods);
  for (int i = 0; i < o->count; i++) {
    free(names[i]);
    free(ips[i]);
  }
  free(names);
  free(ips);
  return 0;
}
