/* runtime_status.c - see runtime_status.h. Follows kubelet 1.20's
 * generateAPIPodStatus: getPhase over the container statuses, the
 * Generate*Condition helpers (ContainersNotInitialized "containers with
 * incomplete status: [..]", ContainersNotReady "containers with unready
 * status: [..]", PodCompleted once Succeeded), convertToAPIContainerStatuses
 * (state, lastState, ready, restartCount, image, imageID, containerID,
 * started). Containers without readiness probes are ready while running
 * (after their startup probe). */
#include "runtime_status.h"
#include "json_path.h"
#include "simulate_status.h"
#include <stdio.h>
#include <string.h>

void rt_rfc3339(long long ms, char *buf, size_t len) { sim_rfc3339(ms, buf, len); }

/* Running as kubelet reports it: its postStart handler returned (kubelet's pod worker waits for it before
 * the next status). */
static bool ctr_running(const rt_ctr *c) { return c->state == CTR_RUNNING && !c->hook_pid; }

/* Running and past its startup probe (if any). */
static bool ctr_started(const rt_ctr *c) {
  return ctr_running(c) && (!c->startup.spec || c->startup.ok);
}

/* Init containers: completed; others: started and passing readiness (if any). */
static bool ctr_ready(const rt_ctr *c) {
  if (c->init) return c->state == CTR_TERMINATED && c->term.exit_code == 0;
  return ctr_started(c) && (!c->readiness.spec || c->readiness.ok);
}

const char *rt_pod_phase(const json_t *pod, const rt_pod_state *st) {
  const char *policy = json_str(json_object_get(pod, "spec"), "restartPolicy") ?: "Always";
  if (st->deadline_exceeded) return "Failed"; /* kubelet's ShouldEvict */
  int pending_init = 0, failed_init = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (int i = 0; i < st->nctrs; i++) {
    const rt_ctr *c = &st->ctrs[i];
    if (c->init) {
      if (c->state == CTR_RUNNING) pending_init++;
      else if (c->state == CTR_TERMINATED) failed_init += c->term.exit_code != 0;
      else if (c->has_last) failed_init += c->last.exit_code != 0;
      else pending_init++;
      continue;
    }
    if (ctr_running(c)) running++;
    else if (c->state == CTR_RUNNING) waiting++;
    else if (c->state == CTR_TERMINATED) stopped++, succeeded += c->term.exit_code == 0;
    else if (c->has_last) stopped++;
    else waiting++;
  }
  if (failed_init && !strcmp(policy, "Never")) return "Failed";
  if (pending_init || waiting) return "Pending";
  if (running) return "Running";
  if (stopped) {
    if (!strcmp(policy, "Always")) return "Running";
    if (stopped == succeeded) return "Succeeded";
    if (!strcmp(policy, "Never")) return "Failed";
    return "Running";
  }
  return "Pending";
}

/* "containers with <what> status: [a b]" over the init or app containers
 * that are not ready; false when all are. */
static bool unready(const rt_pod_state *st, bool init, const char *what, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "containers with %s status: [", what);
  int count = 0;
  for (int i = 0; i < st->nctrs; i++) {
    const rt_ctr *c = &st->ctrs[i];
    if (c->init != init || ctr_ready(c)) continue;
    if (n < len) n += (size_t)snprintf(buf + n, len - n, "%s%s", count++ ? " " : "", c->name);
  }
  if (n < len) snprintf(buf + n, len - n, "]");
  return count > 0;
}

static json_t *run_json(const rt_run *r) {
  char s[32], f[32];
  rt_rfc3339(r->started_ms, s, sizeof s);
  rt_rfc3339(r->finished_ms, f, sizeof f);
  json_t *t = json_pack("{s:i}", "exitCode", r->exit_code);
  if (r->signal) json_object_set_new(t, "signal", json_integer(r->signal));
  json_object_set_new(t, "reason", json_string(r->reason));
  if (r->message[0]) json_object_set_new(t, "message", json_string(r->message));
  json_object_set_new(t, "startedAt", json_string(s));
  json_object_set_new(t, "finishedAt", json_string(f));
  json_object_set_new(t, "containerID", json_string(r->container_id));
  return json_pack("{s:o}", "terminated", t);
}

static json_t *container_status(const rt_ctr *c, const char *image) {
  json_t *state;
  const char *cid = NULL;
  if (ctr_running(c)) {
    char s[32];
    rt_rfc3339(c->started_ms, s, sizeof s);
    state = json_pack("{s:{s:s}}", "running", "startedAt", s);
    cid = c->container_id;
  } else if (c->state == CTR_TERMINATED) {
    state = run_json(&c->term);
    cid = c->term.container_id;
  } else if (c->state == CTR_RUNNING) { /* its postStart handler runs */
    state = json_pack("{s:{s:s}}", "waiting", "reason", "ContainerCreating");
    if (c->has_last) cid = c->last.container_id;
  } else {
    state = json_pack("{s:{s:s}}", "waiting", "reason", c->reason);
    if (c->message[0]) json_object_set_new(json_object_get(state, "waiting"), "message", json_string(c->message));
    if (c->has_last) cid = c->last.container_id;
  }
  char iid[600] = "";
  if (c->ever_started) sim_image_id(image, iid, sizeof iid);
  json_t *s = json_pack("{s:s,s:o,s:o,s:b,s:i,s:s,s:s}", "name", c->name, "state", state, "lastState",
                        c->has_last ? run_json(&c->last) : json_object(), "ready", ctr_ready(c), "restartCount",
                        c->restarts, "image", image, "imageID", iid);
  if (cid && *cid) json_object_set_new(s, "containerID", json_string(cid));
  json_object_set_new(s, "started", json_boolean(ctr_started(c)));
  return s;
}

json_t *rt_pod_status(const json_t *pod, const rt_pod_state *st, long long now_ms) {
  char now[32], start[32], msg[1024];
  rt_rfc3339(now_ms, now, sizeof now);
  rt_rfc3339(st->start_ms, start, sizeof start);
  const char *phase = rt_pod_phase(pod, st);
  bool done = !strcmp(phase, "Succeeded");
  json_t *conds = json_array();
  bool init_pending = unready(st, true, "incomplete", msg, sizeof msg);
  if (!st->ninit || done) json_array_append_new(conds, sim_pod_condition(pod, "Initialized", true, done && st->ninit ? "PodCompleted" : NULL, NULL, now));
  else json_array_append_new(conds, sim_pod_condition(pod, "Initialized", !init_pending, init_pending ? "ContainersNotInitialized" : NULL,
                                              init_pending ? msg : NULL, now));
  bool not_ready = unready(st, false, "unready", msg, sizeof msg);
  const char *reason = done ? "PodCompleted" : not_ready ? "ContainersNotReady" : NULL;
  json_array_append_new(conds, sim_pod_condition(pod, "Ready", !done && !not_ready, reason, not_ready && !done ? msg : NULL, now));
  json_array_append_new(conds, sim_pod_condition(pod, "ContainersReady", !done && !not_ready, reason, not_ready && !done ? msg : NULL, now));
  json_array_append_new(conds, sim_pod_condition(pod, "PodScheduled", true, NULL, NULL, now));
  json_t *status = json_pack("{s:s,s:o,s:s,s:s,s:[{s:s}],s:s}", "phase", phase, "conditions", conds, "hostIP",
                             st->host_ip, "podIP", st->ip, "podIPs", "ip", st->ip, "startTime", start);
  json_t *inits = json_array(), *apps = json_array();
  const json_t *spec = json_object_get(pod, "spec");
  for (int i = 0; i < st->nctrs; i++) {
    const rt_ctr *c = &st->ctrs[i];
    const json_t *sc = json_array_get(json_object_get(spec, c->init ? "initContainers" : "containers"),
                                      (size_t)(c->init ? i : i - st->ninit));
    json_array_append_new(c->init ? inits : apps, container_status(c, json_str(sc, "image") ?: ""));
  }
  if (st->ninit) json_object_set_new(status, "initContainerStatuses", inits);
  else json_decref(inits);
  json_object_set_new(status, "containerStatuses", apps);
  if (st->deadline_exceeded) {
    json_object_set_new(status, "reason", json_string(SIM_DEADLINE_REASON));
    json_object_set_new(status, "message", json_string(SIM_DEADLINE_MESSAGE));
  }
  const char *qos = json_str(json_object_get(pod, "status"), "qosClass"); /* set by the server at creation */
  if (qos) json_object_set_new(status, "qosClass", json_string(qos));
  return status;
}
