/* runtime_pods_internal.h - shared by the pod runtime's files
 * (runtime_pods.c: the runners, a pod's life and deletion;
 * runtime_start.c: starting one container): the per-pod and per-runner
 * state and the helpers both use. Not for other modules. */
#ifndef CKUBE_RUNTIME_PODS_INTERNAL_H
#define CKUBE_RUNTIME_PODS_INTERNAL_H
#include "runtime_pods.h"
#include "event_queue.h"
#include "https_client.h"
#include "pod_cgroup.h"
#include "pod_volumes.h"
#include "pod_watch.h"
#include "real_metrics.h"
#include "runtime.h"
#include "runtime_ips.h"
#include "strmap.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <jansson.h>

#define PASS_MS 200
#define RUNNERS 8 /* pods started side by side: a start mostly waits on fork/exec, `ip` and the API */
#define CONFIG_RETRY_MS 2000
#define METRICS_MS 5000 /* resource usage report interval */
#define VOLUME_REFRESH_MS 5000 /* configMap/secret/downwardAPI volume files follow their objects this often */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" /* images' usual PATH */
#define LOG_DRAIN_MS 1000 /* a failed container's log is read for its termination message after its log thread ends */
#define APPLETS_IN_ROOT "/.ckube-applets" /* where a non-root container's applet directory is bound */
#define PULL_ERROR_SHOWN_MS 2000 /* ErrImagePull shows this long before ImagePullBackOff (kubelet's next sync) */

/* What the runtime thread does with one pod. */
typedef struct {
  char uid[64];
  char dir[2048];
  https_client *client; /* its runner's connection */
  json_t *pod;      /* the version being acted on */
  rt_pod_state st;
  json_t *written;  /* the last status written */
  bool finished;    /* a terminal phase was written: nothing runs any more */
  bool skip;        /* found terminal at an agent start: left alone */
  bool netns;       /* has its own network namespace */
  int stop_stage;   /* deletion: 0 none, 1 preStop hooks, 2 SIGTERM sent, 3 SIGKILL sent, 4 DELETE sent */
  long long stop_deadline_ms, hooks_deadline_ms;
  pid_t *hooks;     /* deletion: each container's running preStop hook (by container index), or 0 */
  int nhooks;
  long long config_retry_ms;
  char config_error[512];
  long long volumes_refreshed_ms;
  json_t *tokens; /* projected serviceAccountToken cache (pod_token.h) */
} rpod;

typedef struct rt_pods rt_pods;

/* One shard's thread: its pods, its connection. */
typedef struct {
  rt_pods *p;
  int shard;
  strmap *pods;        /* uid -> rpod */
  pthread_mutex_t mu;  /* held while the runner works on its pods */
  https_client *client;
  pthread_t thread;
} runner;

struct rt_pods {
  rt_config cfg;
  char *kubeconfig, *node_name, *data_dir, *host_ip, *self_exe;
  pod_watch *watch;
  runner runners[RUNNERS];
  rt_ips ips;            /* the pods' addresses */
  atomic_bool stop;
  real_metrics *metrics;
  event_queue *events;
  cg_root *cgroups;     /* pod and container cgroups, or NULL (not root, no cgroup file system) */
  long long metrics_ms;
  bool swept;           /* pod directories of pods not bound here removed (after the first list) */
};

static inline const char *meta(const json_t *o, const char *k) {
  return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

static inline const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* An event about the pod (c: one of its containers, or NULL), through the node's event queue. */
void rt_event(rt_pods *p, rpod *rp, const rt_ctr *c, const char *type, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The container's spec (containers or initContainers entry). */
const json_t *rt_spec_container(const rpod *rp, const rt_ctr *c);
/* DIR/pods/<uid>/containers/<name>/pid. */
void rt_pid_path(const rpod *rp, const rt_ctr *c, char *out, size_t len);
/* Forgets the container's run (its log pump and pid). */
void rt_drop_run(rt_ctr *c);
/* What the pod's volumes are made from (its objects through the runner's connection). */
vol_ctx rt_volume_context(rpod *rp);
/* Starts the container's postStart or preStop hook: its pid, 0 when it has none, -1 with msg. */
pid_t rt_spawn_hook(rpod *rp, rt_ctr *c, const char *which, char *msg, size_t len);
/* A postStart hook that failed: FailedPostStartHook, the container killed. */
void rt_poststart_failed(rt_pods *p, rpod *rp, rt_ctr *c, const char *msg, long long now);

/* A started container's probes from its spec (an init container has none). */
void rt_arm_probes(rt_ctr *c, const json_t *sc, long long now);

/* runtime_start.c: kubelet's start of one container (image, volumes, env, security, cgroup, spawn,
 * postStart); a failure shows in the container's state and events. */
void rt_start_container(rt_pods *p, rpod *rp, rt_ctr *c, long long now);

#endif
