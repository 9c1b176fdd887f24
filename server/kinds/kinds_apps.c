/* kinds_apps.c - the replicated workloads: Deployment, ReplicaSet,
 * StatefulSet and DaemonSet (apps/v1) and ReplicationController (core/v1).
 * Defaults from pkg/apis/apps/v1 and core/v1 (replicas, strategies, history
 * limits, RC selector and labels from the template), the strategies' update
 * rules (a Deployment's /status cannot change its labels; a DaemonSet counts
 * template changes in its deprecated.daemonset.template.generation
 * annotation), and validation: label selectors, selector against template
 * labels, strategies, restartPolicy Always, and the immutable selector with
 * Go's %#v rendering of a metav1.LabelSelector. */
#include "kinds_util.h"
#include "selector.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- defaults ----------------------------------------------------------- */

static void default_deployment(json_t *spec) {
  kdefault(spec, "replicas", json_integer(1));
  json_t *strategy = kobj(spec, "strategy");
  kdefault(strategy, "type", json_string("RollingUpdate"));
  if (!strcmp(kstr(strategy, "type") ? kstr(strategy, "type") : "", "RollingUpdate")) {
    json_t *ru = kobj(strategy, "rollingUpdate");
    kdefault(ru, "maxUnavailable", json_string("25%"));
    kdefault(ru, "maxSurge", json_string("25%"));
  }
  kdefault(spec, "revisionHistoryLimit", json_integer(10));
  kdefault(spec, "progressDeadlineSeconds", json_integer(600));
}

static void default_statefulset(json_t *spec) {
  kdefault(spec, "podManagementPolicy", json_string("OrderedReady"));
  json_t *us = kobj(spec, "updateStrategy");
  if (!kstr(us, "type") || !*kstr(us, "type")) {
    json_object_set_new(us, "type", json_string("RollingUpdate"));
    kobj(us, "rollingUpdate");
  }
  json_t *ru = json_object_get(us, "rollingUpdate");
  if (!strcmp(kstr(us, "type"), "RollingUpdate") && json_is_object(ru)) kdefault(ru, "partition", json_integer(0));
  kdefault(spec, "replicas", json_integer(1));
  kdefault(spec, "revisionHistoryLimit", json_integer(10));
  /* claim templates get the PersistentVolumeClaim defaults, status included */
  size_t i;
  json_t *vct;
  json_array_foreach(json_object_get(spec, "volumeClaimTemplates"), i, vct) {
    if (!json_is_object(vct)) continue;
    kdefault(kobj(vct, "spec"), "volumeMode", json_string("Filesystem"));
    kdefault(kobj(vct, "status"), "phase", json_string("Pending"));
  }
}

static void default_daemonset(json_t *spec) {
  json_t *us = kobj(spec, "updateStrategy");
  kdefault(us, "type", json_string("RollingUpdate"));
  if (!strcmp(kstr(us, "type") ? kstr(us, "type") : "", "RollingUpdate"))
    kdefault(kobj(us, "rollingUpdate"), "maxUnavailable", json_integer(1));
  kdefault(spec, "revisionHistoryLimit", json_integer(10));
}

/* SetDefaults_ReplicationController: selector and labels from the template. */
static void default_rc(json_t *obj, json_t *spec) {
  json_t *labels = json_object_get(json_object_get(json_object_get(spec, "template"), "metadata"), "labels");
  if (json_is_object(labels)) {
    if (!json_object_size(json_object_get(spec, "selector"))) json_object_set_new(spec, "selector", json_deep_copy(labels));
    json_t *md = kobj(obj, "metadata");
    if (!json_object_size(json_object_get(md, "labels"))) json_object_set_new(md, "labels", json_deep_copy(labels));
  }
  kdefault(spec, "replicas", json_integer(1));
}

void workload_default(const kind_ref *k, json_t *obj) {
  json_t *spec = kobj(obj, "spec");
  if (!strcmp(k->kind, "Deployment")) default_deployment(spec);
  else if (!strcmp(k->kind, "StatefulSet")) default_statefulset(spec);
  else if (!strcmp(k->kind, "DaemonSet")) default_daemonset(spec);
  else if (!strcmp(k->kind, "ReplicaSet")) kdefault(spec, "replicas", json_integer(1));
  else if (!strcmp(k->kind, "ReplicationController")) default_rc(obj, spec);
  default_pod_template(spec, "template");
}

/* ---- strategies ----------------------------------------------------------- */

static const char *const ds_generation = "deprecated.daemonset.template.generation";

void workload_create(const kind_ref *k, json_t *obj) {
  if (strcmp(k->kind, "DaemonSet")) return;
  json_object_set_new(kobj(kobj(obj, "metadata"), "annotations"), ds_generation, json_string("1"));
}

void workload_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  const json_t *omd = json_object_get(old, "metadata");
  if (!strcmp(k->kind, "Deployment") && sub && !strcmp(sub, "status")) {
    const json_t *labels = json_object_get(omd, "labels"); /* copied: old may be published */
    if (labels) json_object_set_new(kobj(obj, "metadata"), "labels", json_deep_copy(labels));
    else json_object_del(kobj(obj, "metadata"), "labels");
  } else if (!strcmp(k->kind, "DaemonSet") && !sub) {
    /* the template generation lives in an annotation in apps/v1 */
    const char *og = kstr(json_object_get(omd, "annotations"), ds_generation);
    long gen = og ? strtol(og, NULL, 10) : 0;
    if (!json_equal(json_object_get(json_object_get(obj, "spec"), "template"),
                    json_object_get(json_object_get(old, "spec"), "template")))
      gen++;
    if (gen > 0) {
      char buf[32];
      snprintf(buf, sizeof buf, "%ld", gen);
      json_object_set_new(kobj(kobj(obj, "metadata"), "annotations"), ds_generation, json_string(buf));
    }
  }
}

/* ---- validation ----------------------------------------------------------- */

/* ValidateLabelSelector: matchLabels as labels, each expression's key,
 * operator and values. */
void check_label_selector(field_errors *fe, const char *field, const json_t *sel) {
  char f[600];
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
    const char *op = kstr(e, "operator") ? kstr(e, "operator") : "";
    size_t nvals = json_array_size(json_object_get(e, "values"));
    snprintf(f, sizeof f, "%s.matchExpressions[%zu].values", field, i);
    if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
      if (!nvals) fe_required(fe, f, "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
      if (nvals) fe_forbidden(fe, f, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      snprintf(f, sizeof f, "%s.matchExpressions[%zu].operator", field, i);
      fe_invalid_str(fe, f, op, "not a valid selector operator");
    }
    snprintf(f, sizeof f, "%s.matchExpressions[%zu].key", field, i);
    check_qualified_name(fe, f, kstr(e, "key") ? kstr(e, "key") : "");
  }
  snprintf(f, sizeof f, "%s.matchLabels", field);
  check_labels(fe, f, json_object_get(sel, "matchLabels"));
}

bool selector_matches_labels(const json_t *sel, const json_t *labels) {
  char err[256];
  label_selector *s = label_selector_from_json(sel, err, sizeof err);
  if (!s) return false;
  bool ok = label_selector_matches(s, json_is_object(labels) ? labels : NULL);
  label_selector_free(s);
  return ok;
}

static bool selector_empty(const json_t *sel) {
  return !json_object_size(json_object_get(sel, "matchLabels")) &&
         !json_array_size(json_object_get(sel, "matchExpressions"));
}

/* Template labels as a Go map: nil when absent. */
static void invalid_labels(field_errors *fe, const char *field, const json_t *labels, const char *detail) {
  if (json_is_object(labels)) fe_add(fe, FE_INVALID, field, labels, "%s", detail);
  else fe_invalid_raw(fe, field, "map[string]string(nil)", detail);
}

/* The selector block of Deployment/ReplicaSet/StatefulSet/DaemonSet specs. */
static void validate_selector(const kind_ref *k, const json_t *spec, field_errors *fe) {
  const json_t *sel = json_object_get(spec, "selector");
  const json_t *tmpl = json_object_get(spec, "template");
  const json_t *labels = json_object_get(json_object_get(tmpl, "metadata"), "labels");
  bool ds = !strcmp(k->kind, "DaemonSet");
  if (!json_is_object(sel)) {
    if (!ds) fe_required(fe, "spec.selector", "");
    return;
  }
  check_label_selector(fe, "spec.selector", sel);
  if (ds && !selector_matches_labels(sel, labels))
    invalid_labels(fe, "spec.template.metadata.labels", labels, "`selector` does not match template `labels`");
  if (selector_empty(sel)) {
    const char *what = !strcmp(k->kind, "StatefulSet") ? "statefulset" : ds ? "daemonset" : "deployment";
    char msg[64];
    snprintf(msg, sizeof msg, "empty selector is invalid for %s", what);
    fe_invalid_selector(fe, "spec.selector", sel, msg);
  }
}

/* ValidatePodTemplateSpecFor{ReplicaSet,RC,StatefulSet}/DaemonSet's template part. */
static void validate_template(const kind_ref *k, const json_t *spec, bool check_match, field_errors *fe) {
  const json_t *tmpl = json_object_get(spec, "template");
  if (!json_is_object(tmpl)) {
    fe_required(fe, "spec.template", "");
    return;
  }
  const json_t *labels = json_object_get(json_object_get(tmpl, "metadata"), "labels");
  const json_t *sel = json_object_get(spec, "selector");
  if (check_match && json_is_object(sel) && json_object_size(sel)) {
    /* an RC's selector is a plain label map */
    bool rc = !strcmp(k->kind, "ReplicationController");
    json_t *as_sel = rc ? json_pack("{s:O}", "matchLabels", sel) : json_incref((json_t *)sel);
    if (!selector_empty(as_sel) && !selector_matches_labels(as_sel, labels))
      invalid_labels(fe, "spec.template.metadata.labels", labels, "`selector` does not match template `labels`");
    json_decref(as_sel);
  }
  if (!strcmp(k->kind, "StatefulSet")) {
    /* ValidatePodTemplateSpecForStatefulSet leaves the PodSpec unchecked
     * (mounts may name volumeClaimTemplates) and reports labels without
     * "metadata" in the path. */
    const json_t *md = json_object_get(tmpl, "metadata");
    check_labels(fe, "spec.template.labels", json_object_get(md, "labels"));
    check_annotations(fe, "spec.template.annotations", json_object_get(md, "annotations"));
  } else {
    validate_pod_template(tmpl, "spec.template", fe);
  }
  const json_t *pspec = json_object_get(tmpl, "spec");
  static const char *const always[] = {"Always", NULL};
  const char *rp = kstr(pspec, "restartPolicy");
  if (rp && strcmp(rp, "Always")) fe_not_supported(fe, "spec.template.spec.restartPolicy", json_object_get(pspec, "restartPolicy"), always);
  if (json_object_get(pspec, "activeDeadlineSeconds")) {
    char msg[96];
    snprintf(msg, sizeof msg, "activeDeadlineSeconds in %s is not Supported",
             !strcmp(k->kind, "Deployment") ? "ReplicaSet" : k->kind);
    fe_forbidden(fe, "spec.template.spec.activeDeadlineSeconds", msg);
  }
}

/* Go's %#v of an intstr.IntOrString (Type 0 = int, 1 = string). */
static void invalid_intstr(field_errors *fe, const char *field, const json_t *v, const char *detail) {
  char *out = NULL;
  if (json_is_string(v)) {
    char *q = fe_render_value(v);
    if (asprintf(&out, "intstr.IntOrString{Type:1, IntVal:0, StrVal:%s}", q) < 0) out = NULL;
    free(q);
  } else if (asprintf(&out, "intstr.IntOrString{Type:0, IntVal:%lld, StrVal:\"\"}", (long long)json_integer_value(v)) < 0) {
    out = NULL;
  }
  if (out) fe_invalid_raw(fe, field, out, detail);
  free(out);
}

/* Go's %#v of a strategy struct whose RollingUpdate pointer is nil (what
 * an unsupported type leaves, as defaulting only fills known types). */
static void invalid_strategy(field_errors *fe, field_error_type type, const char *field, const char *go_type,
                             const json_t *strategy, const char *detail) {
  json_t *t = json_string(kstr(strategy, "type") ? kstr(strategy, "type") : "");
  char *q = fe_render_value(t);
  json_decref(t);
  char *out = NULL;
  if (asprintf(&out, "apps.%s{Type:%s, RollingUpdate:(*apps.%s)(nil)}", go_type, q,
               !strcmp(go_type, "DeploymentStrategy") ? "RollingUpdateDeployment"
               : !strcmp(go_type, "DaemonSetUpdateStrategy") ? "RollingUpdateDaemonSet"
                                                              : "RollingUpdateStatefulSetStrategy") >= 0)
    fe_add_rendered(fe, type, field, out, detail);
  free(out);
  free(q);
}

/* ValidatePositiveIntOrPercent + IsNotMoreThan100Percent; returns the value
 * (percent number or integer) for the "both zero" checks. */
static long int_or_percent(field_errors *fe, const char *field, const json_t *v, bool max100) {
  if (json_is_integer(v)) {
    if (json_integer_value(v) < 0) fe_add(fe, FE_INVALID, field, v, "must be greater than or equal to 0");
    return (long)json_integer_value(v);
  }
  const char *s = json_string_value(v);
  if (!s) return 0;
  size_t n = strlen(s);
  if (n < 2 || s[n - 1] != '%' || strspn(s, "0123456789") != n - 1) {
    invalid_intstr(fe, field, v,
                   "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
                   "regex used for validation is '[0-9]+%')");
    return 0;
  }
  long pct = strtol(s, NULL, 10);
  if (max100 && pct > 100) invalid_intstr(fe, field, v, "must not be greater than 100%");
  return pct;
}

static void validate_deployment_strategy(const json_t *spec, field_errors *fe) {
  const json_t *st = json_object_get(spec, "strategy");
  const char *type = kstr(st, "type") ? kstr(st, "type") : "";
  const json_t *ru = json_object_get(st, "rollingUpdate");
  if (!strcmp(type, "Recreate")) {
    if (ru) fe_forbidden(fe, "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
  } else if (!strcmp(type, "RollingUpdate")) {
    if (!json_is_object(ru)) {
      fe_required(fe, "spec.strategy.rollingUpdate", "this should be defaulted and never be nil");
      return;
    }
    const json_t *mu = json_object_get(ru, "maxUnavailable"), *ms = json_object_get(ru, "maxSurge");
    long u = int_or_percent(fe, "spec.strategy.rollingUpdate.maxUnavailable", mu, false);
    long s = int_or_percent(fe, "spec.strategy.rollingUpdate.maxSurge", ms, false);
    if (u == 0 && s == 0)
      invalid_intstr(fe, "spec.strategy.rollingUpdate.maxUnavailable", mu, "may not be 0 when `maxSurge` is 0");
    if (json_is_string(mu) && u > 100)
      invalid_intstr(fe, "spec.strategy.rollingUpdate.maxUnavailable", mu, "must not be greater than 100%");
  } else {
    invalid_strategy(fe, FE_NOT_SUPPORTED, "spec.strategy", "DeploymentStrategy", st,
                     "supported values: \"Recreate\", \"RollingUpdate\"");
  }
}

static void validate_statefulset(const json_t *spec, field_errors *fe) {
  const char *pmp = kstr(spec, "podManagementPolicy");
  if (!pmp || !*pmp) fe_required(fe, "spec.podManagementPolicy", "");
  else if (strcmp(pmp, "OrderedReady") && strcmp(pmp, "Parallel"))
    fe_invalid_str(fe, "spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'");
  const json_t *us = json_object_get(spec, "updateStrategy");
  const char *type = kstr(us, "type") ? kstr(us, "type") : "";
  if (!*type) fe_required(fe, "spec.updateStrategy", "");
  else if (!strcmp(type, "OnDelete")) {
    if (json_object_get(us, "rollingUpdate"))
    {
      char out[96];
      snprintf(out, sizeof out, "apps.RollingUpdateStatefulSetStrategy{Partition:%lld}",
               (long long)json_integer_value(json_object_get(json_object_get(us, "rollingUpdate"), "partition")));
      fe_invalid_raw(fe, "spec.updateStrategy.rollingUpdate", out, "only allowed for updateStrategy 'RollingUpdate'");
    }
  } else if (!strcmp(type, "RollingUpdate")) {
    kcheck_nonneg(fe, "spec.updateStrategy.rollingUpdate.partition", json_object_get(us, "rollingUpdate"), "partition");
  } else {
    invalid_strategy(fe, FE_INVALID, "spec.updateStrategy", "StatefulSetUpdateStrategy", us,
                     "must be 'RollingUpdate' or 'OnDelete'");
  }
}

static void validate_daemonset_strategy(const json_t *spec, field_errors *fe) {
  const json_t *us = json_object_get(spec, "updateStrategy");
  const char *type = kstr(us, "type") ? kstr(us, "type") : "";
  if (!strcmp(type, "OnDelete")) return;
  if (!strcmp(type, "RollingUpdate")) {
    const json_t *ru = json_object_get(us, "rollingUpdate");
    if (!json_is_object(ru)) {
      fe_required(fe, "spec.updateStrategy.rollingUpdate", "");
      return;
    }
    const json_t *mu = json_object_get(ru, "maxUnavailable");
    long u = int_or_percent(fe, "spec.updateStrategy.rollingUpdate.maxUnavailable", mu, true);
    if (u == 0) invalid_intstr(fe, "spec.updateStrategy.rollingUpdate.maxUnavailable", mu, "cannot be 0");
    return;
  }
  invalid_strategy(fe, FE_NOT_SUPPORTED, "spec.updateStrategy", "DaemonSetUpdateStrategy", us,
                   "supported values: \"RollingUpdate\", \"OnDelete\"");
}

/* Semantic equality of two selectors: empty and absent lists are equal. */
static bool same_selector(const json_t *a, const json_t *b) {
  if (!a || !b) return !a == !b;
  if (json_is_object(a) && json_is_object(b)) {
    static const char *const keys[] = {"matchLabels", "matchExpressions"};
    for (int i = 0; i < 2; i++) {
      const json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
      bool ex = !x || (json_is_object(x) ? !json_object_size(x) : json_is_array(x) ? !json_array_size(x) : false);
      bool ey = !y || (json_is_object(y) ? !json_object_size(y) : json_is_array(y) ? !json_array_size(y) : false);
      if (ex && ey) continue;
      if (!x || !y || !json_equal(x, y)) return false;
    }
    return true;
  }
  return json_equal(a, b);
}

/* ValidateStatefulSetUpdate: only replicas, template and updateStrategy may change. */
static void validate_statefulset_update(const json_t *spec, const json_t *ospec, field_errors *fe) {
  json_t *a = json_deep_copy(spec), *b = json_deep_copy(ospec);
  static const char *const mutable_keys[] = {"replicas", "template", "updateStrategy", NULL};
  for (int i = 0; mutable_keys[i]; i++) {
    json_object_del(a, mutable_keys[i]);
    json_object_del(b, mutable_keys[i]);
  }
  if (!json_equal(a, b))
    fe_forbidden(fe, "spec",
                 "updates to statefulset spec for fields other than 'replicas', 'template', and 'updateStrategy' are forbidden");
  json_decref(a);
  json_decref(b);
}

void workload_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  const json_t *spec = json_object_get(obj, "spec");
  const json_t *ospec = old ? json_object_get(old, "spec") : NULL;
  const char *kind = k->kind;
  bool rc = !strcmp(kind, "ReplicationController"), ds = !strcmp(kind, "DaemonSet");
  bool sts = !strcmp(kind, "StatefulSet");
  if (sts) validate_statefulset(spec, fe);
  if (!ds) kcheck_nonneg(fe, "spec.replicas", spec, "replicas");
  if (!rc && !sts && !ds) kcheck_nonneg(fe, "spec.minReadySeconds", spec, "minReadySeconds");
  if (rc) {
    kcheck_nonneg(fe, "spec.minReadySeconds", spec, "minReadySeconds");
    if (!json_object_size(json_object_get(spec, "selector"))) fe_required(fe, "spec.selector", "");
  } else {
    validate_selector(k, spec, fe);
  }
  validate_template(k, spec, !ds, fe);
  if (!strcmp(kind, "Deployment")) {
    validate_deployment_strategy(spec, fe);
    kcheck_nonneg(fe, "spec.revisionHistoryLimit", spec, "revisionHistoryLimit");
    const json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
    if (json_is_integer(pds)) {
      kcheck_nonneg(fe, "spec.progressDeadlineSeconds", spec, "progressDeadlineSeconds");
      if (json_integer_value(pds) <= json_integer_value(json_object_get(spec, "minReadySeconds")))
        fe_add(fe, FE_INVALID, "spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds");
    }
  } else if (ds) {
    kcheck_nonneg(fe, "spec.minReadySeconds", spec, "minReadySeconds");
    validate_daemonset_strategy(spec, fe);
    kcheck_nonneg(fe, "spec.revisionHistoryLimit", spec, "revisionHistoryLimit");
  }
  if (!old) return;
  if (sts) {
    validate_statefulset_update(spec, ospec, fe);
  } else if (!rc) {
    /* the registry strategies of Deployment, ReplicaSet and DaemonSet */
    const json_t *sel = json_object_get(spec, "selector"), *osel = json_object_get(ospec, "selector");
    if (!same_selector(sel, osel)) {
      if (json_is_object(sel)) fe_invalid_selector(fe, "spec.selector", sel, "field is immutable");
      else fe_invalid_raw(fe, "spec.selector", "\"null\"", "field is immutable");
    }
  }
}
