/* simulate_events.h - the core/v1 Events a kubelet 1.20 records about the
 * pods it runs, queued by the simulated kubelet after each step it took:
 * Pulling/Pulled, Created and Started when containers start (or restart),
 * Failed and BackOff when an image does not pull, Killing when a pod is
 * stopped. Source component "kubelet", host the node's name, involvedObject
 * the pod with the container's fieldPath, as kubectl describe shows them. */
#ifndef CKUBE_SIMULATE_EVENTS_H
#define CKUBE_SIMULATE_EVENTS_H
#include <jansson.h>
#include "event_queue.h"
#include "https_client.h"
#include "simulate_status.h"

/* Queues on q the events of the step that took pod from *before to *after
 * (act: what the step did), stamped now; q's thread sends them, so the step
 * does not wait for them. Failures are logged, not retried: kubelet's events
 * are best effort too. */
void sim_events_record(event_queue *q, const json_t *pod, const sim_pod_state *before, const sim_pod_state *after,
                       sim_action act);

/* Records one kubelet event about pod (container in list "containers" or
 * "initContainers", or NULL for the pod itself), stamped now. */
void sim_event_post(https_client *c, const json_t *pod, const char *list, const char *container, const char *type,
                    const char *reason, const char *message);
/* The same event, stamped when (RFC 3339, NULL: now), not sent (new reference)... */
json_t *sim_event_make(const json_t *pod, const char *list, const char *container, const char *type,
                       const char *reason, const char *message, const char *when);
/* ...and its POST (failures logged). */
void sim_event_send(https_client *c, const json_t *ev);

#endif
