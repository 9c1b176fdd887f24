/* api_harness.h - the unit tests' API server without HTTP: the registry
 * loaded, a watch cache over a fresh in-memory store (store_memory.c) bound
 * to it, the api_server the core's verbs take, and the ctrl_context
 * (shared informers over that cache) the controller runtime takes. One per
 * test process (the registry is process-wide). */
#ifndef CKUBE_API_HARNESS_H
#define CKUBE_API_HARNESS_H
#include "api_server.h"
#include "controller.h"

typedef struct {
  api_server srv;
  ctrl_context controllers; /* {&srv, informers over srv.cache} */
} api_harness;

/* Sets h up (h must not move while in use); exits the test process when the
 * registry or the cache cannot be opened. */
void api_harness_start(api_harness *h);
/* Frees the informer factory and closes the cache and its store (every
 * informer stopped first). */
void api_harness_stop(api_harness *h);

#endif
