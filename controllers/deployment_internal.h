/* deployment_internal.h - the state of one Deployment sync, shared by
 * deployment.c (plumbing, ReplicaSet ownership, the new ReplicaSet, status)
 * and deployment_rollout.c (RollingUpdate, Recreate, proportional scaling,
 * history cleanup). */
#ifndef CKUBE_DEPLOYMENT_INTERNAL_H
#define CKUBE_DEPLOYMENT_INTERNAL_H
#include "workload.h"

#define DEPLOYMENT_COMPONENT "deployment-controller"

typedef struct {
  const ctrl_context *cc; /* the controller's (deployment_controller_start) */
  json_t *d;    /* the latest Deployment (owned; replaced after each write) */
  json_t **rs;  /* the ReplicaSets it controls, oldest first (owned) */
  size_t nrs;
  int new_rs;   /* index of the new ReplicaSet, -1 when there is none */
  cobj_vec pods; /* pods of the namespace (Recreate checks old pods) */
  long requeue; /* ms before the next sync, -1 for none */
  bool failed;  /* a write failed: retry soon */
} dsync;

const resource *rs_resource(void);

/* getAllReplicaSetsAndSyncRevision: finds (or, with create, creates) the
 * new ReplicaSet and syncs revision annotations. */
void sync_revision_and_new_rs(dsync *s, bool create);
/* Status only (calculateStatus + write when changed). */
void sync_deployment_status(dsync *s);
/* syncRolloutStatus: status plus the Progressing/ReplicaFailure conditions. */
void sync_rollout_status(dsync *s);
/* Writes desired (a modified copy of s->d): annotations via an update,
 * status via /status; s->d becomes the stored result. */
void save_deployment(dsync *s, json_t *desired);

/* deployment_rollout.c */
long long rs_spec_replicas(const json_t *rs);
/* scaleReplicaSetAndRecordEvent; true when the size changed. */
bool scale_rs(dsync *s, size_t i, long long size);
void rollout_rolling(dsync *s);
void rollout_recreate(dsync *s);
/* sync(): proportional scaling (also when paused), cleanup when paused, status. */
void sync_scale(dsync *s);
bool is_scaling_event(dsync *s);
void cleanup_deployment(dsync *s);

#endif
