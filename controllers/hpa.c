/* hpa.c - the HorizontalPodAutoscaler controller, as kube-controller-manager
 * 1.20 runs it (pkg/controller/podautoscaler/horizontal.go): every HPA is
 * looked at 15 s after it changes and then every 15 s. A sync reads the HPA
 * as autoscaling/v2beta2, the target's scale (spec.replicas, status.replicas
 * and the selector of a Deployment, ReplicaSet, StatefulSet,
 * ReplicationController or custom resource with a scale subresource), the
 * pods the selector picks and their usage from resource_metrics.h, asks
 * hpa_calc.h for a proposal per metric (Resource and ContainerResource;
 * Pods, Object and External have no metrics API here and fail as they do
 * without one), normalizes the largest one (min/max, stabilization,
 * behavior), scales the target when the size changes, and writes status
 * with 1.20's conditions and Events (source "horizontal-pod-autoscaler"). */
#include "controllers.h"
#include "crd.h"
#include "crd_schema.h"
#include "ctrl.h"
#include "events.h"
#include "hpa_calc.h"
#include "log.h"
#include "quantity.h"
#include "resource_metrics.h"
#include "status.h"
#include "strmap.h"
#include "workload.h"
#include "timestamp.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "horizontal-pod-autoscaler"
#define RESYNC_MS 15000                       /* --horizontal-pod-autoscaler-sync-period */
#define DOWNSCALE_WINDOW_MS (300LL * 1000)    /* --horizontal-pod-autoscaler-downscale-stabilization */
#define CPU_INIT_MS (300LL * 1000)            /* --horizontal-pod-autoscaler-cpu-initialization-period */
#define READINESS_DELAY_MS (30LL * 1000)      /* --horizontal-pod-autoscaler-initial-readiness-delay */
#define TOLERANCE 0.1                         /* --horizontal-pod-autoscaler-tolerance */

static ctrl *c;
static strmap *histories; /* key -> hpa_history; the worker thread only */

static void free_history(void *v) {
  hpa_history_clear(v);
  free(v);
}

/* ---- status helpers ---- */

/* setConditionInList: the condition of type takes status, reason and the
 * message; lastTransitionTime moves only when the status changes. */
static void set_condition(json_t *status, const char *type, const char *cstatus, const char *reason, const char *fmt,
                          ...) __attribute__((format(printf, 5, 6)));
static void set_condition(json_t *status, const char *type, const char *cstatus, const char *reason, const char *fmt,
                          ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
  json_t *cond = NULL, *x;
  size_t i;
  json_array_foreach(conds, i, x) {
    if (json_path_str(x, "type") && !strcmp(json_path_str(x, "type"), type)) cond = x;
  }
  if (!cond) /* the fields in the order Kubernetes writes them */
    json_array_append_new(conds, cond = json_pack("{s:s,s:s,s:s}", "type", type, "status", "", "lastTransitionTime", ""));
  const char *old = json_path_str(cond, "status");
  if (!old || strcmp(old, cstatus) != 0) {
    char now[40];
    rfc3339_now(now, sizeof now);
    json_object_set_new(cond, "lastTransitionTime", json_string(now));
  }
  json_object_set_new(cond, "status", json_string(cstatus));
  json_object_set_new(cond, "reason", json_string(reason));
  json_object_set_new(cond, "message", json_string(msg));
}

/* setStatus: replicas, metrics (stolen; NULL keeps none), lastScaleTime. */
static void set_status(json_t *hpa, int32_t current, int32_t desired, json_t *metrics, bool rescaled) {
  json_t *old = json_object_get(hpa, "status");
  json_t *st = json_pack("{s:i,s:i}", "currentReplicas", current, "desiredReplicas", desired);
  json_t *last = json_object_get(old, "lastScaleTime");
  if (rescaled) {
    char now[40];
    rfc3339_now(now, sizeof now);
    json_object_set_new(st, "lastScaleTime", json_string(now));
  } else if (last && !json_is_null(last)) {
    json_object_set(st, "lastScaleTime", last);
  }
  json_object_set_new(st, "currentMetrics", metrics ? metrics : json_null());
  json_t *conds = json_object_get(old, "conditions");
  json_object_set(st, "conditions", conds ? conds : json_null());
  json_object_set_new(hpa, "status", st);
}

/* updateStatusIfNeeded */
static int update_status(json_t *hpa, const json_t *orig) {
  if (json_equal(json_object_get(hpa, "status"), (json_t *)orig)) return 0;
  int code = ctrl_update(cctx, "autoscaling", "v2beta2", "horizontalpodautoscalers", obj_ns(hpa), "status",
                         json_deep_copy(hpa));
  if (code >= 300)
    event_record(cctx, hpa, COMPONENT, "Warning", "FailedUpdateStatus", "failed to update status (%d)", code);
  return code;
}

/* ---- the scale of the target ---- */

typedef struct {
  const resource *r;
  json_t *obj;
  int32_t spec_replicas, status_replicas;
  bool no_selector;    /* the Scale's status.selector would be "" */
  label_selector *sel; /* NULL with no_selector or a bad selector */
  char sel_err[512];
} scale_target;

static void scale_target_clear(scale_target *t) {
  json_decref(t->obj);
  label_selector_free(t->sel);
  memset(t, 0, sizeof *t);
}

/* The served resource of group/kind with a scale subresource: the version
 * asked for first, as the RESTMapper orders mappings. */
static const resource *scale_resource(const char *group, const char *version, const char *kind) {
  const resource *found = NULL;
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (!registry_served(r) || strcmp(r->ref.group, group) || strcmp(r->ref.kind, kind)) continue;
    if (!strcmp(r->ref.version, version)) return r;
    if (!found) found = r;
  }
  return found;
}

/* Reads the target's scale; -1 with the error Kubernetes reports. */
static int get_scale(const json_t *hpa, scale_target *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  const char *av = json_path_str(hpa, "spec.scaleTargetRef.apiVersion"), *kind = json_path_str(hpa, "spec.scaleTargetRef.kind");
  const char *name = json_path_str(hpa, "spec.scaleTargetRef.name");
  char group[256] = "", version[256] = "";
  const char *slash = av ? strchr(av, '/') : NULL;
  if (av && slash && strchr(slash + 1, '/')) {
    snprintf(err, errlen, "unexpected GroupVersion string: %s", av);
    return -1;
  }
  if (slash) snprintf(group, sizeof group, "%.*s", (int)(slash - av), av), snprintf(version, sizeof version, "%s", slash + 1);
  else snprintf(version, sizeof version, "%s", av ? av : "");
  t->r = scale_resource(group, version, kind ? kind : "");
  if (!t->r) {
    snprintf(err, errlen, "no matches for kind \"%s\" in group \"%s\"", kind ? kind : "", group);
    return -1;
  }
  if (!registry_subresource(t->r, "scale") && !(t->r->ref.crd && t->r->ref.crd->scale)) {
    snprintf(err, errlen, "the server could not find the requested resource");
    return -1;
  }
  api_result res = api_get(cctx->srv, t->r, obj_ns(hpa), name ? name : "");
  if (res.code != 200) {
    json_t *st = api_result_json(&res);
    snprintf(err, errlen, "%s", json_path_str(st, "message") ? json_path_str(st, "message") : "unable to get the target");
    json_decref(st);
    api_result_clear(&res);
    return -1;
  }
  t->obj = api_result_json(&res);
  api_result_clear(&res);
  const json_t *paths = t->r->ref.crd ? t->r->ref.crd->scale : NULL;
  if (paths) {
    const char *path = json_path_str(paths, "labelSelectorPath");
    const char *sel = json_string_value(path ? crd_jsonpath_get(t->obj, path) : NULL);
    t->spec_replicas = (int32_t)json_integer_value(crd_jsonpath_get(t->obj, json_path_str(paths, "specReplicasPath")));
    t->status_replicas = (int32_t)json_integer_value(crd_jsonpath_get(t->obj, json_path_str(paths, "statusReplicasPath")));
    t->no_selector = !sel || !*sel;
    if (!t->no_selector) t->sel = label_selector_parse(sel, t->sel_err, sizeof t->sel_err);
  } else {
    const json_t *sel = json_path(t->obj, "spec.selector");
    bool rc = !strcmp(t->r->ref.kind, "ReplicationController");
    t->spec_replicas = (int32_t)json_path_int(t->obj, "spec.replicas", 1);
    t->status_replicas = (int32_t)json_path_int(t->obj, "status.replicas", 0);
    t->no_selector = rc ? !json_object_size(sel)
                        : !json_object_size(json_object_get(sel, "matchLabels")) &&
                              !json_array_size(json_object_get(sel, "matchExpressions"));
    if (!t->no_selector) t->sel = workload_selector(t->obj, rc);
  }
  return 0;
}

/* Scales the target to replicas (a merge patch of its replicas field, as
 * the scale subresource writes it); the error message on failure. */
static int write_scale(const json_t *hpa, const scale_target *t, int32_t replicas, char *err, size_t errlen) {
  json_t *patch = json_object();
  const json_t *paths = t->r->ref.crd ? t->r->ref.crd->scale : NULL;
  if (paths) crd_jsonpath_set(patch, json_path_str(paths, "specReplicasPath"), json_integer(replicas));
  else json_object_set_new(patch, "spec", json_pack("{s:i}", "replicas", replicas));
  char *body = json_dumps(patch, JSON_COMPACT);
  json_decref(patch);
  api_opts o = {0};
  api_result res = api_patch(cctx->srv, t->r, obj_ns(hpa), obj_name(t->obj), NULL, "application/merge-patch+json", body,
                             strlen(body), &o);
  free(body);
  int rc = 0;
  if (res.code >= 300) {
    json_t *st = api_result_json(&res);
    snprintf(err, errlen, "%s", json_path_str(st, "message") ? json_path_str(st, "message") : "the update failed");
    json_decref(st);
    rc = -1;
  }
  api_result_clear(&res);
  return rc;
}

/* ---- metrics ---- */

/* The pods of the selector in ns as hpa_pods for resource (container: only
 * that container counts). pods_out keeps the references the names point to. */
static hpa_pod *collect_pods(const char *ns, const label_selector *sel, const char *resource, const char *container,
                             cobj_vec *pods_out, size_t *n, char *err, size_t errlen) {
  cobj_vec all = {0};
  ctrl_list(cctx, "", "v1", "pods", ns, &all);
  for (size_t i = 0; i < all.n; i++)
    if (label_selector_matches(sel, json_path(all.items[i]->obj, "metadata.labels")))
      cobj_vec_push(pods_out, cobj_ref(all.items[i]));
  cobj_vec_clear(&all);
  hpa_pod *pods = calloc(pods_out->n + 1, sizeof *pods);
  *n = pods_out->n;
  for (size_t i = 0; i < pods_out->n; i++) {
    const json_t *pod = pods_out->items[i]->obj;
    hpa_pod *p = &pods[i];
    const char *phase = json_path_str(pod, "status.phase");
    p->name = obj_name(pod);
    p->ignored = obj_deleting(pod) || (phase && !strcmp(phase, "Failed"));
    p->pending = phase && !strcmp(phase, "Pending");
    const json_t *ready = NULL, *cond;
    size_t k;
    json_array_foreach(json_path(pod, "status.conditions"), k, cond) {
      if (json_path_str(cond, "type") && !strcmp(json_path_str(cond, "type"), "Ready")) ready = cond;
    }
    const char *start = json_path_str(pod, "status.startTime");
    p->has_ready = ready && start;
    p->ready_false = ready && json_path_str(ready, "status") && !strcmp(json_path_str(ready, "status"), "False");
    p->start_ms = rfc3339_seconds(start) * 1000;
    p->ready_ms = rfc3339_seconds(json_path_str(ready, "lastTransitionTime")) * 1000;
    p->has_request = true;
    json_t *ct;
    json_array_foreach(json_path(pod, "spec.containers"), k, ct) {
      if (container && (!json_path_str(ct, "name") || strcmp(json_path_str(ct, "name"), container))) continue;
      const char *q = json_string_value(json_object_get(json_path(ct, "resources.requests"), resource));
      quantity qq;
      if (q && !quantity_parse(q, &qq)) p->request += quantity_milli(&qq);
      else p->has_request = false;
    }
    int got = resource_metrics_pod_usage(pod, resource, container, &p->metric, &p->metric_ts_ms, &p->metric_window_ms);
    if (got < 0) {
      /* getContainerMetrics fails the whole fetch */
      snprintf(err, errlen,
               "unable to get metrics for resource %s: failed to get container metrics: container %s not present in "
               "metrics for pod %s/%s",
               resource, container, ns, p->name);
      free(pods);
      return NULL;
    }
    p->has_metric = got == 1;
  }
  return pods;
}

/* One metric's proposal (computeReplicasForMetric). On failure: -1, err
 * and the ScalingActive condition it proposes (reason; message built from
 * err); the Event is recorded here as Kubernetes does. */
typedef struct {
  int32_t replicas;
  char name[256]; /* "cpu resource utilization (percentage of request)" */
  json_t *status; /* the MetricStatus (new reference) */
  const char *fail_reason;
  char err[1024];
} metric_result;

static int resource_metric(const json_t *hpa, const json_t *src, const char *type, const label_selector *sel,
                           int32_t spec_replicas, metric_result *mr) {
  bool container_type = !strcmp(type, "ContainerResource");
  const char *resource = json_path_str(src, "name") ? json_path_str(src, "name") : "";
  const char *container = container_type ? json_path_str(src, "container") : NULL;
  const json_t *target = json_object_get(src, "target");
  const char *avg = json_path_str(target, "averageValue");
  const json_t *util = json_object_get(target, "averageUtilization");
  mr->fail_reason = container_type ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
  char err[900] = "";
  hpa_calc_opts o = {resource, TOLERANCE, CPU_INIT_MS, READINESS_DELAY_MS, wall_ms()};
  hpa_proposal p = {0};
  int rc = -1;
  json_t *current = NULL;
  if (!avg && !json_is_integer(util)) {
    snprintf(mr->err, sizeof mr->err, "invalid resource metric source: neither a utilization target nor a value target was set");
    return -1;
  }
  cobj_vec refs = {0};
  size_t n = 0;
  hpa_pod *pods = collect_pods(obj_ns(hpa), sel, resource, container, &refs, &n, err, sizeof err);
  if (pods && avg) {
    quantity q;
    int64_t target_milli = quantity_parse(avg, &q) ? 0 : quantity_milli(&q);
    rc = hpa_average_replicas(pods, n, spec_replicas, target_milli, &o, &p, err, sizeof err);
    if (!rc) {
      snprintf(mr->name, sizeof mr->name, "%s resource", resource);
      current = json_object();
    }
  } else if (pods) {
    rc = hpa_utilization_replicas(pods, n, spec_replicas, (int32_t)json_integer_value(util), &o, &p, err, sizeof err);
    if (!rc) {
      snprintf(mr->name, sizeof mr->name, "%s resource utilization (percentage of request)", resource);
      current = json_pack("{s:i}", "averageUtilization", p.utilization);
    }
  }
  free(pods);
  cobj_vec_clear(&refs);
  if (rc) {
    snprintf(mr->err, sizeof mr->err, "failed to get %s utilization: %s", resource, err);
    return -1;
  }
  quantity q = {p.average, -3, QTY_DECIMAL_SI};
  char qs[64];
  json_object_set_new(current, "averageValue", json_string(quantity_format_str(&q, qs, sizeof qs)));
  json_t *body = json_pack("{s:s,s:o}", "name", resource, "current", current);
  if (container) json_object_set_new(body, "container", json_string(container));
  mr->status = json_pack("{s:s,s:o}", "type", type, container_type ? "containerResource" : "resource", body);
  mr->replicas = p.replicas;
  return 0;
}

static int compute_metric(const json_t *hpa, const json_t *spec, const label_selector *sel, int32_t spec_replicas,
                          metric_result *mr) {
  const char *type = json_path_str(spec, "type") ? json_path_str(spec, "type") : "";
  int rc;
  if (!strcmp(type, "Resource")) rc = resource_metric(hpa, json_object_get(spec, "resource"), type, sel, spec_replicas, mr);
  else if (!strcmp(type, "ContainerResource"))
    rc = resource_metric(hpa, json_object_get(spec, "containerResource"), type, sel, spec_replicas, mr);
  else if (!strcmp(type, "Pods")) {
    mr->fail_reason = "FailedGetPodsMetric";
    snprintf(mr->err, sizeof mr->err,
             "unable to get metric %s: unable to fetch metrics from custom metrics API: no custom metrics API "
             "(custom.metrics.k8s.io) registered",
             json_path_str(spec, "pods.metric.name") ? json_path_str(spec, "pods.metric.name") : "");
    rc = -1;
  } else if (!strcmp(type, "Object")) {
    mr->fail_reason = "FailedGetObjectMetric";
    snprintf(mr->err, sizeof mr->err,
             "unable to get metric %s: unable to fetch metrics from custom metrics API: no custom metrics API "
             "(custom.metrics.k8s.io) registered",
             json_path_str(spec, "object.metric.name") ? json_path_str(spec, "object.metric.name") : "");
    rc = -1;
  } else if (!strcmp(type, "External")) {
    mr->fail_reason = "FailedGetExternalMetric";
    snprintf(mr->err, sizeof mr->err,
             "unable to get external metric %s/%s: unable to fetch metrics from external metrics API: no external "
             "metrics API (external.metrics.k8s.io) registered",
             obj_ns(hpa), json_path_str(spec, "external.metric.name") ? json_path_str(spec, "external.metric.name") : "");
    rc = -1;
  } else {
    mr->fail_reason = "InvalidMetricSourceType";
    snprintf(mr->err, sizeof mr->err, "unknown metric source type \"%s\"", type);
    rc = -1;
  }
  if (rc) event_record(cctx, hpa, COMPONENT, "Warning", mr->fail_reason, "%s", mr->err);
  return rc;
}

/* computeReplicasForMetrics: the largest proposal; the metric statuses into
 * *statuses (new reference). -1 with err when every metric failed. */
static int compute_metrics(json_t *hpa, const scale_target *t, int32_t *replicas, char *metric, size_t mlen,
                           json_t **statuses, char *err, size_t errlen) {
  json_t *status = json_object_get(hpa, "status");
  *statuses = NULL;
  if (t->no_selector) {
    event_record(cctx, hpa, COMPONENT, "Warning", "SelectorRequired", "selector is required");
    set_condition(status, "ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector");
    snprintf(err, errlen, "selector is required");
    return -1;
  }
  const label_selector *sel = t->sel;
  if (!sel) {
    char msg[700];
    snprintf(msg, sizeof msg, "couldn't convert selector into a corresponding internal selector object: %s",
             t->sel_err);
    event_record(cctx, hpa, COMPONENT, "Warning", "InvalidSelector", "%s", msg);
    set_condition(status, "ScalingActive", "False", "InvalidSelector", "%s", msg);
    snprintf(err, errlen, "%s", msg);
    return -1;
  }
  const json_t *specs = json_path(hpa, "spec.metrics");
  size_t nspecs = json_array_size(specs), invalid = 0;
  json_t *list = json_array();
  metric_result first = {0};
  *replicas = 0;
  for (size_t i = 0; i < nspecs; i++) {
    metric_result mr = {0};
    if (compute_metric(hpa, json_array_get(specs, i), sel, t->spec_replicas, &mr)) {
      if (!invalid++) first = mr;
      json_array_append_new(list, json_pack("{s:s}", "type", ""));
      continue;
    }
    json_array_append_new(list, mr.status);
    if (*replicas == 0 || mr.replicas > *replicas) {
      *replicas = mr.replicas;
      snprintf(metric, mlen, "%s", mr.name);
    }
  }
  *statuses = list;
  if (invalid >= nspecs) {
    if (nspecs)
      set_condition(status, "ScalingActive", "False", first.fail_reason,
                    "the HPA was unable to compute the replica count: %s", first.err);
    snprintf(err, errlen, "invalid metrics (%zu invalid out of %zu), first error is: %s", invalid, nspecs,
             first.err);
    return -1;
  }
  set_condition(status, "ScalingActive", "True", "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from %s", metric);
  return 0;
}

/* ---- behavior ---- */

static void parse_rules(const json_t *r, hpa_rules *out, int32_t window, bool up) {
  memset(out, 0, sizeof *out);
  out->window_seconds = window;
  const json_t *w = json_object_get(r, "stabilizationWindowSeconds");
  if (json_is_integer(w)) out->window_seconds = (int32_t)json_integer_value(w);
  const char *sel = json_path_str(r, "selectPolicy");
  out->select = sel && !strcmp(sel, "Min") ? HPA_SELECT_MIN : sel && !strcmp(sel, "Disabled") ? HPA_SELECT_DISABLED
                                                                                               : HPA_SELECT_MAX;
  const json_t *pols = json_object_get(r, "policies");
  if (!json_is_array(pols)) { /* GenerateHPAScale{Up,Down}Rules' defaults */
    if (up) {
      out->policies[out->npolicies++] = (hpa_policy){false, 4, 15};
      out->policies[out->npolicies++] = (hpa_policy){true, 100, 15};
    } else {
      out->policies[out->npolicies++] = (hpa_policy){true, 100, 15};
    }
    return;
  }
  size_t i;
  json_t *p;
  json_array_foreach(pols, i, p) {
    if (out->npolicies == HPA_MAX_POLICIES) break;
    const char *type = json_path_str(p, "type");
    out->policies[out->npolicies++] = (hpa_policy){type && !strcmp(type, "Percent"),
                                                   (int32_t)json_path_int(p, "value", 0), (int32_t)json_path_int(p, "periodSeconds", 0)};
  }
}

/* spec.behavior with the defaults filled (NULL when there is none). */
static const hpa_behavior *behavior_of(const json_t *hpa, hpa_behavior *b) {
  const json_t *bj = json_path(hpa, "spec.behavior");
  if (!json_is_object(bj)) return NULL;
  parse_rules(json_object_get(bj, "scaleUp"), &b->up, 0, true);
  parse_rules(json_object_get(bj, "scaleDown"), &b->down, (int32_t)(DOWNSCALE_WINDOW_MS / 1000), false);
  return b;
}

/* ---- the sync ---- */

static hpa_history *history_of(const char *key) {
  hpa_history *h = strmap_get(histories, key);
  if (!h) strmap_put(histories, key, h = calloc(1, sizeof *h));
  return h;
}

/* reconcileAutoscaler */
static void reconcile(json_t *hpa, const char *key) {
  json_t *orig = json_deep_copy(json_object_get(hpa, "status"));
  json_t *status = jobj(hpa, "status");
  char ref[800], err[2048] = "";
  snprintf(ref, sizeof ref, "%s/%s/%s", json_path_str(hpa, "spec.scaleTargetRef.kind") ?: "", obj_ns(hpa),
           json_path_str(hpa, "spec.scaleTargetRef.name") ?: "");
  scale_target t;
  if (get_scale(hpa, &t, err, sizeof err)) {
    event_record(cctx, hpa, COMPONENT, "Warning", "FailedGetScale", "%s", err);
    set_condition(status, "AbleToScale", "False", "FailedGetScale",
                  "the HPA controller was unable to get the target's current scale: %s", err);
    update_status(hpa, orig);
    LOGD("hpa %s: failed to query scale subresource for %s: %s", key, ref, err);
    scale_target_clear(&t);
    json_decref(orig);
    return;
  }
  set_condition(status, "AbleToScale", "True", "SucceededGetScale",
                "the HPA controller was able to get the target's current scale");
  int32_t current = t.spec_replicas;
  hpa_history *h = history_of(key);
  long long now = wall_ms();
  hpa_record_initial(h, current, now);
  int32_t min_r = (int32_t)json_path_int(hpa, "spec.minReplicas", 1), max_r = (int32_t)json_path_int(hpa, "spec.maxReplicas", 0);
  int32_t desired = 0;
  char reason[512] = "", metric[256] = "";
  json_t *statuses = NULL;
  bool rescale = true;
  hpa_behavior bstore;
  const hpa_behavior *b = behavior_of(hpa, &bstore);
  if (t.spec_replicas == 0 && min_r != 0) {
    rescale = false;
    set_condition(status, "ScalingActive", "False", "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero");
  } else if (current > max_r) {
    snprintf(reason, sizeof reason, "Current number of replicas above Spec.MaxReplicas");
    desired = max_r;
  } else if (current < min_r) {
    snprintf(reason, sizeof reason, "Current number of replicas below Spec.MinReplicas");
    desired = min_r;
  } else {
    int32_t proposal = 0;
    if (compute_metrics(hpa, &t, &proposal, metric, sizeof metric, &statuses, err, sizeof err)) {
      /* setCurrentReplicasInStatus keeps the last desired size and metrics */
      json_t *old_metrics = json_object_get(status, "currentMetrics");
      set_status(hpa, current, (int32_t)json_path_int(hpa, "status.desiredReplicas", 0),
                 old_metrics && !json_is_null(old_metrics) ? json_incref(old_metrics) : NULL, false);
      update_status(hpa, orig);
      event_record(cctx, hpa, COMPONENT, "Warning", "FailedComputeMetricsReplicas", "%s", err);
      LOGD("hpa %s: failed to compute desired number of replicas for %s: %s", key, ref, err);
      json_decref(statuses);
      scale_target_clear(&t);
      json_decref(orig);
      return;
    }
    if (proposal > desired) desired = proposal;
    if (desired > current) snprintf(reason, sizeof reason, "%s above target", metric);
    if (desired < current) snprintf(reason, sizeof reason, "All metrics below target");
    hpa_normalized nz;
    desired = hpa_normalize(h, b, current, desired, min_r, max_r, DOWNSCALE_WINDOW_MS, now, &nz);
    set_condition(status, "AbleToScale", "True", nz.able_reason, "%s", nz.able_message);
    set_condition(status, "ScalingLimited", nz.limited ? "True" : "False", nz.limited_reason, "%s",
                  nz.limited_message);
    rescale = desired != current;
  }
  if (rescale) {
    if (write_scale(hpa, &t, desired, err, sizeof err)) {
      event_record(cctx, hpa, COMPONENT, "Warning", "FailedRescale", "New size: %d; reason: %s; error: %s", desired,
                   reason, err);
      set_condition(status, "AbleToScale", "False", "FailedUpdateScale",
                    "the HPA controller was unable to update the target scale: %s", err);
      json_t *old_metrics = json_object_get(status, "currentMetrics");
      set_status(hpa, current, (int32_t)json_path_int(hpa, "status.desiredReplicas", 0),
                 old_metrics && !json_is_null(old_metrics) ? json_incref(old_metrics) : NULL, false);
      update_status(hpa, orig);
      json_decref(statuses);
      scale_target_clear(&t);
      json_decref(orig);
      return;
    }
    set_condition(status, "AbleToScale", "True", "SucceededRescale",
                  "the HPA controller was able to update the target scale to %d", desired);
    event_record(cctx, hpa, COMPONENT, "Normal", "SuccessfulRescale", "New size: %d; reason: %s", desired, reason);
    hpa_store_scale_event(h, b, current, desired, now);
    LOGI("successful rescale of %s, old size: %d, new size: %d, reason: %s", obj_name(hpa), current, desired, reason);
  } else {
    desired = current;
  }
  set_status(hpa, current, desired, statuses, rescale);
  update_status(hpa, orig);
  scale_target_clear(&t);
  json_decref(orig);
}

static ctrl_result sync_hpa(void *ctx, const char *key) {
  const char *slash = strchr(key, '/');
  if (!slash) return ctrl_done();
  char ns[256];
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  const resource *r = registry_find("autoscaling", "v2beta2", "horizontalpodautoscalers");
  api_result res = r ? api_get(cctx->srv, r, ns, slash + 1) : (api_result){404, NULL, NULL};
  if (res.code != 200) {
    api_result_clear(&res);
    hpa_history *h = strmap_remove(histories, key);
    if (h) free_history(h);
    return ctrl_done();
  }
  json_t *got = api_result_json(&res);
  json_t *hpa = json_deep_copy(got);
  json_decref(got);
  api_result_clear(&res);
  reconcile(hpa, key);
  json_decref(hpa);
  return ctrl_requeue_after(RESYNC_MS);
}

/* Changes are looked at one resync period later, as the real controller's
 * rate limiter adds them (an earlier pending look wins); a deleted HPA is
 * forgotten at once. */
static void on_hpa(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) ctrl_add(c, informer_key(obj));
  else ctrl_add_after(c, informer_key(obj), RESYNC_MS);
}

void hpa_controller_start(const ctrl_context *cc) {
  cctx = cc;
  histories = strmap_new();
  c = ctrl_start(cctx, "horizontal-pod-autoscaler", sync_hpa, NULL);
  ctrl_follow(c, "autoscaling", "v1", "horizontalpodautoscalers", on_hpa);
}

void hpa_controller_stop(void) {
  ctrl_stop(c);
  c = NULL;
  strmap_free(histories, free_history);
  histories = NULL;
}
