/* runtime_probe.h - kubelet's container probes (liveness, readiness,
 * startup) with exec, httpGet and tcpSocket handlers and every timing
 * field (initialDelaySeconds, periodSeconds, timeoutSeconds,
 * successThreshold, failureThreshold). One probe run happens on a thread of
 * its own so a slow target never stalls the runtime; the runtime thread
 * schedules runs and reads their results (rt_probe_tick). */
#ifndef CKUBE_RUNTIME_PROBE_H
#define CKUBE_RUNTIME_PROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "runtime_security.h"

typedef struct rt_probe_job rt_probe_job;

/* Where and how an exec probe runs: the container's environment and namespaces. */
typedef struct {
  const char *pod_ip;
  char *const *envp;
  const char *applets, *hostname;
  const char *pod_netns_ip; /* the pod has a network namespace (pod_network.h) of this address, or NULL */
  int pid;                  /* the container's process: exec probes join its mount namespace ... */
  const char *rootfs;       /* ... and chroot here (empty or NULL: the host's file system) */
  const rt_identity *identity; /* ... and run as the container's user (runtime_security.h), or NULL: root */
  const char *applets_root; /* where the applets are bound in that root, or NULL */
} rt_probe_target;

/* One probe of one container. */
typedef struct {
  json_t *spec;        /* the v1 Probe (a reference), NULL when the container has none */
  long long next_ms;   /* the next run may start then */
  int successes, failures;
  bool ok;             /* the current result */
  rt_probe_job *job;   /* a run in flight */
} rt_probe;

/* Arms p for a container (re)started at now: result initial_ok, first run after initialDelaySeconds. */
void rt_probe_arm(rt_probe *p, const json_t *spec, bool initial_ok, long long now_ms);
/* Stops p (a run in flight is abandoned) and drops its spec. */
void rt_probe_disarm(rt_probe *p);

typedef enum { PROBE_NOTHING, PROBE_SUCCEEDED, PROBE_FAILED } rt_probe_event;

/* Advances p: collects a finished run, starts one when due. Returns
 * PROBE_FAILED with the failure's message in msg (kubelet's wording) for a
 * failed run, PROBE_SUCCEEDED for a good one; p->ok flips at the
 * thresholds. container: the v1 Container (named ports). */
rt_probe_event rt_probe_tick(rt_probe *p, const json_t *container, const rt_probe_target *t, long long now_ms,
                             char *msg, size_t mlen);

#endif
