/* kinds_convert.c - conversion between the versions one storage serves:
 * autoscaling v1 <-> v2/v2beta2 HorizontalPodAutoscaler (the v2 fields v1
 * cannot express ride in autoscaling.alpha.kubernetes.io annotations, as
 * Kubernetes does), core/v1 <-> events.k8s.io/v1 Event (field renames),
 * discovery.k8s.io v1beta1 <-> v1 EndpointSlice (topology), and the versions
 * whose schemas are identical (batch CronJob, policy PDB, autoscaling
 * v2beta2 <-> v2), where only apiVersion changes. */
#include "kinds_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ann_metrics = "autoscaling.alpha.kubernetes.io/metrics";
static const char *const ann_behavior = "autoscaling.alpha.kubernetes.io/behavior";
static const char *const ann_conditions = "autoscaling.alpha.kubernetes.io/conditions";
static const char *const ann_current = "autoscaling.alpha.kubernetes.io/current-metrics";

static void move(json_t *from, const char *fk, json_t *to, const char *tk) {
  json_t *v = json_object_get(from, fk);
  if (!v) return;
  json_object_set(to, tk, v);
  json_object_del(from, fk);
}

static void annotate(json_t *obj, const char *key, const json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT);
  json_object_set_new(kobj(kobj(obj, "metadata"), "annotations"), key, json_string(s));
  free(s);
}

/* Removes annotation key and returns its parsed JSON value (new reference) or NULL. */
static json_t *take_annotation(json_t *obj, const char *key) {
  json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
  const char *s = kstr(ann, key);
  json_t *v = s ? json_loads(s, 0, NULL) : NULL;
  if (ann) json_object_del(ann, key);
  if (ann && !json_object_size(ann)) json_object_del(json_object_get(obj, "metadata"), "annotations");
  return v;
}

static bool cpu_utilization(const json_t *m, json_int_t *pct) {
  const json_t *res = json_object_get(m, "resource");
  const json_t *target = json_object_get(res, "target");
  if (!kstr(m, "type") || strcmp(kstr(m, "type"), "Resource") || !kstr(res, "name") || strcmp(kstr(res, "name"), "cpu"))
    return false;
  if (!kstr(target, "type") || strcmp(kstr(target, "type"), "Utilization")) return false;
  *pct = json_integer_value(json_object_get(target, "averageUtilization"));
  return true;
}

static void hpa_to_v1(json_t *obj) {
  json_t *spec = kobj(obj, "spec"), *status = json_object_get(obj, "status");
  json_t *metrics = json_incref(json_object_get(spec, "metrics"));
  json_object_del(spec, "metrics");
  json_t *others = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(metrics, i, m) {
    json_int_t pct;
    if (cpu_utilization(m, &pct)) json_object_set_new(spec, "targetCPUUtilizationPercentage", json_integer(pct));
    else json_array_append(others, m);
  }
  if (json_array_size(others)) annotate(obj, ann_metrics, others);
  json_decref(others);
  json_decref(metrics);
  json_t *behavior = json_object_get(spec, "behavior");
  if (behavior) {
    annotate(obj, ann_behavior, behavior);
    json_object_del(spec, "behavior");
  }
  if (json_is_object(status)) {
    json_t *cur = json_incref(json_object_get(status, "currentMetrics"));
    json_object_del(status, "currentMetrics");
    json_array_foreach(cur, i, m) {
      const json_t *res = json_object_get(m, "resource");
      if (kstr(res, "name") && !strcmp(kstr(res, "name"), "cpu") &&
          json_object_get(json_object_get(res, "current"), "averageUtilization"))
        json_object_set(status, "currentCPUUtilizationPercentage",
                        json_object_get(json_object_get(res, "current"), "averageUtilization"));
    }
    if (json_array_size(cur)) annotate(obj, ann_current, cur);
    json_decref(cur);
    json_t *conds = json_object_get(status, "conditions");
    if (json_array_size(conds)) annotate(obj, ann_conditions, conds);
    json_object_del(status, "conditions");
  }
}

static void hpa_from_v1(json_t *obj) {
  json_t *spec = kobj(obj, "spec"), *status = json_object_get(obj, "status");
  json_t *metrics = take_annotation(obj, ann_metrics);
  if (!json_is_array(metrics)) {
    json_decref(metrics);
    metrics = json_array();
  }
  json_t *pct = json_object_get(spec, "targetCPUUtilizationPercentage");
  if (pct)
    json_array_insert_new(metrics, 0, json_pack("{s:s,s:{s:s,s:{s:s,s:O}}}", "type", "Resource", "resource", "name",
                                                "cpu", "target", "type", "Utilization", "averageUtilization", pct));
  json_object_del(spec, "targetCPUUtilizationPercentage");
  if (json_array_size(metrics)) json_object_set(spec, "metrics", metrics);
  json_decref(metrics);
  json_t *behavior = take_annotation(obj, ann_behavior);
  if (behavior) json_object_set_new(spec, "behavior", behavior);
  json_t *cur = take_annotation(obj, ann_current), *conds = take_annotation(obj, ann_conditions);
  if (json_is_object(status)) {
    json_object_del(status, "currentCPUUtilizationPercentage");
    if (json_array_size(cur)) json_object_set(status, "currentMetrics", cur);
    if (json_array_size(conds)) json_object_set(status, "conditions", conds);
  }
  json_decref(cur);
  json_decref(conds);
}

static void event_to_core(json_t *e) {
  move(e, "regarding", e, "involvedObject");
  move(e, "note", e, "message");
  move(e, "deprecatedSource", e, "source");
  move(e, "deprecatedFirstTimestamp", e, "firstTimestamp");
  move(e, "deprecatedLastTimestamp", e, "lastTimestamp");
  move(e, "deprecatedCount", e, "count");
  move(e, "reportingController", e, "reportingComponent");
  kdefault(e, "involvedObject", json_object());
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
    if (!strcmp(to, "autoscaling/v1")) hpa_to_v1(obj);
    else if (!strcmp(from, "autoscaling/v1")) hpa_from_v1(obj);
  } else if (!strcmp(kind, "Event")) {
    if (!strcmp(to, "v1")) event_to_core(obj);
    else if (!strcmp(from, "v1")) event_from_core(obj);
  } else if (!strcmp(kind, "EndpointSlice")) {
    if (!strcmp(to, "discovery.k8s.io/v1")) endpointslice_topology(obj, "topology", "deprecatedTopology");
    else endpointslice_topology(obj, "deprecatedTopology", "topology");
  } else if (strcmp(kind, "CronJob") && strcmp(kind, "PodDisruptionBudget")) {
    rc = -1;
  }
  json_object_set_new(obj, "apiVersion", json_string(to));
  return rc;
}
