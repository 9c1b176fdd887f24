/* table_apps.c - Table printers for workload controllers: apps
 * (deployments, replicasets, statefulsets, daemonsets, controllerrevisions),
 * batch (jobs with COMPLETIONS/DURATION, cronjobs) and autoscaling
 * (horizontalpodautoscalers, whose TARGETS column reads autoscaling/v1,
 * v2beta1 and v2beta2 shapes alike, as kube-apiserver does after converting
 * every version to its internal type). Missing fields print as Go zero values.
 * The columns are printers.go's own, generated at build time (table_columns.h). */
#include "table_impl.h"
#include "table_columns.h"
#include "timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- apps ------------------------------------------------------------ */

static void deployment_row(const json_t *o, time_t now, json_t *cells) {
  char buf[64];
  cell_str(cells, json_path_str0(o, "metadata.name"));
  snprintf(buf, sizeof buf, "%lld/%lld", tj_int(o, "status.readyReplicas"), tj_int(o, "spec.replicas"));
  cell_str(cells, buf);
  cell_int(cells, tj_int(o, "status.updatedReplicas"));
  cell_int(cells, tj_int(o, "status.availableReplicas"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.template.spec.containers"));
  /* Deployments print selector.String() itself: empty, not "<none>". (On
   * a selector Kubernetes cannot convert the request fails; validation
   * keeps those out, so "<error>" here is only defensive.) */
  struct sbuf b = {0};
  if (fmt_selector(&b, tj(o, "spec.selector")) != 0) cell_str(cells, "<error>");
  else cell_str(cells, sb_str(&b));
  sb_free(&b);
}

static void replicaset_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, tj_int(o, "spec.replicas"));
  cell_int(cells, tj_int(o, "status.replicas"));
  cell_int(cells, tj_int(o, "status.readyReplicas"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.template.spec.containers"));
  cell_selector(cells, tj(o, "spec.selector"));
}

static void statefulset_row(const json_t *o, time_t now, json_t *cells) {
  char buf[64];
  cell_str(cells, json_path_str0(o, "metadata.name"));
  snprintf(buf, sizeof buf, "%lld/%lld", tj_int(o, "status.readyReplicas"), tj_int(o, "spec.replicas"));
  cell_str(cells, buf);
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.template.spec.containers"));
}

static void daemonset_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, tj_int(o, "status.desiredNumberScheduled"));
  cell_int(cells, tj_int(o, "status.currentNumberScheduled"));
  cell_int(cells, tj_int(o, "status.numberReady"));
  cell_int(cells, tj_int(o, "status.updatedNumberScheduled"));
  cell_int(cells, tj_int(o, "status.numberAvailable"));
  cell_labels(cells, tj(o, "spec.template.spec.nodeSelector"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.template.spec.containers"));
  cell_selector(cells, tj(o, "spec.selector"));
}

/* The controlling owner as "kind.group/name" lower-cased ("daemonset.apps/x"). */
static void controllerrevision_row(const json_t *o, time_t now, json_t *cells) {
  struct sbuf b = {0};
  const json_t *refs = tj(o, "metadata.ownerReferences");
  for (size_t i = 0; json_is_array(refs) && i < json_array_size(refs); i++) {
    const json_t *r = json_array_get(refs, i);
    if (!tj_bool(r, "controller")) continue;
    const char *kind = json_path_str0(r, "kind"), *api = json_path_str0(r, "apiVersion");
    const char *slash = strchr(api, '/');
    if (*kind) {
      for (const char *p = kind; *p; p++) {
        char c[2] = {(char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p), 0};
        sb_add(&b, c);
      }
      if (slash) {
        sb_add(&b, ".");
        for (const char *p = api; p < slash; p++) {
          char c[2] = {(char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p), 0};
          sb_add(&b, c);
        }
      }
      sb_add(&b, "/");
    }
    sb_add(&b, json_path_str0(r, "name"));
    break;
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, b.len ? sb_str(&b) : "<none>");
  sb_free(&b);
  cell_int(cells, tj_int(o, "revision"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- batch ----------------------------------------------------------- */

static void job_row(const json_t *o, time_t now, json_t *cells) {
  char buf[64], dur[32] = "";
  long long succeeded = tj_int(o, "status.succeeded");
  if (tj(o, "spec.completions"))
    snprintf(buf, sizeof buf, "%lld/%lld", succeeded, tj_int(o, "spec.completions"));
  else if (tj_int(o, "spec.parallelism") > 1)
    snprintf(buf, sizeof buf, "%lld/1 of %lld", succeeded, tj_int(o, "spec.parallelism"));
  else
    snprintf(buf, sizeof buf, "%lld/1", succeeded);
  time_t start, end;
  double fs = 0, fe = 0;
  if (rfc3339_parse(json_path_str0(o, "status.startTime"), &start, &fs) == 0) {
    if (rfc3339_parse(json_path_str0(o, "status.completionTime"), &end, &fe) == 0)
      human_duration((long long)((double)(end - start) + fe - fs), dur, sizeof dur);
    else
      human_duration((long long)((double)(now - start) - fs), dur, sizeof dur);
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, buf);
  cell_str(cells, dur);
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.template.spec.containers"));
  cell_selector(cells, tj(o, "spec.selector"));
}

static void cronjob_row(const json_t *o, time_t now, json_t *cells) {
  const json_t *suspend = tj(o, "spec.suspend");
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.schedule"));
  /* printBoolPtr: a string cell even though the column says boolean. */
  cell_str(cells, !suspend ? "<unset>" : json_is_true(suspend) ? "True" : "False");
  cell_int(cells, (long long)tj_len(o, "status.active"));
  if (tj(o, "status.lastScheduleTime")) cell_since(cells, o, "status.lastScheduleTime", now);
  else cell_str(cells, "<none>");
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.jobTemplate.spec.template.spec.containers"));
  cell_selector(cells, tj(o, "spec.jobTemplate.spec.selector"));
}

/* ---- autoscaling ----------------------------------------------------- */

/* A metric target or current value in the internal (v2beta2) shape. */
struct mval {
  const json_t *avg_value, *value;
  int has_util;
  long long util;
};

/* v2beta2/v2 nest "target"/"current"; v2beta1 flattens target* / current*. */
static void read_mval(const json_t *src, const char *nested, const char *prefix, struct mval *m) {
  char k[64];
  memset(m, 0, sizeof *m);
  const json_t *n = json_object_get(src, nested);
  if (json_is_object(n)) {
    m->avg_value = tj(n, "averageValue");
    m->value = tj(n, "value");
    m->has_util = tj(n, "averageUtilization") != NULL;
    m->util = tj_int(n, "averageUtilization");
    return;
  }
  snprintf(k, sizeof k, "%sAverageValue", prefix);
  m->avg_value = tj(src, k);
  if (!m->avg_value) m->avg_value = tj(src, "averageValue"); /* v2beta1 object metrics */
  snprintf(k, sizeof k, "%sValue", prefix);
  m->value = tj(src, k);
  snprintf(k, sizeof k, "%sAverageUtilization", prefix);
  m->has_util = tj(src, k) != NULL;
  m->util = tj_int(src, k);
}

/* Go's (*Quantity).String on a nil pointer. */
static const char *qptr(const json_t *q, char *buf, size_t len) { return q ? qty_str(q, buf, len) : "<nil>"; }

static void hpa_metric(struct sbuf *b, const json_t *spec, const json_t *status) {
  const char *type = json_path_str0(spec, "type");
  char q1[64], q2[64];
  struct mval t, c;
  int have = 0;
  if (strcmp(type, "External") == 0) {
    const json_t *s = json_object_get(status, "external");
    read_mval(json_object_get(spec, "external"), "target", "target", &t);
    if (json_is_object(s)) { read_mval(s, "current", "current", &c); have = 1; }
    if (t.avg_value)
      sb_addf(b, "%s/%s (avg)", have && c.avg_value ? qty_str(c.avg_value, q1, sizeof q1) : "<unknown>",
              qty_str(t.avg_value, q2, sizeof q2));
    else
      sb_addf(b, "%s/%s", have ? qptr(c.value, q1, sizeof q1) : "<unknown>", qptr(t.value, q2, sizeof q2));
  } else if (strcmp(type, "Pods") == 0) {
    const json_t *s = json_object_get(status, "pods");
    read_mval(json_object_get(spec, "pods"), "target", "target", &t);
    if (json_is_object(s)) { read_mval(s, "current", "current", &c); have = 1; }
    sb_addf(b, "%s/%s", have ? qptr(c.avg_value, q1, sizeof q1) : "<unknown>", qptr(t.avg_value, q2, sizeof q2));
  } else if (strcmp(type, "Object") == 0) {
    const json_t *s = json_object_get(status, "object");
    read_mval(json_object_get(spec, "object"), "target", "target", &t);
    if (json_is_object(s)) { read_mval(s, "current", "current", &c); have = 1; }
    if (t.avg_value)
      sb_addf(b, "%s/%s (avg)", have && c.avg_value ? qty_str(c.avg_value, q1, sizeof q1) : "<unknown>",
              qty_str(t.avg_value, q2, sizeof q2));
    else
      sb_addf(b, "%s/%s", have ? qptr(c.value, q1, sizeof q1) : "<unknown>", qptr(t.value, q2, sizeof q2));
  } else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
    const char *key = type[0] == 'R' ? "resource" : "containerResource";
    const json_t *s = json_object_get(status, key);
    read_mval(json_object_get(spec, key), "target", "target", &t);
    if (json_is_object(s)) { read_mval(s, "current", "current", &c); have = 1; }
    if (t.avg_value) {
      sb_addf(b, "%s/%s", have ? qptr(c.avg_value, q1, sizeof q1) : "<unknown>", qty_str(t.avg_value, q2, sizeof q2));
    } else {
      char cur[32] = "<unknown>", tgt[32] = "<auto>";
      if (have && c.has_util) snprintf(cur, sizeof cur, "%lld%%", c.util);
      if (t.has_util) snprintf(tgt, sizeof tgt, "%lld%%", t.util);
      sb_addf(b, "%s/%s", cur, tgt);
    }
  } else {
    sb_add(b, "<unknown type>");
  }
}

/* formatHPAMetrics: at most two metrics, then " + N more...". */
static void hpa_format(struct sbuf *b, const json_t *specs, const json_t *statuses) {
  size_t n = json_is_array(specs) ? json_array_size(specs) : 0;
  if (n == 0) {
    sb_add(b, "<none>");
    return;
  }
  const size_t max = 2;
  for (size_t i = 0; i < n && i < max; i++) {
    if (i) sb_add(b, ", ");
    const json_t *st = json_is_array(statuses) ? json_array_get(statuses, i) : NULL;
    hpa_metric(b, json_array_get(specs, i), st);
  }
  if (n > max) sb_addf(b, " + %zu more...", n - max);
}

/* A JSON array held in an annotation, or NULL. New reference. */
static json_t *annotation_array(const json_t *o, const char *key) {
  const json_t *v = json_object_get(tj(o, "metadata.annotations"), key);
  if (!json_is_string(v)) return NULL;
  json_t *arr = json_loads(json_string_value(v), 0, NULL);
  if (!json_is_array(arr)) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}

/* autoscaling/v1 objects convert to the internal metrics list the way
 * kube-apiserver converts them: the metrics kept in the
 * autoscaling.alpha.kubernetes.io/metrics annotation, then the CPU target, and the implicit
 * 80% CPU default when neither is set; current metrics come from the
 * current-metrics annotation when present, else the current CPU figure. */
static void hpa_targets_v1(struct sbuf *b, const json_t *o) {
  json_t *specs = json_array(), *statuses = NULL;
  json_t *other = annotation_array(o, "autoscaling.alpha.kubernetes.io/metrics");
  if (other) json_array_extend(specs, other);
  json_decref(other);
  if (tj(o, "spec.targetCPUUtilizationPercentage"))
    json_array_append_new(specs, json_pack("{s:s, s:{s:s, s:{s:s, s:I}}}", "type", "Resource", "resource", "name",
                                           "cpu", "target", "type", "Utilization", "averageUtilization",
                                           (json_int_t)tj_int(o, "spec.targetCPUUtilizationPercentage")));
  if (json_array_size(specs) == 0)
    json_array_append_new(specs, json_pack("{s:s, s:{s:s, s:{s:s, s:i}}}", "type", "Resource", "resource", "name",
                                           "cpu", "target", "type", "Utilization", "averageUtilization", 80));
  statuses = annotation_array(o, "autoscaling.alpha.kubernetes.io/current-metrics");
  if (!statuses && tj(o, "status.currentCPUUtilizationPercentage"))
    statuses = json_pack("[{s:s, s:{s:s, s:{s:I}}}]", "type", "Resource", "resource", "name", "cpu", "current",
                         "averageUtilization", (json_int_t)tj_int(o, "status.currentCPUUtilizationPercentage"));
  hpa_format(b, specs, statuses);
  json_decref(specs);
  json_decref(statuses);
}

static void hpa_targets(struct sbuf *b, const json_t *o) {
  const char *api = json_path_str0(o, "apiVersion");
  int v1 = strcmp(api, "autoscaling/v1") == 0 ||
           (!*api && !tj(o, "spec.metrics") && tj(o, "spec.targetCPUUtilizationPercentage"));
  if (v1) hpa_targets_v1(b, o);
  else hpa_format(b, tj(o, "spec.metrics"), tj(o, "status.currentMetrics"));
}

static void hpa_row(const json_t *o, time_t now, json_t *cells) {
  char buf[512], minp[32] = "<unset>";
  snprintf(buf, sizeof buf, "%s/%s", json_path_str0(o, "spec.scaleTargetRef.kind"), json_path_str0(o, "spec.scaleTargetRef.name"));
  if (tj(o, "spec.minReplicas")) snprintf(minp, sizeof minp, "%lld", tj_int(o, "spec.minReplicas"));
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, buf);
  struct sbuf b = {0};
  hpa_targets(&b, o);
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  cell_str(cells, minp);
  cell_int(cells, tj_int(o, "spec.maxReplicas"));
  cell_int(cells, tj_int(o, "status.currentReplicas"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

const struct table_printer table_apps_printers[] = {
    TABLE_PRINTER("apps|extensions", "deployments", printer_cols_deployment, deployment_row),
    TABLE_PRINTER("apps|extensions", "replicasets", printer_cols_replica_set, replicaset_row),
    TABLE_PRINTER("apps", "statefulsets", printer_cols_stateful_set, statefulset_row),
    TABLE_PRINTER("apps|extensions", "daemonsets", printer_cols_daemon_set, daemonset_row),
    TABLE_PRINTER("apps", "controllerrevisions", printer_cols_controller_revision, controllerrevision_row),
    TABLE_PRINTER("batch", "jobs", printer_cols_job, job_row),
    TABLE_PRINTER("batch", "cronjobs", printer_cols_cron_job, cronjob_row),
    TABLE_PRINTER("autoscaling", "horizontalpodautoscalers", printer_cols_horizontal_pod_autoscaler, hpa_row),
};
const size_t table_apps_nprinters = sizeof table_apps_printers / sizeof table_apps_printers[0];
