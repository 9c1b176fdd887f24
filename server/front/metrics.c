/* metrics.c - Prometheus text exposition (see metrics.h). Series live in a
 * small array under one mutex; the label sets are few (verb x resource x
 * code), so a linear search is cheaper than a hash map here. */
#include "metrics.h"
#include "registry.h"
#include "watch_cache.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 2048
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define NB (sizeof buckets / sizeof buckets[0])

typedef struct {
  char verb[20], resource[64], code[8];
  unsigned long long count;
  unsigned long long hist[NB];
  double sum;
} series;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static series all[MAX_SERIES];
static size_t nseries;
static long watchers;
static unsigned long long commit_hist[NB], commit_count, commit_ops;
static double commit_sum;
static void (*extra)(FILE *f); /* set once at start */

void metrics_set_extra(void (*write)(FILE *f)) { extra = write; }

static const char *verb_of(const http_req *rq) {
  const char *m = rq->method;
  if (!rq->res) return m;
  if (!strcmp(m, "GET")) return rq->watch ? "WATCH" : rq->name[0] ? "GET" : "LIST";
  if (!strcmp(m, "DELETE") && !rq->name[0]) return "DELETECOLLECTION";
  if (!strcmp(m, "PUT")) return "PUT";
  return m;
}

void metrics_observe_request(const http_req *rq, double seconds) {
  char code[8];
  snprintf(code, sizeof code, "%d", rq->code);
  const char *verb = verb_of(rq);
  const char *res = rq->res ? rq->res->ref.plural : "";
  pthread_mutex_lock(&mu);
  series *s = NULL;
  for (size_t i = 0; i < nseries; i++)
    if (!strcmp(all[i].verb, verb) && !strcmp(all[i].resource, res) && !strcmp(all[i].code, code)) {
      s = &all[i];
      break;
    }
  if (!s && nseries < MAX_SERIES) {
    s = &all[nseries++];
    snprintf(s->verb, sizeof s->verb, "%s", verb);
    snprintf(s->resource, sizeof s->resource, "%s", res);
    snprintf(s->code, sizeof s->code, "%s", code);
  }
  if (s) {
    s->count++;
    s->sum += seconds;
    for (size_t b = 0; b < NB; b++)
      if (seconds <= buckets[b]) s->hist[b]++;
  }
  pthread_mutex_unlock(&mu);
}

void metrics_observe_commit(double seconds, int ops) {
  pthread_mutex_lock(&mu);
  commit_count++;
  commit_ops += (unsigned long long)ops;
  commit_sum += seconds;
  for (size_t b = 0; b < NB; b++)
    if (seconds <= buckets[b]) commit_hist[b]++;
  pthread_mutex_unlock(&mu);
}

void metrics_watchers(int delta) {
  pthread_mutex_lock(&mu);
  watchers += delta;
  pthread_mutex_unlock(&mu);
}

void metrics_handle(http_req *rq) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  pthread_mutex_lock(&mu);
  fprintf(f, "# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, resource and "
             "HTTP response code.\n# TYPE apiserver_request_total counter\n");
  for (size_t i = 0; i < nseries; i++)
    fprintf(f, "apiserver_request_total{code=\"%s\",resource=\"%s\",verb=\"%s\"} %llu\n", all[i].code,
            all[i].resource, all[i].verb, all[i].count);
  fprintf(f, "# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and "
             "resource.\n# TYPE apiserver_request_duration_seconds histogram\n");
  for (size_t i = 0; i < nseries; i++) {
    for (size_t b = 0; b < NB; b++)
      fprintf(f, "apiserver_request_duration_seconds_bucket{code=\"%s\",resource=\"%s\",verb=\"%s\",le=\"%g\"} %llu\n",
              all[i].code, all[i].resource, all[i].verb, buckets[b], all[i].hist[b]);
    fprintf(f, "apiserver_request_duration_seconds_bucket{code=\"%s\",resource=\"%s\",verb=\"%s\",le=\"+Inf\"} %llu\n",
            all[i].code, all[i].resource, all[i].verb, all[i].count);
    fprintf(f, "apiserver_request_duration_seconds_sum{code=\"%s\",resource=\"%s\",verb=\"%s\"} %g\n", all[i].code,
            all[i].resource, all[i].verb, all[i].sum);
    fprintf(f, "apiserver_request_duration_seconds_count{code=\"%s\",resource=\"%s\",verb=\"%s\"} %llu\n",
            all[i].code, all[i].resource, all[i].verb, all[i].count);
  }
  fprintf(f, "# HELP apiserver_registered_watchers Number of currently registered watchers.\n"
             "# TYPE apiserver_registered_watchers gauge\napiserver_registered_watchers %ld\n", watchers);
  fprintf(f, "# HELP ckube_store_commit_duration_seconds Latency of one durable store commit (a group of writes).\n"
             "# TYPE ckube_store_commit_duration_seconds histogram\n");
  for (size_t b = 0; b < NB; b++)
    fprintf(f, "ckube_store_commit_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b], commit_hist[b]);
  fprintf(f, "ckube_store_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\nckube_store_commit_duration_seconds_sum %g\n"
             "ckube_store_commit_duration_seconds_count %llu\nckube_store_committed_writes_total %llu\n",
          commit_count, commit_sum, commit_count, commit_ops);
  pthread_mutex_unlock(&mu);
  fprintf(f, "# HELP apiserver_storage_objects Number of stored objects at the time of last check split by kind.\n"
             "# TYPE apiserver_storage_objects gauge\n");
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (registry_storage_resource(r) != r || !r->bucket) continue;
    fprintf(f, "apiserver_storage_objects{resource=\"%s%s%s\"} %zu\n", r->ref.plural, r->ref.group[0] ? "." : "",
            r->ref.group, cache_count(rq->srv->cache, r->bucket));
  }
  if (extra) extra(f);
  fclose(f);
  http_send(rq, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
  free(buf);
}
