/* cronjob.c - the CronJob controller, as 1.20's (batch/v1beta1 semantics;
 * stored as batch/v1): at every schedule time (lib/cron.c, local time) it
 * creates the Job "<cronjob>-<scheduled minutes since the epoch>" from
 * spec.jobTemplate, honouring suspend, startingDeadlineSeconds (a run too
 * late is missed), concurrencyPolicy Allow/Forbid/Replace, the "more than
 * 100 missed start times" refusal, status.active and lastScheduleTime, and
 * keeps successfulJobsHistoryLimit/failedJobsHistoryLimit finished Jobs.
 * Instead of 1.20's 10-second poll the key is re-queued for the next
 * schedule time, and Job changes re-queue their CronJob. */
#include "controllers.h"
#include "cron.h"
#include "events.h"
#include "pod_util.h"
#include "timestamp.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "cronjob-controller"
#define OWNER_API_VERSION "batch/v1beta1" /* what the 1.20 controller works with */

static ctrl *c;

static void on_job(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  size_t i;
  json_t *ref;
  json_array_foreach(json_object_get(json_object_get(obj->obj, "metadata"), "ownerReferences"), i, ref) {
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    if (json_is_true(json_object_get(ref, "controller")) && kind && !strcmp(kind, "CronJob")) {
      char key[512];
      snprintf(key, sizeof key, "%s/%s", obj_ns(obj->obj), json_string_value(json_object_get(ref, "name")));
      ctrl_add(c, key);
    }
  }
}

static const char *finished_status(const json_t *job) {
  size_t i;
  json_t *cond;
  json_array_foreach(json_object_get(json_object_get(job, "status"), "conditions"), i, cond) {
    const char *t = json_string_value(json_object_get(cond, "type"));
    const char *s = json_string_value(json_object_get(cond, "status"));
    if (t && s && !strcmp(s, "True") && (!strcmp(t, "Complete") || !strcmp(t, "Failed"))) return t;
  }
  return NULL;
}

static bool in_active(const json_t *status, const char *uid) {
  size_t i;
  json_t *ref;
  json_array_foreach(json_object_get(status, "active"), i, ref) {
    const char *u = json_string_value(json_object_get(ref, "uid"));
    if (u && !strcmp(u, uid)) return true;
  }
  return false;
}

static void drop_active(json_t *status, const char *uid) {
  json_t *active = json_object_get(status, "active");
  for (size_t i = 0; i < json_array_size(active); i++) {
    const char *u = json_string_value(json_object_get(json_array_get(active, i), "uid"));
    if (u && !strcmp(u, uid)) json_array_remove(active, i--);
  }
  if (!json_array_size(active)) json_object_del(status, "active");
}

static void delete_job(const json_t *cj, const json_t *job) {
  int code = ctrl_delete(cctx, "batch", "v1", "jobs", obj_ns(job), obj_name(job), "Background");
  if (code < 300 || code == 404)
    event_record(cctx, cj, COMPONENT, "Normal", "SuccessfulDelete", "Deleted job %s", obj_name(job));
  else
    event_record(cctx, cj, COMPONENT, "Warning", "FailedDelete", "Deleted job: error %d", code);
}

static int cmp_start(const void *a, const void *b) {
  const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
  const char *sx = json_string_value(json_object_get(json_object_get(x, "status"), "startTime"));
  const char *sy = json_string_value(json_object_get(json_object_get(y, "status"), "startTime"));
  if (!sx != !sy) return sx ? -1 : 1;
  int r = sx ? strcmp(sx, sy) : 0;
  return r ? r : strcmp(obj_name(x), obj_name(y));
}

/* Deletes the oldest finished jobs of one kind beyond limit. */
static void remove_oldest(const json_t *cj, const json_t **jobs, size_t n, const json_t *limit) {
  if (!json_is_integer(limit) || (json_int_t)n <= json_integer_value(limit)) return;
  qsort(jobs, n, sizeof *jobs, cmp_start);
  for (size_t i = 0; i < n - (size_t)json_integer_value(limit); i++) delete_job(cj, jobs[i]);
}

static void cleanup_finished(const json_t *cj, const cobj_vec *jobs) {
  const json_t **ok = calloc(jobs->n + 1, sizeof *ok), **bad = calloc(jobs->n + 1, sizeof *bad);
  size_t nok = 0, nbad = 0;
  for (size_t i = 0; i < jobs->n; i++) {
    const char *st = finished_status(jobs->items[i]->obj);
    if (st && !strcmp(st, "Complete")) ok[nok++] = jobs->items[i]->obj;
    else if (st) bad[nbad++] = jobs->items[i]->obj;
  }
  const json_t *spec = json_object_get(cj, "spec");
  remove_oldest(cj, ok, nok, json_object_get(spec, "successfulJobsHistoryLimit"));
  remove_oldest(cj, bad, nbad, json_object_get(spec, "failedJobsHistoryLimit"));
  free(ok);
  free(bad);
}

/* The latest schedule time in (earliest, now], how many there were (capped
 * at 101), and the next one after now. */
static long long recent_unmet(const cron_schedule *s, long long earliest, long long now, int *count, long long *next) {
  long long last = 0;
  *count = 0;
  long long t = cron_next(s, earliest);
  for (; t && t <= now; t = cron_next(s, t)) {
    last = t;
    if (++*count > 100) {
      /* like 1.20: stop counting; *next still moves past now */
      while (t && t <= now) t = cron_next(s, t);
      break;
    }
  }
  *next = t;
  return last;
}

static json_t *job_from_template(const json_t *cj, long long scheduled) {
  const json_t *tmpl = json_object_get(json_object_get(cj, "spec"), "jobTemplate");
  const json_t *tmd = json_object_get(tmpl, "metadata");
  char name[300];
  snprintf(name, sizeof name, "%s-%lld", obj_name(cj), scheduled / 60);
  json_t *md = json_pack("{s:s,s:s,s:[o]}", "name", name, "namespace", obj_ns(cj), "ownerReferences",
                         controller_ref(cj));
  if (json_object_get(tmd, "labels")) json_object_set_new(md, "labels", json_deep_copy(json_object_get(tmd, "labels")));
  if (json_object_get(tmd, "annotations"))
    json_object_set_new(md, "annotations", json_deep_copy(json_object_get(tmd, "annotations")));
  json_t *spec = json_deep_copy(json_object_get(tmpl, "spec"));
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "batch/v1", "kind", "Job", "metadata", md, "spec",
                   spec ? spec : json_object());
}

static long long now_s(void) { return (long long)time(NULL); }

static ctrl_result sync_cronjob(void *ctx, const char *key) {
  char ns[256], name[256];
  if (!ctrl_split_key(key, ns, name)) return ctrl_done();
  cobj *cur = ctrl_get(cctx, "batch", "v1", "cronjobs", ns, name);
  if (!cur) return ctrl_done();
  json_t *cj = json_deep_copy(cur->obj);
  cobj_unref(cur);
  json_object_set_new(cj, "apiVersion", json_string(OWNER_API_VERSION));
  json_t *status = json_object_get(cj, "status");
  if (!json_is_object(status)) json_object_set_new(cj, "status", status = json_object());
  json_t *before = json_deep_copy(status);
  const char *uid = obj_uid(cj);

  cobj_vec all = {0}, jobs = {0};
  ctrl_list(cctx, "batch", "v1", "jobs", ns, &all);
  for (size_t i = 0; i < all.n; i++) {
    const char *cu = controller_uid(all.items[i]->obj);
    if (cu && uid && !strcmp(cu, uid)) cobj_vec_push(&jobs, cobj_ref(all.items[i]));
  }
  cobj_vec_clear(&all);
  for (size_t i = 0; i < jobs.n; i++) {
    const json_t *j = jobs.items[i]->obj;
    bool found = in_active(status, obj_uid(j));
    const char *fin = finished_status(j);
    if (!found && !fin) {
      event_record(cctx, cj, COMPONENT, "Warning", "UnexpectedJob",
                   "Saw a job that the controller did not create or forgot: %s", obj_name(j));
    } else if (found && fin) {
      drop_active(status, obj_uid(j));
      event_record(cctx, cj, COMPONENT, "Normal", "SawCompletedJob", "Saw completed job: %s, status: %s", obj_name(j),
                   fin);
    }
  }
  json_t *active = json_object_get(status, "active");
  for (size_t i = 0; i < json_array_size(active); i++) {
    const json_t *ref = json_array_get(active, i);
    const char *u = json_string_value(json_object_get(ref, "uid"));
    bool exists = false;
    for (size_t k = 0; k < jobs.n && u; k++) exists |= !strcmp(obj_uid(jobs.items[k]->obj), u);
    if (!exists) {
      event_record(cctx, cj, COMPONENT, "Normal", "MissingJob", "Active job went missing: %s",
                   json_string_value(json_object_get(ref, "name")));
      drop_active(status, u);
      i--;
      active = json_object_get(status, "active");
    }
  }

  ctrl_result again = ctrl_done();
  const json_t *spec = json_object_get(cj, "spec");
  cron_schedule sched;
  char err[256];
  if (!obj_deleting(cj) && !json_is_true(json_object_get(spec, "suspend")) &&
      !cron_parse(json_string_value(json_object_get(spec, "schedule")), &sched, err, sizeof err)) {
    long long now = now_s();
    long long earliest = rfc3339_seconds(json_string_value(json_object_get(status, "lastScheduleTime")));
    if (earliest < 0) earliest = rfc3339_seconds(json_string_value(json_object_get(json_object_get(cj, "metadata"), "creationTimestamp")));
    const json_t *sds = json_object_get(spec, "startingDeadlineSeconds");
    if (json_is_integer(sds) && now - json_integer_value(sds) > earliest) earliest = now - json_integer_value(sds);
    int count = 0;
    long long next = 0, scheduled = earliest < now ? recent_unmet(&sched, earliest, now, &count, &next) : 0;
    if (earliest >= now) next = cron_next(&sched, now);
    const char *policy = json_string_value(json_object_get(spec, "concurrencyPolicy"));
    if (count > 100) {
      event_record(cctx, cj, COMPONENT, "Warning", "FailedNeedsStart",
                   "Cannot determine if job needs to be started: too many missed start time (> 100). Set or "
                   "decrease .spec.startingDeadlineSeconds or check clock skew.");
    } else if (scheduled && json_is_integer(sds) && scheduled + json_integer_value(sds) < now) {
      char ts[64];
      time_t st = (time_t)scheduled;
      struct tm tm;
      localtime_r(&st, &tm);
      strftime(ts, sizeof ts, "%a, %d %b %Y %H:%M:%S %z", &tm);
      event_record(cctx, cj, COMPONENT, "Warning", "MissSchedule", "Missed scheduled time to start a job: %s", ts);
    } else if (scheduled && !(policy && !strcmp(policy, "Forbid") && json_array_size(json_object_get(status, "active")))) {
      if (policy && !strcmp(policy, "Replace")) {
        json_t *act = json_deep_copy(json_object_get(status, "active"));
        size_t i;
        json_t *ref;
        json_array_foreach(act, i, ref) {
          const char *u = json_string_value(json_object_get(ref, "uid"));
          for (size_t k = 0; k < jobs.n; k++)
            if (u && !strcmp(obj_uid(jobs.items[k]->obj), u)) delete_job(cj, jobs.items[k]->obj);
          drop_active(status, u);
        }
        json_decref(act);
      }
      json_t *job = job_from_template(cj, scheduled);
      const resource *jr = registry_find("batch", "v1", "jobs");
      api_opts o = {0};
      api_result res = api_create(cctx->srv, jr, ns, job, &o);
      json_t *got = api_result_json(&res);
      if (res.code < 300 || res.code == 409) {
        if (res.code < 300)
          event_record(cctx, cj, COMPONENT, "Normal", "SuccessfulCreate", "Created job %s", obj_name(got));
        if (res.code == 409) { /* created before: take the stored one */
          json_decref(got);
          char jn[300];
          snprintf(jn, sizeof jn, "%s-%lld", obj_name(cj), scheduled / 60);
          cobj *j = ctrl_get(cctx, "batch", "v1", "jobs", ns, jn);
          got = j ? json_deep_copy(j->obj) : NULL;
          cobj_unref(j);
        }
        if (got && !in_active(status, obj_uid(got)) && !finished_status(got)) {
          json_t *list = json_object_get(status, "active");
          if (!json_is_array(list)) json_object_set_new(status, "active", list = json_array());
          json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "Job", "namespace", ns, "name",
                                                obj_name(got), "uid", obj_uid(got), "apiVersion", "batch/v1",
                                                "resourceVersion",
                                                json_string_value(json_object_get(json_object_get(got, "metadata"),
                                                                                  "resourceVersion"))));
        }
        char ts[40];
        rfc3339_format(scheduled, ts, sizeof ts);
        json_object_set_new(status, "lastScheduleTime", json_string(ts));
      } else {
        event_record(cctx, cj, COMPONENT, "Warning", "FailedCreate", "Error creating job: %s",
                     json_string_value(json_object_get(got, "message")));
        again = ctrl_retry();
      }
      json_decref(got);
      api_result_clear(&res);
    }
    if (again.outcome == CTRL_DONE && next > 0) again = ctrl_requeue_after((long)((next - now_s()) * 1000 + 100));
  }
  if (!json_equal(before, status)) {
    json_t *up = json_deep_copy(cj);
    json_object_set_new(up, "apiVersion", json_string("batch/v1"));
    if (ctrl_update(cctx, "batch", "v1", "cronjobs", ns, "status", up) >= 300) again = ctrl_retry();
  }
  cleanup_finished(cj, &jobs);
  json_decref(before);
  cobj_vec_clear(&jobs);
  json_decref(cj);
  return again;
}

void cronjob_controller_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, COMPONENT, sync_cronjob, NULL);
  ctrl_follow(c, "batch", "v1", "cronjobs", ctrl_enqueue_self);
  ctrl_follow(c, "batch", "v1", "jobs", on_job);
}

void cronjob_controller_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
