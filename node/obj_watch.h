/* obj_watch.h - an informer for one cluster-wide resource (the service
 * proxy's Services and Endpoints, the node's pods): a list, then a watch from its
 * resourceVersion, a new list after 410 Gone or an ERROR event, reconnects
 * with bounded back-off. Each change is signalled by a write to an eventfd
 * the caller polls. */
#ifndef CKUBE_OBJ_WATCH_H
#define CKUBE_OBJ_WATCH_H
#include <jansson.h>
#include <stdbool.h>

typedef struct obj_watch obj_watch;

/* Starts the thread on its own connection for collection path (e.g.
 * "/api/v1/services"); each change adds 1 to notify_fd (an eventfd). NULL
 * when the kubeconfig cannot be used. */
obj_watch *obj_watch_start(const char *kubeconfig, const char *path, int notify_fd);
/* Every object known, as a new JSON array. */
json_t *obj_watch_snapshot(obj_watch *w);
/* The order in which o ("namespace/name") appeared: watch events in their
 * order, a list's items in its order after the ones already known; 0 when
 * it is not known. */
unsigned long obj_watch_seq(obj_watch *w, const json_t *o);
/* True once the first list is in. */
bool obj_watch_listed(obj_watch *w);
/* Stops and joins the thread and frees w. */
void obj_watch_stop(obj_watch *w);

#endif
