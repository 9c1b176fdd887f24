/* job.c - the Job controller (batch/v1, 1.20's pkg/controller/job): keeps
 * min(parallelism, completions - succeeded) pods running from the template
 * (generateName "<job>-", controller ownerReference, the controller-uid and
 * job-name labels the API server put on the template), counts
 * active/succeeded/failed, and finishes the Job with condition Complete, or
 * Failed with reason BackoffLimitExceeded (failed pods past backoffLimit, or
 * container restarts for OnFailure) or DeadlineExceeded
 * (activeDeadlineSeconds since status.startTime), deleting what still runs.
 * Failed pods are replaced with 1.20's back-off: the first at once, then
 * after 10 s, 20 s, 40 s ... capped at 6 minutes, counted per Job in memory
 * like the controller's rate limiter and reset by a success. */
#include "controllers.h"
#include "events.h"
#include "pod_util.h"
#include "workload.h"
#include "timestamp.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "job-controller"
#define BACKOFF_BASE_MS 10000L
#define BACKOFF_MAX_MS 360000L

static ctrl *c;

/* Back-off memory per Job uid; touched only by the worker thread. */
typedef struct backoff {
  char uid[64];
  int requeues;
  long long pending_since_ms; /* when a gated failure was first seen, 0 = none */
  struct backoff *next;
} backoff;
static backoff *backoffs;

static backoff *backoff_of(const char *uid) {
  for (backoff *b = backoffs; b; b = b->next)
    if (!strcmp(b->uid, uid)) return b;
  backoff *b = calloc(1, sizeof *b);
  snprintf(b->uid, sizeof b->uid, "%s", uid);
  b->next = backoffs;
  backoffs = b;
  return b;
}

static void backoff_forget(const char *uid) {
  for (backoff **p = &backoffs; *p; p = &(*p)->next)
    if (!strcmp((*p)->uid, uid)) {
      backoff *dead = *p;
      *p = dead->next;
      free(dead);
      return;
    }
}

/* An orphan pod wakes the Jobs whose selector matches it (to adopt it). */
static void enqueue_matching_jobs(const json_t *pod) {
  cobj_vec jobs = {0};
  ctrl_list(cctx, "batch", "v1", "jobs", obj_ns(pod), &jobs);
  for (size_t i = 0; i < jobs.n; i++) {
    label_selector *s = workload_selector(jobs.items[i]->obj, false);
    if (s && label_selector_matches(s, json_object_get(json_object_get(pod, "metadata"), "labels"))) {
      char key[512];
      snprintf(key, sizeof key, "%s/%s", obj_ns(pod), obj_name(jobs.items[i]->obj));
      ctrl_add(c, key);
    }
    label_selector_free(s);
  }
  cobj_vec_clear(&jobs);
}

static void on_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  size_t i;
  json_t *ref;
  if (type != EV_DELETED && !controller_of(obj->obj) && !obj_deleting(obj->obj) &&
      (!prev || controller_of(prev->obj) ||
       !json_equal(json_object_get(json_object_get(obj->obj, "metadata"), "labels"),
                   json_object_get(json_object_get(prev->obj, "metadata"), "labels"))))
    enqueue_matching_jobs(obj->obj);
  if (prev) /* a pod released or re-owned: its former Job syncs too */
    json_array_foreach(json_object_get(json_object_get(prev->obj, "metadata"), "ownerReferences"), i, ref) {
      const char *kind = json_string_value(json_object_get(ref, "kind"));
      if (json_is_true(json_object_get(ref, "controller")) && kind && !strcmp(kind, "Job")) {
        char key[512];
        snprintf(key, sizeof key, "%s/%s", obj_ns(prev->obj), json_string_value(json_object_get(ref, "name")));
        ctrl_add(c, key);
      }
    }
  json_array_foreach(json_object_get(json_object_get(obj->obj, "metadata"), "ownerReferences"), i, ref) {
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *av = json_string_value(json_object_get(ref, "apiVersion"));
    if (json_is_true(json_object_get(ref, "controller")) && kind && !strcmp(kind, "Job") && av &&
        !strncmp(av, "batch/", 6)) {
      char key[512];
      snprintf(key, sizeof key, "%s/%s", obj_ns(obj->obj), json_string_value(json_object_get(ref, "name")));
      ctrl_add(c, key);
    }
  }
}

static bool has_condition(const json_t *job, const char *type) {
  size_t i;
  json_t *cond;
  json_array_foreach(json_object_get(json_object_get(job, "status"), "conditions"), i, cond) {
    const char *t = json_string_value(json_object_get(cond, "type"));
    const char *s = json_string_value(json_object_get(cond, "status"));
    if (t && s && !strcmp(t, type) && !strcmp(s, "True")) return true;
  }
  return false;
}

static bool job_finished(const json_t *job) { return has_condition(job, "Complete") || has_condition(job, "Failed"); }

static void add_condition(json_t *status, const char *type, const char *reason, const char *message) {
  char ts[40];
  rfc3339_now(ts, sizeof ts);
  json_t *cond = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "status", "True", "lastProbeTime", ts,
                           "lastTransitionTime", ts);
  if (reason) json_object_set_new(cond, "reason", json_string(reason));
  if (message) json_object_set_new(cond, "message", json_string(message));
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
  json_array_append_new(conds, cond);
}

static long long spec_int(const json_t *job, const char *field, long long dflt) {
  const json_t *v = json_object_get(json_object_get(job, "spec"), field);
  return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static bool pod_active(const json_t *pod) {
  const char *ph = pod_phase(pod);
  return strcmp(ph, "Succeeded") && strcmp(ph, "Failed") && !obj_deleting(pod);
}

/* Container restarts of running and pending pods reached backoffLimit
 * (restartPolicy OnFailure only). */
static bool past_backoff_on_failure(const json_t *job, const cobj_vec *pods) {
  const json_t *policy = json_object_get(
      json_object_get(json_object_get(json_object_get(job, "spec"), "template"), "spec"), "restartPolicy");
  if (!json_is_string(policy) || strcmp(json_string_value(policy), "OnFailure")) return false;
  long long restarts = 0, limit = spec_int(job, "backoffLimit", 6);
  for (size_t i = 0; i < pods->n; i++) {
    const json_t *pod = pods->items[i]->obj;
    const char *ph = pod_phase(pod);
    if (strcmp(ph, "Running") && strcmp(ph, "Pending")) continue;
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses", NULL};
    for (int l = 0; lists[l]; l++) {
      size_t k;
      json_t *cs;
      json_array_foreach(json_object_get(json_object_get(pod, "status"), lists[l]), k, cs)
        restarts += json_integer_value(json_object_get(cs, "restartCount"));
    }
  }
  return limit == 0 ? restarts > 0 : restarts >= limit;
}

/* Milliseconds left before activeDeadlineSeconds, or LLONG_MAX without one. */
static long long deadline_left_ms(const json_t *job, const json_t *status) {
  const json_t *ads = json_object_get(json_object_get(job, "spec"), "activeDeadlineSeconds");
  long long start = rfc3339_seconds(json_string_value(json_object_get(status, "startTime")));
  if (!json_is_integer(ads) || start < 0) return 0x7fffffffffffffffLL;
  return (start + json_integer_value(ads)) * 1000 - wall_ms();
}

/* Deletes n of the active pods, not-ready and unscheduled ones first. */
static int delete_pods(const json_t *job, cobj **active, size_t nactive, size_t n) {
  int deleted = 0;
  for (int pass = 0; pass < 3 && (size_t)deleted < n; pass++)
    for (size_t i = 0; i < nactive && (size_t)deleted < n; i++) {
      const json_t *pod = active[i]->obj;
      const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
      bool scheduled = node && *node, ready = pod_ready(pod);
      int rank = !scheduled ? 0 : !ready ? 1 : 2;
      if (rank != pass) continue;
      if (pod_delete_for(cctx, job, pod, COMPONENT) < 300) deleted++;
    }
  return deleted;
}

static ctrl_result sync_job(void *ctx, const char *key) {
  char ns[256], name[256];
  if (!ctrl_split_key(key, ns, name)) return ctrl_done();
  cobj *cur = ctrl_get(cctx, "batch", "v1", "jobs", ns, name);
  if (!cur) return ctrl_done();
  const json_t *job = cur->obj;
  const char *uid = obj_uid(job);
  if (!uid || job_finished(job)) {
    if (uid) backoff_forget(uid);
    cobj_unref(cur);
    return ctrl_done();
  }
  /* getPodsForJob: the pods the Job controls, after adopting matching
   * orphans and releasing those that no longer match its selector */
  cobj_vec all = {0}, pods = {0};
  ctrl_list(cctx, "", "v1", "pods", ns, &all);
  label_selector *sel = workload_selector(job, false);
  if (sel) {
    claim_spec cs = {job, registry_find("batch", "v1", "jobs"), sel, NULL, NULL};
    claim_objects(cctx, &cs, registry_find("", "v1", "pods"), &all, &pods);
    label_selector_free(sel);
  }
  cobj_vec_clear(&all);
  cobj **active = calloc(pods.n + 1, sizeof *active);
  long long nactive = 0, succeeded = 0, failed = 0;
  for (size_t i = 0; i < pods.n; i++) {
    const json_t *pod = pods.items[i]->obj;
    if (pod_active(pod)) active[nactive++] = pods.items[i];
    if (!strcmp(pod_phase(pod), "Succeeded")) succeeded++;
    if (!strcmp(pod_phase(pod), "Failed")) failed++;
  }
  json_t *updated = json_deep_copy(job);
  json_t *status = json_object_get(updated, "status");
  if (!json_is_object(status)) json_object_set_new(updated, "status", status = json_object());
  long long old_active = json_integer_value(json_object_get(status, "active"));
  long long old_succeeded = json_integer_value(json_object_get(status, "succeeded"));
  long long old_failed = json_integer_value(json_object_get(status, "failed"));
  size_t old_conditions = json_array_size(json_object_get(status, "conditions"));
  bool changed = false;
  if (!json_object_get(status, "startTime")) {
    char ts[40];
    rfc3339_now(ts, sizeof ts);
    json_object_set_new(status, "startTime", json_string(ts));
    changed = true;
  }
  long long parallelism = spec_int(job, "parallelism", 1), limit = spec_int(job, "backoffLimit", 6);
  const json_t *completions = json_object_get(json_object_get(job, "spec"), "completions");
  bool new_failure = failed > old_failed;
  long long deadline_ms = deadline_left_ms(job, status);
  ctrl_result again = ctrl_done();
  backoff *b = backoff_of(uid);
  if (succeeded > old_succeeded) b->requeues = 0;
  if (new_failure && deadline_ms > 0 && b->requeues > 0) {
    /* 1.20 looks at a failure again only after the back-off */
    long long delay = BACKOFF_BASE_MS << (b->requeues - 1 < 6 ? b->requeues - 1 : 6);
    if (delay > BACKOFF_MAX_MS) delay = BACKOFF_MAX_MS;
    if (!b->pending_since_ms) b->pending_since_ms = wall_ms();
    long long left = b->pending_since_ms + delay - wall_ms();
    if (left > 0) {
      json_decref(updated);
      free(active);
      cobj_vec_clear(&pods);
      cobj_unref(cur);
      return ctrl_requeue_after((long)left);
    }
  }
  b->pending_since_ms = 0;
  if (new_failure) b->requeues++;
  bool exceeds = new_failure && nactive != parallelism && failed > limit;
  const char *reason = NULL, *message = NULL;
  if (exceeds || past_backoff_on_failure(job, &pods)) {
    reason = "BackoffLimitExceeded", message = "Job has reached the specified backoff limit";
  } else if (deadline_ms <= 0) {
    reason = "DeadlineExceeded", message = "Job was active longer than specified deadline";
  }
  if (reason) {
    delete_pods(job, active, (size_t)nactive, (size_t)nactive);
    failed += nactive;
    nactive = 0;
    add_condition(status, "Failed", reason, message);
    event_record(cctx, job, COMPONENT, "Warning", reason, "%s", message);
  } else {
    if (!obj_deleting(job)) {
      if (nactive > parallelism) {
        nactive -= delete_pods(job, active, (size_t)nactive, (size_t)(nactive - parallelism));
      } else if (nactive < parallelism) {
        long long want = parallelism;
        if (!json_is_integer(completions)) want = succeeded > 0 ? nactive : parallelism;
        else if (json_integer_value(completions) - succeeded < want) want = json_integer_value(completions) - succeeded;
        for (long long k = nactive; k < want; k++) {
          if (pod_create_for(cctx, job, json_object_get(json_object_get(job, "spec"), "template"), COMPONENT) < 300)
            nactive++;
          else
            again = ctrl_retry();
        }
      }
    }
    bool complete = false;
    if (!json_is_integer(completions)) {
      complete = succeeded > 0 && nactive == 0;
    } else if (succeeded >= json_integer_value(completions)) {
      complete = true;
      if (nactive > 0)
        event_record(cctx, job, COMPONENT, "Warning", "TooManyActivePods",
                     "Too many active pods running after completion count reached");
      if (succeeded > json_integer_value(completions))
        event_record(cctx, job, COMPONENT, "Warning", "TooManySucceededPods",
                     "Too many succeeded pods running after completion count reached");
    }
    if (complete) {
      add_condition(status, "Complete", NULL, NULL);
      char ts[40];
      rfc3339_now(ts, sizeof ts);
      json_object_set_new(status, "completionTime", json_string(ts));
      event_record(cctx, job, COMPONENT, "Normal", "Completed", "Job completed");
    } else if (deadline_ms != 0x7fffffffffffffffLL && again.outcome == CTRL_DONE) {
      again = ctrl_requeue_after(deadline_ms > 0 ? (long)deadline_ms + 1 : 1);
    }
  }
  if (changed || nactive != old_active || succeeded != old_succeeded || failed != old_failed ||
      json_array_size(json_object_get(status, "conditions")) != old_conditions) {
    /* Kubernetes omits zero counts */
    static const char *const fields[] = {"active", "succeeded", "failed", NULL};
    long long values[] = {nactive, succeeded, failed};
    for (int i = 0; fields[i]; i++)
      if (values[i]) json_object_set_new(status, fields[i], json_integer(values[i]));
      else json_object_del(status, fields[i]);
    int code = ctrl_update(cctx, "batch", "v1", "jobs", ns, "status", json_incref(updated));
    if (code >= 300) again = ctrl_retry();
  }
  json_decref(updated);
  free(active);
  cobj_vec_clear(&pods);
  cobj_unref(cur);
  return again;
}

void job_controller_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, COMPONENT, sync_job, NULL);
  ctrl_follow(c, "batch", "v1", "jobs", ctrl_enqueue_self);
  ctrl_follow(c, "", "v1", "pods", on_pod);
}

void job_controller_stop(void) {
  ctrl_stop(c);
  c = NULL;
  while (backoffs) backoff_forget(backoffs->uid);
}
