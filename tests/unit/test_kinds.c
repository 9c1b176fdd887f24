/* test_kinds.c - per-kind behaviour on concrete objects: defaults (pods,
 * services), strategies (namespace finalizers and phase, pod status, status
 * kept on update, job selector), and validation messages exactly as
 * Kubernetes 1.20 words them (names, generateName, labels, annotations,
 * finalizers, deployments, services, CronJob schedules). */
#include <stdlib.h>
#include <string.h>
#include "kinds.h"
#include "test.h"

static const kind_ref POD = {"", "v1", "Pod", "pods", true, NULL};
static const kind_ref SVC = {"", "v1", "Service", "services", true, NULL};
static const kind_ref NS = {"", "v1", "Namespace", "namespaces", false, NULL};
static const kind_ref DEP = {"apps", "v1", "Deployment", "deployments", true, NULL};
static const kind_ref CJ = {"batch", "v1beta1", "CronJob", "cronjobs", true, NULL};
static const kind_ref JOB = {"batch", "v1", "Job", "jobs", true, NULL};
static const kind_ref CM = {"", "v1", "ConfigMap", "configmaps", true, NULL};


static const kind_ref RS = {"apps", "v1", "ReplicaSet", "replicasets", true, NULL};
static const kind_ref STS = {"apps", "v1", "StatefulSet", "statefulsets", true, NULL};
static const kind_ref DS = {"apps", "v1", "DaemonSet", "daemonsets", true, NULL};
static const kind_ref RC = {"", "v1", "ReplicationController", "replicationcontrollers", true, NULL};
static const kind_ref SECRET = {"", "v1", "Secret", "secrets", true, NULL};
static const kind_ref PVC = {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, NULL};
static const kind_ref PV = {"", "v1", "PersistentVolume", "persistentvolumes", false, NULL};
static const kind_ref RB = {"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, NULL};
static const kind_ref ROLE = {"rbac.authorization.k8s.io", "v1", "Role", "roles", true, NULL};
static const kind_ref HPA2 = {"autoscaling", "v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, NULL};
static const kind_ref EVENT = {"", "v1", "Event", "events", true, NULL};

/* The value at a dotted path ("spec.ports.0.targetPort") as compact JSON
 * (strings unquoted), or "(missing)". */
static const char *at(const json_t *obj, const char *path) {
  static char buf[2048];
  char p[512];
  snprintf(p, sizeof p, "%s", path);
  const json_t *v = obj;
  for (char *save = NULL, *tok = strtok_r(p, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
    v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) : json_object_get(v, tok);
  if (!v) return "(missing)";
  if (json_is_string(v)) snprintf(buf, sizeof buf, "%s", json_string_value(v));
  else {
    char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    snprintf(buf, sizeof buf, "%s", d ? d : "");
    free(d);
  }
  return buf;
}

/* A parsed object after defaulting and PrepareForCreate, as the REST layer does it. */
static json_t *created(const kind_ref *k, const char *text) {
  json_t *obj = json_loads(text, 0, NULL);
  kinds_default(k, obj);
  kinds_prepare_create(k, obj);
  return obj;
}

/* The aggregate message of validating obj (parsed from JSON text) after
 * defaulting, as the REST layer runs them. */
static char *validate_msg(const kind_ref *k, const char *text, const char *old_text) {
  static char buf[8192];
  json_t *obj = json_loads(text, 0, NULL), *old = old_text ? json_loads(old_text, 0, NULL) : NULL;
  field_errors *fe = field_errors_new();
  kinds_default(k, obj);
  if (old) kinds_default(k, old);
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


static void test_deployment_defaults(void) {
  json_t *d = created(&DEP, "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
                            "{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"
                            "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.19\",\"ports\":[{\"containerPort\":80}]}]}}}}");
  CHECK_STR(at(d, "spec.replicas"), "1");
  CHECK_STR(at(d, "spec.strategy"), "{\"rollingUpdate\":{\"maxSurge\":\"25%\",\"maxUnavailable\":\"25%\"},\"type\":\"RollingUpdate\"}");
  CHECK_STR(at(d, "spec.revisionHistoryLimit"), "10");
  CHECK_STR(at(d, "spec.progressDeadlineSeconds"), "600");
  CHECK_STR(at(d, "status"), "{}");
  CHECK_STR(at(d, "spec.template.spec.restartPolicy"), "Always");
  CHECK_STR(at(d, "spec.template.spec.dnsPolicy"), "ClusterFirst");
  CHECK_STR(at(d, "spec.template.spec.terminationGracePeriodSeconds"), "30");
  CHECK_STR(at(d, "spec.template.spec.schedulerName"), "default-scheduler");
  CHECK_STR(at(d, "spec.template.spec.securityContext"), "{}");
  /* templates get neither enableServiceLinks nor admission fields */
  CHECK_STR(at(d, "spec.template.spec.enableServiceLinks"), "(missing)");
  CHECK_STR(at(d, "spec.template.spec.serviceAccountName"), "(missing)");
  CHECK_STR(at(d, "spec.template.spec.containers.0.imagePullPolicy"), "IfNotPresent");
  CHECK_STR(at(d, "spec.template.spec.containers.0.ports.0.protocol"), "TCP");
  CHECK_STR(at(d, "spec.template.spec.containers.0.resources"), "{}");
  CHECK_STR(at(d, "spec.template.spec.containers.0.terminationMessagePolicy"), "File");
  json_decref(d);
  /* Recreate keeps no rollingUpdate block */
  d = created(&DEP, "{\"metadata\":{\"name\":\"w\",\"namespace\":\"d\"},\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
  CHECK_STR(at(d, "spec.strategy"), "{\"type\":\"Recreate\"}");
  json_decref(d);
}

static void test_pod_defaults(void) {
  json_t *p = created(&POD,
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":["
      "{\"name\":\"a\",\"image\":\"nginx\",\"resources\":{\"limits\":{\"cpu\":\"0.5\",\"memory\":\"128Mi\"}},"
      "\"livenessProbe\":{\"httpGet\":{\"port\":80}},\"env\":[{\"name\":\"N\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}]},"
      "{\"name\":\"b\",\"image\":\"nginx:latest\"},{\"name\":\"c\",\"image\":\"localhost:5000/app\"},"
      "{\"name\":\"e\",\"image\":\"localhost:5000/app:v2\"},{\"name\":\"f\",\"image\":\"busybox@sha256:abc\"}],"
      "\"volumes\":[{\"name\":\"v1\"},{\"name\":\"v2\",\"configMap\":{\"name\":\"cm\"}},{\"name\":\"v3\",\"secret\":{\"secretName\":\"s\"}},"
      "{\"name\":\"v4\",\"hostPath\":{\"path\":\"/x\"}}]}}");
  CHECK_STR(at(p, "spec.containers.0.imagePullPolicy"), "Always");
  CHECK_STR(at(p, "spec.containers.1.imagePullPolicy"), "Always");
  CHECK_STR(at(p, "spec.containers.2.imagePullPolicy"), "Always");
  CHECK_STR(at(p, "spec.containers.3.imagePullPolicy"), "IfNotPresent");
  CHECK_STR(at(p, "spec.containers.4.imagePullPolicy"), "IfNotPresent");
  /* requests default to limits; quantities are written back canonical */
  CHECK_STR(at(p, "spec.containers.0.resources"),
            "{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"}}");
  CHECK_STR(at(p, "spec.containers.0.livenessProbe"),
            "{\"failureThreshold\":3,\"httpGet\":{\"path\":\"/\",\"port\":80,\"scheme\":\"HTTP\"},\"periodSeconds\":10,"
            "\"successThreshold\":1,\"timeoutSeconds\":1}");
  CHECK_STR(at(p, "spec.containers.0.env.0.valueFrom.fieldRef.apiVersion"), "v1");
  CHECK_STR(at(p, "spec.volumes.0.emptyDir"), "{}");
  CHECK_STR(at(p, "spec.volumes.1.configMap.defaultMode"), "420");
  CHECK_STR(at(p, "spec.volumes.2.secret.defaultMode"), "420");
  CHECK_STR(at(p, "spec.volumes.3.hostPath.type"), "");
  CHECK_STR(at(p, "spec.enableServiceLinks"), "true");
  CHECK_STR(at(p, "spec.serviceAccountName"), "default");
  /* spec.priority comes from the Priority admission plugin (server/admission_priority.c), not defaulting */
  CHECK(!json_object_get(json_object_get(p, "spec"), "priority"));
  CHECK_STR(at(p, "spec.tolerations.0"), "{\"effect\":\"NoExecute\",\"key\":\"node.kubernetes.io/not-ready\","
                                         "\"operator\":\"Exists\",\"tolerationSeconds\":300}");
  CHECK_STR(at(p, "status"), "{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}");
  json_decref(p);
  p = created(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":[{\"name\":\"a\","
                    "\"image\":\"x:1\",\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}");
  CHECK_STR(at(p, "status.qosClass"), "Guaranteed");
  json_decref(p);
  /* bare JSON numbers are quantities too (what YAML's `nvidia.com/gpu: 1` sends), stored as strings */
  p = created(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":[{\"name\":\"a\","
                    "\"image\":\"x:1\",\"resources\":{\"limits\":{\"nvidia.com/gpu\":1,\"cpu\":0.5}}}]}}");
  CHECK_STR(at(p, "spec.containers.0.resources"),
            "{\"limits\":{\"cpu\":\"500m\",\"nvidia.com/gpu\":\"1\"},\"requests\":{\"cpu\":\"500m\",\"nvidia.com/gpu\":\"1\"}}");
  json_decref(p);
}

static void test_pod_validation(void) {
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":[{\"name\":"
                               "\"C\",\"image\":\"\",\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/d\"}],"
                               "\"env\":[{\"name\":\"1X\"}],\"ports\":[{\"containerPort\":70000}],"
                               "\"resources\":{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"2\"}}}],"
                               "\"restartPolicy\":\"Sometimes\"}}", NULL),
            "[spec.containers[0].name: Invalid value: \"C\": a lowercase RFC 1123 label must consist of lower case "
            "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
            "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), "
            "spec.containers[0].image: Required value, "
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive, "
            "spec.containers[0].env[0].name: Invalid value: \"1X\": a valid environment variable name must consist of "
            "alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or "
            "'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*'), "
            "spec.containers[0].volumeMounts[0].name: Not found: \"data\", "
            "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit, "
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"]");
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{}}", NULL),
            "spec.containers: Required value");
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":[{\"name\":"
                               "\"c\",\"image\":\"i\",\"readinessProbe\":{\"periodSeconds\":5},\"livenessProbe\":{\"exec\":{},"
                               "\"tcpSocket\":{\"port\":\"Web\"}}}]}}", NULL),
            "[spec.containers[0].livenessProbe.exec.command: Required value, spec.containers[0].livenessProbe.tcpSocket: "
            "Forbidden: may not specify more than 1 handler type, spec.containers[0].readinessProbe: Required value: must "
            "specify a handler type]");
}

static void test_pod_update_rules(void) {
  const char *old = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"activeDeadlineSeconds\":10,"
                    "\"tolerations\":[{\"key\":\"a\",\"operator\":\"Exists\",\"tolerationSeconds\":5}],"
                    "\"containers\":[{\"name\":\"c\",\"image\":\"n:1\"}]}}";
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"activeDeadlineSeconds\":5,"
                               "\"tolerations\":[{\"key\":\"a\",\"operator\":\"Exists\",\"tolerationSeconds\":9},"
                               "{\"key\":\"b\",\"operator\":\"Exists\"}],\"containers\":[{\"name\":\"c\",\"image\":\"n:2\"}]}}", old),
            "");
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"activeDeadlineSeconds\":20,"
                               "\"tolerations\":[{\"key\":\"a\",\"operator\":\"Exists\",\"tolerationSeconds\":5}],"
                               "\"containers\":[{\"name\":\"c\",\"image\":\"n:1\"}]}}", old),
            "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value");
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"activeDeadlineSeconds\":10,"
                               "\"containers\":[{\"name\":\"c\",\"image\":\"n:1\"}]}}", old),
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds");
  CHECK_STR(validate_msg(&POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"activeDeadlineSeconds\":10,"
                               "\"containers\":[{\"name\":\"c\",\"image\":\"n:1\"},{\"name\":\"e\",\"image\":\"n:1\"}]}}", old),
            "spec.containers: Forbidden: pod updates may not add or remove containers");
}

static const char SEL_DEPLOY[] =
    "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"n\"}]}}}}";

static void test_immutable_selector(void) {
  char a[1024], b[1024];
  snprintf(a, sizeof a, SEL_DEPLOY, "x", "x");
  snprintf(b, sizeof b, SEL_DEPLOY, "web", "web");
  CHECK_STR(validate_msg(&DEP, a, b),
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
  CHECK_STR(validate_msg(&RS, a, b),
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
  /* the whole Status as kube-apiserver sends it */
  json_t *obj = json_loads(a, 0, NULL), *old = json_loads(b, 0, NULL);
  kinds_default(&DEP, obj);
  kinds_default(&DEP, old);
  field_errors *fe = field_errors_new();
  kinds_validate(&DEP, obj, old, fe);
  json_t *st = fe_to_status(fe, "apps", "Deployment", "web");
  CHECK_STR(at(st, "message"), "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{"
                               "MatchLabels:map[string]string{\"app\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: "
                               "field is immutable");
  CHECK_STR(at(st, "details.causes.0.reason"), "FieldValueInvalid");
  CHECK_STR(at(st, "details.causes.0.field"), "spec.selector");
  json_decref(st);
  field_errors_free(fe);
  json_decref(obj);
  json_decref(old);
  /* a template without labels is reported as a nil map */
  CHECK_STR(validate_msg(&DEP, "{\"metadata\":{\"name\":\"w\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
                               "{\"a\":\"b\"}},\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"n\"}]}}}}", NULL),
            "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`");
  CHECK_STR(validate_msg(&DEP, "{\"metadata\":{\"name\":\"w\",\"namespace\":\"d\"},\"spec\":{\"selector\":{},"
                               "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"n\"}]}}}}", NULL),
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment");
}

static void test_workload_kinds(void) {
  json_t *s = created(&STS, "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"serviceName\":\"db\","
                            "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},\"spec\":{}}]}}");
  CHECK_STR(at(s, "spec.podManagementPolicy"), "OrderedReady");
  CHECK_STR(at(s, "spec.updateStrategy"), "{\"rollingUpdate\":{\"partition\":0},\"type\":\"RollingUpdate\"}");
  CHECK_STR(at(s, "spec.replicas"), "1");
  CHECK_STR(at(s, "spec.volumeClaimTemplates.0.spec.volumeMode"), "Filesystem");
  CHECK_STR(at(s, "spec.volumeClaimTemplates.0.status.phase"), "Pending");
  json_decref(s);
  CHECK_STR(validate_msg(&STS,
                         "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"serviceName\":\"b\",\"selector\":"
                         "{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}}}}}",
                         "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"serviceName\":\"a\",\"selector\":"
                         "{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}}}}}"),
            "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'template', and "
            "'updateStrategy' are forbidden");
  json_t *ds = created(&DS, "{\"metadata\":{\"name\":\"x\",\"namespace\":\"d\"},\"spec\":{\"template\":{\"spec\":{}}}}");
  CHECK_STR(at(ds, "spec.updateStrategy"), "{\"rollingUpdate\":{\"maxUnavailable\":1},\"type\":\"RollingUpdate\"}");
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(ds, "metadata"), "annotations"),
                                              "deprecated.daemonset.template.generation")), "1");
  json_t *upd = json_deep_copy(ds);
  json_object_set_new(json_object_get(json_object_get(json_object_get(upd, "spec"), "template"), "spec"), "hostNetwork", json_true());
  kinds_prepare_update(&DS, NULL, upd, ds);
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(upd, "metadata"), "annotations"),
                                              "deprecated.daemonset.template.generation")), "2");
  json_decref(upd);
  json_decref(ds);
  json_t *rc = created(&RC, "{\"metadata\":{\"name\":\"r\",\"namespace\":\"d\"},\"spec\":{\"template\":{\"metadata\":"
                            "{\"labels\":{\"app\":\"r\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"n\"}]}}}}");
  CHECK_STR(at(rc, "spec.selector"), "{\"app\":\"r\"}");
  CHECK_STR(at(rc, "metadata.labels"), "{\"app\":\"r\"}");
  CHECK_STR(at(rc, "spec.replicas"), "1");
  json_decref(rc);
}

static void test_service_rules(void) {
  json_t *svc = created(&SVC, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"clusterIP\":\"10.0.0.5\","
                              "\"sessionAffinity\":\"ClientIP\",\"ipFamilies\":[\"IPv4\"],\"ports\":[{\"name\":\"http\","
                              "\"port\":80,\"targetPort\":\"web\"}]}}");
  CHECK_STR(at(svc, "spec.type"), "ClusterIP");
  CHECK_STR(at(svc, "spec.sessionAffinityConfig"), "{\"clientIP\":{\"timeoutSeconds\":10800}}");
  CHECK_STR(at(svc, "spec.ports.0.targetPort"), "web");
  CHECK_STR(at(svc, "spec.clusterIPs"), "[\"10.0.0.5\"]");
  CHECK_STR(at(svc, "spec.ipFamilies"), "(missing)"); /* IPv6DualStack is off in 1.20 */
  CHECK_STR(at(svc, "status"), "{\"loadBalancer\":{}}");
  CHECK_STR(at(svc, "spec.externalTrafficPolicy"), "(missing)");
  /* changing the cluster IP: 1.20 normalizes clusterIPs and refuses the change */
  json_t *upd = json_deep_copy(svc);
  json_object_set_new(json_object_get(upd, "spec"), "clusterIP", json_string("10.0.0.6"));
  kinds_prepare_update(&SVC, NULL, upd, svc);
  field_errors *fe = field_errors_new();
  kinds_validate(&SVC, upd, svc, fe);
  char *m = fe_message(fe);
  CHECK_STR(m, "spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.6\"}: may not change once set");
  free(m);
  field_errors_free(fe);
  json_decref(upd);
  json_decref(svc);
  CHECK_STR(validate_msg(&SVC, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"Magic\","
                               "\"ports\":[{\"port\":80},{\"port\":80}]}}", NULL),
            "[spec.ports[0].name: Required value, spec.ports[1].name: Required value, spec.type: Unsupported value: "
            "\"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\", spec.ports[1]: "
            "Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, "
            "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}]");
}

static void test_jobs(void) {
  json_t *job = created(&JOB, "{\"metadata\":{\"name\":\"pi\",\"namespace\":\"d\",\"uid\":\"u-9\"},\"spec\":{"
                              "\"ttlSecondsAfterFinished\":5,\"template\":{\"metadata\":{\"labels\":{\"app\":\"pi\"}},"
                              "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"perl\"}]}}}}");
  CHECK_STR(at(job, "spec.completions"), "1");
  CHECK_STR(at(job, "spec.parallelism"), "1");
  CHECK_STR(at(job, "spec.backoffLimit"), "6");
  CHECK_STR(at(job, "spec.ttlSecondsAfterFinished"), "(missing)");
  /* the Job took its template's labels, generated ones included, as Go's shared map does */
  CHECK_STR(at(job, "metadata.labels"), "{\"app\":\"pi\",\"controller-uid\":\"u-9\",\"job-name\":\"pi\"}");
  CHECK_STR(at(job, "spec.selector"), "{\"matchLabels\":{\"controller-uid\":\"u-9\"}}");
  field_errors *fe = field_errors_new();
  kinds_validate(&JOB, job, NULL, fe);
  CHECK(fe_count(fe) == 0);
  field_errors_free(fe);
  json_decref(job);
  CHECK_STR(validate_msg(&JOB, "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\"},\"spec\":{\"manualSelector\":true,"
                               "\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
                               "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"b\"}]}}}}", NULL),
            "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"");
  json_t *cj = created(&CJ, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"spec\":{\"schedule\":\"* * * * *\"}}");
  CHECK_STR(at(cj, "spec.concurrencyPolicy"), "Allow");
  CHECK_STR(at(cj, "spec.suspend"), "false");
  CHECK_STR(at(cj, "spec.successfulJobsHistoryLimit"), "3");
  CHECK_STR(at(cj, "spec.failedJobsHistoryLimit"), "1");
  json_decref(cj);
}

static void test_other_kinds(void) {
  json_t *s = created(&SECRET, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"data\":{\"a\":\"eA==\","
                               "\"b\":\"eA==\"},\"stringData\":{\"b\":\"hello\",\"c\":\"hi!\"}}");
  CHECK_STR(at(s, "type"), "Opaque");
  CHECK_STR(at(s, "data"), "{\"a\":\"eA==\",\"b\":\"aGVsbG8=\",\"c\":\"aGkh\"}");
  CHECK_STR(at(s, "stringData"), "(missing)");
  json_decref(s);
  CHECK_STR(validate_msg(&SECRET, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"type\":\"kubernetes.io/tls\"}",
                         "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"type\":\"Opaque\"}"),
            "[data[tls.crt]: Required value, data[tls.key]: Required value, type: Invalid value: \"kubernetes.io/tls\": "
            "field is immutable]");
  CHECK_STR(validate_msg(&CM, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"data\":{\"a b\":\"1\",\"..x\":\"2\"}}", NULL),
            "[data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' "
            "or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+'), "
            "data[..x]: Invalid value: \"..x\": must not start with '..']");
  json_t *pv = created(&PV, "{\"metadata\":{\"name\":\"pv\"},\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},"
                            "\"accessModes\":[\"ReadWriteOnce\"],\"hostPath\":{\"path\":\"/d\"}}}");
  CHECK_STR(at(pv, "spec.persistentVolumeReclaimPolicy"), "Retain");
  CHECK_STR(at(pv, "spec.volumeMode"), "Filesystem");
  CHECK_STR(at(pv, "status"), "{\"phase\":\"Pending\"}");
  json_decref(pv);
  CHECK_STR(validate_msg(&PV, "{\"metadata\":{\"name\":\"pv\"},\"spec\":{}}", NULL),
            "[spec.accessModes: Required value, spec.capacity: Required value, spec: Required value: must specify a "
            "volume type]");
  CHECK_STR(validate_msg(&PVC, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"spec\":{}}", NULL),
            "[spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Required value]");
  json_t *rb = created(&RB, "{\"metadata\":{\"name\":\"a:b\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Role\",\"name\":"
                            "\"r\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"jane\"},{\"kind\":\"ServiceAccount\",\"name\":\"sa\"}]}");
  CHECK_STR(at(rb, "roleRef.apiGroup"), "rbac.authorization.k8s.io");
  CHECK_STR(at(rb, "subjects.0.apiGroup"), "rbac.authorization.k8s.io");
  CHECK_STR(at(rb, "subjects.1.apiGroup"), "(missing)");
  json_decref(rb);
  /* RBAC names are path segments: "a:b" is fine, "a/b" is not */
  CHECK_STR(validate_msg(&ROLE, "{\"metadata\":{\"name\":\"a/b\",\"namespace\":\"d\"},\"rules\":[{\"verbs\":[\"get\"]}]}", NULL),
            "[metadata.name: Invalid value: \"a/b\": may not contain '/', rules[0].apiGroups: Required value: resource "
            "rules must supply at least one api group, rules[0].resources: Required value: resource rules must supply at "
            "least one resource]");
  CHECK_STR(validate_msg(&RB, "{\"metadata\":{\"name\":\"b\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"x\"}}",
                         "{\"metadata\":{\"name\":\"b\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"y\"}}"),
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"x\"}: "
            "cannot change roleRef");
  json_t *h = created(&HPA2, "{\"metadata\":{\"name\":\"h\",\"namespace\":\"d\"},\"spec\":{\"maxReplicas\":3,\"behavior\":"
                             "{\"scaleDown\":{\"stabilizationWindowSeconds\":60}}}}");
  CHECK_STR(at(h, "spec.minReplicas"), "1");
  CHECK_STR(at(h, "spec.metrics"), "[{\"resource\":{\"name\":\"cpu\",\"target\":{\"averageUtilization\":80,\"type\":"
                                   "\"Utilization\"}},\"type\":\"Resource\"}]");
  CHECK_STR(at(h, "spec.behavior.scaleDown"), "{\"policies\":[{\"periodSeconds\":15,\"type\":\"Percent\",\"value\":100}],"
                                              "\"selectPolicy\":\"Max\",\"stabilizationWindowSeconds\":60}");
  CHECK_STR(at(h, "spec.behavior.scaleUp.policies.0"), "{\"periodSeconds\":15,\"type\":\"Pods\",\"value\":4}");
  json_decref(h);
  static const kind_ref LR = {"", "v1", "LimitRange", "limitranges", true, NULL};
  json_t *lr = created(&LR, "{\"metadata\":{\"name\":\"l\",\"namespace\":\"d\"},\"spec\":{\"limits\":[{\"type\":"
                            "\"Container\",\"max\":{\"cpu\":\"2\"},\"min\":{\"memory\":\"0.5Gi\"}},{\"type\":"
                            "\"PersistentVolumeClaim\",\"max\":{\"storage\":\"5Mi\"}}]}}");
  CHECK_STR(at(lr, "spec.limits.0"), "{\"default\":{\"cpu\":\"2\"},\"defaultRequest\":{\"cpu\":\"2\",\"memory\":"
                                     "\"512Mi\"},\"max\":{\"cpu\":\"2\"},\"min\":{\"memory\":\"512Mi\"},\"type\":\"Container\"}");
  CHECK_STR(at(lr, "spec.limits.1"), "{\"max\":{\"storage\":\"5Mi\"},\"type\":\"PersistentVolumeClaim\"}");
  CHECK_STR(at(lr, "status"), "(missing)");
  json_decref(lr);
  /* legacy core/v1 events: no name rules, namespaces must agree */
  CHECK_STR(validate_msg(&EVENT, "{\"metadata\":{\"name\":\"Pod.X:1\",\"namespace\":\"a\"},\"involvedObject\":"
                                 "{\"kind\":\"Pod\",\"namespace\":\"b\"}}", NULL),
            "involvedObject.namespace: Invalid value: \"b\": does not match event.namespace");
  static const kind_ref EV1 = {"events.k8s.io", "v1", "Event", "events", true, NULL};
  CHECK_STR(validate_msg(&EV1, "{\"metadata\":{\"name\":\"e\",\"namespace\":\"a\"},\"regarding\":{\"namespace\":\"a\"},"
                               "\"type\":\"Odd\",\"deprecatedCount\":3}", NULL),
            "[eventTime: Required value, type: Invalid value: \"\": has invalid value: Odd, count: Invalid value: \"\": "
            "needs to be unset]");
}

static void test_ingress(void) {
  static const kind_ref ING = {"networking.k8s.io", "v1", "Ingress", "ingresses", true, NULL};
  static const kind_ref ING_BETA = {"networking.k8s.io", "v1beta1", "Ingress", "ingresses", true, NULL};
  CHECK_STR(validate_msg(&ING, "{\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{\"rules\":[{\"host\":"
                               "\"*.example.com\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":"
                               "{\"service\":{\"name\":\"web\",\"port\":{\"number\":80}}}}]}}]}}", NULL),
            "");
  CHECK_STR(validate_msg(&ING, "{\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{\"rules\":[{\"host\":"
                               "\"10.0.0.1\",\"http\":{\"paths\":[{\"path\":\"a\",\"pathType\":\"Exact\",\"backend\":"
                               "{\"service\":{\"name\":\"web\",\"port\":{}}}}]}}]}}", NULL),
            "[spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address, "
            "spec.rules[0].http.paths[0].path: Invalid value: \"a\": must be an absolute path, "
            "spec.rules[0].http.paths[0].backend: Required value: port name or number is required]");
  CHECK_STR(validate_msg(&ING, "{\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{}}", NULL),
            "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified");
  json_t *ing = created(&ING_BETA, "{\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{\"rules\":[{\"http\":"
                                   "{\"paths\":[{\"backend\":{\"serviceName\":\"web\",\"servicePort\":\"http\"}}]}}]}}");
  CHECK_STR(at(ing, "spec.rules.0.http.paths.0.pathType"), "ImplementationSpecific");
  field_errors *fe = field_errors_new();
  kinds_validate(&ING_BETA, ing, NULL, fe);
  CHECK(fe_count(fe) == 0);
  field_errors_free(fe);
  json_decref(ing);
}

static void test_hpa_conversion(void) {
  const char *v1 = "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"h\"},"
                   "\"spec\":{\"maxReplicas\":5,\"minReplicas\":1,\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":"
                   "\"Deployment\",\"name\":\"web\"},\"targetCPUUtilizationPercentage\":50},\"status\":{\"currentReplicas\":1,"
                   "\"desiredReplicas\":1,\"currentCPUUtilizationPercentage\":20}}";
  json_t *o = json_loads(v1, 0, NULL), *orig = json_deep_copy(o);
  CHECK(kinds_convert(o, "autoscaling/v1", "autoscaling/v2beta2") == 0);
  CHECK_STR(at(o, "apiVersion"), "autoscaling/v2beta2");
  CHECK_STR(at(o, "spec.metrics"), "[{\"resource\":{\"name\":\"cpu\",\"target\":{\"averageUtilization\":50,\"type\":"
                                   "\"Utilization\"}},\"type\":\"Resource\"}]");
  CHECK_STR(at(o, "spec.targetCPUUtilizationPercentage"), "(missing)");
  CHECK(kinds_convert(o, "autoscaling/v2beta2", "autoscaling/v1") == 0);
  CHECK_STR(at(o, "spec"), at(orig, "spec"));
  CHECK_STR(at(o, "status"), at(orig, "status"));
  /* Go writes every current metric back in the v1 wire format */
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"), "annotations"),
                                              "autoscaling.alpha.kubernetes.io/current-metrics")),
            "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"currentAverageUtilization\":20,"
            "\"currentAverageValue\":\"0\"}}]");
  json_decref(o);
  json_decref(orig);
  /* a v1 object without a target reads as the 80% CPU default */
  o = json_loads("{\"kind\":\"HorizontalPodAutoscaler\",\"spec\":{\"maxReplicas\":2}}", 0, NULL);
  kinds_convert(o, "autoscaling/v1", "autoscaling/v2");
  CHECK_STR(at(o, "spec.metrics.0.resource.target.averageUtilization"), "80");
  json_decref(o);
  /* what v1 cannot express rides in annotations and comes back */
  const char *v2 = "{\"apiVersion\":\"autoscaling/v2beta2\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"h\"},"
                   "\"spec\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\","
                   "\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"100Mi\"}}}],\"behavior\":{\"scaleUp\":"
                   "{\"stabilizationWindowSeconds\":0}}}}";
  o = json_loads(v2, 0, NULL);
  orig = json_deep_copy(o);
  kinds_convert(o, "autoscaling/v2beta2", "autoscaling/v1");
  CHECK_STR(at(o, "spec.metrics"), "(missing)");
  CHECK_STR(at(o, "spec.targetCPUUtilizationPercentage"), "(missing)");
  json_t *ann = json_object_get(json_object_get(o, "metadata"), "annotations");
  CHECK_STR(json_string_value(json_object_get(ann, "autoscaling.alpha.kubernetes.io/metrics")),
            "[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"targetAverageValue\":\"100Mi\"}}]");
  CHECK_STR(json_string_value(json_object_get(ann, "autoscaling.alpha.kubernetes.io/behavior")),
            "{\"ScaleUp\":{\"StabilizationWindowSeconds\":0,\"SelectPolicy\":null,\"Policies\":null},\"ScaleDown\":null}");
  kinds_convert(o, "autoscaling/v1", "autoscaling/v2beta2");
  CHECK_STR(at(o, "spec"), at(orig, "spec"));
  CHECK_STR(at(o, "metadata"), "{\"name\":\"h\"}");
  json_decref(o);
  json_decref(orig);
}

/* Pods, Object and External metrics survive v2 -> v1 annotation -> v2. */
static void test_hpa_metric_kinds(void) {
  const char *v2 = "{\"kind\":\"HorizontalPodAutoscaler\",\"spec\":{\"maxReplicas\":3,\"metrics\":["
                   "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"target\":{\"type\":\"AverageValue\","
                   "\"averageValue\":\"1k\"}}},{\"type\":\"Object\",\"object\":{\"describedObject\":{\"kind\":\"Service\","
                   "\"name\":\"s\"},\"metric\":{\"name\":\"m\"},\"target\":{\"type\":\"Value\",\"value\":\"2\"}}},"
                   "{\"type\":\"External\",\"external\":{\"metric\":{\"name\":\"e\",\"selector\":{\"matchLabels\":"
                   "{\"q\":\"w\"}}},\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"3\"}}}]}}";
  json_t *o = json_loads(v2, 0, NULL), *orig = json_deep_copy(o);
  kinds_convert(o, "autoscaling/v2", "autoscaling/v1");
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"), "annotations"),
                                              "autoscaling.alpha.kubernetes.io/metrics")),
            "[{\"type\":\"Pods\",\"pods\":{\"metricName\":\"qps\",\"targetAverageValue\":\"1k\"}},{\"type\":\"Object\","
            "\"object\":{\"target\":{\"kind\":\"Service\",\"name\":\"s\"},\"metricName\":\"m\",\"targetValue\":\"2\"}},"
            "{\"type\":\"External\",\"external\":{\"metricName\":\"e\",\"metricSelector\":{\"matchLabels\":{\"q\":\"w\"}},"
            "\"targetAverageValue\":\"3\"}}]");
  kinds_convert(o, "autoscaling/v1", "autoscaling/v2");
  CHECK_STR(at(o, "spec"), at(orig, "spec"));
  json_decref(o);
  json_decref(orig);
}

static void test_event_conversion(void) {
  json_t *e = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},"
                         "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\"},\"message\":\"hi\",\"reason\":\"Started\","
                         "\"source\":{\"component\":\"kubelet\"},\"firstTimestamp\":\"2021-01-01T00:00:00Z\",\"count\":2,"
                         "\"type\":\"Normal\",\"reportingComponent\":\"kubelet\"}", 0, NULL);
  json_t *orig = json_deep_copy(e);
  CHECK(kinds_convert(e, "v1", "events.k8s.io/v1") == 0);
  CHECK_STR(at(e, "apiVersion"), "events.k8s.io/v1");
  CHECK_STR(at(e, "regarding.name"), "p");
  CHECK_STR(at(e, "note"), "hi");
  CHECK_STR(at(e, "deprecatedSource.component"), "kubelet");
  CHECK_STR(at(e, "deprecatedFirstTimestamp"), "2021-01-01T00:00:00Z");
  CHECK_STR(at(e, "deprecatedCount"), "2");
  CHECK_STR(at(e, "reportingController"), "kubelet");
  CHECK_STR(at(e, "involvedObject"), "(missing)");
  CHECK_STR(at(e, "eventTime"), "null");
  CHECK_STR(at(e, "deprecatedLastTimestamp"), "null");
  CHECK(kinds_convert(e, "events.k8s.io/v1", "v1") == 0);
  /* what core/v1 always writes comes back filled */
  CHECK_STR(at(e, "lastTimestamp"), "null");
  CHECK_STR(at(e, "reportingInstance"), "");
  static const char *const dropped[] = {"eventTime", "lastTimestamp", "reportingInstance", NULL};
  for (int i = 0; dropped[i]; i++) json_object_del(e, dropped[i]);
  CHECK(json_equal(e, orig));
  json_decref(e);
  json_decref(orig);
}

TEST_MAIN(TEST(test_names), TEST(test_labels_annotations_finalizers), TEST(test_deployment), TEST(test_cronjob_schedule),
          TEST(test_namespace_create), TEST(test_service_defaults), TEST(test_pod_status_and_update),
          TEST(test_job_selector), TEST(test_deployment_defaults), TEST(test_pod_defaults), TEST(test_pod_validation), TEST(test_pod_update_rules),
          TEST(test_immutable_selector), TEST(test_workload_kinds), TEST(test_service_rules), TEST(test_jobs),
          TEST(test_other_kinds), TEST(test_ingress), TEST(test_hpa_conversion), TEST(test_hpa_metric_kinds), TEST(test_event_conversion))
