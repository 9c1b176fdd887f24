/* resource_metrics.c - see resource_metrics.h. Nodes live in one map by
 * name; pods in a second map by "namespace/name" pointing into the node
 * that reported them last, so a pod that moved (or a name reused on another
 * node) follows the newest report. A report is parsed completely before the
 * write lock is taken, so a bad one changes nothing and readers wait only
 * for the swap. CPU is kept in nanocores and memory in bytes, and written
 * back as metrics-server writes them (resource.Quantity: "250m", "64Mi"). */
#include "resource_metrics.h"
#include "k8s_protobuf_text.h"
#include "quantity.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_STALE_MS 30000
#define STALE_WINDOWS 3

typedef struct {
  int64_t cpu_nano, memory;
} usage;

typedef struct {
  char *name;
  usage u;
} container_usage;

typedef struct rm_node rm_node;

typedef struct {
  char *ns, *name, *uid;
  container_usage *containers;
  size_t ncontainers;
  rm_node *node;
} pod_usage;

struct rm_node {
  char *name;
  long long ts_ms, window_ms, received_ms;
  usage u;
  pod_usage *pods;
  size_t npods;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER; /* guards nodes, pods and all they point to */
static strmap *nodes;                                    /* name -> rm_node */
static strmap *pods;                                     /* "ns/name" -> pod_usage inside its rm_node */

static void free_node(void *v) {
  rm_node *n = v;
  if (!n) return;
  for (size_t i = 0; i < n->npods; i++) {
    pod_usage *p = &n->pods[i];
    for (size_t k = 0; k < p->ncontainers; k++) free(p->containers[k].name);
    free(p->containers);
    free(p->ns);
    free(p->name);
    free(p->uid);
  }
  free(n->pods);
  free(n->name);
  free(n);
}

/* ---- parsing ---- */

static int64_t cpu_nanocores(const char *s) {
  quantity q;
  if (!s || quantity_parse(s, &q) != 0 || q.mantissa < 0) return -1;
  return quantity_nano(&q);
}

static int64_t memory_bytes(const char *s) {
  quantity q;
  if (!s || quantity_parse(s, &q) != 0 || q.mantissa < 0) return -1;
  return quantity_value(&q);
}

static int parse_usage(const json_t *u, usage *out, const char *what, char *err, size_t errlen) {
  const char *cpu = json_string_value(json_object_get(u, "cpu"));
  const char *mem = json_string_value(json_object_get(u, "memory"));
  out->cpu_nano = cpu_nanocores(cpu);
  out->memory = memory_bytes(mem);
  if (out->cpu_nano < 0 || out->memory < 0) {
    snprintf(err, errlen, "%s: usage needs cpu and memory quantities", what);
    return -1;
  }
  return 0;
}

/* A Go duration ("5s", "1m30s", "2.5s", "500ms") in ms, or -1. */
static long long parse_duration_ms(const char *s) {
  if (!s || !*s) return -1;
  double total = 0;
  while (*s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s) return -1;
    s = end;
    double unit;
    if (!strncmp(s, "ms", 2)) unit = 1, s += 2;
    else if (!strncmp(s, "us", 2) || !strncmp(s, "µs", strlen("µs"))) unit = 1e-3, s += s[0] == 'u' ? 2 : strlen("µs");
    else if (!strncmp(s, "ns", 2)) unit = 1e-6, s += 2;
    else if (*s == 'h') unit = 3600e3, s++;
    else if (*s == 'm') unit = 60e3, s++;
    else if (*s == 's') unit = 1e3, s++;
    else return -1;
    total += v * unit;
  }
  return total < 0 ? -1 : (long long)total;
}

static char *dup_field(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? strdup(s) : NULL;
}

static int parse_pod(const json_t *jp, pod_usage *p, char *err, size_t errlen) {
  p->ns = dup_field(jp, "namespace");
  p->name = dup_field(jp, "name");
  p->uid = dup_field(jp, "uid");
  if (!p->ns || !p->name) {
    snprintf(err, errlen, "a pod needs namespace and name");
    return -1;
  }
  const json_t *cs = json_object_get(jp, "containers");
  p->containers = calloc(json_array_size(cs) + 1, sizeof *p->containers);
  size_t i;
  json_t *c;
  json_array_foreach(cs, i, c) {
    container_usage *cu = &p->containers[p->ncontainers];
    if (!(cu->name = dup_field(c, "name"))) {
      snprintf(err, errlen, "pod %s/%s: a container needs a name", p->ns, p->name);
      return -1;
    }
    p->ncontainers++;
    char what[600];
    snprintf(what, sizeof what, "pod %s/%s container %s", p->ns, p->name, cu->name);
    if (parse_usage(json_object_get(c, "usage"), &cu->u, what, err, errlen)) return -1;
  }
  return 0;
}

static rm_node *parse_node(const json_t *jn, long long window_ms, long long received, char *err, size_t errlen) {
  rm_node *n = calloc(1, sizeof *n);
  n->name = dup_field(jn, "name");
  n->window_ms = window_ms;
  n->received_ms = received;
  n->ts_ms = rfc3339_ms(json_string_value(json_object_get(jn, "timestamp")));
  if (!n->name || n->ts_ms < 0) {
    snprintf(err, errlen, "a node needs a name and an RFC 3339 timestamp");
    goto bad;
  }
  char what[300];
  snprintf(what, sizeof what, "node %s", n->name);
  if (parse_usage(json_object_get(jn, "usage"), &n->u, what, err, errlen)) goto bad;
  const json_t *ps = json_object_get(jn, "pods");
  n->pods = calloc(json_array_size(ps) + 1, sizeof *n->pods);
  size_t i;
  json_t *jp;
  json_array_foreach(ps, i, jp) {
    n->npods++;
    if (parse_pod(jp, &n->pods[i], err, errlen)) goto bad;
    n->pods[i].node = n;
  }
  return n;
bad:
  free_node(n);
  return NULL;
}

/* ---- the maps (write lock held) ---- */

static bool stale(const rm_node *n, long long now) {
  long long keep = n->window_ms * STALE_WINDOWS;
  return now - n->received_ms > (keep > MIN_STALE_MS ? keep : MIN_STALE_MS);
}

static void pod_key(const char *ns, const char *name, char *buf, size_t len) { snprintf(buf, len, "%s/%s", ns, name); }

/* Drops n's pods from the pod map (those still pointing into n) and n. */
static void remove_node(rm_node *n) {
  char key[600];
  for (size_t i = 0; i < n->npods; i++) {
    pod_key(n->pods[i].ns, n->pods[i].name, key, sizeof key);
    if (strmap_get(pods, key) == &n->pods[i]) strmap_remove(pods, key);
  }
  strmap_remove(nodes, n->name);
  free_node(n);
}

static void prune(long long now) {
  strmap_iter it = {0};
  rm_node **gone = NULL;
  size_t ngone = 0;
  while (strmap_next(nodes, &it))
    if (stale(it.value, now)) {
      gone = realloc(gone, (ngone + 1) * sizeof *gone);
      gone[ngone++] = it.value;
    }
  for (size_t i = 0; i < ngone; i++) remove_node(gone[i]);
  free(gone);
}

int resource_metrics_report(const json_t *report, char *err, size_t errlen) {
  const char *kind = json_string_value(json_object_get(report, "kind"));
  if (!kind || strcmp(kind, "NodeMetricsReport") != 0) {
    snprintf(err, errlen, "expected a NodeMetricsReport");
    return -1;
  }
  long long window = parse_duration_ms(json_string_value(json_object_get(report, "window")));
  if (window <= 0) {
    snprintf(err, errlen, "window must be a positive duration (\"5s\")");
    return -1;
  }
  const json_t *jnodes = json_object_get(report, "nodes");
  size_t count = json_array_size(jnodes);
  rm_node **parsed = calloc(count + 1, sizeof *parsed);
  long long now = wall_ms();
  for (size_t i = 0; i < count; i++) {
    if (!(parsed[i] = parse_node(json_array_get(jnodes, i), window, now, err, errlen))) {
      for (size_t k = 0; k < i; k++) free_node(parsed[k]);
      free(parsed);
      return -1;
    }
  }
  pthread_rwlock_wrlock(&lock);
  if (!nodes) {
    nodes = strmap_new();
    pods = strmap_new();
  }
  char key[600];
  for (size_t i = 0; i < count; i++) {
    rm_node *n = parsed[i], *old = strmap_get(nodes, n->name);
    if (old) remove_node(old);
    strmap_put(nodes, n->name, n);
    for (size_t k = 0; k < n->npods; k++) {
      pod_key(n->pods[k].ns, n->pods[k].name, key, sizeof key);
      strmap_put(pods, key, &n->pods[k]);
    }
  }
  prune(now);
  pthread_rwlock_unlock(&lock);
  free(parsed);
  return (int)count;
}

void resource_metrics_reset(void) {
  pthread_rwlock_wrlock(&lock);
  strmap_free(pods, NULL);
  strmap_free(nodes, free_node);
  pods = nodes = NULL;
  pthread_rwlock_unlock(&lock);
}

/* ---- reading (read lock held) ---- */

static const rm_node *fresh_node(const char *name) {
  const rm_node *n = nodes && name ? strmap_get(nodes, name) : NULL;
  return n && !stale(n, wall_ms()) ? n : NULL;
}

static const pod_usage *fresh_pod(const json_t *pod) {
  const json_t *md = json_object_get(pod, "metadata");
  const char *ns = json_string_value(json_object_get(md, "namespace"));
  const char *name = json_string_value(json_object_get(md, "name"));
  const char *uid = json_string_value(json_object_get(md, "uid"));
  if (!pods || !ns || !name) return NULL;
  char key[600];
  pod_key(ns, name, key, sizeof key);
  const pod_usage *p = strmap_get(pods, key);
  if (!p || stale(p->node, wall_ms())) return NULL;
  if (p->uid && uid && strcmp(p->uid, uid) != 0) return NULL;
  return p;
}

static json_t *usage_json(const usage *u) {
  char cpu[64], mem[64];
  quantity qc = {u->cpu_nano, -9, QTY_DECIMAL_SI}, qm = {u->memory, 0, QTY_BINARY_SI};
  return json_pack("{s:s,s:s}", "cpu", quantity_format_str(&qc, cpu, sizeof cpu), "memory",
                   quantity_format_str(&qm, mem, sizeof mem));
}

/* The metrics object around obj's metadata (metrics-server keeps name,
 * namespace, labels and creationTimestamp of the Node or Pod). */
static json_t *metrics_object(const char *kind, const json_t *obj, const rm_node *n) {
  const json_t *md = json_object_get(obj, "metadata");
  json_t *m = json_object();
  static const char *const keep[] = {"name", "namespace", "creationTimestamp", "labels", NULL};
  for (int i = 0; keep[i]; i++)
    if (json_object_get(md, keep[i])) json_object_set(m, keep[i], json_object_get(md, keep[i]));
  char ts[64], window[40];
  pbtext_time(n->ts_ms / 1000, 0, 0, ts, sizeof ts);
  pbtext_duration((int64_t)n->window_ms * 1000000, window, sizeof window);
  return json_pack("{s:s,s:s,s:o,s:s,s:s}", "kind", kind, "apiVersion", "metrics.k8s.io/v1beta1", "metadata", m,
                   "timestamp", ts, "window", window);
}

json_t *resource_metrics_node(const json_t *node) {
  pthread_rwlock_rdlock(&lock);
  const rm_node *n = fresh_node(json_string_value(json_object_get(json_object_get(node, "metadata"), "name")));
  json_t *m = NULL;
  if (n) {
    m = metrics_object("NodeMetrics", node, n);
    json_object_set_new(m, "usage", usage_json(&n->u));
  }
  pthread_rwlock_unlock(&lock);
  return m;
}

json_t *resource_metrics_pod(const json_t *pod) {
  pthread_rwlock_rdlock(&lock);
  const pod_usage *p = fresh_pod(pod);
  json_t *m = NULL;
  if (p) {
    m = metrics_object("PodMetrics", pod, p->node);
    json_t *cs = json_array();
    for (size_t i = 0; i < p->ncontainers; i++)
      json_array_append_new(cs, json_pack("{s:s,s:o}", "name", p->containers[i].name, "usage",
                                          usage_json(&p->containers[i].u)));
    json_object_set_new(m, "containers", cs);
  }
  pthread_rwlock_unlock(&lock);
  return m;
}

int resource_metrics_pod_usage(const json_t *pod, const char *resource, const char *container, int64_t *milli,
                               long long *ts_ms, long long *window_ms) {
  bool cpu = !strcmp(resource, "cpu");
  if (!cpu && strcmp(resource, "memory") != 0) return 0;
  pthread_rwlock_rdlock(&lock);
  const pod_usage *p = fresh_pod(pod);
  int rc = p && p->ncontainers ? 1 : 0;
  int64_t sum = 0;
  bool found = !container;
  for (size_t i = 0; rc == 1 && i < (p ? p->ncontainers : 0); i++) {
    if (container && strcmp(container, p->containers[i].name) != 0) continue;
    found = true;
    /* MilliValue: nanocores / 1e6 and bytes * 1000, rounded up */
    sum += cpu ? (p->containers[i].u.cpu_nano + 999999) / 1000000 : p->containers[i].u.memory * 1000;
  }
  if (rc == 1 && !found) rc = -1;
  if (rc == 1) {
    *milli = sum;
    *ts_ms = p->node->ts_ms;
    *window_ms = p->node->window_ms;
  }
  pthread_rwlock_unlock(&lock);
  return rc;
}
