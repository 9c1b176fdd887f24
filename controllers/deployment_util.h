/* deployment_util.h - the pure arithmetic and bookkeeping of the Deployment
 * controller (pkg/controller/deployment/util): maxSurge/maxUnavailable
 * resolution with Kubernetes' rounding, pod-template-hash, template
 * comparison ignoring that hash, the revision and replica annotations of
 * ReplicaSets, proportional scaling shares and the completion/progress
 * predicates. No I/O; unit-tested in tests/unit/test_deployment_util.c. */
#ifndef CKUBE_DEPLOYMENT_UTIL_H
#define CKUBE_DEPLOYMENT_UTIL_H
#include <stdbool.h>
#include <jansson.h>

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define REVISION_HISTORY_ANNOTATION "deployment.kubernetes.io/revision-history"
#define DESIRED_REPLICAS_ANNOTATION "deployment.kubernetes.io/desired-replicas"
#define MAX_REPLICAS_ANNOTATION "deployment.kubernetes.io/max-replicas"
#define POD_TEMPLATE_HASH_LABEL "pod-template-hash"
#define MAX_REV_HISTORY_CHARS 2000

/* GetScaledValueFromIntOrPercent: an integer, or "N%" of total rounded up
 * or down. Returns false on a malformed value. */
bool intstr_scaled(const json_t *v, long long total, bool round_up, long long *out);
/* ResolveFenceposts: surge rounded up, unavailable down; both 0 -> 1 unavailable. */
void resolve_fenceposts(const json_t *max_surge, const json_t *max_unavailable, long long desired,
                        long long *surge, long long *unavailable);
/* MaxSurge / MaxUnavailable of a Deployment (0 unless RollingUpdate;
 * unavailable capped at replicas). */
long long deployment_max_surge(const json_t *d);
long long deployment_max_unavailable(const json_t *d);
bool deployment_is_rolling(const json_t *d);

/* SafeEncodeString: each byte -> "bcdfghjklmnpqrstvwxz2456789"[b % 27]. */
void safe_encode_string(const char *in, char *out, size_t outlen);
/* fnv-32a over the template's canonical JSON (sorted keys), then the
 * collisionCount as 8 little-endian bytes when given; decimal, encoded.
 * out needs 16 bytes. */
void pod_template_hash(const json_t *tmpl, const json_t *collision_count, char *out, size_t outlen);
/* EqualIgnoreHash: templates equal once the pod-template-hash label is dropped. */
bool templates_equal_ignore_hash(const json_t *a, const json_t *b);

/* Revision of an object's deployment.kubernetes.io/revision (0 if none). */
long long revision_of(const json_t *obj);
/* SetNewReplicaSetAnnotations on rs (a mutable copy): copies the
 * Deployment's annotations (minus the skipped ones), sets the revision,
 * keeps the revision history when an old ReplicaSet comes back, and for a
 * new ReplicaSet the desired/max replica annotations. True when changed. */
bool set_new_rs_annotations(const json_t *d, json_t *rs, const char *new_revision, bool exists);
/* SetReplicasAnnotations; true when changed. */
bool set_replicas_annotations(json_t *rs, long long desired, long long max);
bool replicas_annotations_need_update(const json_t *rs, long long desired, long long max);

/* getReplicaSetFraction / GetProportion for proportional scaling. */
long long rs_proportion(const json_t *rs, const json_t *d, long long to_add, long long added);

/* DeploymentComplete / DeploymentProgressing over a new status. */
bool deployment_complete(const json_t *d, const json_t *status);
bool deployment_progressing(const json_t *d, const json_t *new_status);

#endif
