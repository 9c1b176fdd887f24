/* informer.h - follows one resource for a controller, as client-go's
 * informers do: an initial list (delivered as ADDED) and then every change
 * from the watch cache, in revision order, on the informer's own thread.
 * When it falls out of the event window it lists again (delivering every
 * object as ADDED), so handlers must be idempotent: they enqueue keys. */
#ifndef CKUBE_INFORMER_H
#define CKUBE_INFORMER_H
#include "registry.h"
#include "watch_cache.h"

/* obj: the new version (the final one for EV_DELETED); prev: the previous
 * version or NULL. Both valid only during the call. */
typedef void (*informer_fn)(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev);

typedef struct informer informer;

/* Follows r, or every stored resource when r is NULL. */
informer *informer_start(const resource *r, informer_fn fn, void *ctx);
/* Stops the thread and frees the informer. */
void informer_stop(informer *inf);

/* "namespace/name" (or "name" for cluster-scoped objects) of a stored object. */
const char *informer_key(const cobj *o);

#endif
