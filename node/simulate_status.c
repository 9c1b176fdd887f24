/* simulate_status.c - see simulate_status.h. The status mirrors kubelet
 * 1.20's status manager: conditions Initialized, Ready, ContainersReady,
 * PodScheduled (a condition keeps its lastTransitionTime while its status
 * stays), containerd-style container and image IDs derived from the pod's
 * uid and image so they are stable across writes. */
#include "simulate_status.h"
#include "conditions.h"
#include "json_path.h"
#include "timestamp.h"
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANN_RUN_SECONDS "ckube.io/simulate-run-seconds"
#define ANN_EXIT_CODE "ckube.io/simulate-exit-code"
#define ANN_READY "ckube.io/simulate-ready"

static regex_t unpullable;
static bool have_unpullable;

int sim_set_unpullable_images(const char *regex) {
  if (have_unpullable) regfree(&unpullable);
  have_unpullable = false;
  if (!regex || !*regex) return 0;
  if (regcomp(&unpullable, regex, REG_EXTENDED | REG_NOSUB)) return -1;
  have_unpullable = true;
  return 0;
}

const char *sim_unpullable_image(const json_t *pod) {
  if (!have_unpullable) return NULL;
  static const char *const lists[] = {"initContainers", "containers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c) {
      const char *image = json_string_value(json_object_get(c, "image"));
      if (image && !regexec(&unpullable, image, 0, NULL, 0)) return image;
    }
  }
  return NULL;
}

void sim_rfc3339(long long ms, char *buf, size_t len) { rfc3339_format(ms / 1000, buf, len); }

/* Milliseconds of an RFC 3339 time, 0 when absent or unreadable. */
static long long parse_rfc3339_ms(const char *s) {
  long long ms = rfc3339_ms(s);
  return ms > 0 ? ms : 0;
}

static const char *annotation(const json_t *pod, const char *key) {
  return json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"), key));
}

/* What the first container's command does when it is one of the few
 * idioms whose outcome needs no process to know: "sleep N" (N seconds),
 * "sleep infinity" and "tail -f /dev/null" (forever: *ms = -1), "exit N",
 * "false" and "true" (at once), bare or under "sh -c". False otherwise. */
static bool known_command(const json_t *pod, long *ms, int *code) {
  const json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
  char words[8][128];
  int n = 0;
  static const char *const parts[] = {"command", "args", NULL};
  for (int p = 0; parts[p]; p++) {
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(c, parts[p]), i, w) {
      if (n == 8 || !json_is_string(w)) return false;
      snprintf(words[n++], sizeof words[0], "%s", json_string_value(w));
    }
  }
  char script[256] = "";
  if (n == 3 && (!strcmp(words[0], "sh") || !strcmp(words[0], "/bin/sh") || !strcmp(words[0], "bash") ||
                 !strcmp(words[0], "/bin/bash")) && !strcmp(words[1], "-c"))
    snprintf(script, sizeof script, "%s", words[2]);
  else
    for (int i = 0; i < n; i++)
      snprintf(script + strlen(script), sizeof script - strlen(script), "%s%s", i ? " " : "", words[i]);
  const char *cmd = script;
  if (!strncmp(cmd, "/bin/", 5)) cmd += 5;
  double secs;
  char rest[8];
  *code = 0;
  if (!strcmp(cmd, "sleep infinity") || !strcmp(cmd, "tail -f /dev/null")) *ms = -1;
  else if (sscanf(cmd, "sleep %lf%7s", &secs, rest) == 1 && secs >= 0) *ms = (long)(secs * 1000);
  else if (sscanf(cmd, "exit %d%7s", code, rest) == 1) *ms = 0;
  else if (!strcmp(cmd, "false")) *ms = 0, *code = 1;
  else if (!strcmp(cmd, "true")) *ms = 0;
  else return false;
  return true;
}

/* How long a container run lasts: the annotation, else what a known
 * command takes, else a second; -1 for forever. */
static long run_ms(const json_t *pod) {
  const char *v = annotation(pod, ANN_RUN_SECONDS);
  long ms;
  int code;
  if (!v && known_command(pod, &ms, &code)) return ms;
  double s = v ? strtod(v, NULL) : 1.0;
  return s < 0 ? 0 : (long)(s * 1000);
}

/* The exit code of a run: the annotation, else a known command's, else 0. */
static int exit_code(const json_t *pod) {
  const char *v = annotation(pod, ANN_EXIT_CODE);
  long ms;
  int code;
  if (v) return atoi(v);
  return known_command(pod, &ms, &code) ? code : 0;
}

void sim_hex_id(const char *a, const char *b, int n, char out[65]) {
  for (int part = 0; part < 4; part++) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(part * 7919 + n);
    for (const char *s = a; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ '/') * 1099511628211ull;
    for (const char *s = b; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    snprintf(out + part * 16, 17, "%016llx", (unsigned long long)h);
  }
}

/* "nginx:1.19" -> "docker.io/library/nginx@sha256:<digest>", as containerd reports it. */
void sim_image_id(const char *image, char *out, size_t len) {
  char repo[512], hex[65];
  snprintf(repo, sizeof repo, "%s", image);
  char *at = strchr(repo, '@');
  if (at) *at = 0;
  char *slash = strrchr(repo, '/'), *colon = strrchr(repo, ':');
  if (colon && (!slash || colon > slash)) *colon = 0;
  const char *first_slash = strchr(repo, '/');
  size_t first_len = first_slash ? (size_t)(first_slash - repo) : 0;
  bool registry = first_slash && (memchr(repo, '.', first_len) || memchr(repo, ':', first_len) ||
                                  !strncmp(repo, "localhost/", 10));
  const char *prefix = !first_slash ? "docker.io/library/" : registry ? "" : "docker.io/";
  sim_hex_id(image, "image", 0, hex);
  snprintf(out, len, "%s%s@sha256:%s", prefix, repo, hex);
}

json_t *sim_pod_condition(const json_t *pod, const char *type, bool ok, const char *reason, const char *message,
                          const char *now) {
  const char *status = ok ? "True" : "False";
  const json_t *old = cond_get(json_object_get(pod, "status"), type);
  const char *since = now;
  if (old && !strcmp(json_string_value(json_object_get(old, "status")) ?: "", status) &&
      json_string_value(json_object_get(old, "lastTransitionTime")))
    since = json_string_value(json_object_get(old, "lastTransitionTime"));
  json_t *c = json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status", status, "lastProbeTime", "lastTransitionTime",
                        since);
  if (reason) json_object_set_new(c, "reason", json_string(reason));
  if (message) json_object_set_new(c, "message", json_string(message));
  return c;
}

typedef enum { RUNNING, SUCCEEDED, FAILED } sim_phase;

/* "containers with unready status: [a b]" */
static void unready_message(const json_t *pod, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "containers with unready status: [");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
    if (n < len) n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", json_string_value(json_object_get(c, "name")) ?: "");
  if (n < len) snprintf(buf + n, len - n, "]");
}

static json_t *terminated(int code, long long started, long long finished, const char *cid) {
  char s[32], f[32];
  sim_rfc3339(started, s, sizeof s);
  sim_rfc3339(finished, f, sizeof f);
  return json_pack("{s:{s:i,s:s,s:s,s:s,s:s}}", "terminated", "exitCode", code, "reason", code ? "Error" : "Completed",
                   "startedAt", s, "finishedAt", f, "containerID", cid);
}

static json_t *container_statuses(const json_t *pod, const char *which, const sim_pod_state *st, sim_phase ph,
                                  int code, bool ready, long long now_ms, bool init) {
  const char *uid = json_path_str(pod, "metadata.uid") ?: "";
  json_t *out = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), which), i, c) {
    const char *name = json_string_value(json_object_get(c, "name")) ?: "";
    const char *image = json_string_value(json_object_get(c, "image")) ?: "";
    char hex[65], cid[80], prev_cid[80], iid[700], key[600];
    snprintf(key, sizeof key, "%s/%s", uid, name);
    sim_hex_id(key, which, init ? 0 : st->restarts, hex);
    snprintf(cid, sizeof cid, "containerd://%s", hex);
    sim_image_id(image, iid, sizeof iid);
    json_t *state, *last = json_object();
    bool running = !init && ph == RUNNING;
    if (init) state = terminated(0, st->pod_started_ms, st->pod_started_ms, cid);
    else if (running) {
      char at[32];
      sim_rfc3339(st->run_started_ms, at, sizeof at);
      state = json_pack("{s:{s:s}}", "running", "startedAt", at);
    } else state = terminated(code, st->run_started_ms, now_ms, cid);
    if (!init && st->restarts > 0) {
      json_decref(last);
      sim_hex_id(key, which, st->restarts - 1, hex);
      snprintf(prev_cid, sizeof prev_cid, "containerd://%s", hex);
      last = terminated(st->last_exit_code, st->last_started_ms, st->last_finished_ms, prev_cid);
    }
    json_t *cs = json_pack("{s:s,s:o,s:o,s:b,s:i,s:s,s:s,s:s}", "name", name, "state", state, "lastState", last,
                           "ready", init ? 1 : running && ready, "restartCount", init ? 0 : st->restarts, "image",
                           image, "imageID", iid, "containerID", cid);
    if (!init) json_object_set_new(cs, "started", json_boolean(running));
    json_array_append_new(out, cs);
  }
  return out;
}

/* The longest readinessProbe.initialDelaySeconds of the pod's containers,
 * in ms: kubelet runs no readiness probe before it, so the container is not
 * Ready before it (the simulated probes succeed once they run). */
static long readiness_delay_ms(const json_t *pod) {
  long delay = 0;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
    const json_t *probe = json_object_get(c, "readinessProbe");
    long d = (long)json_integer_value(json_object_get(probe, "initialDelaySeconds")) * 1000;
    if (d > delay) delay = d;
  }
  return delay;
}

static json_t *build_status(const json_t *pod, const sim_pod_state *st, const char *host_ip, const char *pod_ip,
                            sim_phase ph, int code, long long now_ms) {
  char now[32], start[32], msg[1024];
  sim_rfc3339(now_ms, now, sizeof now);
  sim_rfc3339(st->pod_started_ms, start, sizeof start);
  const char *ready_ann = annotation(pod, ANN_READY);
  bool ready = !(ready_ann && !strcmp(ready_ann, "false")) && now_ms >= st->run_started_ms + readiness_delay_ms(pod);
  unready_message(pod, msg, sizeof msg);
  const char *have_ip = json_path_str(pod, "status.podIP");
  const char *ip = have_ip && *have_ip ? have_ip : pod_ip;
  json_t *conds = json_array();
  json_array_append_new(conds, sim_pod_condition(pod, "Initialized", true, NULL, NULL, now));
  if (ph == RUNNING && ready) {
    json_array_append_new(conds, sim_pod_condition(pod, "Ready", true, NULL, NULL, now));
    json_array_append_new(conds, sim_pod_condition(pod, "ContainersReady", true, NULL, NULL, now));
  } else {
    const char *reason = ph == SUCCEEDED ? "PodCompleted" : "ContainersNotReady";
    const char *m = ph == SUCCEEDED ? NULL : msg;
    json_array_append_new(conds, sim_pod_condition(pod, "Ready", false, reason, m, now));
    json_array_append_new(conds, sim_pod_condition(pod, "ContainersReady", false, reason, m, now));
  }
  json_array_append_new(conds, sim_pod_condition(pod, "PodScheduled", true, NULL, NULL, now));
  static const char *const phases[] = {"Running", "Succeeded", "Failed"};
  json_t *status = json_pack("{s:s,s:o,s:s,s:s,s:[{s:s}],s:s,s:o}", "phase", phases[ph], "conditions", conds,
                             "hostIP", host_ip, "podIP", ip, "podIPs", "ip", ip, "startTime", start,
                             "containerStatuses",
                             container_statuses(pod, "containers", st, ph, code, ready, now_ms, false));
  if (json_array_size(json_object_get(json_object_get(pod, "spec"), "initContainers")))
    json_object_set_new(status, "initContainerStatuses",
                        container_statuses(pod, "initContainers", st, ph, code, ready, now_ms, true));
  return status;
}

/* A Pending status (not Ready, containers waiting as statuses says). */
static json_t *pending_status(const json_t *pod, const sim_pod_state *st, const char *host_ip, long long now_ms,
                              json_t *statuses) {
  char now[32], start[32], msg[1024];
  sim_rfc3339(now_ms, now, sizeof now);
  sim_rfc3339(st->pod_started_ms, start, sizeof start);
  unready_message(pod, msg, sizeof msg);
  json_t *conds = json_array();
  json_array_append_new(conds, sim_pod_condition(pod, "Initialized", true, NULL, NULL, now));
  json_array_append_new(conds, sim_pod_condition(pod, "Ready", false, "ContainersNotReady", msg, now));
  json_array_append_new(conds, sim_pod_condition(pod, "ContainersReady", false, "ContainersNotReady", msg, now));
  json_array_append_new(conds, sim_pod_condition(pod, "PodScheduled", true, NULL, NULL, now));
  return json_pack("{s:s,s:o,s:s,s:s,s:o}", "phase", "Pending", "conditions", conds, "hostIP", host_ip, "startTime",
                   start, "containerStatuses", statuses);
}

/* A container waiting: its status entry. waiting is stolen. */
static json_t *waiting_entry(const json_t *c, json_t *waiting) {
  return json_pack("{s:s,s:{s:o},s:{},s:b,s:i,s:s,s:s,s:b}", "name",
                   json_string_value(json_object_get(c, "name")) ?: "", "state", "waiting", waiting, "lastState",
                   "ready", 0, "restartCount", 0, "image", json_string_value(json_object_get(c, "image")) ?: "",
                   "imageID", "", "started", 0);
}

/* Containers waiting for an image that does not pull: ErrImagePull on the
 * first failure, ImagePullBackOff after. */
static json_t *pull_failed_status(const json_t *pod, const sim_pod_state *st, const char *host_ip, long long now_ms) {
  char why[1024];
  bool backoff = st->pull_failures > 1;
  json_t *statuses = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
    const char *image = json_string_value(json_object_get(c, "image")) ?: "";
    if (backoff) snprintf(why, sizeof why, "Back-off pulling image \"%s\"", image);
    else
      snprintf(why, sizeof why,
               "rpc error: code = NotFound desc = failed to pull and unpack image \"%s\": not found", image);
    json_array_append_new(statuses, waiting_entry(c, json_pack("{s:s,s:s}", "reason",
                                                               backoff ? "ImagePullBackOff" : "ErrImagePull",
                                                               "message", why)));
  }
  return pending_status(pod, st, host_ip, now_ms, statuses);
}

/* Container config_container waiting with CreateContainerConfigError (the
 * others are still being created). */
static json_t *config_failed_status(const json_t *pod, const sim_pod_state *st, const char *host_ip, long long now_ms) {
  json_t *statuses = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
    const char *name = json_string_value(json_object_get(c, "name")) ?: "";
    json_array_append_new(statuses, waiting_entry(c, strcmp(name, st->config_container)
                                                         ? json_pack("{s:s}", "reason", "ContainerCreating")
                                                         : json_pack("{s:s,s:s}", "reason",
                                                                     "CreateContainerConfigError", "message",
                                                                     st->config_error)));
  }
  return pending_status(pod, st, host_ip, now_ms, statuses);
}

/* Takes over a pod this simulation (or a previous run of it) already
 * started: its start time and restarts come from the stored status. */
static void adopt(const json_t *pod, sim_pod_state *st) {
  const json_t *status = json_object_get(pod, "status");
  st->started = true;
  st->pod_started_ms = parse_rfc3339_ms(json_string_value(json_object_get(status, "startTime")));
  const json_t *cs = json_array_get(json_object_get(status, "containerStatuses"), 0);
  const char *at = json_path_str(cs, "state.running.startedAt");
  st->run_started_ms = at ? parse_rfc3339_ms(at) : st->pod_started_ms;
  st->restarts = (int)json_integer_value(json_object_get(cs, "restartCount"));
}

/* Keeps the sooner of two recheck delays (0: none). */
static void soonest(long *recheck_ms, long long ms) {
  if (ms > 0 && (*recheck_ms <= 0 || ms < *recheck_ms)) *recheck_ms = (long)ms;
}

/* spec.activeDeadlineSeconds in ms, or -1. */
static long long active_deadline_ms(const json_t *pod) {
  const json_t *v = json_object_get(json_object_get(pod, "spec"), "activeDeadlineSeconds");
  return json_is_integer(v) ? (long long)json_integer_value(v) * 1000 : -1;
}

bool sim_past_active_deadline(const json_t *pod, long long started_ms, long long now_ms, long long *due_ms) {
  long long deadline = active_deadline_ms(pod);
  if (due_ms) *due_ms = deadline >= 0 && started_ms > 0 ? started_ms + deadline : -1;
  return deadline >= 0 && started_ms > 0 && now_ms >= started_ms + deadline;
}

/* Kubelet's verdict once a pod outlives its activeDeadlineSeconds: Failed,
 * DeadlineExceeded, its containers killed (exit code 137). */
static json_t *deadline_status(const json_t *pod, const sim_pod_state *st, const char *host_ip, const char *pod_ip,
                               long long now_ms) {
  json_t *status = build_status(pod, st, host_ip, pod_ip, FAILED, 137, now_ms);
  json_object_set_new(status, "reason", json_string(SIM_DEADLINE_REASON));
  json_object_set_new(status, "message", json_string(SIM_DEADLINE_MESSAGE));
  return status;
}

sim_action sim_pod_step(const json_t *pod, sim_pod_state *st, const char *host_ip, const char *pod_ip,
                        long long now_ms, json_t **status, long *recheck_ms) {
  *status = NULL;
  *recheck_ms = 0;
  if (json_path_str(pod, "metadata.deletionTimestamp")) return SIM_DELETE;
  const char *phase = json_path_str(pod, "status.phase") ?: "";
  if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")) st->finished = true;
  if (st->finished) return SIM_NOTHING;
  const char *policy = json_path_str(pod, "spec.restartPolicy") ?: "Always";
  long run = run_ms(pod);
  bool runs_forever = !strcmp(policy, "Always") || run < 0;
  if (!st->started && !strcmp(phase, "Running") && json_object_get(json_object_get(pod, "status"), "containerStatuses"))
    adopt(pod, st);
  const char *bad = st->started ? NULL : sim_unpullable_image(pod);
  if (bad) {
    /* retried like kubelet's back-off, so a fixed image starts the pod */
    if (!st->pull_failures) st->pod_started_ms = now_ms;
    st->pull_failures++;
    *recheck_ms = 10000;
    if (st->pull_failures > 2) return SIM_NOTHING; /* ErrImagePull, then ImagePullBackOff, written once each */
    *status = pull_failed_status(pod, st, host_ip, now_ms);
    return SIM_WRITE_STATUS;
  }
  if (!st->started && st->config_error[0]) {
    /* kubelet retries on every sync, and at once when the pod changes */
    if (!st->pod_started_ms) st->pod_started_ms = now_ms;
    *recheck_ms = 10000;
    if (!strcmp(st->config_shown, st->config_error)) return SIM_NOTHING;
    snprintf(st->config_shown, sizeof st->config_shown, "%s", st->config_error);
    *status = config_failed_status(pod, st, host_ip, now_ms);
    return SIM_WRITE_STATUS;
  }
  if (!st->started) {
    st->started = true;
    st->pod_started_ms = st->run_started_ms = now_ms;
    st->restarts = 0;
    *status = build_status(pod, st, host_ip, pod_ip, RUNNING, 0, now_ms);
    long delay = readiness_delay_ms(pod);
    st->ready_pending = delay > 0 && runs_forever;
    *recheck_ms = st->ready_pending ? delay : runs_forever ? 0 : run > 0 ? run : 1;
    soonest(recheck_ms, active_deadline_ms(pod));
    return SIM_WRITE_STATUS;
  }
  long long deadline_due;
  if (sim_past_active_deadline(pod, st->pod_started_ms, now_ms, &deadline_due)) {
    st->finished = true;
    *status = deadline_status(pod, st, host_ip, pod_ip, now_ms);
    return SIM_WRITE_STATUS;
  }
  if (deadline_due >= 0) *recheck_ms = (long)(deadline_due - now_ms);
  if (st->ready_pending) {
    long long due = st->run_started_ms + readiness_delay_ms(pod);
    if (now_ms < due) {
      soonest(recheck_ms, due - now_ms);
      return SIM_NOTHING;
    }
    st->ready_pending = false;
    *status = build_status(pod, st, host_ip, pod_ip, RUNNING, 0, now_ms);
    return SIM_WRITE_STATUS;
  }
  if (runs_forever) return SIM_NOTHING;
  long long due = st->run_started_ms + run;
  if (now_ms < due) {
    soonest(recheck_ms, due - now_ms);
    return SIM_NOTHING;
  }
  int code = exit_code(pod);
  if (code == 0 || !strcmp(policy, "Never")) {
    st->finished = true;
    *status = build_status(pod, st, host_ip, pod_ip, code ? FAILED : SUCCEEDED, code, now_ms);
    return SIM_WRITE_STATUS;
  }
  st->last_started_ms = st->run_started_ms;
  st->last_finished_ms = now_ms;
  st->last_exit_code = code;
  st->restarts++;
  st->run_started_ms = now_ms;
  *status = build_status(pod, st, host_ip, pod_ip, RUNNING, 0, now_ms);
  soonest(recheck_ms, run > 1000 ? run : 1000); /* a restart loop turns at most once a second */
  return SIM_WRITE_STATUS;
}
