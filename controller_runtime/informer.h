/* informer.h - shared informers and their listers, as client-go's
 * SharedInformerFactory: one informer per resource (one for every resource
 * together) however many controllers follow it, each controller a handler
 * registration on it. An informer lists once and then follows the watch
 * cache's events in revision order on its own thread and hands them to every
 * handler; each handler gets them in order on its own delivery thread (a
 * slow one delays no other). A handler registered later first gets the
 * current objects as ADDED; after the informer falls out of the event window
 * it lists again (every object as ADDED). So handlers must be idempotent:
 * they enqueue keys.
 * The listers read the objects the informer follows: in-process, the
 * informer's store is the watch cache itself, so they read it directly
 * (there is no second copy of 10k pods to keep in step). Informers and
 * listers belong to a factory made over one server's cache (main.c makes
 * it and hands it to the controllers in their ctrl_context). */
#ifndef CKUBE_INFORMER_H
#define CKUBE_INFORMER_H
#include "registry.h"
#include "watch_cache.h"

/* obj: the new version (the final one for EV_DELETED); prev: the previous
 * version or NULL. Both valid only during the call. */
typedef void (*informer_fn)(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev);

/* One handler registration on a shared informer. */
typedef struct informer informer;

/* The shared informers over one cache, and their listers. */
typedef struct informer_factory informer_factory;

/* A factory whose informers and listers read c (which must outlive it). */
informer_factory *informer_factory_new(cache *c);
/* Frees f once every registration on it is stopped. NULL is ignored. */
void informer_factory_free(informer_factory *f);

/* Registers fn (with ctx) on f's shared informer of r (of every stored
 * resource when r is NULL), starting it on first use; fn first gets every
 * current object as ADDED, then the events, in order on a thread of its own.
 * NULL when a thread cannot start. */
informer *informer_start(informer_factory *f, const resource *r, informer_fn fn, void *ctx);
/* Unregisters: once it returns fn is not running and is never called again.
 * The last registration stops the informer's thread. NULL is ignored. Must
 * not be called from a handler. */
void informer_stop(informer *inf);
/* f's shared informers running now (for tests). */
size_t informer_shared_count(informer_factory *f);

/* "namespace/name" (or "name" for cluster-scoped objects) of a stored object. */
const char *informer_key(const cobj *o);

/* ---- listers ---- */
/* A reference to the published object r/ns/name in f's cache (ns ignored for
 * cluster-scoped r) or NULL; the caller unrefs it. */
cobj *lister_get(informer_factory *f, const resource *r, const char *ns, const char *name);
/* As lister_get, but also sees a write still being committed (for
 * read-modify-write right after the controller's own write). */
cobj *lister_get_latest(informer_factory *f, const resource *r, const char *ns, const char *name);
/* Appends the objects of r in ns ("" = all namespaces) to out, by name. */
void lister_list(informer_factory *f, const resource *r, const char *ns, cobj_vec *out);
/* How many objects of r exist. */
size_t lister_count(informer_factory *f, const resource *r);

#endif
