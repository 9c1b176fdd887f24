/* runtime_start.c - kubelet's start of one container of a pod bound to a
 * real node (see runtime_pods_internal.h): the image through the image
 * table (or kubelet's ErrImagePull and ImagePullBackOff), the pod's volumes
 * and mount plan, the environment, the security identity, the cgroup, the
 * spawn in the pod's namespaces, then the postStart hook and the probes. */
#include "runtime_pods_internal.h"
#include "builtin_http.h"
#include "image_setuid.h"
#include "log.h"
#include "pod_dns.h"
#include "pod_network.h"
#include "runtime_env.h"
#include "runtime_hooks.h"
#include "runtime_proc.h"
#include "runtime_security.h"
#include "simulate_config.h"
#include "simulate_status.h"
#include "timestamp.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* kubelet's pull failure for an image no table entry knows: ErrImagePull,
 * then ImagePullBackOff until the back-off lets it try again. */
static void pull_failed(rt_pods *p, rpod *rp, rt_ctr *c, const char *image, long long now) {
  if (c->pull_failures && now < c->pull_retry_ms) {
    if (strcmp(c->reason, "ImagePullBackOff") && now >= c->pull_at_ms + PULL_ERROR_SHOWN_MS) {
      snprintf(c->reason, sizeof c->reason, "ImagePullBackOff");
      snprintf(c->message, sizeof c->message, "Back-off pulling image \"%s\"", image);
      rt_event(p, rp, c, "Normal", "BackOff", "Back-off pulling image \"%s\"", image);
      rt_event(p, rp, c, "Warning", "Failed", "Error: ImagePullBackOff");
    }
    return;
  }
  long long delay = 10000LL << (c->pull_failures < 5 ? c->pull_failures : 5);
  c->pull_failures++;
  c->pull_at_ms = now;
  c->pull_retry_ms = now + (delay > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay);
  snprintf(c->reason, sizeof c->reason, "ErrImagePull");
  snprintf(c->message, sizeof c->message,
           "rpc error: code = NotFound desc = failed to pull and unpack image \"%s\": not found", image);
  rt_event(p, rp, c, "Normal", "Pulling", "Pulling image \"%s\"", image);
  rt_event(p, rp, c, "Warning", "Failed", "Failed to pull image \"%s\": %s", image, c->message);
  rt_event(p, rp, c, "Warning", "Failed", "Error: ErrImagePull");
}


/* A started container's probes (an init container has none). */
void rt_arm_probes(rt_ctr *c, const json_t *sc, long long now) {
  if (c->init) return;
  rt_probe_arm(&c->startup, json_object_get(sc, "startupProbe"), false, now);
  rt_probe_arm(&c->liveness, json_object_get(sc, "livenessProbe"), true, now);
  rt_probe_arm(&c->readiness, json_object_get(sc, "readinessProbe"), false, now);
}

/* kubelet's image events before a start: pulled (Always), or already present the first time. */
static void pull_events(rt_pods *p, rpod *rp, rt_ctr *c, const json_t *sc) {
  const char *image = sget(sc, "image") ?: "", *policy = sget(sc, "imagePullPolicy") ?: "IfNotPresent";
  if (!strcmp(policy, "Always")) {
    rt_event(p, rp, c, "Normal", "Pulling", "Pulling image \"%s\"", image);
    rt_event(p, rp, c, "Normal", "Pulled", "Successfully pulled image \"%s\" in 0s", image);
  } else if (!c->ever_started) {
    rt_event(p, rp, c, "Normal", "Pulled", "Container image \"%s\" already present on machine", image);
  }
}

/* The container's PATH (into path_value) and the applet directory its commands are tried in first (the return,
 * or NULL). An image with a program of its own (agnhost, whose image adds curl, dig and netcat-openbsd's nc)
 * finds the host's tools first, busybox's applets only fill the gaps; a user other than root may not reach the
 * agent's data directory, so its applets are bound into its root (*applets_root, else NULL). */
static const char *container_path(rt_pods *p, const image_argv *av, rt_mount_plan *plan, uid_t uid, char *buf,
                                  size_t len, char *path_value, size_t plen, const char **applets_root) {
  const char *applets = av->applets ? rt_applets_dir(p->data_dir, av->applets, buf, len) : NULL;
  bool applets_last = !applets && av->program;
  if (!applets) /* commands of unknown images, as in busybox */
    applets = rt_applets_dir(p->data_dir, "/bin/busybox", buf, len);
  *applets_root = plan && applets && uid != 0 ? APPLETS_IN_ROOT : NULL;
  if (*applets_root) vol_plan_add_dir(plan, applets, *applets_root);
  const char *in_path = *applets_root ? *applets_root : applets;
  if (applets_last) snprintf(path_value, plen, "%s:%s", DEFAULT_PATH, in_path);
  else snprintf(path_value, plen, "%s%s%s", applets ? in_path : "", applets ? ":" : "", DEFAULT_PATH);
  return applets_last ? NULL : applets; /* last: found through PATH, not tried first */
}

/* containerd's StartError: the run ends at once with exit code 128. */
static void start_error(rt_pods *p, rpod *rp, rt_ctr *c, const char *err, long long now) {
  rt_run *t = &c->term;
  memset(t, 0, sizeof *t);
  t->started_ms = t->finished_ms = now;
  t->exit_code = 128;
  snprintf(t->reason, sizeof t->reason, "StartError");
  snprintf(t->container_id, sizeof t->container_id, "%s", c->container_id);
  c->state = CTR_TERMINATED;
  rt_event(p, rp, c, "Warning", "Failed",
        "Error: failed to create containerd task: OCI runtime create failed: container_linux.go:370: starting "
        "container process caused: %s: unknown", err);
}

/* Starts container c (its image resolved, environment made, process
 * spawned); leaves it running, or waiting/terminated with kubelet's reason. */
void rt_start_container(rt_pods *p, rpod *rp, rt_ctr *c, long long now) {
  const json_t *sc = rt_spec_container(rp, c);
  const char *image = sget(sc, "image") ?: "";
  if (now < rp->config_retry_ms) return;
  char why[512] = "";
  json_t *expanded = NULL;
  char **links = rt_env_service_links(rp->client, rp->pod);
  char **env = sim_config_env(rp->pod, sc, rp->st.host_ip, rp->st.ip, sim_get_object, rp->client, links, &expanded, why,
                              sizeof why);
  rt_env_free(links);
  rt_identity ident;
  if (env && rt_identity_resolve(rp->pod, sc, &ident, why, sizeof why)) {
    rt_env_free(env);
    json_decref(expanded);
    env = NULL;
  }
  if (!env) {
    snprintf(c->reason, sizeof c->reason, "CreateContainerConfigError");
    snprintf(c->message, sizeof c->message, "%s", why);
    if (strcmp(rp->config_error, why)) rt_event(p, rp, c, "Warning", "Failed", "Error: %s", why);
    snprintf(rp->config_error, sizeof rp->config_error, "%s", why);
    rp->config_retry_ms = now + CONFIG_RETRY_MS;
    return;
  }
  rp->config_error[0] = 0;
  image_argv av;
  if (image_table_argv(p->cfg.images, expanded, p->self_exe, &av)) {
    json_decref(expanded);
    rt_env_free(env);
    pull_failed(p, rp, c, image, now);
    return;
  }
  rt_mount_plan *plan = NULL;
  if (p->cfg.mount_ns) {
    vol_ctx vc = rt_volume_context(rp);
    plan = vol_plan(&vc, expanded, why, sizeof why); /* subPathExpr expanded */
    if (!plan) { /* kubelet: the pod stays ContainerCreating, FailedMount events */
      if (strcmp(rp->config_error, why)) rt_event(p, rp, NULL, "Warning", "FailedMount", "%s", why);
      snprintf(rp->config_error, sizeof rp->config_error, "%s", why);
      rp->config_retry_ms = now + CONFIG_RETRY_MS;
      image_argv_free(&av);
      json_decref(expanded);
      rt_env_free(env);
      return;
    }
  }
  /* the image's program at its paths in the container's root, else (no root of its own) run by its host path */
  const char *program = av.program;
  char setuid_copy[4200];
  if (av.setuid && plan && image_setuid_copy(p->data_dir, p->self_exe, setuid_copy, sizeof setuid_copy) == 0)
    program = setuid_copy; /* the image's setuid-root program */
  for (const char *const *ip = plan ? av.image_paths : NULL; ip && *ip; ip++) {
    const char *eq = strchr(*ip, '=');
    char at[1024];
    if (!eq) vol_plan_add_file(plan, program, *ip);
    else if (!access(eq + 1, R_OK) && snprintf(at, sizeof at, "%.*s", (int)(eq - *ip), *ip) > 0)
      vol_plan_add_file(plan, eq + 1, at); /* another file of the image, when this machine has it */
  }
  if (!plan) image_argv_on_host(&av);
  const char *pod_name = pod_dns_hostname(rp->pod); /* spec.hostname, else the name */
  env = rt_env_default(env, "HOSTNAME", pod_name);
  if (av.argv && av.argv[1] && !strcmp(av.argv[1], "--builtin")) { /* tell the builtin program its address */
    size_t n = 0;
    while (av.argv[n]) n++;
    av.argv = realloc(av.argv, (n + 3) * sizeof *av.argv);
    memmove(av.argv + 5, av.argv + 3, (n - 3 + 1) * sizeof *av.argv);
    av.argv[3] = strdup("--pod-ip");
    av.argv[4] = strdup(rp->st.ip);
  }
  pull_events(p, rp, c, sc);
  char hex[65], log_path[2400], pp[2400], err[1024] = "";
  sim_hex_id(rp->uid, c->name, c->restarts, hex);
  snprintf(c->container_id, sizeof c->container_id, "containerd://%s", hex);
  snprintf(log_path, sizeof log_path, "%s/containers/%s/%d.log", rp->dir, c->name, c->restarts);
  rt_pid_path(rp, c, pp, sizeof pp);
  char applets_buf[4096], path_value[4400];
  const char *applets_root = NULL;
  const char *applets = container_path(p, &av, plan, ident.uid, applets_buf, sizeof applets_buf, path_value,
                                       sizeof path_value, &applets_root);
  env = rt_env_default(env, "PATH", path_value);
  pid_t pid = -1;
  if (!av.argv) snprintf(err, sizeof err, "no command specified");
  else {
    int nsfd = rp->netns ? podnet_open(rp->st.ip) : -1;
    char stdin_path[2400];
    snprintf(stdin_path, sizeof stdin_path, "%s/containers/%s/stdin", rp->dir, c->name);
    int cg_fds[CG_MAX_FDS], ncg = 0;
    if (p->cgroups && (ncg = cg_container_prepare(p->cgroups, rp->uid, c->name, json_object_get(sc, "resources"),
                                                  cg_fds, err, sizeof err)) < 0) {
      LOGW("pod %s container %s runs without its cgroup: %s", pod_name, c->name, err);
      ncg = 0;
      err[0] = 0;
    }
    c->oom_base = ncg ? cg_oom_kills(p->cgroups, rp->uid, c->name) : -1;
    bool own_pids = plan && !json_is_true(json_object_get(json_object_get(rp->pod, "spec"), "shareProcessNamespace"));
    rt_spawn_req req = {av.argv, env, applets, sget(expanded, "workingDir"), pod_name, log_path, pp, nsfd, 0, plan,
                        0, NULL, json_is_true(json_object_get(sc, "stdin")) ? stdin_path : NULL,
                        json_is_true(json_object_get(sc, "tty")), own_pids, cg_fds, ncg,
                        p->cfg.mount_ns ? &ident : NULL, applets_root, NULL, NULL}; /* setuid and capabilities need root */
    if (plan && av.argv && av.argv[1] && !strcmp(av.argv[1], "--builtin") && av.argv[2])
      builtin_http_docroot(av.argv[2], &req.docroot, &req.docroot_page); /* made before capabilities drop */
    pid = rt_spawn(&req, err, sizeof err);
    if (nsfd >= 0) close(nsfd);
    for (int k = 0; k < ncg; k++) close(cg_fds[k]);
  }
  rt_event(p, rp, c, "Normal", "Created", "Created container %s", c->name);
  c->ever_started = true;
  c->message[0] = 0;
  if (pid < 0) {
    start_error(p, rp, c, err, now);
  } else {
    c->state = CTR_RUNNING;
    c->pid = pid;
    c->started_ms = now;
    rt_event(p, rp, c, "Normal", "Started", "Started container %s", c->name);
    rt_drop_run(c);
    c->env = env;
    env = NULL;
    snprintf(c->applets, sizeof c->applets, "%s", applets ? applets : "");
    snprintf(c->rootfs, sizeof c->rootfs, "%s", plan ? plan->root : "");
    c->ident = ident;
    c->has_ident = p->cfg.mount_ns;
    snprintf(c->applets_root, sizeof c->applets_root, "%s", applets_root ? applets_root : "");
    char msg[4096];
    pid_t hook = rt_spawn_hook(rp, c, "postStart", msg, sizeof msg);
    if (hook > 0) c->hook_pid = hook; /* probes start when it returns */
    else if (hook < 0) rt_poststart_failed(p, rp, c, msg, now);
    else rt_arm_probes(c, sc, now);
  }
  vol_plan_free(plan);
  image_argv_free(&av);
  json_decref(expanded);
  rt_env_free(env);
}
