/* runtime.h - what the real node agent knows about the pods it runs: per
 * container its current state (waiting with a reason, running since, or
 * terminated with how), the previous run (lastState), restart count and
 * back-off; per pod its address, start time and whether it is being
 * stopped; its probes. Filled by runtime_pods.c, turned into a v1 PodStatus by
 * runtime_status.c. */
#ifndef CKUBE_RUNTIME_H
#define CKUBE_RUNTIME_H
#include <stdbool.h>
#include <sys/types.h>
#include "runtime_backoff.h"
#include "runtime_probe.h"
#include "runtime_security.h"

typedef enum { CTR_WAITING, CTR_RUNNING, CTR_TERMINATED } rt_ctr_state;

/* One finished run of a container. */
typedef struct {
  long long started_ms, finished_ms;
  int exit_code, signal;
  char reason[32]; /* Completed, Error, OOMKilled */
  char container_id[96];
  char message[4096];   /* the termination message (terminationMessagePath, or the log's tail) */
} rt_run;

typedef struct {
  char name[254];
  bool init;
  rt_ctr_state state;
  char reason[48];    /* waiting: ContainerCreating, PodInitializing, CrashLoopBackOff, ErrImagePull, ... */
  char message[512];  /* waiting message, when kubelet gives one */
  pid_t pid;          /* running: the process (and group) id */
  long long started_ms;
  char container_id[96]; /* running: this run's id */
  rt_run term;        /* terminated: this run */
  rt_run last;        /* lastState (has_last) */
  bool has_last;
  int restarts;
  bool ever_started;
  rt_backoff backoff;
  int pull_failures;  /* unknown image: pulls tried */
  long long pull_at_ms, pull_retry_ms; /* last pull tried, next one allowed */
  rt_probe liveness, readiness, startup;
  char **env;             /* running: its environment (exec probes run with it) */
  char applets[512];      /* running: its applet directory, or empty */
  char rootfs[1024];      /* running in a mount namespace of its own: its root there, else empty */
  rt_identity ident;      /* running: its user, groups and capabilities (has_ident), which exec probes and hooks
                             in it get too */
  bool has_ident;
  char applets_root[32];  /* running: where its applets are bound in its root (a non-root user), or empty */
  long long kill_deadline_ms; /* a failed liveness/startup probe is stopping it: SIGKILL then */
  long long oom_base;     /* running: its cgroup's OOM kills when it started */
  pid_t hook_pid;         /* running: its postStart handler, until it returns (kubelet shows the container
                             waiting meanwhile and starts the next one after it) */
} rt_ctr;

typedef struct {
  char ip[16], host_ip[16];
  long long start_ms;    /* status.startTime */
  rt_ctr *ctrs;          /* init containers first, in spec order */
  int nctrs, ninit;
  bool stopping;         /* the containers were told to stop (deletion) */
  bool deadline_exceeded; /* past spec.activeDeadlineSeconds: Failed (DeadlineExceeded), its containers killed */
} rt_pod_state;

#endif
