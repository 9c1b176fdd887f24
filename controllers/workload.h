/* workload.h - what the workload controllers (ReplicaSet/RC, Deployment,
 * StatefulSet, DaemonSet) share: JSON and time helpers, pod readiness and
 * availability as podutil defines them, controller ownerReferences and the
 * ControllerRefManager's adopt/release, pods built from a template and
 * created/deleted with the Events kube-controller-manager records, and
 * status conditions. All writes go through the API core. */
#ifndef CKUBE_WORKLOAD_H
#define CKUBE_WORKLOAD_H
#include <stdbool.h>
#include <time.h>
#include <jansson.h>
#include "api.h"
#include "selector.h"
#include "ctrl.h"
#include "pod_util.h"
#include "json_path.h"

/* ---- JSON ---- */
/* The object at key, created when absent (obj must be an object). */
json_t *jobj(json_t *obj, const char *key);
/* Sub-second precision is not stored: orders by time, then by name. */
int cmp_creation(const json_t *a, const json_t *b);

/* ---- pods ---- */
/* lastTransitionTime of the Ready=True condition, 0 if not ready (or unreadable). */
time_t pod_ready_since(const json_t *pod);
/* Ready for at least min_ready seconds at now (podutil.IsPodAvailable). */
bool pod_is_available(const json_t *pod, long long min_ready, time_t now);
/* Not Succeeded/Failed and not being deleted (controller.IsPodActive). */
bool pod_is_active(const json_t *pod);
/* Seconds until a ready pod becomes available (0 if available or never). */
long long pod_available_in(const json_t *pod, long long min_ready, time_t now);

/* ---- ownership ---- */
/* The ownerReference with controller=true, or NULL. */
const json_t *controller_of(const json_t *obj);
/* The selector of a workload: spec.selector as a LabelSelector, or as a
 * plain map for ReplicationControllers (map_selector). NULL matches nothing. */
label_selector *workload_selector(const json_t *owner, bool map_selector);

/* The ControllerRefManager: of the objects in items (all of r in the owner's
 * namespace), returns the ones the owner controls after adopting matching
 * orphans and releasing owned ones that no longer match. A deleting owner
 * adopts nothing. Returned references go into out. */
typedef struct {
  const json_t *owner;
  const resource *owner_resource; /* for the fresh check before adopting */
  const label_selector *selector;
  /* optional extra condition for claiming (e.g. a DaemonSet pod's node) */
  bool (*filter)(const json_t *obj, void *ctx);
  void *filter_ctx;
} claim_spec;
void claim_objects(const ctrl_context *cctx, const claim_spec *cs, const resource *r, const cobj_vec *items,
                   cobj_vec *out);

/* Lists all objects of r in namespace ns (references into out). */
void list_namespace(const ctrl_context *cctx, const resource *r, const char *ns, cobj_vec *out);

/* A pod from a template (GetPodFromTemplate): labels, annotations,
 * finalizers and spec copied, ownerReference to owner. New reference. */
json_t *pod_from_template(const json_t *tmpl, const json_t *owner);
/* Creates pod (stolen) in ns; records SuccessfulCreate "Created pod: X" or
 * FailedCreate "Error creating: ..." on owner. Returns the HTTP code; the
 * error message goes to err when given. */
int create_pod_event(const ctrl_context *cctx, const json_t *owner, const char *component, const char *ns, json_t *pod,
                     char *err, size_t errlen);
/* Deletes a pod (force: gracePeriodSeconds 0); records SuccessfulDelete /
 * FailedDelete. */
int delete_pod_event(const ctrl_context *cctx, const json_t *owner, const char *component, const json_t *pod,
                     bool force);

/* ---- writes ---- */
/* Writes obj (stolen) as the new status (status=true) or the whole object,
 * guarded by obj's metadata.resourceVersion. Returns the HTTP code. */
int write_object(const ctrl_context *cctx, const resource *r, json_t *obj, bool status);
/* The same with obj borrowed: returns the stored object (new reference) or
 * NULL, and the HTTP code in *code. */
json_t *update_object(const ctrl_context *cctx, const resource *r, const json_t *obj, bool status, int *code);

#endif
