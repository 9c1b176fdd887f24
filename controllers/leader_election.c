/* leader_election.c - see leader_election.h. One thread per elector runs
 * client-go's loop: acquire (tryAcquireOrRenew every retry period, jittered
 * by up to 1.2x), then renew (tryAcquireOrRenew every retry period until it
 * succeeds or the renew deadline passes; a miss means leadership is lost).
 * The Lease is read from the watch cache and written through the API core
 * with its resourceVersion, so two writers never both win a round. */
#include "leader_election.h"
#include "ctrl.h"
#include "events.h"
#include "log.h"
#include "timestamp.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE_NS "kube-system"
#define JITTER_FACTOR 1.2

/* ---- the decision (pure) ---- */

static bool record_equal(const lease_record *a, const lease_record *b) {
  return !strcmp(a->holder, b->holder) && a->duration == b->duration && !strcmp(a->acquire, b->acquire) &&
         !strcmp(a->renew, b->renew) && a->transitions == b->transitions;
}

void lease_observe(lease_observer *ob, const lease_record *rec, double now) {
  ob->seen = *rec;
  ob->have_seen = true;
  ob->seen_at = now;
}

bool lease_is_leader(const lease_observer *ob, const char *me) {
  return ob->have_seen && !strcmp(ob->seen.holder, me);
}

lease_decision lease_decide(lease_observer *ob, const lease_record *cur, const char *me, int duration, double now,
                            const char *wall, lease_record *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->holder, sizeof out->holder, "%s", me);
  out->duration = duration;
  snprintf(out->acquire, sizeof out->acquire, "%s", wall);
  snprintf(out->renew, sizeof out->renew, "%s", wall);
  if (!cur) return LEASE_CREATE;
  if (!ob->have_seen || !record_equal(&ob->seen, cur)) lease_observe(ob, cur, now);
  bool leader = lease_is_leader(ob, me);
  if (cur->holder[0] && ob->seen_at + duration > now && !leader) return LEASE_WAIT;
  if (leader) {
    snprintf(out->acquire, sizeof out->acquire, "%s", cur->acquire);
    out->transitions = cur->transitions;
    return LEASE_RENEW;
  }
  out->transitions = cur->transitions + 1;
  return LEASE_ACQUIRE;
}

/* ---- configuration ---- */

int leader_config_check(const leader_config *cfg, char *err, size_t len) {
  if (cfg->retry_period <= 0 || cfg->lease_duration <= cfg->renew_deadline ||
      cfg->renew_deadline <= JITTER_FACTOR * cfg->retry_period) {
    snprintf(err, len,
             "leader election wants lease duration > renew deadline > %.1f x retry period > 0 (got %ds, %ds, %ds)",
             JITTER_FACTOR, cfg->lease_duration, cfg->renew_deadline, cfg->retry_period);
    return -1;
  }
  return 0;
}

int leader_config_init(leader_config *cfg, const char *data_dir) {
  *cfg = (leader_config){.enabled = true, .lease_duration = 15, .renew_deadline = 10, .retry_period = 2};
  char path[1024], uid[64] = "", host[256] = "";
  snprintf(path, sizeof path, "%s/leader-identity", data_dir);
  FILE *f = fopen(path, "r");
  if (f) {
    if (!fgets(uid, sizeof uid, f)) uid[0] = 0;
    fclose(f);
    uid[strcspn(uid, "\r\n")] = 0;
  }
  if (!uid[0]) {
    meta_new_uid(uid, sizeof uid);
    f = fopen(path, "w");
    if (!f || fprintf(f, "%s\n", uid) < 0 || fclose(f) != 0) {
      LOGE("cannot write %s: %s", path, strerror(errno));
      return -1;
    }
  }
  if (gethostname(host, sizeof host) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = 0;
  snprintf(cfg->identity, sizeof cfg->identity, "%s_%s", host, uid);
  return 0;
}

/* ---- the Lease object ---- */

static void record_from_json(const json_t *lease, lease_record *r) {
  const json_t *spec = json_object_get(lease, "spec");
  const char *s;
  memset(r, 0, sizeof *r);
  if ((s = json_string_value(json_object_get(spec, "holderIdentity")))) snprintf(r->holder, sizeof r->holder, "%s", s);
  if ((s = json_string_value(json_object_get(spec, "acquireTime")))) snprintf(r->acquire, sizeof r->acquire, "%s", s);
  if ((s = json_string_value(json_object_get(spec, "renewTime")))) snprintf(r->renew, sizeof r->renew, "%s", s);
  r->duration = (int)json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
  r->transitions = (int)json_integer_value(json_object_get(spec, "leaseTransitions"));
}

/* Sets the record into lease's spec (other fields are kept). */
static void record_to_json(const lease_record *r, json_t *lease) {
  json_t *spec = json_object_get(lease, "spec");
  if (!json_is_object(spec)) json_object_set_new(lease, "spec", spec = json_object());
  json_object_set_new(spec, "holderIdentity", json_string(r->holder));
  json_object_set_new(spec, "leaseDurationSeconds", json_integer(r->duration));
  json_object_set_new(spec, "acquireTime", json_string(r->acquire));
  json_object_set_new(spec, "renewTime", json_string(r->renew));
  json_object_set_new(spec, "leaseTransitions", json_integer(r->transitions));
}

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the elector ---- */

struct leader_elector {
  const ctrl_context *cc; /* the server the Lease is read and written through */
  leader_config cfg;
  char name[128];
  void (*on_started)(void), (*on_stopped)(void);
  lease_observer ob;
  bool waiting_logged; /* "held by" logged for the current holder; elector thread only */
  pthread_t thread;
  pthread_mutex_t mu; /* guards stop */
  pthread_cond_t cond;
  bool stop;
};

static void record_event(leader_elector *le, const char *what) {
  cobj *lease = ctrl_get(le->cc, "coordination.k8s.io", "v1", "leases", LEASE_NS, le->name);
  if (lease) event_record(le->cc, lease->obj, le->name, "Normal", "LeaderElection", "%s %s", le->cfg.identity, what);
  cobj_unref(lease);
}

/* One tryAcquireOrRenew: true when the Lease now names us. */
static bool try_acquire_or_renew(leader_elector *le) {
  char wall[40];
  rfc3339_now_micro(wall, sizeof wall);
  cobj *lease = ctrl_get(le->cc, "coordination.k8s.io", "v1", "leases", LEASE_NS, le->name);
  lease_record cur, next;
  if (lease) record_from_json(lease->obj, &cur);
  lease_decision d = lease_decide(&le->ob, lease ? &cur : NULL, le->cfg.identity, le->cfg.lease_duration,
                                  mono_now(), wall, &next);
  int code = 0;
  if (d == LEASE_WAIT) {
    if (!le->waiting_logged)
      LOGI("leader election: lease %s/%s is held by %s and has not yet expired", LEASE_NS, le->name, cur.holder);
    le->waiting_logged = true;
  } else if (d == LEASE_CREATE) {
    json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                            "metadata", "name", le->name, "namespace", LEASE_NS);
    record_to_json(&next, obj);
    code = ctrl_create(le->cc, "coordination.k8s.io", "v1", "leases", LEASE_NS, obj);
  } else {
    json_t *obj = json_deep_copy(lease->obj); /* carries the resourceVersion it was read at */
    record_to_json(&next, obj);
    code = ctrl_update(le->cc, "coordination.k8s.io", "v1", "leases", LEASE_NS, NULL, obj);
  }
  cobj_unref(lease);
  if (code < 200 || code >= 300) return false;
  le->waiting_logged = false;
  lease_observe(&le->ob, &next, mono_now());
  return true;
}

/* Waits up to seconds unless stopped; true when stopped. */
static bool sleep_or_stop(leader_elector *le, double seconds) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long ns = ts.tv_nsec + (long long)(seconds * 1e9);
  ts.tv_sec += (time_t)(ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  pthread_mutex_lock(&le->mu);
  while (!le->stop && pthread_cond_timedwait(&le->cond, &le->mu, &ts) != ETIMEDOUT) {
  }
  bool stop = le->stop;
  pthread_mutex_unlock(&le->mu);
  return stop;
}

static double jittered(double period) { return period * (1 + JITTER_FACTOR * (rand() / (RAND_MAX + 1.0))); }

/* Renews every retry period until stopped (true) or until a renew deadline
 * passes without success (false). */
static bool lead(leader_elector *le) {
  for (;;) {
    if (sleep_or_stop(le, le->cfg.retry_period)) return true;
    double deadline = mono_now() + le->cfg.renew_deadline;
    while (!try_acquire_or_renew(le)) {
      double left = deadline - mono_now();
      if (left <= 0) return false;
      if (sleep_or_stop(le, left < le->cfg.retry_period ? left : le->cfg.retry_period)) return true;
    }
  }
}

static void *run(void *arg) {
  leader_elector *le = arg;
  for (;;) {
    LOGI("leader election: attempting to acquire leader lease %s/%s...", LEASE_NS, le->name);
    while (!try_acquire_or_renew(le))
      if (sleep_or_stop(le, jittered(le->cfg.retry_period))) return NULL;
    LOGI("leader election: successfully acquired lease %s/%s as %s", LEASE_NS, le->name, le->cfg.identity);
    record_event(le, "became leader");
    le->on_started();
    bool stopped = lead(le);
    if (!stopped)
      LOGW("leader election: failed to renew lease %s/%s within %ds: stopped leading", LEASE_NS, le->name,
           le->cfg.renew_deadline);
    le->on_stopped(); /* the controllers first: once "stopped leading" is recorded, none of them acts */
    if (!stopped) record_event(le, "stopped leading");
    if (stopped) return NULL;
  }
}

leader_elector *leader_elector_start(const ctrl_context *cc, const leader_config *cfg, const char *name,
                                     void (*on_started)(void), void (*on_stopped)(void)) {
  leader_elector *le = calloc(1, sizeof *le);
  le->cc = cc;
  le->cfg = *cfg;
  snprintf(le->name, sizeof le->name, "%s", name);
  le->on_started = on_started;
  le->on_stopped = on_stopped;
  if (!cfg->enabled) {
    on_started();
    return le;
  }
  pthread_mutex_init(&le->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&le->cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_create(&le->thread, NULL, run, le);
  return le;
}

void leader_elector_stop(leader_elector *le) {
  if (!le) return;
  if (!le->cfg.enabled) {
    le->on_stopped();
    free(le);
    return;
  }
  pthread_mutex_lock(&le->mu);
  le->stop = true;
  pthread_cond_signal(&le->cond);
  pthread_mutex_unlock(&le->mu);
  pthread_join(le->thread, NULL);
  pthread_mutex_destroy(&le->mu);
  pthread_cond_destroy(&le->cond);
  free(le);
}
