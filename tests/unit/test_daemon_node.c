/* test_daemon_node.c - DaemonSet node eligibility (1.20's
 * nodeShouldRunDaemonPod): nodeSelector, required node affinity with
 * labels and metadata.name fields, taints against the daemon tolerations,
 * the pinning affinity and the target node of a pod. */
#include "daemon_node.h"
#include "test.h"

static json_t *J(const char *s) { return json_loads(s, 0, NULL); }

static void run(const char *spec_json, const char *node_json, bool want_run, bool want_continue) {
  json_t *spec = J(spec_json), *node = J(node_json);
  add_daemon_tolerations(spec);
  bool r, c;
  daemon_should_run(spec, node, &r, &c);
  if (r != want_run || c != want_continue) fprintf(stderr, "%s on %s: run=%d continue=%d\n", spec_json, node_json, r, c);
  CHECK(r == want_run);
  CHECK(c == want_continue);
  json_decref(spec);
  json_decref(node);
}

static void test_eligibility(void) {
  const char *n1 = "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"disk\":\"ssd\",\"cores\":\"8\"}}}";
  run("{}", n1, true, true);
  run("{\"nodeSelector\":{\"disk\":\"ssd\"}}", n1, true, true);
  run("{\"nodeSelector\":{\"disk\":\"hdd\"}}", n1, false, false);
  run("{\"nodeName\":\"n2\"}", n1, false, false);
  run("{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":"
      "[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\",\"values\":[\"4\"]}]}]}}}}",
      n1, true, true);
  run("{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":"
      "[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n9\"]}]},"
      "{\"matchExpressions\":[{\"key\":\"disk\",\"operator\":\"NotIn\",\"values\":[\"ssd\"]}]}]}}}}",
      n1, false, false);
}

static void test_taints(void) {
  /* tolerated by the daemon tolerations */
  run("{}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoExecute\"},"
      "{\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"}]}}", true, true);
  /* network-unavailable only for hostNetwork pods */
  const char *netnode = "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/network-unavailable\",\"effect\":\"NoSchedule\"}]}}";
  run("{}", netnode, false, true);
  run("{\"hostNetwork\":true}", netnode, true, true);
  /* a foreign NoExecute taint evicts; PreferNoSchedule is ignored */
  run("{}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoExecute\"}]}}", false, false);
  run("{}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"x\",\"effect\":\"PreferNoSchedule\"}]}}", true, true);
  run("{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"db\"}]}",
      "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoExecute\"}]}}", true, true);
}

static void test_tolerations_added_once(void) {
  json_t *spec = J("{\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":5}]}");
  add_daemon_tolerations(spec);
  CHECK(json_array_size(json_object_get(spec, "tolerations")) == 6);
  json_decref(spec);
}

static void test_pin(void) {
  json_t *pod = J("{\"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}]},"
                  "\"preferredDuringSchedulingIgnoredDuringExecution\":[]}}}}");
  CHECK(daemon_target_node(pod) == NULL);
  pin_to_node(json_object_get(pod, "spec"), "n7");
  CHECK_STR(daemon_target_node(pod), "n7");
  json_t *na = json_object_get(json_object_get(json_object_get(pod, "spec"), "affinity"), "nodeAffinity");
  CHECK(json_object_get(na, "preferredDuringSchedulingIgnoredDuringExecution") != NULL);
  json_object_set_new(json_object_get(pod, "spec"), "nodeName", json_string("n8"));
  CHECK_STR(daemon_target_node(pod), "n8");
  json_decref(pod);
}

TEST_MAIN(TEST(test_eligibility), TEST(test_taints), TEST(test_tolerations_added_once), TEST(test_pin))
