/* api_harness.c - see api_harness.h. */
#include "api_harness.h"
#include "registry.h"
#include <stdio.h>
#include <stdlib.h>

void api_harness_start(api_harness *h) {
  char err[256];
  if (registry_load(err, sizeof err) != 0) {
    fprintf(stderr, "registry: %s\n", err);
    exit(1);
  }
  store *st = store_memory_open();
  cache *c = cache_open(st, 1000, err, sizeof err);
  if (!c) {
    fprintf(stderr, "cache: %s\n", err);
    exit(1);
  }
  registry_bind(c);
  h->srv = (api_server){st, c};
  h->controllers = (ctrl_context){&h->srv, informer_factory_new(c)};
}

void api_harness_stop(api_harness *h) {
  informer_factory_free(h->controllers.informers);
  cache_close(h->srv.cache);
  *h = (api_harness){0};
}
