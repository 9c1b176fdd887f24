/* ingress_metrics.c - the data plane's Prometheus series (see
 * ingress_metrics.h): a list of series found by a linear search under a
 * mutex only when a route table is compiled; observing is lock-free. */
#include "ingress_metrics.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB (sizeof buckets / sizeof buckets[0])

struct ingress_series {
  char *ingress, *host, *path, *backend, *service;
  bool canary;
  atomic_ullong by_class[6]; /* 1xx..5xx, index 0 unused */
  atomic_ullong hist[NB + 1];
  atomic_ullong sum_us;
  ingress_series *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static ingress_series *all; /* guarded by mu for insertion; read lock-free after */

static bool same(const ingress_series *s, const char *i, const char *h, const char *p, const char *b, const char *sv,
                 bool c) {
  return s->canary == c && !strcmp(s->ingress, i) && !strcmp(s->host, h) && !strcmp(s->path, p) &&
         !strcmp(s->backend, b) && !strcmp(s->service, sv);
}

ingress_series *ingress_metrics_series(const char *ingress, const char *host, const char *path, const char *backend,
                                       const char *service, bool canary) {
  pthread_mutex_lock(&mu);
  ingress_series *s = all;
  while (s && !same(s, ingress, host, path, backend, service, canary)) s = s->next;
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s) abort();
    s->ingress = strdup(ingress), s->host = strdup(host), s->path = strdup(path), s->backend = strdup(backend);
    s->service = strdup(service);
    s->canary = canary;
    s->next = all;
    all = s;
  }
  pthread_mutex_unlock(&mu);
  return s;
}

void ingress_metrics_observe(ingress_series *s, int status, double seconds) {
  if (!s) return;
  int cls = status / 100;
  if (cls < 1 || cls > 5) cls = 5;
  atomic_fetch_add_explicit(&s->by_class[cls], 1, memory_order_relaxed);
  size_t b = 0;
  while (b < NB && seconds > buckets[b]) b++;
  atomic_fetch_add_explicit(&s->hist[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->sum_us, (unsigned long long)(seconds * 1e6), memory_order_relaxed);
}

#define LABELS "ingress=\"%s\",host=\"%s\",path=\"%s\",service=\"%s\",canary=\"%s\""
#define LABEL_ARGS(s) s->ingress, s->host, s->path, s->backend, s->canary ? "true" : "false"

/* A series' labels: ckube's own, or ingress-nginx's (namespace and ingress
 * apart, service the Service's name, canary the canary upstream or ""). */
static void put_labels(FILE *f, const ingress_series *s, bool nginx) {
  if (!nginx) {
    fprintf(f, LABELS, LABEL_ARGS(s));
    return;
  }
  const char *slash = strchr(s->ingress, '/');
  int ns_len = slash ? (int)(slash - s->ingress) : 0;
  fprintf(f, "namespace=\"%.*s\",ingress=\"%s\",service=\"%s\",host=\"%s\",path=\"%s\",canary=\"%s\"", ns_len,
          s->ingress, slash ? slash + 1 : s->ingress, s->service, s->host, s->path, s->canary ? s->backend : "");
}

/* One latency histogram family over every series. */
static void write_histogram(FILE *f, ingress_series *head, const char *family, bool nginx) {
  for (ingress_series *s = head; s; s = s->next) {
    unsigned long long cum = 0;
    for (size_t b = 0; b <= NB; b++) {
      cum += atomic_load(&s->hist[b]);
      fprintf(f, "%s_bucket{", family);
      put_labels(f, s, nginx);
      if (b < NB) fprintf(f, ",le=\"%g\"} %llu\n", buckets[b], cum);
      else fprintf(f, ",le=\"+Inf\"} %llu\n", cum);
    }
    fprintf(f, "%s_sum{", family);
    put_labels(f, s, nginx);
    fprintf(f, "} %g\n%s_count{", atomic_load(&s->sum_us) / 1e6, family);
    put_labels(f, s, nginx);
    fprintf(f, "} %llu\n", cum);
  }
}

void ingress_metrics_write(FILE *f) {
  pthread_mutex_lock(&mu);
  ingress_series *head = all;
  pthread_mutex_unlock(&mu);
  fprintf(f, "# HELP ckube_ingress_requests_total Requests served by the Ingress proxy by Ingress, host, path, "
             "backend, canary and status class.\n# TYPE ckube_ingress_requests_total counter\n");
  for (ingress_series *s = head; s; s = s->next)
    for (int c = 1; c <= 5; c++) {
      unsigned long long n = atomic_load(&s->by_class[c]);
      if (n) fprintf(f, "ckube_ingress_requests_total{" LABELS ",status=\"%dxx\"} %llu\n", LABEL_ARGS(s), c, n);
    }
  fprintf(f, "# HELP ckube_ingress_request_duration_seconds Time from the request head to the end of the response.\n"
             "# TYPE ckube_ingress_request_duration_seconds histogram\n");
  write_histogram(f, head, "ckube_ingress_request_duration_seconds", false);
  fprintf(f, "# HELP nginx_ingress_controller_request_duration_seconds The request processing time in seconds "
             "(ingress-nginx's name and labels).\n# TYPE nginx_ingress_controller_request_duration_seconds histogram\n");
  write_histogram(f, head, "nginx_ingress_controller_request_duration_seconds", true);
}

void ingress_metrics_shutdown(void) {
  pthread_mutex_lock(&mu);
  while (all) {
    ingress_series *s = all;
    all = s->next;
    free(s->ingress), free(s->host), free(s->path), free(s->backend), free(s->service);
    free(s);
  }
  pthread_mutex_unlock(&mu);
}
