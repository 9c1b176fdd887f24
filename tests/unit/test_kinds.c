/* test_kinds.c - per-kind behaviour on concrete objects: defaults (pods,
 * services), strategies (namespace finalizers and phase, pod status, status
 * kept on update, job selector), and validation messages exactly as
 * Kubernetes 1.20 words them (names, generateName, labels, annotations,
 * finalizers, deployments, services, CronJob schedules). */
#include <stdlib.h>
#include "kinds.h"
#include "test.h"

static const kind_ref POD = {"", "v1", "Pod", "pods", true};
static const kind_ref SVC = {"", "v1", "Service", "services", true};
static const kind_ref NS = {"", "v1", "Namespace", "namespaces", false};
static const kind_ref DEP = {"apps", "v1", "Deployment", "deployments", true};
static const kind_ref CJ = {"batch", "v1beta1", "CronJob", "cronjobs", true};
static const kind_ref JOB = {"batch", "v1", "Job", "jobs", true};
static const kind_ref CM = {"", "v1", "ConfigMap", "configmaps", true};

/* The aggregate message of validating obj (parsed from JSON text). */
static char *validate_msg(const kind_ref *k, const char *text, const char *old_text) {
  static char buf[8192];
  json_t *obj = json_loads(text, 0, NULL), *old = old_text ? json_loads(old_text, 0, NULL) : NULL;
  field_errors *fe = field_errors_new();
  kinds_validate(k, obj, old, fe);
  char *m = fe_message(fe);
  snprintf(buf, sizeof buf, "%s", m ? m : "");
  free(m);
  field_errors_free(fe);
  json_decref(obj);
  json_decref(old);
  return buf;
}

static void test_names(void) {
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"Bad_Name\",\"namespace\":\"default\"}}", NULL),
            "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case "
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"namespace\":\"default\"}}", NULL),
            "metadata.name: Required value: name or generateName is required");
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"a\"}}", NULL), "metadata.namespace: Required value");
  CHECK_STR(validate_msg(&NS, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"x\"}}", NULL),
            "metadata.namespace: Forbidden: not allowed on this type");
  /* generateName "web-" is checked as "wea" and passes. */
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"generateName\":\"web-\",\"name\":\"web-abcde\",\"namespace\":\"d\"}}", NULL), "");
  CHECK_STR(validate_msg(&SVC, "{\"metadata\":{\"name\":\"1abc\",\"namespace\":\"d\"},\"spec\":{\"ports\":[{\"port\":80}]}}", NULL),
            "metadata.name: Invalid value: \"1abc\": a DNS-1035 label must consist of lower case alphanumeric "
            "characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. "
            "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
}

static void test_labels_annotations_finalizers(void) {
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"d\",\"labels\":{\"a/b/c\":\"x\"}}}", NULL),
            "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
            "or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
            "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
  /* Annotation keys are checked lower-cased: an upper-case prefix is fine. */
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"d\",\"annotations\":{\"Example.COM/x\":\"1\"}}}", NULL), "");
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"d\",\"finalizers\":[\"foo\"]}}", NULL),
            "metadata.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified");
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"d\",\"finalizers\":[\"orphan\",\"foregroundDeletion\"]}}", NULL),
            "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and "
            "foregroundDeletion cannot be both set");
}

static const char DEPLOY[] =
    "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":"
    "{\"app\":\"%s\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":"
    "\"c\",\"image\":\"nginx\"}]}}}}";

static void test_deployment(void) {
  char a[1024], b[1024];
  snprintf(a, sizeof a, DEPLOY, -1, "web");
  CHECK_STR(validate_msg(&DEP, a, NULL), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  snprintf(a, sizeof a, DEPLOY, 1, "other");
  CHECK_STR(validate_msg(&DEP, a, NULL),
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not "
            "match template `labels`");
  snprintf(a, sizeof a, DEPLOY, 1, "web");
  CHECK_STR(validate_msg(&DEP, a, NULL), "");
  snprintf(b, sizeof b, DEPLOY, 1, "web");
  CHECK_STR(validate_msg(&DEP, a, b), "");
}

static void test_cronjob_schedule(void) {
  const char *fmt = "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"spec\":{\"schedule\":\"%s\",\"jobTemplate\":"
                    "{\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","
                    "\"image\":\"busybox\"}]}}}}}}";
  char a[1024];
  snprintf(a, sizeof a, fmt, "*/5 * * * *");
  CHECK_STR(validate_msg(&CJ, a, NULL), "");
  snprintf(a, sizeof a, fmt, "@hourly");
  CHECK_STR(validate_msg(&CJ, a, NULL), "");
  snprintf(a, sizeof a, fmt, "bad");
  CHECK_STR(validate_msg(&CJ, a, NULL), "spec.schedule: Invalid value: \"bad\": Expected exactly 5 fields, found 1: bad");
  snprintf(a, sizeof a, fmt, "61 * * * *");
  CHECK_STR(validate_msg(&CJ, a, NULL), "spec.schedule: Invalid value: \"61 * * * *\": End of range (61) above maximum (59): 61");
  snprintf(a, sizeof a, fmt, "x * * * *");
  CHECK_STR(validate_msg(&CJ, a, NULL),
            "spec.schedule: Invalid value: \"x * * * *\": Failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  snprintf(a, sizeof a, fmt, "0 0 * JAN-mar sun");
  CHECK_STR(validate_msg(&CJ, a, NULL), "");
}

static void test_namespace_create(void) {
  json_t *ns = json_loads("{\"metadata\":{\"name\":\"a\"},\"status\":{\"phase\":\"Terminating\"}}", 0, NULL);
  kinds_default(&NS, ns);
  kinds_prepare_create(&NS, ns);
  char *s = json_dumps(json_object_get(ns, "spec"), JSON_COMPACT);
  CHECK_STR(s, "{\"finalizers\":[\"kubernetes\"]}");
  free(s);
  CHECK_STR(json_string_value(json_object_get(json_object_get(ns, "status"), "phase")), "Active");
  json_decref(ns);
}

static void test_service_defaults(void) {
  json_t *svc = json_loads("{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"NodePort\","
                           "\"ports\":[{\"port\":80}]}}", 0, NULL);
  kinds_default(&SVC, svc);
  json_t *spec = json_object_get(svc, "spec");
  CHECK_STR(json_string_value(json_object_get(spec, "sessionAffinity")), "None");
  CHECK_STR(json_string_value(json_object_get(spec, "externalTrafficPolicy")), "Cluster");
  json_t *p = json_array_get(json_object_get(spec, "ports"), 0);
  CHECK_STR(json_string_value(json_object_get(p, "protocol")), "TCP");
  CHECK(json_integer_value(json_object_get(p, "targetPort")) == 80);
  json_decref(svc);
}

static void test_pod_status_and_update(void) {
  json_t *pod = json_loads("{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":[{\"name\":"
                           "\"c\",\"image\":\"nginx\"}]},\"status\":{\"phase\":\"Running\"}}", 0, NULL);
  kinds_default(&POD, pod);
  kinds_prepare_create(&POD, pod);
  json_t *st = json_object_get(pod, "status");
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Pending");
  CHECK_STR(json_string_value(json_object_get(st, "qosClass")), "BestEffort");
  json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
  CHECK_STR(json_string_value(json_object_get(c, "imagePullPolicy")), "Always");
  CHECK_STR(json_string_value(json_object_get(c, "terminationMessagePath")), "/dev/termination-log");

  /* a main-resource update keeps the stored status */
  json_t *upd = json_deep_copy(pod);
  json_object_set_new(upd, "status", json_pack("{s:s}", "phase", "Failed"));
  kinds_prepare_update(&POD, NULL, upd, pod);
  CHECK_STR(json_string_value(json_object_get(json_object_get(upd, "status"), "phase")), "Pending");
  /* changing anything but the image is forbidden */
  json_t *c2 = json_array_get(json_object_get(json_object_get(upd, "spec"), "containers"), 0);
  json_object_set_new(c2, "name", json_string("other"));
  field_errors *fe = field_errors_new();
  kinds_validate(&POD, upd, pod, fe);
  char *m = fe_message(fe);
  CHECK_STR(m, "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
               "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations` (only additions "
               "to existing tolerations)");
  free(m);
  field_errors_free(fe);
  json_decref(upd);
  json_decref(pod);
}

static void test_job_selector(void) {
  json_t *job = json_loads("{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\",\"uid\":\"u-1\"},\"spec\":{\"template\":"
                           "{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"b\"}]}}}}",
                           0, NULL);
  kinds_default(&JOB, job);
  kinds_prepare_create(&JOB, job);
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(job, "spec"), "selector"),
                                                              "matchLabels"), "controller-uid")), "u-1");
  json_t *labels = json_object_get(json_object_get(json_object_get(json_object_get(job, "spec"), "template"), "metadata"), "labels");
  CHECK_STR(json_string_value(json_object_get(labels, "job-name")), "j");
  json_decref(job);
}

TEST_MAIN(TEST(test_names), TEST(test_labels_annotations_finalizers), TEST(test_deployment), TEST(test_cronjob_schedule),
          TEST(test_namespace_create), TEST(test_service_defaults), TEST(test_pod_status_and_update),
          TEST(test_job_selector))
