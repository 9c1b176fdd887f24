/* test_table.c - unit tests for the server-side Table printers: exact
 * column names and cell values for representative objects (pods in several
 * states, deployments, services, nodes, PVCs, HPAs, jobs, ...), the
 * HumanDuration rules, the default convertor, and that every printer copes
 * with an empty object (all fields missing) without crashing. */
#include "table.h"
#include "table_impl.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* 2021-01-01T00:00:00Z */
static const time_t NOW = 1609459200;

static json_t *parse(const char *s) {
  json_error_t err;
  json_t *j = json_loads(s, 0, &err);
  if (!j) fprintf(stderr, "bad JSON in test: %s\n", err.text);
  return j;
}

static const char *cstr(const json_t *cells, size_t i) {
  const json_t *c = json_array_get(cells, i);
  return json_is_string(c) ? json_string_value(c) : "(not a string)";
}

static long long cint(const json_t *cells, size_t i) {
  const json_t *c = json_array_get(cells, i);
  return json_is_integer(c) ? json_integer_value(c) : -999;
}

static json_t *row(const char *group, const char *plural, const char *obj) {
  json_t *o = parse(obj);
  json_t *cells = table_cells(group, plural, o, NOW);
  json_decref(o);
  return cells;
}

static void check_column_names(const char *group, const char *plural, const char *const *want, size_t n) {
  json_t *cols = table_columns(group, plural);
  CHECK(json_array_size(cols) == n);
  for (size_t i = 0; i < n && i < json_array_size(cols); i++)
    CHECK_STR(json_string_value(json_object_get(json_array_get(cols, i), "name")), want[i]);
  json_decref(cols);
}

static void test_human_duration(void) {
  char b[32];
  static const struct { long long s; const char *want; } cases[] = {
      {-5, "<invalid>"}, {-2, "<invalid>"}, {-1, "0s"}, {0, "0s"}, {59, "59s"}, {60, "60s"},
      {119, "119s"}, {120, "2m"}, {125, "2m5s"}, {599, "9m59s"}, {600, "10m"}, {90 * 60, "90m"},
      {179 * 60 + 59, "179m"}, {3 * 3600, "3h"}, {5 * 3600, "5h"}, {5 * 3600 + 30 * 60 + 9, "5h30m"},
      {8 * 3600 + 59 * 60, "8h"}, {47 * 3600, "47h"}, {2 * 86400, "2d"}, {3 * 86400 + 5 * 3600, "3d5h"},
      {7 * 86400 + 23 * 3600, "7d23h"}, {8 * 86400 + 5 * 3600, "8d"}, {400 * 86400, "400d"},
      {729 * 86400, "729d"}, {730 * 86400, "2y"}, {800 * 86400, "2y70d"}, {8 * 365 * 86400LL, "8y"},
      {20 * 365 * 86400LL + 100 * 86400LL, "20y"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_STR(human_duration(cases[i].s, b, sizeof b), cases[i].want);
}

static void test_pod_columns(void) {
  static const char *const want[] = {"Name", "Ready", "Status", "Restarts", "Age",
                                     "IP", "Node", "Nominated Node", "Readiness Gates"};
  check_column_names("", "pods", want, 9);
  json_t *cols = table_columns("", "pods");
  const json_t *name = json_array_get(cols, 0), *ip = json_array_get(cols, 5), *restarts = json_array_get(cols, 3);
  CHECK_STR(json_string_value(json_object_get(name, "format")), "name");
  CHECK(json_integer_value(json_object_get(name, "priority")) == 0);
  CHECK(json_integer_value(json_object_get(ip, "priority")) == 1);
  CHECK_STR(json_string_value(json_object_get(restarts, "type")), "integer");
  CHECK(strncmp(json_string_value(json_object_get(name, "description")), "Name must be unique", 19) == 0);
  json_decref(cols);
}

static void test_pod_half_ready(void) {
  json_t *c = row("", "pods",
                  "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2020-12-31T23:55:00Z\"},"
                  "\"spec\":{\"nodeName\":\"node1\",\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
                  "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.5\",\"podIPs\":[{\"ip\":\"10.0.0.5\"}],"
                  "\"containerStatuses\":["
                  "{\"name\":\"a\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}}},"
                  "{\"name\":\"b\",\"ready\":false,\"restartCount\":2,\"state\":{\"running\":{}}}]}}");
  CHECK(json_array_size(c) == 9);
  CHECK_STR(cstr(c, 0), "web");
  CHECK_STR(cstr(c, 1), "1/2");
  CHECK_STR(cstr(c, 2), "Running");
  CHECK(cint(c, 3) == 3);
  CHECK_STR(cstr(c, 4), "5m");
  CHECK_STR(cstr(c, 5), "10.0.0.5");
  CHECK_STR(cstr(c, 6), "node1");
  CHECK_STR(cstr(c, 7), "<none>");
  CHECK_STR(cstr(c, 8), "<none>");
  json_decref(c);
}

static void test_pod_crashloop(void) {
  json_t *c = row("", "pods",
                  "{\"metadata\":{\"name\":\"crash\",\"creationTimestamp\":\"2020-12-31T22:00:00Z\"},"
                  "\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
                  "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"a\",\"ready\":false,"
                  "\"restartCount\":5,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
                  "\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}}]}}");
  CHECK_STR(cstr(c, 1), "0/1");
  CHECK_STR(cstr(c, 2), "CrashLoopBackOff");
  CHECK(cint(c, 3) == 5);
  CHECK_STR(cstr(c, 4), "120m");
  CHECK_STR(cstr(c, 5), "<none>");
  CHECK_STR(cstr(c, 6), "<none>");
  json_decref(c);
}

static void test_pod_terminating_and_nodelost(void) {
  json_t *c = row("", "pods",
                  "{\"metadata\":{\"name\":\"t\",\"creationTimestamp\":\"2020-12-29T00:00:00Z\","
                  "\"deletionTimestamp\":\"2021-01-01T00:00:30Z\"},"
                  "\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
                  "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,"
                  "\"state\":{\"running\":{}}}]}}");
  CHECK_STR(cstr(c, 1), "1/1");
  CHECK_STR(cstr(c, 2), "Terminating");
  CHECK_STR(cstr(c, 4), "3d");
  json_decref(c);
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"t\",\"deletionTimestamp\":\"2021-01-01T00:00:30Z\"},"
          "\"status\":{\"phase\":\"Running\",\"reason\":\"NodeLost\"}}");
  CHECK_STR(cstr(c, 2), "Unknown");
  CHECK_STR(cstr(c, 4), "<unknown>");
  json_decref(c);
  c = row("", "pods", "{\"metadata\":{\"name\":\"t\"},\"status\":{\"phase\":\"Running\",\"reason\":\"NodeLost\"}}");
  CHECK_STR(cstr(c, 2), "NodeLost");
  json_decref(c);
}

static void test_pod_init_and_completed(void) {
  json_t *c = row("", "pods",
                  "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":[{\"name\":\"i1\"},{\"name\":\"i2\"}],"
                  "\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":["
                  "{\"name\":\"i1\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
                  "{\"name\":\"i2\",\"restartCount\":2,\"state\":{\"running\":{}}}],"
                  "\"containerStatuses\":[{\"name\":\"a\",\"restartCount\":7,\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}]}}");
  CHECK_STR(cstr(c, 2), "Init:1/2");
  CHECK(cint(c, 3) == 2);
  CHECK_STR(cstr(c, 1), "0/1");
  json_decref(c);
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":[{\"name\":\"i1\"}],\"containers\":[{\"name\":\"a\"}]},"
          "\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i1\",\"restartCount\":3,"
          "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}");
  CHECK_STR(cstr(c, 2), "Init:CrashLoopBackOff");
  json_decref(c);
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":[{\"name\":\"i1\"}],\"containers\":[{\"name\":\"a\"}]},"
          "\"status\":{\"phase\":\"Failed\",\"initContainerStatuses\":[{\"name\":\"i1\","
          "\"state\":{\"terminated\":{\"exitCode\":3}}}]}}");
  CHECK_STR(cstr(c, 2), "Init:ExitCode:3");
  json_decref(c);
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"done\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
          "\"status\":{\"phase\":\"Succeeded\",\"containerStatuses\":[{\"name\":\"a\",\"ready\":false,"
          "\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}]}}");
  CHECK_STR(cstr(c, 1), "0/1");
  CHECK_STR(cstr(c, 2), "Completed");
  json_decref(c);
  /* A sidecar still running turns "Completed" back into "Running" when the
   * pod is Ready, "NotReady" otherwise. */
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
          "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":["
          "{\"name\":\"a\",\"ready\":false,\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
          "{\"name\":\"b\",\"ready\":true,\"state\":{\"running\":{}}}]}}");
  CHECK_STR(cstr(c, 2), "Running");
  CHECK_STR(cstr(c, 1), "1/2");
  json_decref(c);
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
          "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],\"containerStatuses\":["
          "{\"name\":\"a\",\"ready\":false,\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
          "{\"name\":\"b\",\"ready\":true,\"state\":{\"running\":{}}}]}}");
  CHECK_STR(cstr(c, 2), "NotReady");
  json_decref(c);
  /* A container terminated by a signal without a reason. */
  c = row("", "pods",
          "{\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
          "{\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":137,\"signal\":9}}}]}}");
  CHECK_STR(cstr(c, 2), "Signal:9");
  json_decref(c);
  /* Readiness gates count conditions that are True. */
  c = row("", "pods",
          "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"readinessGates\":[{\"conditionType\":\"x/a\"},{\"conditionType\":\"x/b\"}]},"
          "\"status\":{\"nominatedNodeName\":\"n2\",\"conditions\":[{\"type\":\"x/a\",\"status\":\"True\"},{\"type\":\"x/b\",\"status\":\"False\"}]}}");
  CHECK_STR(cstr(c, 7), "n2");
  CHECK_STR(cstr(c, 8), "1/2");
  json_decref(c);
}

static void test_deployment(void) {
  static const char *const want[] = {"Name", "Ready", "Up-to-date", "Available", "Age",
                                     "Containers", "Images", "Selector"};
  check_column_names("apps", "deployments", want, 8);
  json_t *c = row("apps", "deployments",
                  "{\"metadata\":{\"name\":\"nginx\",\"creationTimestamp\":\"2020-12-30T00:00:00Z\"},"
                  "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"nginx\",\"tier\":\"web\"},"
                  "\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"dev\"]}]},"
                  "\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.19\"},"
                  "{\"name\":\"side\",\"image\":\"busybox\"}]}}},"
                  "\"status\":{\"readyReplicas\":2,\"updatedReplicas\":3,\"availableReplicas\":2}}");
  CHECK(json_array_size(c) == 8);
  CHECK_STR(cstr(c, 0), "nginx");
  CHECK_STR(cstr(c, 1), "2/3");
  CHECK(cint(c, 2) == 3);
  CHECK(cint(c, 3) == 2);
  CHECK_STR(cstr(c, 4), "2d");
  CHECK_STR(cstr(c, 5), "nginx,side");
  CHECK_STR(cstr(c, 6), "nginx:1.19,busybox");
  CHECK_STR(cstr(c, 7), "app=nginx,env in (dev,prod),tier=web");
  json_decref(c);
  c = row("apps", "deployments",
          "{\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":\"b\",\"operator\":\"DoesNotExist\"},"
          "{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"c\",\"operator\":\"NotIn\",\"values\":[\"y\",\"x\",\"y\"]}]}}}");
  CHECK_STR(cstr(c, 7), "a,!b,c notin (x,y)");
  json_decref(c);
  c = row("apps", "replicasets", "{\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\"}]}}}");
  CHECK_STR(cstr(c, 7), "<error>");
  json_decref(c);
  c = row("apps", "deployments", "{\"metadata\":{\"name\":\"empty\"}}");
  CHECK_STR(cstr(c, 1), "0/0");
  CHECK_STR(cstr(c, 4), "<unknown>");
  CHECK_STR(cstr(c, 7), "");
  json_decref(c);
}

static void test_services(void) {
  static const char *const want[] = {"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"};
  check_column_names("", "services", want, 7);
  json_t *c = row("", "services",
                  "{\"metadata\":{\"name\":\"np\",\"creationTimestamp\":\"2020-12-31T23:59:00Z\"},"
                  "\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"],"
                  "\"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}],"
                  "\"selector\":{\"b\":\"2\",\"a\":\"1\"}}}");
  CHECK_STR(cstr(c, 1), "NodePort");
  CHECK_STR(cstr(c, 2), "10.96.0.10");
  CHECK_STR(cstr(c, 3), "<none>");
  CHECK_STR(cstr(c, 4), "80:30080/TCP,53/UDP");
  CHECK_STR(cstr(c, 5), "60s");
  CHECK_STR(cstr(c, 6), "a=1,b=2");
  json_decref(c);
  /* labels.Set.String sorts "key=value" strings: "a.b=2" before "a=1". */
  c = row("", "services", "{\"spec\":{\"selector\":{\"a\":\"1\",\"a.b\":\"2\",\"A\":\"0\"}}}");
  CHECK_STR(cstr(c, 6), "A=0,a.b=2,a=1");
  json_decref(c);
  c = row("", "services",
          "{\"metadata\":{\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.0.11\"],"
          "\"ports\":[{\"port\":443,\"nodePort\":31443,\"protocol\":\"TCP\"}]},"
          "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.7\"},{\"hostname\":\"a.example.com\"}]}}}");
  CHECK_STR(cstr(c, 3), "203.0.113.7,a.example.com");
  CHECK_STR(cstr(c, 4), "443:31443/TCP");
  CHECK_STR(cstr(c, 6), "<none>");
  json_decref(c);
  c = row("", "services", "{\"metadata\":{\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.0.0.1\"}}");
  CHECK_STR(cstr(c, 2), "10.0.0.1");
  CHECK_STR(cstr(c, 3), "<pending>");
  CHECK_STR(cstr(c, 4), "<none>");
  json_decref(c);
  c = row("", "services", "{\"metadata\":{\"name\":\"en\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}}");
  CHECK_STR(cstr(c, 2), "<none>");
  CHECK_STR(cstr(c, 3), "db.example.com");
  json_decref(c);
  c = row("", "services", "{\"metadata\":{\"name\":\"x\"}}");
  CHECK_STR(cstr(c, 3), "<unknown>");
  json_decref(c);
}

static void test_endpoints(void) {
  json_t *c = row("", "endpoints",
                  "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"},"
                  "{\"ip\":\"10.0.0.3\"},{\"ip\":\"10.0.0.4\"}],\"ports\":[{\"port\":80},{\"port\":443}]}]}");
  CHECK_STR(cstr(c, 1), "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 5 more...");
  json_decref(c);
  c = row("", "endpoints", "{\"metadata\":{\"name\":\"e\"}}");
  CHECK_STR(cstr(c, 1), "<none>");
  json_decref(c);
  c = row("", "endpoints", "{\"subsets\":[{\"addresses\":[{\"ip\":\"fd00::1\"}],\"ports\":[{\"port\":8080}]},"
                           "{\"addresses\":[{\"ip\":\"10.1.1.1\"}]}]}");
  CHECK_STR(cstr(c, 1), "[fd00::1]:8080,10.1.1.1");
  json_decref(c);
}

static void test_node(void) {
  static const char *const want[] = {"Name", "Status", "Roles", "Age", "Version", "Internal-IP",
                                     "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"};
  check_column_names("", "nodes", want, 10);
  json_t *c = row("", "nodes",
                  "{\"metadata\":{\"name\":\"n1\",\"creationTimestamp\":\"2020-12-01T00:00:00Z\","
                  "\"labels\":{\"node-role.kubernetes.io/master\":\"\",\"node-role.kubernetes.io/control-plane\":\"\","
                  "\"kubernetes.io/role\":\"master\",\"node-role.kubernetes.io/\":\"\"}},"
                  "\"spec\":{\"unschedulable\":true},"
                  "\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"}],"
                  "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.168.1.10\"},{\"type\":\"Hostname\",\"address\":\"n1\"}],"
                  "\"nodeInfo\":{\"kubeletVersion\":\"v1.20.0\",\"osImage\":\"Debian GNU/Linux 12\",\"kernelVersion\":\"6.1.0\","
                  "\"containerRuntimeVersion\":\"ckube://0.1\"}}}");
  CHECK_STR(cstr(c, 1), "Ready,SchedulingDisabled");
  CHECK_STR(cstr(c, 2), "control-plane,master");
  CHECK_STR(cstr(c, 3), "31d");
  CHECK_STR(cstr(c, 4), "v1.20.0");
  CHECK_STR(cstr(c, 5), "192.168.1.10");
  CHECK_STR(cstr(c, 6), "<none>");
  CHECK_STR(cstr(c, 7), "Debian GNU/Linux 12");
  CHECK_STR(cstr(c, 9), "ckube://0.1");
  json_decref(c);
  c = row("", "nodes", "{\"metadata\":{\"name\":\"n2\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}");
  CHECK_STR(cstr(c, 1), "NotReady");
  CHECK_STR(cstr(c, 2), "<none>");
  CHECK_STR(cstr(c, 7), "<unknown>");
  json_decref(c);
  c = row("", "nodes", "{}");
  CHECK_STR(cstr(c, 1), "Unknown");
  json_decref(c);
}

static void test_pvc_and_pv(void) {
  static const char *const want[] = {"Name", "Status", "Volume", "Capacity", "Access Modes",
                                     "StorageClass", "Age", "VolumeMode"};
  check_column_names("", "persistentvolumeclaims", want, 8);
  json_t *c = row("", "persistentvolumeclaims",
                  "{\"metadata\":{\"name\":\"data\",\"creationTimestamp\":\"2020-12-31T20:00:00Z\"},"
                  "\"spec\":{\"volumeName\":\"pv-1\",\"storageClassName\":\"standard\",\"volumeMode\":\"Filesystem\","
                  "\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}},"
                  "\"status\":{\"phase\":\"Bound\",\"accessModes\":[\"ReadWriteMany\",\"ReadWriteOnce\"],"
                  "\"capacity\":{\"storage\":\"2Gi\"}}}");
  CHECK_STR(cstr(c, 1), "Bound");
  CHECK_STR(cstr(c, 2), "pv-1");
  CHECK_STR(cstr(c, 3), "2Gi");
  CHECK_STR(cstr(c, 4), "RWO,RWX");
  CHECK_STR(cstr(c, 5), "standard");
  CHECK_STR(cstr(c, 6), "4h");
  CHECK_STR(cstr(c, 7), "Filesystem");
  json_decref(c);
  c = row("", "persistentvolumeclaims", "{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Pending\"}}");
  CHECK_STR(cstr(c, 3), "");
  CHECK_STR(cstr(c, 4), "");
  CHECK_STR(cstr(c, 7), "<unset>");
  json_decref(c);
  c = row("", "persistentvolumes",
          "{\"metadata\":{\"name\":\"pv-1\",\"annotations\":{\"volume.beta.kubernetes.io/storage-class\":\"old\"}},"
          "\"spec\":{\"capacity\":{\"storage\":\"5Gi\"},\"accessModes\":[\"ReadOnlyMany\"],"
          "\"persistentVolumeReclaimPolicy\":\"Retain\",\"claimRef\":{\"namespace\":\"default\",\"name\":\"data\"},"
          "\"storageClassName\":\"standard\"},\"status\":{\"phase\":\"Bound\"}}");
  CHECK(json_array_size(c) == 10);
  CHECK_STR(cstr(c, 1), "5Gi");
  CHECK_STR(cstr(c, 2), "ROX");
  CHECK_STR(cstr(c, 3), "Retain");
  CHECK_STR(cstr(c, 4), "Bound");
  CHECK_STR(cstr(c, 5), "default/data");
  CHECK_STR(cstr(c, 6), "old");
  CHECK_STR(cstr(c, 9), "<unset>");
  json_decref(c);
}

static void test_hpa(void) {
  static const char *const want[] = {"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"};
  check_column_names("autoscaling", "horizontalpodautoscalers", want, 7);
  json_t *c = row("autoscaling", "horizontalpodautoscalers",
                  "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"},"
                  "\"minReplicas\":1,\"maxReplicas\":10,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
                  "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}}]},\"status\":{\"currentReplicas\":2}}");
  CHECK_STR(cstr(c, 1), "Deployment/web");
  CHECK_STR(cstr(c, 2), "<unknown>/80%");
  CHECK_STR(cstr(c, 3), "1");
  CHECK(cint(c, 4) == 10);
  CHECK(cint(c, 5) == 2);
  json_decref(c);
  c = row("autoscaling", "horizontalpodautoscalers",
          "{\"spec\":{\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}},"
          "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"1k\"}}},"
          "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"100Mi\"}}}]},"
          "\"status\":{\"currentMetrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"current\":{\"averageUtilization\":45,\"averageValue\":\"45m\"}}},"
          "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"current\":{\"averageValue\":\"500\"}}}]}}");
  CHECK_STR(cstr(c, 2), "45%/80%, 500/1k + 1 more...");
  CHECK_STR(cstr(c, 3), "<unset>");
  json_decref(c);
  /* autoscaling/v1 and v2beta1 shapes. */
  c = row("autoscaling", "horizontalpodautoscalers",
          "{\"spec\":{\"targetCPUUtilizationPercentage\":50},\"status\":{\"currentCPUUtilizationPercentage\":12}}");
  CHECK_STR(cstr(c, 2), "12%/50%");
  CHECK_STR(cstr(c, 1), "/");
  json_decref(c);
  c = row("autoscaling", "horizontalpodautoscalers", "{\"spec\":{\"targetCPUUtilizationPercentage\":50}}");
  CHECK_STR(cstr(c, 2), "<unknown>/50%");
  json_decref(c);
  c = row("autoscaling", "horizontalpodautoscalers",
          "{\"spec\":{\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"targetAverageUtilization\":70}}]},"
          "\"status\":{\"currentMetrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"currentAverageUtilization\":33,\"currentAverageValue\":\"10m\"}}]}}");
  CHECK_STR(cstr(c, 2), "33%/70%");
  json_decref(c);
  c = row("autoscaling", "horizontalpodautoscalers", "{}");
  CHECK_STR(cstr(c, 2), "<none>");
  json_decref(c);
  /* autoscaling/v1 without a CPU target gets the implicit 80% default. */
  c = row("autoscaling", "horizontalpodautoscalers", "{\"apiVersion\":\"autoscaling/v1\",\"spec\":{\"maxReplicas\":3}}");
  CHECK_STR(cstr(c, 2), "<unknown>/80%");
  json_decref(c);
  /* v1 with extra metrics kept in the annotation: they come first, the CPU
   * target last, and the one current (CPU) figure pairs with the first. */
  c = row("autoscaling", "horizontalpodautoscalers",
          "{\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"annotations\":{\"autoscaling.alpha.kubernetes.io/metrics\":"
          "\"[{\\\"type\\\":\\\"Pods\\\",\\\"pods\\\":{\\\"metricName\\\":\\\"qps\\\",\\\"targetAverageValue\\\":\\\"10\\\"}}]\"}},"
          "\"spec\":{\"targetCPUUtilizationPercentage\":60},\"status\":{\"currentCPUUtilizationPercentage\":30}}");
  CHECK_STR(cstr(c, 2), "<unknown>/10, <unknown>/60%");
  json_decref(c);
  /* Object and External metrics with average values print "(avg)". */
  c = row("autoscaling", "horizontalpodautoscalers",
          "{\"apiVersion\":\"autoscaling/v2beta2\",\"spec\":{\"metrics\":["
          "{\"type\":\"Object\",\"object\":{\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"2\"}}},"
          "{\"type\":\"External\",\"external\":{\"target\":{\"type\":\"Value\",\"value\":\"5\"}}}]},"
          "\"status\":{\"currentMetrics\":[{\"type\":\"Object\",\"object\":{\"current\":{\"averageValue\":\"1500m\"}}},"
          "{\"type\":\"External\",\"external\":{\"current\":{\"value\":\"3\"}}}]}}");
  CHECK_STR(cstr(c, 2), "1500m/2 (avg), 3/5");
  json_decref(c);
}

static void test_job_and_cronjob(void) {
  static const char *const want[] = {"Name", "Completions", "Duration", "Age", "Containers", "Images", "Selector"};
  check_column_names("batch", "jobs", want, 7);
  json_t *c = row("batch", "jobs",
                  "{\"metadata\":{\"name\":\"pi\",\"creationTimestamp\":\"2020-12-31T23:50:00Z\"},"
                  "\"spec\":{\"completions\":3,\"parallelism\":1,\"selector\":{\"matchLabels\":{\"controller-uid\":\"abc\"}},"
                  "\"template\":{\"spec\":{\"containers\":[{\"name\":\"pi\",\"image\":\"perl\"}]}}},"
                  "\"status\":{\"startTime\":\"2020-12-31T23:55:00Z\",\"active\":1,\"succeeded\":1}}");
  CHECK_STR(cstr(c, 1), "1/3");
  CHECK_STR(cstr(c, 2), "5m");
  CHECK_STR(cstr(c, 3), "10m");
  CHECK_STR(cstr(c, 4), "pi");
  CHECK_STR(cstr(c, 5), "perl");
  CHECK_STR(cstr(c, 6), "controller-uid=abc");
  json_decref(c);
  c = row("batch", "jobs",
          "{\"spec\":{\"parallelism\":4},\"status\":{\"startTime\":\"2020-12-31T23:00:00Z\","
          "\"completionTime\":\"2020-12-31T23:00:42Z\",\"succeeded\":1}}");
  CHECK_STR(cstr(c, 1), "1/1 of 4");
  CHECK_STR(cstr(c, 2), "42s");
  json_decref(c);
  c = row("batch", "jobs", "{}");
  CHECK_STR(cstr(c, 1), "0/1");
  CHECK_STR(cstr(c, 2), "");
  CHECK_STR(cstr(c, 6), "<none>");
  json_decref(c);
  static const char *const cwant[] = {"Name", "Schedule", "Suspend", "Active", "Last Schedule", "Age",
                                      "Containers", "Images", "Selector"};
  check_column_names("batch", "cronjobs", cwant, 9);
  c = row("batch", "cronjobs",
          "{\"metadata\":{\"name\":\"hello\"},\"spec\":{\"schedule\":\"*/1 * * * *\",\"suspend\":false},"
          "\"status\":{\"active\":[{\"name\":\"hello-1\"}],\"lastScheduleTime\":\"2020-12-31T23:59:00Z\"}}");
  CHECK_STR(cstr(c, 1), "*/1 * * * *");
  CHECK_STR(cstr(c, 2), "False");
  CHECK(cint(c, 3) == 1);
  CHECK_STR(cstr(c, 4), "60s");
  json_decref(c);
  c = row("batch", "cronjobs", "{}");
  CHECK_STR(cstr(c, 2), "<unset>");
  CHECK_STR(cstr(c, 4), "<none>");
  json_decref(c);
}

static void test_misc_core(void) {
  json_t *c = row("", "namespaces", "{\"metadata\":{\"name\":\"default\",\"creationTimestamp\":\"2020-12-31T23:59:59Z\"},"
                                    "\"status\":{\"phase\":\"Active\"}}");
  CHECK_STR(cstr(c, 1), "Active");
  CHECK_STR(cstr(c, 2), "1s");
  json_decref(c);
  c = row("", "configmaps", "{\"metadata\":{\"name\":\"cm\"},\"data\":{\"a\":\"1\",\"b\":\"2\"},\"binaryData\":{\"c\":\"AA==\"}}");
  CHECK(cint(c, 1) == 3);
  json_decref(c);
  c = row("", "secrets", "{\"metadata\":{\"name\":\"s\"},\"type\":\"Opaque\",\"data\":{\"k\":\"dg==\"}}");
  CHECK_STR(cstr(c, 1), "Opaque");
  CHECK(cint(c, 2) == 1);
  json_decref(c);
  c = row("", "serviceaccounts", "{\"metadata\":{\"name\":\"default\"},\"secrets\":[{\"name\":\"default-token-x\"}]}");
  CHECK(cint(c, 1) == 1);
  json_decref(c);
  static const char *const qwant[] = {"Name", "Age", "Request", "Limit"};
  check_column_names("", "resourcequotas", qwant, 4);
  c = row("", "resourcequotas", "{\"metadata\":{\"name\":\"q\"},\"status\":{\"hard\":{\"pods\":\"10\",\"limits.cpu\":\"2\","
                                "\"requests.cpu\":\"1\"},\"used\":{\"pods\":\"3\",\"requests.cpu\":\"500m\"}}}");
  CHECK_STR(cstr(c, 2), "pods: 3/10, requests.cpu: 500m/1");
  CHECK_STR(cstr(c, 3), "limits.cpu: 0/2");
  json_decref(c);
  /* Quantities print in Quantity.String()'s canonical form. */
  c = row("", "resourcequotas", "{\"status\":{\"hard\":{\"memory\":\"1024Mi\",\"cpu\":1.5},\"used\":{\"memory\":\"1000m\",\"cpu\":\"0.5\"}}}");
  CHECK_STR(cstr(c, 2), "cpu: 500m/1500m, memory: 1/1Gi");
  json_decref(c);
}

static void test_events(void) {
  static const char *const want[] = {"Last Seen", "Type", "Reason", "Object", "Subobject", "Source",
                                     "Message", "First Seen", "Count", "Name"};
  check_column_names("", "events", want, 10);
  check_column_names("events.k8s.io", "events", want, 10);
  json_t *c = row("", "events",
                  "{\"metadata\":{\"name\":\"web.1653\"},\"type\":\"Normal\",\"reason\":\"Pulled\",\"message\":\" Image pulled \\n\","
                  "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web\",\"fieldPath\":\"spec.containers{a}\"},"
                  "\"source\":{\"component\":\"kubelet\",\"host\":\"node1\"},\"count\":4,"
                  "\"firstTimestamp\":\"2020-12-31T23:00:00Z\",\"lastTimestamp\":\"2020-12-31T23:58:00Z\"}");
  CHECK_STR(cstr(c, 0), "2m");
  CHECK_STR(cstr(c, 1), "Normal");
  CHECK_STR(cstr(c, 2), "Pulled");
  CHECK_STR(cstr(c, 3), "pod/web");
  CHECK_STR(cstr(c, 4), "spec.containers{a}");
  CHECK_STR(cstr(c, 5), "kubelet, node1");
  CHECK_STR(cstr(c, 6), "Image pulled");
  CHECK_STR(cstr(c, 7), "60m");
  CHECK(cint(c, 8) == 4);
  CHECK_STR(cstr(c, 9), "web.1653");
  json_decref(c);
  c = row("events.k8s.io", "events",
          "{\"metadata\":{\"name\":\"e2\"},\"type\":\"Warning\",\"reason\":\"FailedScheduling\",\"note\":\"0/1 nodes\","
          "\"regarding\":{\"kind\":\"Pod\",\"name\":\"p\"},\"deprecatedSource\":{\"component\":\"default-scheduler\"},"
          "\"eventTime\":\"2020-12-31T23:59:00.000000Z\"}");
  CHECK_STR(cstr(c, 0), "60s");
  CHECK_STR(cstr(c, 3), "pod/p");
  CHECK_STR(cstr(c, 5), "default-scheduler");
  CHECK_STR(cstr(c, 6), "0/1 nodes");
  CHECK_STR(cstr(c, 7), "60s");
  CHECK(cint(c, 8) == 1);
  json_decref(c);
  /* A series: last seen from lastObservedTime, count is series.count + 1,
   * source from the reporting controller and instance. */
  c = row("events.k8s.io", "events",
          "{\"metadata\":{\"name\":\"e3\"},\"regarding\":{\"kind\":\"Node\"},\"reportingController\":\"kubelet\","
          "\"reportingInstance\":\"n1\",\"eventTime\":\"2020-12-31T23:00:00.123456Z\","
          "\"series\":{\"count\":4,\"lastObservedTime\":\"2020-12-31T23:59:30.000000Z\"}}");
  CHECK_STR(cstr(c, 0), "30s");
  CHECK_STR(cstr(c, 3), "node");
  CHECK_STR(cstr(c, 5), "kubelet, n1");
  CHECK_STR(cstr(c, 7), "59m");
  CHECK(cint(c, 8) == 5);
  json_decref(c);
  c = row("", "events", "{}");
  CHECK_STR(cstr(c, 0), "<unknown>");
  CHECK_STR(cstr(c, 7), "<unknown>");
  CHECK(cint(c, 8) == 1);
  json_decref(c);
}

static void test_other_groups(void) {
  json_t *c = row("storage.k8s.io", "storageclasses",
                  "{\"metadata\":{\"name\":\"standard\",\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}},"
                  "\"provisioner\":\"rancher.io/local-path\",\"volumeBindingMode\":\"WaitForFirstConsumer\"}");
  CHECK_STR(cstr(c, 0), "standard (default)");
  CHECK_STR(cstr(c, 2), "Delete");
  CHECK_STR(cstr(c, 3), "WaitForFirstConsumer");
  CHECK(json_is_false(json_array_get(c, 4)));
  json_decref(c);
  static const char *const iwant[] = {"Name", "Class", "Hosts", "Address", "Ports", "Age"};
  check_column_names("networking.k8s.io", "ingresses", iwant, 6);
  c = row("networking.k8s.io", "ingresses",
          "{\"metadata\":{\"name\":\"ing\"},\"spec\":{\"ingressClassName\":\"nginx\",\"tls\":[{}],\"rules\":["
          "{\"host\":\"a.com\"},{},{\"host\":\"b.com\"},{\"host\":\"c.com\"},{\"host\":\"d.com\"}]},"
          "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"10.0.0.9\"}]}}}");
  CHECK_STR(cstr(c, 1), "nginx");
  CHECK_STR(cstr(c, 2), "a.com,b.com,c.com + 2 more...");
  CHECK_STR(cstr(c, 3), "10.0.0.9");
  CHECK_STR(cstr(c, 4), "80, 443");
  json_decref(c);
  c = row("networking.k8s.io", "ingresses", "{}");
  CHECK_STR(cstr(c, 1), "<none>");
  CHECK_STR(cstr(c, 2), "*");
  CHECK_STR(cstr(c, 4), "80");
  json_decref(c);
  c = row("rbac.authorization.k8s.io", "rolebindings",
          "{\"metadata\":{\"name\":\"rb\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"},\"subjects\":["
          "{\"kind\":\"User\",\"name\":\"alice\"},{\"kind\":\"User\",\"name\":\"bob\"},{\"kind\":\"Group\",\"name\":\"devs\"},"
          "{\"kind\":\"ServiceAccount\",\"namespace\":\"ns\",\"name\":\"sa\"}]}");
  CHECK_STR(cstr(c, 1), "ClusterRole/view");
  CHECK_STR(cstr(c, 3), "alice, bob");
  CHECK_STR(cstr(c, 4), "devs");
  CHECK_STR(cstr(c, 5), "ns:sa");
  json_decref(c);
  static const char *const cwant[] = {"Name", "Age", "SignerName", "Requestor", "Condition"};
  check_column_names("certificates.k8s.io", "certificatesigningrequests", cwant, 5);
  c = row("certificates.k8s.io", "certificatesigningrequests",
          "{\"spec\":{\"signerName\":\"kubernetes.io/kube-apiserver-client\",\"username\":\"admin\"},"
          "\"status\":{\"conditions\":[{\"type\":\"Approved\"}],\"certificate\":\"Zm9v\"}}");
  CHECK_STR(cstr(c, 2), "kubernetes.io/kube-apiserver-client");
  CHECK_STR(cstr(c, 3), "admin");
  CHECK_STR(cstr(c, 4), "Approved,Issued");
  json_decref(c);
  c = row("coordination.k8s.io", "leases", "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"holderIdentity\":\"n1\"}}");
  CHECK_STR(cstr(c, 1), "n1");
  json_decref(c);
  c = row("policy", "poddisruptionbudgets", "{\"spec\":{\"minAvailable\":2},\"status\":{\"disruptionsAllowed\":1}}");
  CHECK_STR(cstr(c, 1), "2");
  CHECK_STR(cstr(c, 2), "N/A");
  CHECK(cint(c, 3) == 1);
  json_decref(c);
  c = row("apps", "controllerrevisions",
          "{\"metadata\":{\"name\":\"ds-1\",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\","
          "\"name\":\"ds\",\"controller\":true}]},\"revision\":2}");
  CHECK_STR(cstr(c, 1), "daemonset.apps/ds");
  CHECK(cint(c, 2) == 2);
  json_decref(c);
  c = row("apps", "daemonsets", "{\"metadata\":{\"name\":\"ds\"},\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":"
                                "{\"kubernetes.io/os\":\"linux\"}}}},\"status\":{\"desiredNumberScheduled\":2,\"numberReady\":1}}");
  CHECK(cint(c, 1) == 2);
  CHECK(cint(c, 3) == 1);
  CHECK_STR(cstr(c, 6), "kubernetes.io/os=linux");
  json_decref(c);
  c = row("discovery.k8s.io", "endpointslices",
          "{\"addressType\":\"IPv4\",\"ports\":[{\"port\":80},{\"name\":\"https\"}],\"endpoints\":["
          "{\"addresses\":[\"10.0.0.1\",\"10.0.0.2\"]},{\"addresses\":[\"10.0.0.3\"]},{\"addresses\":[\"10.0.0.4\"]}]}");
  CHECK_STR(cstr(c, 2), "80,https");
  CHECK_STR(cstr(c, 3), "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...");
  json_decref(c);
  c = row("discovery.k8s.io", "endpointslices", "{}");
  CHECK_STR(cstr(c, 2), "<unset>");
  CHECK_STR(cstr(c, 3), "<unset>");
  json_decref(c);
  c = row("storage.k8s.io", "csidrivers", "{\"metadata\":{\"name\":\"d\"}}");
  CHECK(json_is_true(json_array_get(c, 1)));
  CHECK_STR(cstr(c, 3), "<none>");
  json_decref(c);
}

static void test_default_convertor(void) {
  static const char *const want[] = {"Name", "Created At"};
  check_column_names("rbac.authorization.k8s.io", "roles", want, 2);
  check_column_names("", "limitranges", want, 2);
  check_column_names("example.com", "widgets", want, 2);
  json_t *cols = table_columns("", "limitranges");
  CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 1), "type")), "date");
  json_decref(cols);
  json_t *c = row("rbac.authorization.k8s.io", "clusterroles",
                  "{\"metadata\":{\"name\":\"admin\",\"creationTimestamp\":\"2020-06-01T10:00:00+02:00\"}}");
  CHECK_STR(cstr(c, 0), "admin");
  CHECK_STR(cstr(c, 1), "2020-06-01T08:00:00Z");
  json_decref(c);
  c = row("", "limitranges", "{}");
  CHECK_STR(cstr(c, 1), "0001-01-01T00:00:00Z");
  json_decref(c);
  /* Group matters: deployments outside apps/extensions use the default. */
  check_column_names("example.com", "deployments", want, 2);
}

/* Every printer survives objects with missing or mistyped fields and emits
 * exactly one cell per column. */
static void test_all_printers_zero_values(void) {
  static const char *const objs[] = {
      "{}", "null", "[]", "{\"metadata\":null,\"spec\":null,\"status\":null}",
      "{\"metadata\":{\"name\":5,\"labels\":[]},\"spec\":[],\"status\":\"x\",\"subsets\":{},\"data\":1}",
      /* Wrong types nested everywhere a printer looks. */
      "{\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":1,\"node-role.kubernetes.io/\":2},"
      "\"annotations\":{\"autoscaling.alpha.kubernetes.io/metrics\":\"[1,{\\\"type\\\":\\\"Object\\\"}]\","
      "\"autoscaling.alpha.kubernetes.io/current-metrics\":\"not json\",\"storageclass.kubernetes.io/is-default-class\":true},"
      "\"ownerReferences\":[1,{\"controller\":true}],\"creationTimestamp\":123,\"deletionTimestamp\":\"bad\"},"
      "\"spec\":{\"containers\":[1,\"a\",{}],\"initContainers\":5,\"selector\":{\"matchLabels\":[],"
      "\"matchExpressions\":[1,{\"key\":\"k\",\"operator\":\"In\",\"values\":[1,\"b\",\"b\"]},{\"operator\":\"Bogus\"}]},"
      "\"ports\":[1,{}],\"rules\":[1],\"metrics\":[1,{\"type\":\"Resource\"},{\"type\":\"Pods\",\"pods\":1}],"
      "\"readinessGates\":[1],\"template\":{\"spec\":{\"containers\":{}}},\"replicas\":\"3\",\"capacity\":{\"storage\":5},"
      "\"claimRef\":1,\"accessModes\":[1],\"tls\":7,\"parameters\":[],\"limited\":{\"limitResponse\":{\"queuing\":1}}},"
      "\"status\":{\"containerStatuses\":[1,{\"state\":1}],\"initContainerStatuses\":[{\"state\":{\"terminated\":1}}],"
      "\"conditions\":[1],\"podIPs\":[1],\"loadBalancer\":{\"ingress\":[1,{\"ip\":2}]},\"hard\":{\"cpu\":1},\"used\":[],"
      "\"currentMetrics\":1,\"storageVersions\":[1]},\"subsets\":[1,{\"addresses\":[1],\"ports\":[1]}],"
      "\"endpoints\":[1,{\"addresses\":[1]}],\"ports\":[1],\"subjects\":[1],\"webhooks\":{},\"series\":5}",
  };
  const struct { const struct table_printer *p; size_t n; } sets[] = {
      {table_core_printers, table_core_nprinters},
      {table_apps_printers, table_apps_nprinters},
      {table_other_printers, table_other_nprinters},
  };
  for (size_t s = 0; s < 3; s++)
    for (size_t i = 0; i < sets[s].n; i++) {
      const struct table_printer *p = &sets[s].p[i];
      char group[64];
      const char *bar = strchr(p->groups, '|');
      size_t gl = bar ? (size_t)(bar - p->groups) : strlen(p->groups);
      snprintf(group, sizeof group, "%.*s", (int)gl, p->groups);
      json_t *cols = table_columns(group, p->plural);
      CHECK(json_array_size(cols) == p->ncols);
      for (size_t k = 0; k < sizeof objs / sizeof objs[0]; k++) {
        json_t *o = json_loads(objs[k], JSON_DECODE_ANY, NULL);
        json_t *cells = table_cells(group, p->plural, o, NOW);
        /* Rows must come out the right length without the padding safety net. */
        json_t *raw = json_array();
        p->row(o, NOW, raw);
        if (json_array_size(raw) != p->ncols)
          fprintf(stderr, "printer %s/%s gives %zu cells for %zu columns\n", group, p->plural,
                  json_array_size(raw), p->ncols);
        CHECK(json_array_size(raw) == p->ncols);
        CHECK(json_array_size(cells) == p->ncols);
        json_decref(raw);
        json_decref(cells);
        json_decref(o);
      }
      json_decref(cols);
    }
}

TEST_MAIN(TEST(test_human_duration), TEST(test_pod_columns), TEST(test_pod_half_ready),
          TEST(test_pod_crashloop), TEST(test_pod_terminating_and_nodelost), TEST(test_pod_init_and_completed),
          TEST(test_deployment), TEST(test_services), TEST(test_endpoints), TEST(test_node), TEST(test_pvc_and_pv),
          TEST(test_hpa), TEST(test_job_and_cronjob), TEST(test_misc_core), TEST(test_events),
          TEST(test_other_groups), TEST(test_default_convertor), TEST(test_all_printers_zero_values))
