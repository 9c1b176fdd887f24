/* runtime_status.h - the v1 PodStatus kubelet 1.20 reports for a pod, as a
 * pure function of the pod, what the agent knows about its containers
 * (runtime.h) and the time: phase (getPhase), conditions Initialized,
 * Ready, ContainersReady, PodScheduled with kubelet's reasons and messages
 * (a condition keeps its lastTransitionTime while its status stays),
 * hostIP, podIP(s), startTime, init and app container statuses. */
#ifndef CKUBE_RUNTIME_STATUS_H
#define CKUBE_RUNTIME_STATUS_H
#include <jansson.h>
#include "runtime.h"

/* The whole status (new reference). */
json_t *rt_pod_status(const json_t *pod, const rt_pod_state *st, long long now_ms);
/* The pod's phase alone ("Pending", "Running", "Succeeded", "Failed"). */
const char *rt_pod_phase(const json_t *pod, const rt_pod_state *st);
/* RFC 3339 (seconds) of a wall clock time in ms (buf >= 21 bytes). */
void rt_rfc3339(long long ms, char *buf, size_t len);

#endif
