/* controller.c - see controller.h. Each worker takes a key from the queue,
 * syncs it, marks it done and turns the result into the next add: forget +
 * nothing (done), a rate-limited add (retry), forget + a delayed add
 * (requeue after). The handler registrations live in a fixed array written
 * only before and after the workers' lifetime of following (ctrl_follow at
 * start, ctrl_stop at the end), from the controller's starting thread. */
#include "controller.h"
#include "log.h"
#include "rate_limiter.h"
#include "workqueue.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define CTRL_MAX_INFORMERS 8
#define CTRL_MAX_WORKERS 16

struct ctrl {
  ctrl_config cfg;
  workqueue *queue;
  rate_limiter *limiter;
  pthread_t workers[CTRL_MAX_WORKERS];
  int nworkers;
  informer *informers[CTRL_MAX_INFORMERS];
  int ninformers;
  atomic_long syncs, retries; /* logged at stop */
};

static void finish(ctrl *c, const char *key, ctrl_result res) {
  atomic_fetch_add(&c->syncs, 1);
  switch (res.outcome) {
  case CTRL_DONE:
    rate_limiter_forget(c->limiter, key);
    break;
  case CTRL_RETRY: {
    atomic_fetch_add(&c->retries, 1);
    long ms = rate_limiter_when(c->limiter, key);
    LOGD("%s: %s failed, retrying in %ld ms", c->cfg.name, key, ms);
    workqueue_add_after(c->queue, key, ms);
    break;
  }
  case CTRL_REQUEUE_AFTER:
    rate_limiter_forget(c->limiter, key);
    workqueue_add_after(c->queue, key, res.after_ms);
    break;
  }
}

static void *work(void *arg) {
  ctrl *c = arg;
  char *key;
  while ((key = workqueue_get(c->queue))) {
    ctrl_result res = c->cfg.sync(c->cfg.ctx, key);
    workqueue_done(c->queue, key);
    finish(c, key, res);
    free(key);
  }
  return NULL;
}

ctrl *ctrl_run(const ctrl_config *cfg) {
  ctrl *c = calloc(1, sizeof *c);
  c->cfg = *cfg;
  int n = cfg->workers > 0 ? cfg->workers : 1;
  if (n > CTRL_MAX_WORKERS) n = CTRL_MAX_WORKERS;
  c->limiter = rate_limiter_new(cfg->backoff_base_ms > 0 ? cfg->backoff_base_ms : 5,
                                cfg->backoff_cap_ms > 0 ? cfg->backoff_cap_ms : 1000L * 1000,
                                cfg->qps == 0 ? 10 : cfg->qps, cfg->burst > 0 ? cfg->burst : 100);
  c->queue = workqueue_new();
  for (int i = 0; i < n; i++)
    if (pthread_create(&c->workers[c->nworkers], NULL, work, c) == 0) c->nworkers++;
  if (!c->nworkers) LOGE("%s: no worker thread could start", cfg->name);
  return c;
}

ctrl *ctrl_start(const ctrl_context *cc, const char *name, ctrl_sync_fn sync, void *ctx) {
  ctrl_config cfg = {.cc = cc, .name = name, .sync = sync, .ctx = ctx};
  return ctrl_run(&cfg);
}

const ctrl_context *ctrl_context_of(const ctrl *c) { return c->cfg.cc; }

bool ctrl_follow_resource(ctrl *c, const resource *r, informer_fn fn, void *ctx) {
  if (c->ninformers == CTRL_MAX_INFORMERS) {
    LOGE("%s: more than %d informers", c->cfg.name, CTRL_MAX_INFORMERS);
    return false;
  }
  informer *inf = informer_start(c->cfg.cc->informers, r, fn, ctx);
  if (inf) c->informers[c->ninformers++] = inf;
  return inf != NULL;
}

bool ctrl_follow(ctrl *c, const char *group, const char *version, const char *plural, informer_fn fn) {
  const resource *r = registry_find(group, version, plural);
  return r && ctrl_follow_resource(c, r, fn, c);
}

void ctrl_enqueue_self(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  ctrl_add(ctx, informer_key(obj));
}

void ctrl_add(ctrl *c, const char *key) { workqueue_add(c->queue, key); }
void ctrl_add_after(ctrl *c, const char *key, long ms) { workqueue_add_after(c->queue, key, ms); }
int ctrl_failures(ctrl *c, const char *key) { return rate_limiter_failures(c->limiter, key); }

void ctrl_stop(ctrl *c) {
  if (!c) return;
  workqueue_shutdown(c->queue); /* first: no new sync starts while the handlers are unregistered */
  for (int i = 0; i < c->ninformers; i++) informer_stop(c->informers[i]);
  for (int i = 0; i < c->nworkers; i++) pthread_join(c->workers[i], NULL);
  LOGI("%s: stopped after %ld syncs, %ld of them retries", c->cfg.name, atomic_load(&c->syncs),
       atomic_load(&c->retries));
  workqueue_free(c->queue);
  rate_limiter_free(c->limiter);
  free(c);
}
