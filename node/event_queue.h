/* event_queue.h - the real kubelet's event recorder: events are made (and
 * stamped) when the runtime takes a step and sent in order by one thread on
 * its own connection, as client-go's broadcaster sends kubelet's events
 * asynchronously, so a pod start does not wait for its Pulled, Created and
 * Started events to be written. Best effort, like kubelet's: a full queue
 * drops the newest event with a warning. */
#ifndef CKUBE_EVENT_QUEUE_H
#define CKUBE_EVENT_QUEUE_H
#include <jansson.h>

typedef struct event_queue event_queue;

/* Starts the sender thread; NULL when the kubeconfig cannot be used. */
event_queue *evq_start(const char *kubeconfig);
/* Queues a kubelet event about pod (container in list, or NULL for the pod). */
void evq_post(event_queue *q, const json_t *pod, const char *list, const char *container, const char *type,
              const char *reason, const char *message);
/* Sends what is queued (up to a few seconds), stops the thread, frees q. */
void evq_stop(event_queue *q);

#endif
