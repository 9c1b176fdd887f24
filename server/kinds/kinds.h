/* kinds.h - per-kind behaviour the generic REST layer calls: defaulting
 * (k8s.io/kubernetes pkg/apis/<group>/v1/defaults.go), PrepareForCreate /
 * PrepareForUpdate (status and spec resets the registry strategies do),
 * validation (pkg/apis/<group>/validation) including object metadata and
 * immutable fields, and version conversion for resources served in several
 * versions from one storage version. Kinds without a hook get the generic
 * metadata checks only. */
#ifndef CKUBE_KINDS_H
#define CKUBE_KINDS_H
#include <stdbool.h>
#include <jansson.h>
#include "field_errors.h"

struct crd_version;

/* Identity of the resource being handled (as served, i.e. request version). */
typedef struct {
  const char *group;   /* "" for core */
  const char *version; /* e.g. "v1" */
  const char *kind;    /* e.g. "Deployment" */
  const char *plural;  /* e.g. "deployments" */
  bool namespaced;
  const struct crd_version *crd; /* custom resources: the rules of their CRD version (crd.h), else NULL */
} kind_ref;

/* Fills defaults in place (obj is the full object in the served version). */
void kinds_default(const kind_ref *k, json_t *obj);

/* Strategy hooks. subresource is NULL for the main resource or "status".
 * On create: resets what the client may not set (e.g. status for most kinds,
 * pod status to phase Pending). On update (old = stored object): keeps status
 * from old for main-resource writes, keeps everything but status from old for
 * status writes (metadata labels/annotations follow Kubernetes' rules). */
void kinds_prepare_create(const kind_ref *k, json_t *obj);
void kinds_prepare_update(const kind_ref *k, const char *subresource, json_t *obj, const json_t *old);

/* Runs when a delete first marks obj for deletion (deletionTimestamp set,
 * before finalizers are looked at): CustomResourceDefinitions get their
 * cleanup finalizer and Terminating condition here. */
void kinds_prepare_delete(const kind_ref *k, json_t *obj);

/* Validation on create (old NULL) or update; adds to errs. Includes metadata
 * (name format for the kind, labels, annotations, namespace presence for
 * namespaced kinds) and immutability checks on update. */
void kinds_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *errs);

/* Converts obj in place between two versions of the same group/kind (e.g.
 * autoscaling v1 <-> v2 HorizontalPodAutoscaler, batch v1beta1 <-> v1
 * CronJob, core v1 Event <-> events.k8s.io/v1 Event; for the last, group
 * differs too). Sets apiVersion. Returns 0, -1 when unsupported. */
int kinds_convert(json_t *obj, const char *from_group_version, const char *to_group_version);

/* A CSR create (certificates strategy PrepareForCreate): spec.username, uid,
 * groups and extra from the requester (user: authentication/v1 UserInfo, NULL
 * for the server itself), status emptied: nobody creates an approved CSR. */
void csr_prepare_create(const kind_ref *k, json_t *obj, const json_t *user);

#endif
