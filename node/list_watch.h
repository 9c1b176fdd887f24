/* list_watch.h - a kubelet's informer loop over one collection, shared by
 * the real and the simulated kubelet: a list (pages of 500) and then a
 * watch from its resourceVersion (bookmarks on), a new list after 410 Gone
 * or an ERROR event as client-go's reflector does, reconnects with
 * back-off from 200 ms to 10 s. The caller sees every listed object and
 * every added, modified and deleted one. */
#ifndef CKUBE_LIST_WATCH_H
#define CKUBE_LIST_WATCH_H
#include <stdatomic.h>
#include <stdbool.h>
#include <jansson.h>
#include "https_client.h"

typedef struct {
  const char *path;                  /* the collection, e.g. /api/v1/pods?fieldSelector=spec.nodeName%3Dn */
  void *ctx;
  void (*list_begin)(void *ctx);     /* a new list starts */
  void (*object)(void *ctx, const json_t *obj, bool deleted); /* listed (not deleted) or watched */
  void (*list_end)(void *ctx);       /* the list is complete: what it did not hold is gone */
  const atomic_bool *stop;
} list_watch;

/* Runs the loop on c until *lw->stop (interrupt c to end a blocked read). */
void list_watch_run(https_client *c, const list_watch *lw);

#endif
