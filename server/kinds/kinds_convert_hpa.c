/* kinds_convert_hpa.c - HorizontalPodAutoscaler between autoscaling/v1 (the
 * storage version, one CPU target) and the v2 shapes (v2beta2, v2: a metric
 * list and scaling behavior), the way pkg/apis/autoscaling/v1/conversion.go
 * does it: the CPU utilization target maps to targetCPUUtilizationPercentage,
 * every other metric, the current metrics, the conditions and the behavior
 * ride in autoscaling.alpha.kubernetes.io/ annotations in the v1 wire format
 * (targetAverageValue, metricName, ...; behavior with Go field names, as
 * Kubernetes marshals its internal type), and come back from them. A v1
 * object without any target reads as the 80% CPU default. autoscaling/v2beta1
 * has that v1 wire format as its metric fields (and keeps behavior in the
 * annotation): it goes through the v2beta2 shape (pkg/apis/autoscaling/
 * v2beta1/conversion.go). */
#include "kinds_util.h"
#include <stdlib.h>
#include <string.h>

static const char *const ann_metrics = "autoscaling.alpha.kubernetes.io/metrics";
static const char *const ann_current = "autoscaling.alpha.kubernetes.io/current-metrics";
static const char *const ann_behavior = "autoscaling.alpha.kubernetes.io/behavior";
static const char *const ann_conditions = "autoscaling.alpha.kubernetes.io/conditions";

static bool is(const json_t *obj, const char *key, const char *value) {
  const char *s = kstr(obj, key);
  return s && !strcmp(s, value);
}

/* obj[to] = from[key] when present (new reference taken). */
static void copy(json_t *to, const char *tk, const json_t *from, const char *fk) {
  json_t *v = json_object_get(from, fk);
  if (v && !json_is_null(v)) json_object_set(to, tk, v);
}

static json_t *take_annotation(json_t *obj, const char *key) {
  json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
  const char *s = kstr(ann, key);
  json_t *v = s ? json_loads(s, 0, NULL) : NULL;
  if (ann) json_object_del(ann, key);
  return v;
}

static void drop_round_trip_annotations(json_t *obj) {
  json_t *md = json_object_get(obj, "metadata");
  json_t *ann = json_object_get(md, "annotations");
  const char *keys[] = {ann_metrics, ann_current, ann_behavior, ann_conditions};
  for (int i = 0; i < 4; i++) json_object_del(ann, keys[i]);
  if (json_is_object(ann) && !json_object_size(ann)) json_object_del(md, "annotations");
}

static void annotate(json_t *obj, const char *key, json_t *v /* stolen */) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_object_set_new(kobj(kobj(obj, "metadata"), "annotations"), key, json_string(s ? s : "null"));
  free(s);
  json_decref(v);
}

/* ---- metrics: one field map per source, read in both directions -------- */

/* A v1 field and where it lives in the v2 shape: directly in the source
 * object (group NULL) or in its metric/target/current sub-object. always:
 * a quantity Go keeps in a non-pointer field, so it is written ("0") even
 * when unset. */
typedef struct {
  const char *v1, *group, *v2;
  bool always;
} field_map;

static const field_map resource_spec[] = {{"name", NULL, "name", false},
                                          {"targetAverageUtilization", "target", "averageUtilization", false},
                                          {"targetAverageValue", "target", "averageValue", false},
                                          {"container", NULL, "container", false},
                                          {NULL, NULL, NULL, false}};
static const field_map pods_spec[] = {{"metricName", "metric", "name", false},
                                      {"targetAverageValue", "target", "averageValue", true},
                                      {"selector", "metric", "selector", false},
                                      {NULL, NULL, NULL, false}};
static const field_map object_spec[] = {{"target", NULL, "describedObject", false},
                                        {"metricName", "metric", "name", false},
                                        {"targetValue", "target", "value", true},
                                        {"selector", "metric", "selector", false},
                                        {"averageValue", "target", "averageValue", false},
                                        {NULL, NULL, NULL, false}};
static const field_map external_spec[] = {{"metricName", "metric", "name", false},
                                          {"metricSelector", "metric", "selector", false},
                                          {"targetValue", "target", "value", false},
                                          {"targetAverageValue", "target", "averageValue", false},
                                          {NULL, NULL, NULL, false}};
static const field_map resource_status[] = {{"name", NULL, "name", false},
                                            {"currentAverageUtilization", "current", "averageUtilization", false},
                                            {"currentAverageValue", "current", "averageValue", true},
                                            {"container", NULL, "container", false},
                                            {NULL, NULL, NULL, false}};
static const field_map pods_status[] = {{"metricName", "metric", "name", false},
                                        {"currentAverageValue", "current", "averageValue", true},
                                        {"selector", "metric", "selector", false},
                                        {NULL, NULL, NULL, false}};
static const field_map object_status[] = {{"target", NULL, "describedObject", false},
                                          {"metricName", "metric", "name", false},
                                          {"currentValue", "current", "value", true},
                                          {"selector", "metric", "selector", false},
                                          {"averageValue", "current", "averageValue", false},
                                          {NULL, NULL, NULL, false}};
static const field_map external_status[] = {{"metricName", "metric", "name", false},
                                            {"metricSelector", "metric", "selector", false},
                                            {"currentValue", "current", "value", true},
                                            {"currentAverageValue", "current", "averageValue", false},
                                            {NULL, NULL, NULL, false}};

/* A metric source: its maps, and the v2 target type a v1 spec implies
 * (type_present when v1 field type_key is set, type_absent otherwise). */
typedef struct {
  const char *key;
  const field_map *spec, *status;
  const char *type_key, *type_present, *type_absent;
} source_map;

static const source_map sources[] = {
    {"resource", resource_spec, resource_status, "targetAverageUtilization", "Utilization", "AverageValue"},
    {"containerResource", resource_spec, resource_status, "targetAverageUtilization", "Utilization", "AverageValue"},
    {"pods", pods_spec, pods_status, NULL, NULL, "AverageValue"},
    {"object", object_spec, object_status, "averageValue", "AverageValue", "Value"},
    {"external", external_spec, external_status, "targetValue", "Value", "AverageValue"},
};

static void put(json_t *dst, const char *key, const json_t *v, bool always) {
  if (v && !json_is_null(v)) json_object_set(dst, key, (json_t *)v);
  else if (always) json_object_set_new(dst, key, json_string("0"));
}

/* A v2 MetricSpec (status=false) or MetricStatus to its v1 form. */
static json_t *metric_to_v1(const json_t *m, bool status) {
  json_t *out = json_pack("{s:s}", "type", kstr(m, "type") ? kstr(m, "type") : "");
  for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
    const json_t *in = json_object_get(m, sources[s].key);
    if (!json_is_object(in)) continue;
    json_t *dst = json_object();
    for (const field_map *f = status ? sources[s].status : sources[s].spec; f->v1; f++) {
      const json_t *from = f->group ? json_object_get(in, f->group) : in;
      put(dst, f->v1, json_object_get(from, f->v2), f->always);
    }
    json_object_set_new(out, sources[s].key, dst);
    break;
  }
  return out;
}

/* The reverse: a v1 metric to the v2 shape, with the target type v1 implies. */
static json_t *metric_from_v1(const json_t *m, bool status) {
  json_t *out = json_pack("{s:s}", "type", kstr(m, "type") ? kstr(m, "type") : "");
  for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
    const source_map *src = &sources[s];
    const json_t *in = json_object_get(m, src->key);
    if (!json_is_object(in)) continue;
    json_t *dst = json_object();
    if (!status) {
      bool present = src->type_key && json_object_get(in, src->type_key);
      json_object_set_new(dst, "target", json_pack("{s:s}", "type", present ? src->type_present : src->type_absent));
    }
    for (const field_map *f = status ? src->status : src->spec; f->v1; f++) {
      json_t *to = f->group ? kobj(dst, f->group) : dst;
      put(to, f->v2, json_object_get(in, f->v1), f->always);
    }
    json_object_set_new(out, src->key, dst);
    break;
  }
  return out;
}

/* ---- behavior: the internal Go type has no json tags --------------------- */

static json_t *rules_to_go(const json_t *r) {
  if (!json_is_object(r)) return json_null();
  json_t *out = json_object(), *pols = json_array();
  const json_t *sw = json_object_get(r, "stabilizationWindowSeconds"), *sp = json_object_get(r, "selectPolicy");
  json_object_set_new(out, "StabilizationWindowSeconds", sw ? json_incref((json_t *)sw) : json_null());
  json_object_set_new(out, "SelectPolicy", sp ? json_incref((json_t *)sp) : json_null());
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(r, "policies"), i, p)
      json_array_append_new(pols, json_pack("{s:O?,s:O?,s:O?}", "Type", json_object_get(p, "type"), "Value",
                                            json_object_get(p, "value"), "PeriodSeconds", json_object_get(p, "periodSeconds")));
  json_object_set_new(out, "Policies", json_object_get(r, "policies") ? pols : (json_decref(pols), json_null()));
  return out;
}

static json_t *rules_from_go(const json_t *r) {
  json_t *out = json_object();
  copy(out, "stabilizationWindowSeconds", r, "StabilizationWindowSeconds");
  copy(out, "selectPolicy", r, "SelectPolicy");
  const json_t *pols = json_object_get(r, "Policies");
  if (json_is_array(pols)) {
    json_t *list = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(pols, i, p) {
      json_t *q = json_object();
      copy(q, "type", p, "Type");
      copy(q, "value", p, "Value");
      copy(q, "periodSeconds", p, "PeriodSeconds");
      json_array_append_new(list, q);
    }
    json_object_set_new(out, "policies", list);
  }
  return out;
}

static bool cpu_utilization(const json_t *m, const char *which, json_t **pct) {
  const json_t *res = json_object_get(m, "resource");
  if (!is(m, "type", "Resource") || !is(res, "name", "cpu")) return false;
  *pct = json_object_get(json_object_get(res, which), "averageUtilization");
  return true;
}

void hpa_to_v1(json_t *obj) {
  drop_round_trip_annotations(obj);
  json_t *spec = kobj(obj, "spec"), *status = json_object_get(obj, "status");
  json_t *metrics = json_incref(json_object_get(spec, "metrics")), *others = json_array(), *m, *pct;
  json_object_del(spec, "metrics");
  bool cpu_seen = false;
  size_t i;
  json_array_foreach(metrics, i, m) {
    if (cpu_utilization(m, "target", &pct)) {
      if (!cpu_seen && pct) json_object_set(spec, "targetCPUUtilizationPercentage", pct);
      cpu_seen = true;
      if (pct) continue;
    }
    json_array_append_new(others, metric_to_v1(m, false));
  }
  json_decref(metrics);
  if (json_array_size(others)) annotate(obj, ann_metrics, others);
  else json_decref(others);
  json_t *behavior = json_object_get(spec, "behavior");
  if (json_is_object(behavior)) {
    annotate(obj, ann_behavior, json_pack("{s:o,s:o}", "ScaleUp", rules_to_go(json_object_get(behavior, "scaleUp")),
                                          "ScaleDown", rules_to_go(json_object_get(behavior, "scaleDown"))));
  }
  json_object_del(spec, "behavior");
  if (!json_is_object(status)) return;
  json_t *cur = json_incref(json_object_get(status, "currentMetrics"));
  json_object_del(status, "currentMetrics");
  if (json_array_size(cur)) {
    json_t *v1 = json_array();
    json_array_foreach(cur, i, m) {
      if (cpu_utilization(m, "current", &pct) && pct) json_object_set(status, "currentCPUUtilizationPercentage", pct);
      json_array_append_new(v1, metric_to_v1(m, true));
    }
    annotate(obj, ann_current, v1);
  }
  json_decref(cur);
  json_t *conds = json_object_get(status, "conditions");
  if (json_array_size(conds)) annotate(obj, ann_conditions, json_incref(conds));
  json_object_del(status, "conditions");
}

void hpa_from_v1(json_t *obj) {
  json_t *spec = kobj(obj, "spec"), *status = json_object_get(obj, "status"), *m;
  json_t *metrics = json_array();
  json_t *others = take_annotation(obj, ann_metrics);
  size_t i;
  json_array_foreach(others, i, m) json_array_append_new(metrics, metric_from_v1(m, false));
  json_decref(others);
  json_t *pct = json_object_get(spec, "targetCPUUtilizationPercentage");
  if (!pct && !json_array_size(metrics)) pct = json_integer(80); /* the controller's implicit v1 default */
  else json_incref(pct);
  if (pct)
    json_array_append_new(metrics, json_pack("{s:s,s:{s:s,s:{s:s,s:o}}}", "type", "Resource", "resource", "name", "cpu",
                                             "target", "type", "Utilization", "averageUtilization", pct));
  json_object_del(spec, "targetCPUUtilizationPercentage");
  json_object_set_new(spec, "metrics", metrics);
  json_t *behavior = take_annotation(obj, ann_behavior);
  if (json_is_object(behavior)) {
    json_t *b = json_object();
    const json_t *up = json_object_get(behavior, "ScaleUp"), *down = json_object_get(behavior, "ScaleDown");
    if (json_is_object(up)) json_object_set_new(b, "scaleUp", rules_from_go(up));
    if (json_is_object(down)) json_object_set_new(b, "scaleDown", rules_from_go(down));
    if (json_object_size(b)) json_object_set_new(spec, "behavior", b);
    else json_decref(b);
  }
  json_decref(behavior);
  json_t *cur = take_annotation(obj, ann_current), *conds = take_annotation(obj, ann_conditions);
  if (json_is_object(status)) {
    json_t *cpu = json_object_get(status, "currentCPUUtilizationPercentage");
    if (json_is_array(cur)) {
      json_t *list = json_array();
      json_array_foreach(cur, i, m) json_array_append_new(list, metric_from_v1(m, true));
      json_object_set_new(status, "currentMetrics", list);
    } else if (cpu) {
      json_object_set_new(status, "currentMetrics",
                          json_pack("[{s:s,s:{s:s,s:{s:O}}}]", "type", "Resource", "resource", "name", "cpu", "current",
                                    "averageUtilization", cpu));
    }
    json_object_del(status, "currentCPUUtilizationPercentage");
    if (json_is_array(conds)) json_object_set(status, "conditions", conds);
  }
  json_decref(cur);
  json_decref(conds);
  drop_round_trip_annotations(obj);
}

/* ---- autoscaling/v2beta1: the v1 annotation shapes as fields ------------- */

/* Each metric of list (spec.metrics or status.currentMetrics) through conv. */
static void map_metrics(json_t *parent, const char *key, json_t *(*conv)(const json_t *, bool), bool status) {
  json_t *list = json_object_get(parent, key);
  if (!json_is_array(list)) return;
  json_t *out = json_array(), *m;
  size_t i;
  json_array_foreach(list, i, m) json_array_append_new(out, conv(m, status));
  json_object_set_new(parent, key, out);
}

void hpa_v2beta1_up(json_t *obj) {
  json_t *spec = kobj(obj, "spec");
  map_metrics(spec, "metrics", metric_from_v1, false);
  map_metrics(json_object_get(obj, "status"), "currentMetrics", metric_from_v1, true);
  /* only well-formed behavior with a rule moves from the annotation */
  json_t *behavior = take_annotation(obj, ann_behavior);
  const json_t *up = json_object_get(behavior, "ScaleUp"), *down = json_object_get(behavior, "ScaleDown");
  if (json_is_object(up) || json_is_object(down)) {
    json_t *b = json_object();
    if (json_is_object(up)) json_object_set_new(b, "scaleUp", rules_from_go(up));
    if (json_is_object(down)) json_object_set_new(b, "scaleDown", rules_from_go(down));
    json_object_set_new(spec, "behavior", b);
  }
  json_decref(behavior);
  drop_round_trip_annotations(obj);
}

void hpa_v2beta1_down(json_t *obj) {
  drop_round_trip_annotations(obj);
  json_t *spec = kobj(obj, "spec");
  map_metrics(spec, "metrics", metric_to_v1, false);
  map_metrics(json_object_get(obj, "status"), "currentMetrics", metric_to_v1, true);
  json_t *behavior = json_object_get(spec, "behavior");
  if (json_is_object(behavior))
    annotate(obj, ann_behavior, json_pack("{s:o,s:o}", "ScaleUp", rules_to_go(json_object_get(behavior, "scaleUp")),
                                          "ScaleDown", rules_to_go(json_object_get(behavior, "scaleDown"))));
  json_object_del(spec, "behavior");
}
