/* simulate_metrics.c - see simulate_metrics.h. Each round walks the running
 * pods once (sim_pods_visit_running, building their entries under the
 * table lock), adds every node's base usage, and sends the nodes in
 * batches of at most NODES_PER_REPORT nodes / PODS_PER_REPORT pods so a
 * request stays far below the server's 3 MiB body limit. A failed report
 * is logged and simply replaced by the next round's. */
#include "simulate_metrics.h"
#include "https_client.h"
#include "k8s_protobuf_text.h"
#include "log.h"
#include "quantity.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ANN_CPU "ckube.io/simulate-cpu"
#define ANN_MEMORY "ckube.io/simulate-memory"
#define DEFAULT_CPU_NANO 1000000LL           /* 1m */
#define DEFAULT_MEMORY (4LL * 1024 * 1024)   /* 4Mi */
#define NODE_BASE_CPU_NANO 100000000LL       /* 100m: the simulated kubelet and system daemons */
#define NODE_BASE_MEMORY (512LL * 1024 * 1024) /* 512Mi */
#define NODES_PER_REPORT 200
#define PODS_PER_REPORT 5000
#define REPORT_PATH "/ckube/v1/nodemetrics"

struct sim_metrics {
  char *kubeconfig;
  sim_pods *pods;
  char *const *names;
  int n;
  strmap *index; /* node name -> 1 + its index in names */
  int interval;
  atomic_bool stop;
  pthread_t thread;
};

/* One round's view of one node. */
typedef struct {
  json_t *pods; /* array of pod entries */
  int64_t cpu_nano, memory;
} node_round;

typedef struct {
  node_round *nodes;
  const strmap *index;
  long long cutoff_ms; /* containers running since after this are too young */
} round_ctx;

static int64_t annotation_quantity(const json_t *pod, const char *key, bool cpu, int64_t def) {
  const char *v = json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"), key));
  quantity q;
  if (!v || quantity_parse(v, &q) != 0 || q.mantissa < 0) return def;
  return cpu ? quantity_nano(&q) : quantity_value(&q);
}

void sim_container_usage(const json_t *pod, int64_t *cpu_nano, int64_t *memory) {
  *cpu_nano = annotation_quantity(pod, ANN_CPU, true, DEFAULT_CPU_NANO);
  *memory = annotation_quantity(pod, ANN_MEMORY, false, DEFAULT_MEMORY);
}

static json_t *usage_json(int64_t cpu_nano, int64_t memory) {
  quantity c = {cpu_nano, -9, QTY_DECIMAL_SI}, m = {memory, 0, QTY_BINARY_SI};
  char cb[64], mb[64];
  return json_pack("{s:s,s:s}", "cpu", quantity_format_str(&c, cb, sizeof cb), "memory",
                   quantity_format_str(&m, mb, sizeof mb));
}

static const char *meta(const json_t *pod, const char *key) {
  return json_string_value(json_object_get(json_object_get(pod, "metadata"), key));
}

static void visit(void *ctx, const json_t *pod, long long running_since_ms) {
  round_ctx *r = ctx;
  const char *node_name = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
  intptr_t slot = node_name ? (intptr_t)strmap_get(r->index, node_name) : 0;
  if (!slot || running_since_ms > r->cutoff_ms || !meta(pod, "namespace") || !meta(pod, "name")) return;
  int node = (int)slot - 1;
  int64_t cpu, mem;
  sim_container_usage(pod, &cpu, &mem);
  json_t *containers = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    if (!name) continue;
    json_array_append_new(containers, json_pack("{s:s,s:o}", "name", name, "usage", usage_json(cpu, mem)));
    r->nodes[node].cpu_nano += cpu;
    r->nodes[node].memory += mem;
  }
  json_array_append_new(r->nodes[node].pods,
                        json_pack("{s:s,s:s,s:s,s:o}", "namespace", meta(pod, "namespace"), "name", meta(pod, "name"),
                                  "uid", meta(pod, "uid") ?: "", "containers", containers));
}

static void send_batch(sim_metrics *m, https_client *c, json_t *nodes, const char *window) {
  if (!json_array_size(nodes)) return;
  json_t *report = json_pack("{s:s,s:s,s:s,s:O}", "kind", "NodeMetricsReport", "apiVersion", "ckube.io/v1", "window",
                             window, "nodes", nodes), *out = NULL;
  int st = https_call(c, "POST", REPORT_PATH, report, NULL, &out);
  if (st != 200)
    LOGW("simulated kubelet: reporting metrics of %zu nodes failed with %d: %s", json_array_size(nodes), st,
         json_string_value(json_object_get(out, "message")) ?: "");
  json_decref(out);
  json_decref(report);
  json_array_clear(nodes);
}

static void report_round(sim_metrics *m, https_client *c) {
  long long now_ms = wall_ms();
  round_ctx r = {calloc((size_t)m->n, sizeof *r.nodes), m->index, now_ms - (long long)m->interval * 1000};
  for (int i = 0; i < m->n; i++) r.nodes[i].pods = json_array();
  sim_pods_visit_running(m->pods, visit, &r);
  char now[64], window[40];
  pbtext_time(now_ms / 1000, 0, 0, now, sizeof now);
  pbtext_duration((int64_t)m->interval * 1000000000, window, sizeof window);
  json_t *batch = json_array();
  size_t batch_pods = 0;
  for (int i = 0; i < m->n; i++) {
    node_round *nr = &r.nodes[i];
    size_t npods = json_array_size(nr->pods);
    if (json_array_size(batch) >= NODES_PER_REPORT || (batch_pods && batch_pods + npods > PODS_PER_REPORT)) {
      send_batch(m, c, batch, window);
      batch_pods = 0;
    }
    json_array_append_new(batch, json_pack("{s:s,s:s,s:o,s:o}", "name", m->names[i], "timestamp", now, "usage",
                                           usage_json(NODE_BASE_CPU_NANO + nr->cpu_nano, NODE_BASE_MEMORY + nr->memory),
                                           "pods", nr->pods));
    batch_pods += npods;
  }
  send_batch(m, c, batch, window);
  json_decref(batch);
  free(r.nodes);
}

static void *run(void *arg) {
  sim_metrics *m = arg;
  https_client *c = NULL;
  char err[512] = "";
  while (!atomic_load(&m->stop)) {
    for (int t = 0; t < m->interval * 10 && !atomic_load(&m->stop); t++) usleep(100000);
    if (atomic_load(&m->stop)) break;
    if (!c && !(c = https_client_open(m->kubeconfig, err, sizeof err))) {
      LOGW("simulated kubelet metrics: %s", err);
      continue;
    }
    report_round(m, c);
  }
  https_client_close(c);
  return NULL;
}

sim_metrics *sim_metrics_start(const char *kubeconfig, sim_pods *pods, char *const *names, int n,
                               int interval_seconds) {
  if (!pods || n <= 0) return NULL;
  sim_metrics *m = calloc(1, sizeof *m);
  m->kubeconfig = strdup(kubeconfig);
  m->pods = pods;
  m->names = names;
  m->n = n;
  m->index = strmap_new();
  for (int i = 0; i < n; i++) strmap_put(m->index, names[i], (void *)(intptr_t)(i + 1));
  m->interval = interval_seconds > 0 ? interval_seconds : 5;
  if (pthread_create(&m->thread, NULL, run, m) != 0) {
    strmap_free(m->index, NULL);
    free(m->kubeconfig);
    free(m);
    return NULL;
  }
  return m;
}

void sim_metrics_stop(sim_metrics *m) {
  if (!m) return;
  atomic_store(&m->stop, true);
  pthread_join(m->thread, NULL);
  strmap_free(m->index, NULL);
  free(m->kubeconfig);
  free(m);
}
