/* controller.h - the one controller runtime every controller runs on, as
 * client-go's controller pattern: shared informers (informer.h) whose
 * handlers enqueue keys, a work queue that deduplicates them (workqueue.h),
 * worker threads that call the controller's sync function per key, and an
 * explicit result that says what happens to the key next: done (its back-off
 * is forgotten), retry (after its exponential back-off, rate_limiter.h:
 * 5 ms doubling to 1000 s, with an overall 10 qps / burst 100 bucket), or
 * requeue after a delay (deadlines, schedules, polling; back-off forgotten).
 * A key is never synced by two workers at once. */
#ifndef CKUBE_CONTROLLER_H
#define CKUBE_CONTROLLER_H
#include <stdbool.h>
#include "api_server.h"
#include "informer.h"

/* What every controller is given, as kube-controller-manager's
 * ControllerContext: the server whose API core it writes through and the
 * shared informers (over that server's cache) it reads. main.c makes it; it
 * outlives every controller. */
typedef struct ctrl_context {
  api_server *srv;
  informer_factory *informers;
} ctrl_context;

typedef enum {
  CTRL_DONE,          /* nothing left to do until an event enqueues the key */
  CTRL_RETRY,         /* failed: again after the key's back-off */
  CTRL_REQUEUE_AFTER, /* again after after_ms (0: right away), not a failure */
} ctrl_outcome;

typedef struct {
  ctrl_outcome outcome;
  long after_ms; /* CTRL_REQUEUE_AFTER only */
} ctrl_result;

static inline ctrl_result ctrl_done(void) { return (ctrl_result){CTRL_DONE, 0}; }
static inline ctrl_result ctrl_retry(void) { return (ctrl_result){CTRL_RETRY, 0}; }
static inline ctrl_result ctrl_requeue_after(long ms) { return (ctrl_result){CTRL_REQUEUE_AFTER, ms < 0 ? 0 : ms}; }
/* Done when ms <= 0, else requeue after ms: for syncs whose next look is a
 * timer they computed (0 = no timer pending). */
static inline ctrl_result ctrl_after_or_done(long ms) { return ms > 0 ? ctrl_requeue_after(ms) : ctrl_done(); }

/* Handles one key; ctx is the one given at start. */
typedef ctrl_result (*ctrl_sync_fn)(void *ctx, const char *key);

typedef struct ctrl ctrl;

typedef struct {
  const ctrl_context *cc; /* the informers ctrl_follow registers on */
  const char *name;      /* for logs (static storage) */
  ctrl_sync_fn sync;
  void *ctx;
  int workers;           /* worker threads; 0 = 1 */
  long backoff_base_ms;  /* 0 = 5 */
  long backoff_cap_ms;   /* 0 = 1000 s */
  double qps;            /* the overall bucket: 0 = 10, < 0 = none */
  int burst;             /* 0 = 100 */
} ctrl_config;

/* Starts the workers of a controller configured by cfg (copied). */
ctrl *ctrl_run(const ctrl_config *cfg);
/* ctrl_run with one worker and client-go's default rate limiting. */
ctrl *ctrl_start(const ctrl_context *cc, const char *name, ctrl_sync_fn sync, void *ctx);
/* The context c was started with. */
const ctrl_context *ctrl_context_of(const ctrl *c);
/* Registers fn on the shared informer (of c's context) of group/version/plural (called on the
 * informer's thread with ctx = the ctrl), stopped with c. False when the
 * resource is not served. */
bool ctrl_follow(ctrl *c, const char *group, const char *version, const char *plural, informer_fn fn);
/* As ctrl_follow for a resource row (NULL = every resource) with any ctx. */
bool ctrl_follow_resource(ctrl *c, const resource *r, informer_fn fn, void *ctx);
/* An informer_fn (ctx = the ctrl) that enqueues the changed object's key. */
void ctrl_enqueue_self(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev);
/* Enqueues key now / after ms (an earlier pending add wins). */
void ctrl_add(ctrl *c, const char *key);
void ctrl_add_after(ctrl *c, const char *key, long ms);
/* Failures counted for key since its last success (for tests and logs). */
int ctrl_failures(ctrl *c, const char *key);
/* Shuts the queue down (no sync starts after this), unregisters c's
 * informer handlers, waits for the syncs in flight and frees c. NULL is
 * ignored. */
void ctrl_stop(ctrl *c);

#endif
