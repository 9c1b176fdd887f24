/* real_metrics.c - see real_metrics.h. One /proc scan per round maps each
 * process group to its CPU ticks and resident pages; the previous round's
 * ticks per container (keyed uid/container/pgid) give the rate. */
#include "real_metrics.h"
#include "k8s_protobuf_text.h"
#include "log.h"
#include "quantity.h"
#include "strmap.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  uint64_t cpu_ns;
  long long at_ms;
} sample;

typedef struct {
  pid_t pgid;
  uint64_t ticks, rss_pages;
} group_usage;

struct real_metrics {
  char *node;
  strmap *last;     /* "uid/container/pgid" -> sample (previous round) */
  strmap *seen;     /* this round's samples */
  group_usage *groups;
  size_t ngroups;
  long long now_ms, window_ms;
  json_t *pods;     /* this round's pod entries */
  json_t *pod_index; /* uid -> index in pods */
  uint64_t node_busy, node_total, prev_busy, prev_total;
  bool scanned;     /* this round's /proc scan was made (only containers without a cgroup need it) */
  long hz, page;
};

int64_t rm_nanocores(uint64_t before, uint64_t after, long long dt_ms, long hz) {
  if (after < before || dt_ms <= 0 || hz <= 0) return 0;
  return (int64_t)((double)(after - before) / (double)hz * 1e9 * 1000.0 / (double)dt_ms);
}

real_metrics *rm_new(const char *node_name) {
  real_metrics *m = calloc(1, sizeof *m);
  m->node = strdup(node_name);
  m->last = strmap_new();
  m->hz = sysconf(_SC_CLK_TCK);
  m->page = sysconf(_SC_PAGESIZE);
  return m;
}

void rm_free(real_metrics *m) {
  if (!m) return;
  strmap_free(m->last, free);
  strmap_free(m->seen, free);
  free(m->groups);
  json_decref(m->pods);
  json_decref(m->pod_index);
  free(m->node);
  free(m);
}

static void node_cpu(real_metrics *m) {
  FILE *f = fopen("/proc/stat", "r");
  unsigned long long v[10] = {0};
  if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                  &v[7]) == 8) {
    m->prev_busy = m->node_busy;
    m->prev_total = m->node_total;
    m->node_total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    m->node_busy = m->node_total - v[3] - v[4];
  }
  if (f) fclose(f);
}

void rm_begin(real_metrics *m, long long now_ms) {
  m->window_ms = m->now_ms ? now_ms - m->now_ms : 0;
  m->now_ms = now_ms;
  m->ngroups = 0;
  strmap_free(m->seen, free);
  m->seen = strmap_new();
  json_decref(m->pods);
  json_decref(m->pod_index);
  m->pods = json_array();
  m->pod_index = json_object();
  node_cpu(m);
  m->scanned = false;
}

/* Every process's CPU ticks and resident pages, summed by process group. */
static void scan_proc(real_metrics *m) {
  m->scanned = true;
  DIR *d = opendir("/proc");
  struct dirent *e;
  size_t cap = 0;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *rp = strrchr(buf, ')'); /* fields after the command name */
    int pgrp;
    unsigned long long utime, stime;
    long rss;
    if (!rp || sscanf(rp + 2, "%*c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
                      &pgrp, &utime, &stime, &rss) != 4)
      continue;
    size_t i = 0;
    while (i < m->ngroups && m->groups[i].pgid != pgrp) i++;
    if (i == m->ngroups) {
      if (m->ngroups == cap) m->groups = realloc(m->groups, (cap = cap ? cap * 2 : 256) * sizeof *m->groups);
      m->groups[m->ngroups++] = (group_usage){pgrp, 0, 0};
    }
    m->groups[i].ticks += utime + stime;
    m->groups[i].rss_pages += rss > 0 ? (uint64_t)rss : 0;
  }
  if (d) closedir(d);
}

static json_t *usage_json(int64_t cpu_nano, int64_t memory) {
  quantity c = {cpu_nano, -9, QTY_DECIMAL_SI}, mem = {memory, 0, QTY_BINARY_SI};
  char cb[64], mb[64];
  return json_pack("{s:s,s:s}", "cpu", quantity_format_str(&c, cb, sizeof cb), "memory",
                   quantity_format_str(&mem, mb, sizeof mb));
}

void rm_add(real_metrics *m, const char *ns, const char *pod, const char *uid, const char *container, pid_t pgid) {
  if (!m->scanned) scan_proc(m);
  const group_usage *g = NULL;
  for (size_t i = 0; i < m->ngroups && !g; i++)
    if (m->groups[i].pgid == pgid) g = &m->groups[i];
  if (g)
    rm_add_usage(m, ns, pod, uid, container, pgid, g->ticks * (1000000000ULL / (uint64_t)m->hz),
                 g->rss_pages * (uint64_t)m->page);
}

void rm_add_usage(real_metrics *m, const char *ns, const char *pod, const char *uid, const char *container,
                  pid_t pgid, uint64_t cpu_ns, uint64_t memory) {
  char key[512];
  snprintf(key, sizeof key, "%s/%s/%d", uid, container, (int)pgid);
  sample *now = malloc(sizeof *now);
  *now = (sample){cpu_ns, m->now_ms};
  free(strmap_put(m->seen, key, now));
  const sample *before = strmap_get(m->last, key);
  if (!before) return; /* one sample: not a whole window yet */
  int64_t cpu = rm_nanocores(before->cpu_ns, cpu_ns, m->now_ms - before->at_ms, 1000000000L);
  json_t *idx = json_object_get(m->pod_index, uid);
  json_t *entry;
  if (!idx) {
    entry = json_pack("{s:s,s:s,s:s,s:[]}", "namespace", ns, "name", pod, "uid", uid, "containers");
    json_object_set_new(m->pod_index, uid, json_integer((json_int_t)json_array_size(m->pods)));
    json_array_append_new(m->pods, entry);
  } else {
    entry = json_array_get(m->pods, (size_t)json_integer_value(idx));
  }
  json_array_append_new(json_object_get(entry, "containers"),
                        json_pack("{s:s,s:o}", "name", container, "usage",
                                  usage_json(cpu, (int64_t)memory)));
}

static int64_t node_memory(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long long total = 0, avail = 0;
  while (f && fgets(line, sizeof line, f)) {
    sscanf(line, "MemTotal: %lld kB", &total);
    sscanf(line, "MemAvailable: %lld kB", &avail);
  }
  if (f) fclose(f);
  return (total - avail) * 1024;
}

void rm_send(real_metrics *m, https_client *c) {
  strmap_free(m->last, free); /* this round becomes the previous one */
  m->last = m->seen;
  m->seen = NULL;
  if (!m->window_ms || !m->prev_total) return;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  uint64_t dt = m->node_total - m->prev_total, busy = m->node_busy - m->prev_busy;
  int64_t node_cpu_nano = dt ? (int64_t)((double)busy / (double)dt * (double)ncpu * 1e9) : 0;
  char now[64], window[40];
  pbtext_time(m->now_ms / 1000, 0, 0, now, sizeof now);
  pbtext_duration((int64_t)m->window_ms * 1000000, window, sizeof window);
  json_t *report = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:o,s:O}]}", "kind", "NodeMetricsReport", "apiVersion",
                             "ckube.io/v1", "window", window, "nodes", "name", m->node, "timestamp", now, "usage",
                             usage_json(node_cpu_nano, node_memory()), "pods", m->pods), *out = NULL;
  int st = https_call(c, "POST", "/ckube/v1/nodemetrics", report, NULL, &out);
  if (st != 200) LOGW("reporting metrics failed with %d", st);
  json_decref(out);
  json_decref(report);
}
