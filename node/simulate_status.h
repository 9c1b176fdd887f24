/* simulate_status.h - what a simulated kubelet does to one pod, as pure
 * functions of the pod, what the simulation did to it so far and the time:
 * start it (status Running and Ready) unless its image cannot be pulled
 * (sim_set_unpullable_images), let it exit after the seconds in
 * annotation ckube.io/simulate-run-seconds with the code in
 * ckube.io/simulate-exit-code (Succeeded, Failed, or a restart under
 * OnFailure), or finalize its deletion. The status written is what a real
 * kubelet reports: phase, conditions, IPs, startTime, container statuses. */
#ifndef CKUBE_SIMULATE_STATUS_H
#define CKUBE_SIMULATE_STATUS_H
#include <stdbool.h>
#include <jansson.h>

/* The simulation's memory of one pod (zeroed for a pod never seen). */
typedef struct {
  bool started;             /* a Running status was written (or found on the pod) */
  bool finished;            /* the pod is Succeeded or Failed */
  int restarts;             /* container restarts so far */
  long long pod_started_ms; /* status.startTime, wall clock ms */
  long long run_started_ms; /* the current container run began */
  long long last_started_ms, last_finished_ms; /* the previous run (restarts > 0) */
  int last_exit_code;
  int pull_failures;        /* image pulls failed so far (unpullable images) */
  bool ready_pending;       /* Running, waiting for the readiness probes' initial delay */
  /* set by the caller before a start: kubelet's container configuration
   * failure (simulate_config.h), empty when the containers can be made */
  char config_error[384], config_container[64];
  char config_shown[384];   /* the failure the last status showed */
} sim_pod_state;

typedef enum { SIM_NOTHING, SIM_WRITE_STATUS, SIM_DELETE } sim_action;

/* Decides the next step for pod (a v1 Pod bound to one of the simulated
 * nodes). host_ip: the node's address; pod_ip: the address to give the pod
 * if it starts now. On SIM_WRITE_STATUS, *status is the whole new status (a
 * new reference, for a merge patch of pods/status) and *st is advanced as if
 * the write succeeded (the caller keeps the old state if it fails). When
 * something is due later, *recheck_ms > 0 says when to look again. */
sim_action sim_pod_step(const json_t *pod, sim_pod_state *st, const char *host_ip, const char *pod_ip,
                        long long now_ms, json_t **status, long *recheck_ms);

/* kubelet's activeDeadlineHandler: true once a pod that started at
 * started_ms (status.startTime, > 0) has been active for its
 * spec.activeDeadlineSeconds; *due_ms (may be NULL) is when that is, -1
 * without a deadline or start. Such a pod is Failed with these reason and
 * message, its containers killed. */
bool sim_past_active_deadline(const json_t *pod, long long started_ms, long long now_ms, long long *due_ms);
#define SIM_DEADLINE_REASON "DeadlineExceeded"
#define SIM_DEADLINE_MESSAGE "Pod was active on the node longer than the specified deadline"

/* Images matching the POSIX extended regex fail to pull, as if the
 * registry did not have them: the pod stays Pending, its containers
 * waiting with ErrImagePull, then ImagePullBackOff. NULL: every image pulls.
 * Returns -1 for a bad regex. Call before any sim_pod_step. */
int sim_set_unpullable_images(const char *regex);

/* The first container image of pod that cannot be pulled, or NULL. */
const char *sim_unpullable_image(const json_t *pod);

/* A PodCondition as kubelet writes it (new reference): status "True" when
 * ok, lastProbeTime null, lastTransitionTime kept from pod's condition of
 * the same type and status, else now; reason and message when not NULL. */
json_t *sim_pod_condition(const json_t *pod, const char *type, bool ok, const char *reason, const char *message,
                          const char *now);

/* RFC 3339 (seconds) of a wall clock time in ms, into buf (>= 21 bytes). */
void sim_rfc3339(long long ms, char *buf, size_t len);

/* "nginx:1.19" -> "docker.io/library/nginx@sha256:<digest>", as containerd
 * reports an imageID (the digest a stable hash of the image name). */
void sim_image_id(const char *image, char *out, size_t len);
/* 64 hex digits, a stable hash of a, b and n (container IDs). */
void sim_hex_id(const char *a, const char *b, int n, char out[65]);

#endif
