/* kinds_convert.c - conversion between the versions one storage serves:
 * autoscaling v1 <-> v2/v2beta2/v2beta1 HorizontalPodAutoscaler (kinds_convert_hpa.c),
 * apiextensions.k8s.io v1 <-> v1beta1 CustomResourceDefinition (kinds_convert_crd.c),
 * core/v1 <-> events.k8s.io/v1 Event (field renames),
 * discovery.k8s.io v1beta1 <-> v1 EndpointSlice (topology), v1beta1 <-> v1
 * Ingress (backends, kinds_convert_ingress.c), and the versions
 * whose schemas are identical (batch CronJob, policy PDB, autoscaling
 * v2beta2 <-> v2, the v1beta1 versions 1.20 still serves of rbac, storage,
 * scheduling, coordination, node, admissionregistration, certificates and
 * IngressClass), where only apiVersion changes. */
#include "crd.h"
#include "kinds_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void move(json_t *from, const char *fk, json_t *to, const char *tk) {
  json_t *v = json_object_get(from, fk);
  if (!v) return;
  json_object_set(to, tk, v);
  json_object_del(from, fk);
}

/* The fields each Event shape always writes (Go structs and times without
 * omitempty effect) are filled so both read as Kubernetes writes them. */
static void event_to_core(json_t *e) {
  move(e, "regarding", e, "involvedObject");
  move(e, "note", e, "message");
  move(e, "deprecatedSource", e, "source");
  move(e, "deprecatedFirstTimestamp", e, "firstTimestamp");
  move(e, "deprecatedLastTimestamp", e, "lastTimestamp");
  move(e, "deprecatedCount", e, "count");
  move(e, "reportingController", e, "reportingComponent");
  kdefault(e, "involvedObject", json_object());
  kdefault(e, "source", json_object());
  kdefault(e, "firstTimestamp", json_null());
  kdefault(e, "lastTimestamp", json_null());
  kdefault(e, "eventTime", json_null());
  kdefault(e, "reportingComponent", json_string(""));
  kdefault(e, "reportingInstance", json_string(""));
}

static void event_from_core(json_t *e) {
  move(e, "involvedObject", e, "regarding");
  move(e, "message", e, "note");
  move(e, "source", e, "deprecatedSource");
  move(e, "firstTimestamp", e, "deprecatedFirstTimestamp");
  move(e, "lastTimestamp", e, "deprecatedLastTimestamp");
  move(e, "count", e, "deprecatedCount");
  move(e, "reportingComponent", e, "reportingController");
  kdefault(e, "eventTime", json_null());
  kdefault(e, "regarding", json_object());
  kdefault(e, "deprecatedSource", json_object());
  kdefault(e, "deprecatedFirstTimestamp", json_null());
  kdefault(e, "deprecatedLastTimestamp", json_null());
  /* omitempty in events.k8s.io/v1 */
  static const char *const optional[] = {"reportingController", "reportingInstance", NULL};
  for (int i = 0; optional[i]; i++) {
    const char *v = kstr(e, optional[i]);
    if (v && !*v) json_object_del(e, optional[i]);
  }
}

static void endpointslice_topology(json_t *obj, const char *from, const char *to) {
  size_t i;
  json_t *ep;
  json_array_foreach(json_object_get(obj, "endpoints"), i, ep) move(ep, from, ep, to);
}

int kinds_convert(json_t *obj, const char *from, const char *to) {
  const char *kind = kstr(obj, "kind");
  if (!kind || !strcmp(from, to)) return 0;
  int rc = 0;
  if (!strcmp(kind, "HorizontalPodAutoscaler")) {
    if (!strcmp(from, "autoscaling/v2beta1")) hpa_v2beta1_up(obj);
    if (!strcmp(to, "autoscaling/v1")) hpa_to_v1(obj);
    else if (!strcmp(from, "autoscaling/v1")) hpa_from_v1(obj);
    if (!strcmp(to, "autoscaling/v2beta1")) hpa_v2beta1_down(obj);
  } else if (!strcmp(kind, "CustomResourceDefinition")) {
    if (!strcmp(to, CRD_GROUP "/v1")) crd_v1beta1_to_v1(obj);
    else crd_v1_to_v1beta1(obj);
  } else if (!strcmp(kind, "Event")) {
    if (!strcmp(to, "v1")) event_to_core(obj);
    else if (!strcmp(from, "v1")) event_from_core(obj);
  } else if (!strcmp(kind, "Ingress")) {
    if (!strcmp(to, "networking.k8s.io/v1")) ingress_to_v1(obj);
    else if (!strcmp(from, "networking.k8s.io/v1")) ingress_from_v1(obj);
  } else if (!strcmp(kind, "EndpointSlice")) {
    if (!strcmp(to, "discovery.k8s.io/v1")) endpointslice_topology(obj, "topology", "deprecatedTopology");
    else endpointslice_topology(obj, "deprecatedTopology", "topology");
  } else {
    /* the 1.20 beta versions whose schemas match v1 field for field */
    static const char *const same[] = {"CronJob",  "PodDisruptionBudget", "Role",        "ClusterRole",
                                       "RoleBinding", "ClusterRoleBinding", "StorageClass", "CSIDriver",
                                       "CSINode",  "VolumeAttachment",    "PriorityClass", "Lease",
                                       "RuntimeClass", "IngressClass", "MutatingWebhookConfiguration",
                                       "ValidatingWebhookConfiguration", "CertificateSigningRequest", "APIService",
                                       NULL};
    rc = -1;
    for (int i = 0; same[i] && rc; i++)
      if (!strcmp(kind, same[i])) rc = 0;
  }
  json_object_set_new(obj, "apiVersion", json_string(to));
  return rc;
}
