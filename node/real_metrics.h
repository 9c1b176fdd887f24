/* real_metrics.h - the real node's resource usage for `kubectl top` and
 * the HPA: every interval the CPU and memory of each running container
 * (the processes of its process group, from /proc: utime+stime over the
 * window, resident memory) and of the node (/proc/stat busy time,
 * MemTotal - MemAvailable), or from its cgroup when it has one, sent to POST /ckube/v1/nodemetrics as a
 * NodeMetricsReport like simulate_metrics.h. A container is reported once
 * it has two samples (a whole window), as metrics-server does. */
#ifndef CKUBE_REAL_METRICS_H
#define CKUBE_REAL_METRICS_H
#include <stdint.h>
#include <sys/types.h>
#include "https_client.h"

typedef struct real_metrics real_metrics;

real_metrics *rm_new(const char *node_name);
void rm_free(real_metrics *m);
/* Starts a round: reads every process's CPU time and RSS, by process group. */
void rm_begin(real_metrics *m, long long now_ms);
/* Adds one running container (its group pgid) of pod ns/name/uid, its usage read from /proc. */
void rm_add(real_metrics *m, const char *ns, const char *pod, const char *uid, const char *container, pid_t pgid);
/* The same with its usage known (its cgroup's cumulative CPU in ns and working set in bytes). */
void rm_add_usage(real_metrics *m, const char *ns, const char *pod, const char *uid, const char *container,
                  pid_t pgid, uint64_t cpu_ns, uint64_t memory);
/* Sends the round's report (containers with a previous sample, the node). */
void rm_send(real_metrics *m, https_client *c);

/* CPU nanocores from two cumulative tick counts dt_ms apart (pure). */
int64_t rm_nanocores(uint64_t ticks_before, uint64_t ticks_after, long long dt_ms, long ticks_per_second);

#endif
