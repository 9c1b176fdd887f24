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
#include "node_api.h"
#include "simulate_metrics.h"
#include "simulate_pods.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HEARTBEAT_THREADS 8 /* registration and Lease renewal run on this many connections */

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
      node_conditions(now), "addresses", "type", "InternalIP", "address", ip, "type", "Hostname", "address", name,
      "daemonEndpoints", "kubeletEndpoint", "Port", 10250, "nodeInfo", "machineID", "", "systemUUID", "", "bootID", "",
      "kernelVersion", "simulated", "osImage", "ckube simulated node", "containerRuntimeVersion", "simulated://1.0",
      "kubeletVersion", "v1.20.2", "kubeProxyVersion", "v1.20.2", "operatingSystem", "linux", "architecture", "amd64");
}

static int register_node(https_client *c, const simulate_opts *o, const char *name, int i) {
  char now[40];
  rfc3339_now(now, sizeof now);
  json_t *node = node_object(o, name, i, now);
  int rc = node_register(c, node);
  json_decref(node);
  return rc;
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
    node_renew_lease(c, h->names[i]);
  }
  for (unsigned round = 1; !*h->stop; round++) {
    for (int s = 0; s < o->heartbeat_seconds * 10 && !*h->stop; s++) usleep(100000);
    for (int i = h->first; i < o->count && !*h->stop; i += h->stride) {
      node_renew_lease(c, h->names[i]);
      if (round % 4 == 0) node_heartbeat_status(c, h->names[i]);
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
