/* ingress_metrics.h - per Ingress/host/path/backend request counters and
 * latency histograms of the data plane, kept across route-table swaps (a
 * table only points at its series), written as Prometheus text into the
 * API server's /metrics: ckube_ingress_* and the latency histogram again
 * under ingress-nginx's name and labels (dashboards made for it work).
 * Counters are relaxed atomics: workers never lock. */
#ifndef CKUBE_INGRESS_METRICS_H
#define CKUBE_INGRESS_METRICS_H
#include <stdbool.h>
#include <stdio.h>

typedef struct ingress_series ingress_series;

/* The series for these labels (ingress is "namespace/name", backend the
 * upstream, service the Service the path names), created on first use;
 * lives until ingress_metrics_shutdown. Thread-safe. */
ingress_series *ingress_metrics_series(const char *ingress, const char *host, const char *path, const char *backend,
                                       const char *service, bool canary);
/* Counts one response of status code that took seconds (NULL s: ignored). */
void ingress_metrics_observe(ingress_series *s, int status, double seconds);
/* Appends every series as Prometheus text (the /metrics hook). */
void ingress_metrics_write(FILE *f);
/* Frees every series: only after the data plane stopped. */
void ingress_metrics_shutdown(void);

#endif
