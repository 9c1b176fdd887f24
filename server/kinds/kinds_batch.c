/* kinds_batch.c - Jobs and CronJobs (batch/v1, batch/v1beta1). Defaults
 * from pkg/apis/batch (parallelism, completions, backoffLimit; a Job takes
 * its template's labels when it has none, sharing the map as Go does, so the
 * generated controller-uid and job-name labels show on both), the Job
 * strategy (status cleared, the alpha ttlSecondsAfterFinished dropped, the
 * selector generated from metadata.uid unless spec.manualSelector), and
 * validation with 1.20's messages: restartPolicy OnFailure or Never, the
 * generated selector, immutable completions/selector/template, CronJob
 * schedules (lib/cron.c) and concurrency policies. */
#include "kinds_util.h"
#include "cron.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *template_labels(json_t *job_spec) {
  return json_object_get(json_object_get(json_object_get(job_spec, "template"), "metadata"), "labels");
}

static void default_job_spec(json_t *spec) {
  if (!json_object_get(spec, "completions") && !json_object_get(spec, "parallelism")) {
    json_object_set_new(spec, "completions", json_integer(1));
    json_object_set_new(spec, "parallelism", json_integer(1));
  }
  kdefault(spec, "parallelism", json_integer(1));
  kdefault(spec, "backoffLimit", json_integer(6));
  default_pod_template(spec, "template");
}

void job_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  default_job_spec(spec);
  json_t *labels = template_labels(spec);
  json_t *md = kobj(obj, "metadata");
  if (json_is_object(labels) && !json_object_size(json_object_get(md, "labels")))
    json_object_set(md, "labels", labels); /* shared until job_create */
}

void cronjob_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  kdefault(spec, "concurrencyPolicy", json_string("Allow"));
  kdefault(spec, "suspend", json_false());
  kdefault(spec, "successfulJobsHistoryLimit", json_integer(3));
  kdefault(spec, "failedJobsHistoryLimit", json_integer(1));
  json_t *js = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
  if (json_is_object(js)) {
    /* SetDefaults_Job does not run on a JobTemplateSpec: only its pod template */
    default_pod_template(js, "template");
  }
}

/* generateSelector, which Kubernetes runs in the strategy's Validate: the
 * job-name and controller-uid template labels and the matching selector. */
void job_create(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  json_object_del(spec, "ttlSecondsAfterFinished"); /* TTLAfterFinished is alpha in 1.20 */
  json_t *md = kobj(obj, "metadata");
  const char *uid = kstr(md, "uid"), *name = kstr(md, "name");
  if (json_is_true(json_object_get(spec, "manualSelector")) || !uid) return;
  json_t *tmd = kobj(kobj(spec, "template"), "metadata");
  json_t *labels = kobj(tmd, "labels");
  kdefault(labels, "controller-uid", json_string(uid));
  kdefault(labels, "job-name", json_string(name ? name : ""));
  if (!json_object_get(spec, "selector"))
    json_object_set_new(spec, "selector", json_pack("{s:{s:s}}", "matchLabels", "controller-uid", uid));
  if (json_object_get(md, "labels") == labels) /* end the sharing job_default set up */
    json_object_set_new(md, "labels", json_deep_copy(labels));
}

/* validateJobSpec at prefix ("spec" or "spec.jobTemplate.spec"). */
static void validate_job_spec(const json_t *spec, const char *prefix, field_errors *fe) {
  char f[300];
  static const char *const nonneg[] = {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                                       "ttlSecondsAfterFinished", NULL};
  for (int i = 0; nonneg[i]; i++) {
    snprintf(f, sizeof f, "%s.%s", prefix, nonneg[i]);
    kcheck_nonneg(fe, f, spec, nonneg[i]);
  }
  const json_t *tmpl = json_object_get(spec, "template");
  snprintf(f, sizeof f, "%s.template", prefix);
  validate_pod_template(tmpl, f, fe);
  const json_t *pspec = json_object_get(tmpl, "spec");
  const char *rp = kstr(pspec, "restartPolicy") ? kstr(pspec, "restartPolicy") : "";
  snprintf(f, sizeof f, "%s.template.spec.restartPolicy", prefix);
  if (!*rp || !strcmp(rp, "Always")) {
    fe_required(fe, f, "valid values: \"OnFailure\", \"Never\"");
  } else if (strcmp(rp, "OnFailure") && strcmp(rp, "Never")) {
    static const char *const sup[] = {"OnFailure", "Never", NULL};
    fe_not_supported(fe, f, json_object_get(pspec, "restartPolicy"), sup);
  }
}

/* ValidateGeneratedSelector. */
static void validate_generated_selector(const json_t *obj, field_errors *fe) {
  const json_t *spec = json_object_get(obj, "spec"), *md = json_object_get(obj, "metadata");
  const json_t *sel = json_object_get(spec, "selector");
  if (json_is_true(json_object_get(spec, "manualSelector")) || !json_is_object(sel)) return;
  const char *uid = kstr(md, "uid") ? kstr(md, "uid") : "", *name = kstr(md, "name") ? kstr(md, "name") : "";
  if (!*uid) fe_required(fe, "metadata.uid", "");
  const json_t *labels = template_labels((json_t *)spec);
  const char *keys[] = {"controller-uid", "job-name"}, *want[] = {uid, name};
  for (int i = 0; i < 2; i++) {
    char f[128], msg[300];
    snprintf(f, sizeof f, "spec.template.metadata.labels[%s]", keys[i]);
    snprintf(msg, sizeof msg, "must be '%s'", want[i]);
    const char *have = kstr(labels, keys[i]);
    if (!have) fe_required(fe, f, msg);
    else if (strcmp(have, want[i])) fe_add(fe, FE_INVALID, f, labels, "%s", msg);
  }
  json_t *expected = json_pack("{s:s,s:s}", "controller-uid", uid, "job-name", name);
  if (!selector_matches_labels(sel, expected)) fe_invalid_selector(fe, "spec.selector", sel, "`selector` not auto-generated");
  json_decref(expected);
}

void job_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *spec = json_object_get(obj, "spec");
  validate_generated_selector(obj, fe);
  validate_job_spec(spec, "spec", fe);
  const json_t *sel = json_object_get(spec, "selector");
  if (!json_is_object(sel)) fe_required(fe, "spec.selector", "");
  else check_label_selector(fe, "spec.selector", sel);
  const json_t *labels = template_labels((json_t *)spec);
  if (json_is_object(sel) && !selector_matches_labels(sel, labels)) {
    if (json_is_object(labels)) fe_add(fe, FE_INVALID, "spec.template.metadata.labels", labels, "%s", "`selector` does not match template `labels`");
    else fe_invalid_raw(fe, "spec.template.metadata.labels", "map[string]string(nil)", "`selector` does not match template `labels`");
  }
  if (!old) return;
  const json_t *ospec = json_object_get(old, "spec");
  const json_t *c = json_object_get(spec, "completions"), *oc = json_object_get(ospec, "completions");
  if (!(c == oc || (c && oc && json_equal(c, oc)))) {
    if (c) fe_add(fe, FE_INVALID, "spec.completions", c, "field is immutable");
    else fe_invalid_raw(fe, "spec.completions", "\"null\"", "field is immutable");
  }
  const json_t *osel = json_object_get(ospec, "selector");
  if (sel && osel && !json_equal(sel, osel)) fe_invalid_selector(fe, "spec.selector", sel, "field is immutable");
  if (!json_equal(json_object_get(spec, "template"), json_object_get(ospec, "template")))
    fe_invalid_raw(fe, "spec.template", "core.PodTemplateSpec{...}", "field is immutable");
}

void cronjob_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  const json_t *spec = json_object_get(obj, "spec");
  const char *sched = kstr(spec, "schedule");
  char why[256];
  if (!sched || !*sched) fe_required(fe, "spec.schedule", "");
  else if (cron_parse(sched, NULL, why, sizeof why)) fe_invalid_str(fe, "spec.schedule", sched, why);
  kcheck_nonneg(fe, "spec.startingDeadlineSeconds", spec, "startingDeadlineSeconds");
  const char *cp = kstr(spec, "concurrencyPolicy");
  static const char *const policies[] = {"Allow", "Forbid", "Replace", NULL};
  if (!cp || !*cp) fe_required(fe, "spec.concurrencyPolicy", "");
  else kcheck_enum(fe, "spec.concurrencyPolicy", spec, "concurrencyPolicy", policies);
  const json_t *jt = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
  validate_job_spec(jt, "spec.jobTemplate.spec", fe);
  const json_t *sel = json_object_get(jt, "selector");
  if (sel) fe_invalid_selector(fe, "spec.jobTemplate.spec.selector", sel, "`selector` will be auto-generated");
  if (json_is_true(json_object_get(jt, "manualSelector"))) {
    static const char *const sup[] = {"nil", "false", NULL};
    fe_not_supported(fe, "spec.jobTemplate.spec.manualSelector", json_true(), sup);
  }
  kcheck_nonneg(fe, "spec.successfulJobsHistoryLimit", spec, "successfulJobsHistoryLimit");
  kcheck_nonneg(fe, "spec.failedJobsHistoryLimit", spec, "failedJobsHistoryLimit");
  const char *name = kstr(json_object_get(obj, "metadata"), "name");
  if (name && strlen(name) > 52) fe_invalid_str(fe, "metadata.name", name, "must be no more than 52 characters");
}
