/* runtime_pods.c - see runtime_pods.h. The watch (pod_watch.h) keeps the
 * latest version of each pod bound here (by uid) and splits them into
 * RUNNERS shards; one runner thread per shard, with its own API connection,
 * alone starts, reaps and signals its pods' processes and writes their
 * statuses and events, one pass over its pods per wake-up (at least every
 * 200 ms, so exits and back-off ends are seen quickly). So a hundred pods
 * start side by side while each pod's status is written by one thread, in
 * order. Shared between runners: the address table (runtime_ips.h). Runner 0 also
 * reports metrics (reading the other runners' pods under their locks).
 * Per pod the on-disk state is DIR/pods/<uid>/pod.json and
 * containers/<name>/{<restart>.log,pid}. Starting one container is
 * runtime_start.c's. */
#include "runtime_pods_internal.h"
#include "timestamp.h"
#include "https_client.h"
#include "log.h"
#include "pod_network.h"
#include "pod_volumes.h"
#include "pod_watch.h"
#include "pod_admission.h"
#include "builtin_http.h"
#include "pod_dns.h"
#include "pod_cgroup.h"
#include "event_queue.h"
#include "real_metrics.h"
#include "runtime.h"
#include "runtime_env.h"
#include "runtime_hooks.h"
#include "runtime_ips.h"
#include "image_setuid.h"
#include "runtime_proc.h"
#include "runtime_status.h"
#include "runtime_termination.h"
#include "simulate_config.h"
#include "simulate_status.h"
#include "strmap.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void poststart_done(rt_pods *p, rpod *rp, rt_ctr *c, int wstatus, long long now);
static void prestop_failed(rt_pods *p, rpod *rp, rt_ctr *c, int wstatus);

/* ---- pods ---- */

static json_t *get_pv(void *ctx, const char *name) {
  char path[600];
  snprintf(path, sizeof path, "/api/v1/persistentvolumes/%s", name);
  json_t *out = NULL;
  if (https_call(ctx, "GET", path, NULL, NULL, &out) == 200) return out;
  json_decref(out);
  return NULL;
}

static int post_token(void *ctx, const char *path, const json_t *body, json_t **out) {
  return https_call(ctx, "POST", path, body, NULL, out);
}

/* An object the API answers 404 for (not a connection or server error): an optional volume source that is gone. */
static int object_absent(void *ctx, const char *plural, const char *ns, const char *name) {
  char path[800];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/%s/%s", ns, plural, name);
  json_t *out = NULL;
  int code = https_call(ctx, "GET", path, NULL, NULL, &out);
  json_decref(out);
  return code == 404;
}

vol_ctx rt_volume_context(rpod *rp) {
  if (!rp->tokens) rp->tokens = json_object();
  return (vol_ctx){.pod = rp->pod, .pod_dir = rp->dir, .pod_ip = rp->st.ip, .host_ip = rp->st.host_ip,
                   .get = sim_get_object, .ctx = rp->client, .absent = object_absent, .get_pv = get_pv,
                   .post = post_token, .tokens = rp->tokens};
}

const json_t *rt_spec_container(const rpod *rp, const rt_ctr *c) {
  const json_t *spec = json_object_get(rp->pod, "spec");
  const json_t *list = json_object_get(spec, c->init ? "initContainers" : "containers");
  size_t i;
  json_t *x;
  json_array_foreach(list, i, x) if (!strcmp(sget(x, "name") ?: "", c->name)) return x;
  return NULL;
}

void rt_event(rt_pods *p, rpod *rp, const rt_ctr *c, const char *type, const char *reason, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  evq_post(p->events, rp->pod, c && c->init ? "initContainers" : "containers", c ? c->name : NULL, type,
                 reason, msg);
}

/* The pod's address and its node's (a hostNetwork pod has the node's). */
static void allocate_ip(rt_pods *p, rpod *rp) {
  snprintf(rp->st.host_ip, sizeof rp->st.host_ip, "%s", p->host_ip);
  if (json_is_true(json_object_get(json_object_get(rp->pod, "spec"), "hostNetwork")))
    snprintf(rp->st.ip, sizeof rp->st.ip, "%s", p->host_ip);
  else
    rt_ips_take(&p->ips, sget(json_object_get(rp->pod, "status"), "podIP"), rp->st.ip, sizeof rp->st.ip);
}

/* The restart count and start time the API already shows (an agent restart). */
static int old_restarts(const json_t *pod, const char *name, bool init) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(json_object_get(pod, "status"), init ? "initContainerStatuses" : "containerStatuses"), i, s)
    if (!strcmp(sget(s, "name") ?: "", name)) return (int)json_integer_value(json_object_get(s, "restartCount"));
  return 0;
}


static void write_pod_json(rpod *rp) {
  char path[2200];
  snprintf(path, sizeof path, "%s/pod.json", rp->dir);
  json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "namespace", meta(rp->pod, "namespace") ?: "", "name",
                        meta(rp->pod, "name") ?: "", "uid", rp->uid, "ip", rp->st.ip);
  char tmp[2300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (!json_dump_file(o, tmp, JSON_COMPACT)) rename(tmp, path);
  json_decref(o);
}

static rpod *new_pod(rt_pods *p, https_client *client, const json_t *pod) {
  rpod *rp = calloc(1, sizeof *rp);
  rp->client = client;
  snprintf(rp->uid, sizeof rp->uid, "%s", meta(pod, "uid"));
  snprintf(rp->dir, sizeof rp->dir, "%s/pods/%s", p->data_dir, rp->uid);
  rp->pod = json_incref((json_t *)pod);
  const char *phase = sget(json_object_get(pod, "status"), "phase") ?: "";
  rp->skip = !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
  if (!rp->skip && !pod_admit(p->events, client, pod)) rp->skip = true; /* refused: Failed, NodePorts */
  const json_t *spec = json_object_get(pod, "spec");
  size_t ninit = json_array_size(json_object_get(spec, "initContainers"));
  size_t n = ninit + json_array_size(json_object_get(spec, "containers"));
  rp->st.ctrs = calloc(n ? n : 1, sizeof *rp->st.ctrs);
  rp->st.nctrs = (int)n;
  rp->st.ninit = (int)ninit;
  for (size_t i = 0; i < n; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    c->init = i < ninit;
    const json_t *sc = json_array_get(json_object_get(spec, c->init ? "initContainers" : "containers"),
                                      c->init ? i : i - ninit);
    snprintf(c->name, sizeof c->name, "%s", sget(sc, "name") ?: "");
    snprintf(c->reason, sizeof c->reason, "%s", ninit ? "PodInitializing" : "ContainerCreating");
    c->restarts = old_restarts(pod, c->name, c->init);
  }
  if (rp->skip) return rp;
  allocate_ip(p, rp);
  long long start_ms = rfc3339_ms(sget(json_object_get(pod, "status"), "startTime"));
  rp->st.start_ms = start_ms > 0 ? start_ms : 0;
  if (!rp->st.start_ms) rp->st.start_ms = wall_ms();
  for (int i = 0; i < rp->st.nctrs; i++) {
    char d[2400];
    snprintf(d, sizeof d, "%s/containers/%s", rp->dir, rp->st.ctrs[i].name);
    rt_mkdirs(d, 0755);
  }
  write_pod_json(rp);
  if (p->cfg.pod_netns && strcmp(rp->st.ip, p->host_ip)) {
    char err[256];
    if (podnet_create(p->cfg.net, rp->st.ip, err, sizeof err) == 0) rp->netns = true;
    else rt_event(p, rp, NULL, "Warning", "FailedCreatePodSandBox",
               "Failed to create pod sandbox: %s; the pod shares the node's network", err);
  }
  return rp;
}

static void free_pod(rpod *rp) {
  for (int i = 0; i < rp->st.nctrs; i++) rt_drop_run(&rp->st.ctrs[i]);
  json_decref(rp->pod);
  json_decref(rp->written);
  json_decref(rp->tokens);
  free(rp->st.ctrs);
  free(rp->hooks);
  free(rp);
}

void rt_pid_path(const rpod *rp, const rt_ctr *c, char *out, size_t len) {
  snprintf(out, len, "%s/containers/%s/pid", rp->dir, c->name);
}


/* Forgets what only a running container has: probes, environment. */
void rt_drop_run(rt_ctr *c) {
  rt_probe_disarm(&c->liveness);
  rt_probe_disarm(&c->readiness);
  rt_probe_disarm(&c->startup);
  rt_env_free(c->env);
  c->env = NULL;
}

/* kubelet's termination message (runtime_termination.h), once the log thread wrote the run's last output. */
static void termination_message(rpod *rp, rt_ctr *c, rt_run *t) {
  char msg_file[2400], log_file[2400];
  snprintf(msg_file, sizeof msg_file, "%s/containers/%s/termination-log", rp->dir, c->name);
  snprintf(log_file, sizeof log_file, "%s/containers/%s/%d.log", rp->dir, c->name, c->restarts);
  const char *policy = sget(rt_spec_container(rp, c), "terminationMessagePolicy") ?: "";
  bool fallback = !strcmp(policy, "FallbackToLogsOnError");
  if (fallback && t->exit_code) rt_log_wait(c->pid, LOG_DRAIN_MS);
  rt_termination_message(msg_file, log_file, t->exit_code, fallback, t->message, sizeof t->message);
}

/* A postStart handler still running when its container is gone: killed and reaped. */
static void kill_hook(rt_ctr *c) {
  if (c->hook_pid <= 0) return;
  rt_signal_group(c->hook_pid, SIGKILL);
  waitpid(c->hook_pid, NULL, 0);
  c->hook_pid = 0;
}

/* The container's main process exited: record how and kill what is left of its group. */
static void exited(rt_pods *p, rpod *rp, rt_ctr *c, int wstatus, long long now) {
  rt_signal_group(c->pid, SIGKILL);
  kill_hook(c);
  char pp[2400];
  rt_pid_path(rp, c, pp, sizeof pp);
  unlink(pp);
  rt_run *t = &c->term;
  memset(t, 0, sizeof *t);
  t->started_ms = c->started_ms;
  t->finished_ms = now;
  t->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  bool oom = p->cgroups && c->oom_base >= 0 && cg_oom_kills(p->cgroups, rp->uid, c->name) > c->oom_base;
  snprintf(t->reason, sizeof t->reason, "%s", oom ? "OOMKilled" : t->exit_code ? "Error" : "Completed");
  snprintf(t->container_id, sizeof t->container_id, "%s", c->container_id);
  termination_message(rp, c, t);
  c->state = CTR_TERMINATED;
  c->pid = 0;
  c->kill_deadline_ms = 0;
  rt_drop_run(c);
}

static void reap(rt_pods *p, rpod *rp, long long now) {
  for (int i = 0; i < rp->st.nctrs; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    int ws;
    if (c->hook_pid > 0 && waitpid(c->hook_pid, &ws, WNOHANG) == c->hook_pid) poststart_done(p, rp, c, ws, now);
    if (c->state == CTR_RUNNING && c->pid > 0 && waitpid(c->pid, &ws, WNOHANG) == c->pid) exited(p, rp, c, ws, now);
    else if (c->state == CTR_RUNNING && c->kill_deadline_ms && now >= c->kill_deadline_ms) rt_signal_group(c->pid, SIGKILL);
  }
  for (int i = 0; i < rp->nhooks; i++) {
    int ws;
    if (rp->hooks[i] <= 0 || waitpid(rp->hooks[i], &ws, WNOHANG) != rp->hooks[i]) continue;
    rp->hooks[i] = 0;
    if (WIFEXITED(ws) && WEXITSTATUS(ws)) prestop_failed(p, rp, &rp->st.ctrs[i], ws); /* not one stopped by a signal */
  }
}

/* kubelet's killContainer: the Killing event with its message, SIGTERM to the container's group, SIGKILL
 * after the pod's terminationGracePeriodSeconds (reap); its probes stop. */
static void stop_container(rt_pods *p, rpod *rp, rt_ctr *c, const char *why, long long now) {
  const json_t *g = json_object_get(json_object_get(rp->pod, "spec"), "terminationGracePeriodSeconds");
  long long grace = json_is_integer(g) ? json_integer_value(g) : 30;
  rt_event(p, rp, c, "Normal", "Killing", "%s", why);
  rt_signal_group(c->pid, SIGTERM);
  c->kill_deadline_ms = now + grace * 1000;
  rt_probe_disarm(&c->liveness);
  rt_probe_disarm(&c->readiness);
  rt_probe_disarm(&c->startup);
}

/* A failed liveness or startup probe: kubelet kills the container and the restart policy takes over. */
static void kill_unhealthy(rt_pods *p, rpod *rp, rt_ctr *c, const char *which, long long now) {
  char why[400];
  snprintf(why, sizeof why, "Container %s failed %s probe, will be restarted", c->name, which);
  stop_container(p, rp, c, why, now);
}

/* Runs the running containers' probes: startup first, then liveness and readiness. */
static void probe(rt_pods *p, rpod *rp, long long now) {
  for (int i = rp->st.ninit; i < rp->st.nctrs; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    if (c->state != CTR_RUNNING || c->kill_deadline_ms) continue;
    const json_t *sc = rt_spec_container(rp, c);
    rt_probe_target t = {rp->st.ip, c->env, c->applets[0] ? c->applets : NULL, pod_dns_hostname(rp->pod),
                         rp->netns ? rp->st.ip : NULL, c->pid, c->rootfs, c->has_ident ? &c->ident : NULL,
                         c->applets_root[0] ? c->applets_root : NULL};
    char msg[1024];
    if (c->startup.spec && !c->startup.ok) {
      if (rt_probe_tick(&c->startup, sc, &t, now, msg, sizeof msg) == PROBE_FAILED) {
        rt_event(p, rp, c, "Warning", "Unhealthy", "Startup probe failed: %s", msg);
        if (c->startup.failures >= (int)(json_integer_value(json_object_get(c->startup.spec, "failureThreshold")) ?: 3))
          kill_unhealthy(p, rp, c, "startup", now);
      }
      continue;
    }
    if (rt_probe_tick(&c->liveness, sc, &t, now, msg, sizeof msg) == PROBE_FAILED) {
      rt_event(p, rp, c, "Warning", "Unhealthy", "Liveness probe failed: %s", msg);
      if (!c->liveness.ok) {
        kill_unhealthy(p, rp, c, "liveness", now);
        continue;
      }
    }
    if (rt_probe_tick(&c->readiness, sc, &t, now, msg, sizeof msg) == PROBE_FAILED)
      rt_event(p, rp, c, "Warning", "Unhealthy", "Readiness probe failed: %s", msg);
  }
}

/* Whether the restart policy restarts a container that exited with code. */
static bool restarts_after(const char *policy, int code) {
  return !strcmp(policy, "Always") || (!strcmp(policy, "OnFailure") && code != 0);
}

/* A container waiting for (or ready to) restart: CrashLoopBackOff while
 * the back-off runs, else started again. */
static void restart_or_wait(rt_pods *p, rpod *rp, rt_ctr *c, long long now) {
  if (c->state == CTR_TERMINATED) { /* just exited: its run becomes lastState */
    c->last = c->term;
    c->has_last = true;
    c->state = CTR_WAITING;
    c->reason[0] = 0;
  }
  long long wait, delay;
  if (!rt_backoff_try(&c->backoff, c->last.finished_ms, now, &wait, &delay)) {
    if (strcmp(c->reason, "CrashLoopBackOff")) {
      snprintf(c->reason, sizeof c->reason, "CrashLoopBackOff");
      rt_event(p, rp, c, "Warning", "BackOff", "Back-off restarting failed container");
    }
    snprintf(c->message, sizeof c->message, "back-off %llds restarting failed container=%s pod=%s_%s(%s)",
             delay / 1000, c->name, meta(rp->pod, "name") ?: "", meta(rp->pod, "namespace") ?: "", rp->uid);
    return;
  }
  c->restarts++;
  rt_start_container(p, rp, c, now);
}

/* Runs init containers in order, then the containers. */
static void advance(rt_pods *p, rpod *rp, long long now) {
  const char *policy = sget(json_object_get(rp->pod, "spec"), "restartPolicy") ?: "Always";
  for (int i = 0; i < rp->st.ninit; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    if (c->state == CTR_TERMINATED && c->term.exit_code == 0) continue;
    if (c->state == CTR_RUNNING) return;
    if (c->state == CTR_WAITING && !c->has_last) rt_start_container(p, rp, c, now);
    else if (c->state == CTR_TERMINATED && !strcmp(policy, "Never")) return; /* the pod failed */
    else restart_or_wait(p, rp, c, now);
    return;
  }
  for (int i = rp->st.ninit; i < rp->st.nctrs; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    if (!strcmp(c->reason, "PodInitializing")) snprintf(c->reason, sizeof c->reason, "ContainerCreating");
    if (c->hook_pid > 0) return; /* kubelet starts the next container once the postStart handler returned */
    if (c->state == CTR_RUNNING) continue;
    if (c->state == CTR_WAITING && !c->has_last) rt_start_container(p, rp, c, now);
    else if (c->state == CTR_WAITING || restarts_after(policy, c->term.exit_code)) restart_or_wait(p, rp, c, now);
  }
}

/* kubelet's format.Pod: name_namespace(uid). */
static void pod_desc(const rpod *rp, char *out, size_t len) {
  snprintf(out, len, "%s_%s(%s)", meta(rp->pod, "name") ?: "", meta(rp->pod, "namespace") ?: "", rp->uid);
}

/* Spawns container c's lifecycle handler `which` (postStart, preStop); 0 when it has none, -1 when it could not
 * start (kubelet's failure message in msg), else its pid. */
pid_t rt_spawn_hook(rpod *rp, rt_ctr *c, const char *which, char *msg, size_t len) {
  const json_t *sc = rt_spec_container(rp, c);
  const json_t *hook = json_object_get(json_object_get(sc, "lifecycle"), which);
  if (!rt_hook_present(hook)) return 0;
  char out[2400], err[512] = "";
  snprintf(out, sizeof out, "%s/containers/%s/%s.out", rp->dir, c->name, which);
  rt_hook_target t = {rp->st.ip, rp->netns ? rp->st.ip : NULL, pod_dns_hostname(rp->pod), c->pid, c->rootfs, c->env,
                      c->applets[0] ? c->applets : NULL, sget(sc, "workingDir"), out,
                      c->has_ident ? &c->ident : NULL, c->applets_root[0] ? c->applets_root : NULL};
  pid_t pid = rt_hook_spawn(hook, sc, &t, err, sizeof err);
  if (pid < 0) {
    char desc[512];
    pod_desc(rp, desc, sizeof desc);
    rt_hook_failure(hook, c->name, desc, -1, err, out, msg, len);
  }
  return pid;
}

/* Spawns a container's preStop hook; 0 or the pid. */
static pid_t prestop(rt_pods *p, rpod *rp, rt_ctr *c) {
  char msg[4096];
  pid_t pid = rt_spawn_hook(rp, c, "preStop", msg, sizeof msg);
  if (pid >= 0) return pid;
  rt_event(p, rp, c, "Warning", "FailedPreStopHook", "%s", msg);
  return 0;
}

/* A preStop hook that ran and failed: kubelet's FailedPreStopHook event (the stop goes on). */
static void prestop_failed(rt_pods *p, rpod *rp, rt_ctr *c, int wstatus) {
  char out[2400], desc[512], msg[4096];
  snprintf(out, sizeof out, "%s/containers/%s/preStop.out", rp->dir, c->name);
  pod_desc(rp, desc, sizeof desc);
  const json_t *hook = json_object_get(json_object_get(rt_spec_container(rp, c), "lifecycle"), "preStop");
  rt_hook_failure(hook, c->name, desc, wstatus, NULL, out, msg, sizeof msg);
  rt_event(p, rp, c, "Warning", "FailedPreStopHook", "%s", msg);
}

/* A postStart handler failed: kubelet's FailedPostStartHook event, then the container is killed
 * (SIGTERM, SIGKILL after the grace period) and the restart policy takes over. */
void rt_poststart_failed(rt_pods *p, rpod *rp, rt_ctr *c, const char *msg, long long now) {
  rt_event(p, rp, c, "Warning", "FailedPostStartHook", "%s", msg);
  stop_container(p, rp, c, "FailedPostStartHook", now);
}

/* The postStart handler of c returned with wstatus: on success its probes start, else it is killed. */
static void poststart_done(rt_pods *p, rpod *rp, rt_ctr *c, int wstatus, long long now) {
  c->hook_pid = 0;
  const json_t *sc = rt_spec_container(rp, c);
  if (rt_hook_succeeded(wstatus)) {
    rt_arm_probes(c, sc, now);
    return;
  }
  char out[2400], desc[512], msg[4096];
  snprintf(out, sizeof out, "%s/containers/%s/postStart.out", rp->dir, c->name);
  pod_desc(rp, desc, sizeof desc);
  rt_hook_failure(json_object_get(json_object_get(sc, "lifecycle"), "postStart"), c->name, desc, wstatus, NULL, out,
                  msg, sizeof msg);
  rt_poststart_failed(p, rp, c, msg, now);
}

static bool any_running(const rpod *rp) {
  for (int i = 0; i < rp->st.nctrs; i++)
    if (rp->st.ctrs[i].state == CTR_RUNNING) return true;
  return false;
}

static bool hooks_running(const rpod *rp) {
  for (int i = 0; i < rp->nhooks; i++)
    if (rp->hooks[i] > 0) return true;
  return false;
}

static void signal_all(rpod *rp, int sig) {
  for (int i = 0; i < rp->st.nctrs; i++) {
    if (rp->st.ctrs[i].state == CTR_RUNNING) rt_signal_group(rp->st.ctrs[i].pid, sig);
    if (rp->st.ctrs[i].hook_pid > 0) rt_signal_group(rp->st.ctrs[i].hook_pid, sig);
  }
  for (int i = 0; i < rp->nhooks; i++)
    if (rp->hooks[i] > 0) rt_signal_group(rp->hooks[i], sig);
}

/* Graceful termination of a pod being deleted; true once its final DELETE is sent. */
static bool terminate(rt_pods *p, rpod *rp, long long now) {
  long long grace = json_integer_value(json_object_get(json_object_get(rp->pod, "metadata"), "deletionGracePeriodSeconds"));
  if (rp->stop_stage == 0) {
    rp->st.stopping = true;
    rp->stop_deadline_ms = now + grace * 1000;
    rp->hooks = calloc((size_t)rp->st.nctrs + 1, sizeof *rp->hooks);
    rp->nhooks = rp->st.nctrs;
    for (int i = 0; i < rp->st.nctrs; i++) {
      rt_ctr *c = &rp->st.ctrs[i];
      if (c->state != CTR_RUNNING) continue;
      rt_event(p, rp, c, "Normal", "Killing", "Stopping container %s", c->name);
      pid_t h = prestop(p, rp, c);
      if (h > 0) rp->hooks[i] = h;
    }
    rp->stop_stage = 1;
  }
  if (rp->stop_stage == 1 && (!hooks_running(rp) || now >= rp->stop_deadline_ms)) {
    signal_all(rp, SIGTERM);
    rp->stop_stage = 2;
    if (rp->stop_deadline_ms < now + 2000) rp->stop_deadline_ms = now + 2000; /* kubelet's minimum after preStop */
  }
  if (rp->stop_stage == 2 && now >= rp->stop_deadline_ms && (any_running(rp) || hooks_running(rp))) {
    signal_all(rp, SIGKILL);
    rp->stop_stage = 3;
  }
  if (rp->stop_stage >= 4 || any_running(rp) || hooks_running(rp)) return rp->stop_stage >= 4;
  char path[1200];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", meta(rp->pod, "namespace") ?: "",
           meta(rp->pod, "name") ?: "");
  json_t *opts = json_pack("{s:s,s:s,s:i,s:{s:s}}", "kind", "DeleteOptions", "apiVersion", "v1", "gracePeriodSeconds",
                           0, "preconditions", "uid", rp->uid), *out = NULL;
  int code = https_call(rp->client, "DELETE", path, opts, NULL, &out);
  json_decref(out);
  json_decref(opts);
  if (code == 200 || code == 404 || code == 409) rp->stop_stage = 4;
  return rp->stop_stage == 4;
}

/* The pod outlived spec.activeDeadlineSeconds (kubelet's activeDeadlineHandler, the simulated nodes' rule):
 * the DeadlineExceeded event, its phase Failed from now on, its containers killed (SIGTERM, SIGKILL after the
 * grace period) and never restarted. */
static void deadline_exceeded(rt_pods *p, rpod *rp, long long now) {
  rp->st.deadline_exceeded = true;
  rt_event(p, rp, NULL, "Normal", SIM_DEADLINE_REASON, "%s", SIM_DEADLINE_MESSAGE);
  for (int i = 0; i < rp->st.nctrs; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    if (c->state != CTR_RUNNING) continue;
    char why[400];
    snprintf(why, sizeof why, "Stopping container %s", c->name);
    kill_hook(c);
    stop_container(p, rp, c, why, now);
  }
}

static void write_status(rt_pods *p, rpod *rp, long long now) {
  json_t *status = rt_pod_status(rp->pod, &rp->st, now);
  if (rp->written && json_equal(rp->written, status)) {
    json_decref(status);
    return;
  }
  char path[1200];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", meta(rp->pod, "namespace") ?: "",
           meta(rp->pod, "name") ?: "");
  json_t *patch = json_pack("{s:{s:s},s:O}", "metadata", "uid", rp->uid, "status", status), *out = NULL;
  int code = https_call(rp->client, "PATCH", path, patch, "application/merge-patch+json", &out);
  json_decref(patch);
  json_decref(out);
  if (code == 200) {
    json_decref(rp->written);
    rp->written = status;
    const char *phase = sget(status, "phase");
    rp->finished = (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")) && !any_running(rp); /* killed ones too */
  } else {
    if (code != 404) LOGW("ckube-node: PATCH %s: %d", path, code);
    json_decref(status);
  }
}

/* Kills whatever a pod runs, at once (its API object is gone). */
static void kill_pod(rpod *rp) {
  for (int i = 0; i < rp->st.nctrs; i++) {
    rt_ctr *c = &rp->st.ctrs[i];
    kill_hook(c);
    if (c->state != CTR_RUNNING) continue;
    rt_signal_group(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    c->state = CTR_TERMINATED;
  }
  for (int i = 0; i < rp->nhooks; i++)
    if (rp->hooks[i] > 0) {
      rt_signal_group(rp->hooks[i], SIGKILL);
      waitpid(rp->hooks[i], NULL, 0);
    }
}

static void forget_pod(rt_pods *p, rpod *rp) {
  kill_pod(rp);
  pod_admission_forget(rp->uid);
  cg_pod_remove(p->cgroups, rp->uid);
  vol_teardown(rp->dir);
  if (rp->netns) podnet_delete(rp->st.ip);
  if (!rp->skip && strcmp(rp->st.ip, p->host_ip)) rt_ips_release(&p->ips, rp->st.ip);
  rt_remove_tree(rp->dir);
  free_pod(rp);
}

/* One pass of a runner over its shard's pods. A runner connects when it
 * first has a pod (an idle agent keeps one connection, not RUNNERS). */
static void pass(runner *r) {
  rt_pods *p = r->p;
  pod_seen *seen = NULL;
  size_t n = pod_watch_snapshot(p->watch, r->shard, &seen);
  long long now = wall_ms();
  char err[512] = "";
  if (n && !r->client && !(r->client = https_client_open(p->cfg.kubeconfig, err, sizeof err))) {
    LOGW("runner %d cannot reach the server: %s", r->shard, err);
    pod_watch_free_seen(seen, n);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const char *uid = seen[i].uid;
    rpod *rp = strmap_get(r->pods, uid);
    if (seen[i].gone) {
      if (rp) {
        LOGI("pod %s/%s (%s) gone", meta(rp->pod, "namespace"), meta(rp->pod, "name"), rp->uid);
        forget_pod(p, strmap_remove(r->pods, uid));
      }
    } else {
      if (!rp) {
        rp = new_pod(p, r->client, seen[i].pod);
        strmap_put(r->pods, uid, rp);
        LOGI("pod %s/%s (%s) bound here%s", meta(rp->pod, "namespace"), meta(rp->pod, "name"), rp->uid,
             rp->skip ? ", already finished" : "");
      } else {
        json_decref(rp->pod);
        rp->pod = json_incref(seen[i].pod);
      }
      reap(p, rp, now);
      bool deleting = meta(rp->pod, "deletionTimestamp") != NULL;
      if (rp->skip) {
        if (deleting && rp->stop_stage < 4) terminate(p, rp, now);
      } else if (deleting) {
        if (!terminate(p, rp, now)) write_status(p, rp, now);
      } else if (!rp->finished) {
        if (!rp->st.deadline_exceeded && sim_past_active_deadline(rp->pod, rp->st.start_ms, now, NULL))
          deadline_exceeded(p, rp, now);
        if (!rp->st.deadline_exceeded) {
          advance(p, rp, now);
          probe(p, rp, now);
          if (p->cfg.mount_ns && now - rp->volumes_refreshed_ms >= VOLUME_REFRESH_MS) {
            vol_ctx vc = rt_volume_context(rp);
            vol_refresh(&vc);
            rp->volumes_refreshed_ms = now;
          }
        }
        write_status(p, rp, now);
      }
    }
  }
  pod_watch_free_seen(seen, n);
}

/* Every METRICS_MS: the running containers' usage to the server (runner 0,
 * each runner's pods read under its lock). */
static void report_metrics(rt_pods *p, long long now) {
  if (now - p->metrics_ms < METRICS_MS) return;
  p->metrics_ms = now;
  rm_begin(p->metrics, now);
  for (int k = 0; k < RUNNERS; k++) {
    runner *r = &p->runners[k];
    pthread_mutex_lock(&r->mu);
    strmap_iter it = {0};
    while (strmap_next(r->pods, &it)) {
      rpod *rp = it.value;
      for (int i = 0; i < rp->st.nctrs; i++) {
        const rt_ctr *c = &rp->st.ctrs[i];
        uint64_t cpu_ns, memory;
        if (c->state != CTR_RUNNING) continue;
        if (c->oom_base >= 0 && cg_usage(p->cgroups, rp->uid, c->name, &cpu_ns, &memory))
          rm_add_usage(p->metrics, meta(rp->pod, "namespace") ?: "", meta(rp->pod, "name") ?: "", rp->uid, c->name,
                       c->pid, cpu_ns, memory);
        else
          rm_add(p->metrics, meta(rp->pod, "namespace") ?: "", meta(rp->pod, "name") ?: "", rp->uid, c->name, c->pid);
      }
    }
    pthread_mutex_unlock(&r->mu);
  }
  rm_send(p->metrics, p->runners[0].client);
}

static bool watch_knows(void *watch, const char *uid) { return pod_watch_knows(watch, uid); }

/* Removes the directories (and cgroups) of pods no longer bound here (deleted while no
 * agent ran). A pod the watch knows is some runner's; one it forgot is
 * being forgotten by its runner, which removes the directory too. */
static void sweep(rt_pods *p) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/pods", p->data_dir);
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || pod_watch_knows(p->watch, e->d_name)) continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    vol_teardown(path);
    rt_remove_tree(path);
  }
  if (d) closedir(d);
  cg_sweep(p->cgroups, watch_knows, p->watch);
}

static void *run_main(void *arg) {
  runner *r = arg;
  rt_pods *p = r->p;
  while (!atomic_load(&p->stop)) {
    pthread_mutex_lock(&r->mu);
    pass(r);
    pthread_mutex_unlock(&r->mu);
    if (r->shard == 0) {
      report_metrics(p, wall_ms());
      if (!p->swept && pod_watch_listed(p->watch)) {
        sweep(p);
        p->swept = true;
      }
    }
    if (!atomic_load(&p->stop)) pod_watch_wait(p->watch, r->shard, PASS_MS);
  }
  return NULL;
}

rt_pods *rt_pods_start(const rt_config *cfg) {
  int killed = rt_reap_recorded(cfg->data_dir);
  if (killed) LOGI("killed %d container process groups left by an earlier agent", killed);
  rt_pods *p = calloc(1, sizeof *p);
  p->cfg = *cfg;
  char err[512] = "";
  if (!(p->runners[0].client = https_client_open(cfg->kubeconfig, err, sizeof err))) { /* runner 0 also reports metrics */
    LOGE("%s", err);
    free(p);
    return NULL;
  }
  p->watch = pod_watch_start(cfg->kubeconfig, cfg->node_name, RUNNERS);
  p->events = p->watch ? evq_start(cfg->kubeconfig) : NULL;
  if (!p->events) {
    pod_watch_stop(p->watch);
    https_client_close(p->runners[0].client);
    free(p);
    return NULL;
  }
  p->node_name = strdup(cfg->node_name);
  p->data_dir = strdup(cfg->data_dir);
  p->host_ip = strdup(cfg->host_ip);
  p->self_exe = strdup(cfg->self_exe);
  rt_ips_init(&p->ips, cfg->net);
  p->metrics = rm_new(cfg->node_name);
  char why[512] = "";
  if (cfg->mount_ns && !(p->cgroups = cg_open(cfg->node_name, why, sizeof why)))
    LOGW("containers run without cgroups (no resource limits, no OOMKilled, usage from /proc): %s", why);
  else if (p->cgroups)
    LOGI("pods get cgroup v%d limits", cg_version(p->cgroups));
  for (int k = 0; k < RUNNERS; k++) { /* all ready before any runs: runner 0 reads the others' pods */
    runner *r = &p->runners[k];
    r->p = p;
    r->shard = k;
    r->pods = strmap_new();
    pthread_mutex_init(&r->mu, NULL);
  }
  for (int k = 0; k < RUNNERS; k++) pthread_create(&p->runners[k].thread, NULL, run_main, &p->runners[k]);
  return p;
}

/* Every container of every pod: SIGTERM, up to a second, then SIGKILL;
 * their namespaces and pid files go. */
static void stop_all(rt_pods *p) {
  for (int k = 0; k < RUNNERS; k++) {
    strmap_iter it = {0};
    while (strmap_next(p->runners[k].pods, &it)) signal_all(it.value, SIGTERM);
  }
  for (int t = 0; t < 20; t++) {
    bool alive = false;
    for (int k = 0; k < RUNNERS; k++) {
      strmap_iter it = {0};
      while (strmap_next(p->runners[k].pods, &it)) {
        reap(p, it.value, wall_ms());
        alive = alive || any_running(it.value) || hooks_running(it.value);
      }
    }
    if (!alive) break;
    usleep(50000);
  }
  for (int k = 0; k < RUNNERS; k++) {
    strmap_iter it = {0};
    while (strmap_next(p->runners[k].pods, &it)) {
      rpod *rp = it.value;
      kill_pod(rp);
      cg_pod_remove(p->cgroups, rp->uid);
      vol_teardown(rp->dir);
      if (rp->netns) podnet_delete(rp->st.ip);
      for (int i = 0; i < rp->st.nctrs; i++) {
        char pp[2400];
        rt_pid_path(rp, &rp->st.ctrs[i], pp, sizeof pp);
        unlink(pp);
      }
      free_pod(rp);
    }
  }
}

void rt_pods_stop(rt_pods *p) {
  if (!p) return;
  atomic_store(&p->stop, true);
  pod_watch_wake(p->watch);
  for (int k = 0; k < RUNNERS; k++) pthread_join(p->runners[k].thread, NULL);
  pod_watch_stop(p->watch);
  stop_all(p);
  evq_stop(p->events);
  cg_close(p->cgroups);
  for (int k = 0; k < RUNNERS; k++) {
    strmap_free(p->runners[k].pods, NULL);
    pthread_mutex_destroy(&p->runners[k].mu);
    https_client_close(p->runners[k].client);
  }
  rt_ips_destroy(&p->ips);
  rm_free(p->metrics);
  free(p->node_name);
  free(p->data_dir);
  free(p->host_ip);
  free(p->self_exe);
  free(p);
}
