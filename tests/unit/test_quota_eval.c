/* test_quota_eval.c - quota usage of pods (requests/limits summed over
 * containers, max with init containers, nothing once finished), claims
 * (per-class names), services, object counts, extended resources, quota
 * scopes; quantity sums and the
 * "k=v,k=v" form of the quota admission's messages. */
#include "quota_eval.h"
#include "test.h"
#include <stdlib.h>

static const char *get(const json_t *u, const char *k) {
  const char *v = json_string_value(json_object_get(u, k));
  return v ? v : "(none)";
}

static void test_pod(void) {
  json_t *pod = json_loads(
      "{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"},"
      "\"limits\":{\"cpu\":\"1\"}}},{\"resources\":{\"requests\":{\"cpu\":\"250m\"}}}],"
      "\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":\"32Mi\"}}}]}}",
      0, NULL);
  json_t *u = quota_usage("", "pods", pod);
  CHECK_STR(get(u, "pods"), "1");
  CHECK_STR(get(u, "count/pods"), "1");
  CHECK_STR(get(u, "requests.cpu"), "500m"); /* the init container's 500m beats 350m */
  CHECK_STR(get(u, "cpu"), "500m");
  CHECK_STR(get(u, "requests.memory"), "64Mi");
  CHECK_STR(get(u, "limits.cpu"), "1");
  CHECK_STR(get(u, "limits.memory"), "(none)");
  json_decref(u);
  json_object_set_new(pod, "status", json_pack("{s:s}", "phase", "Succeeded"));
  u = quota_usage("", "pods", pod);
  CHECK(json_object_size(u) == 0);
  json_decref(u);
  json_decref(pod);
}

static void test_claim_service_counts(void) {
  json_t *pvc = json_loads("{\"spec\":{\"storageClassName\":\"fast\",\"resources\":{\"requests\":{\"storage\":\"10Mi\"}}}}",
                           0, NULL);
  json_t *u = quota_usage("", "persistentvolumeclaims", pvc);
  CHECK_STR(get(u, "requests.storage"), "10Mi");
  CHECK_STR(get(u, "persistentvolumeclaims"), "1");
  CHECK_STR(get(u, "fast.storageclass.storage.k8s.io/requests.storage"), "10Mi");
  CHECK_STR(get(u, "fast.storageclass.storage.k8s.io/persistentvolumeclaims"), "1");
  json_decref(u);
  json_decref(pvc);
  json_t *svc = json_loads("{\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{},{}]}}", 0, NULL);
  u = quota_usage("", "services", svc);
  CHECK_STR(get(u, "services.loadbalancers"), "1");
  CHECK_STR(get(u, "services.nodeports"), "2");
  json_decref(u);
  json_decref(svc);
  json_t *dep = json_object();
  u = quota_usage("apps", "deployments", dep);
  CHECK_STR(get(u, "count/deployments.apps"), "1");
  json_decref(u);
  json_decref(dep);
  char g[64], p[64];
  CHECK(quota_name_kind("requests.storage", g, sizeof g, p, sizeof p));
  CHECK_STR(p, "persistentvolumeclaims");
  CHECK(quota_name_kind("limits.memory", g, sizeof g, p, sizeof p));
  CHECK_STR(p, "pods");
  CHECK(quota_name_kind("count/deployments.apps", g, sizeof g, p, sizeof p));
  CHECK_STR(g, "apps");
  CHECK_STR(p, "deployments");
  CHECK(!quota_name_kind("nvidia.com/gpu", g, sizeof g, p, sizeof p));
}

static void test_extended_and_scopes(void) {
  json_t *pod = json_loads("{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"example.com/dongle\":\"2\","
                           "\"hugepages-2Mi\":\"4Mi\"}}}]}}",
                           0, NULL);
  json_t *u = quota_usage("", "pods", pod);
  CHECK_STR(get(u, "requests.example.com/dongle"), "2");
  CHECK_STR(get(u, "example.com/dongle"), "(none)");
  CHECK_STR(get(u, "requests.hugepages-2Mi"), "4Mi");
  CHECK_STR(get(u, "hugepages-2Mi"), "4Mi");
  json_decref(u);
  json_t *be = json_loads("{\"scopes\":[\"BestEffort\"]}", 0, NULL);
  json_t *nbe = json_loads("{\"scopes\":[\"NotBestEffort\",\"NotTerminating\"]}", 0, NULL);
  json_t *term = json_loads("{\"scopes\":[\"Terminating\"]}", 0, NULL);
  json_t *pc = json_loads("{\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":\"PriorityClass\","
                          "\"operator\":\"In\",\"values\":[\"pclass1\"]}]}}",
                          0, NULL);
  CHECK(quota_matches_scopes(be, "", "pods", pod)); /* no cpu/memory: BestEffort */
  CHECK(!quota_matches_scopes(nbe, "", "pods", pod));
  CHECK(!quota_matches_scopes(term, "", "pods", pod));
  CHECK(!quota_matches_scopes(pc, "", "pods", pod));
  CHECK(!quota_matches_scopes(be, "", "configmaps", pod)); /* scoped quotas count pods only */
  json_t *spec = json_object_get(pod, "spec");
  json_object_set_new(spec, "activeDeadlineSeconds", json_integer(60));
  json_object_set_new(spec, "priorityClassName", json_string("pclass1"));
  json_object_set_new(json_array_get(json_object_get(spec, "containers"), 0), "resources",
                      json_pack("{s:{s:s}}", "limits", "memory", "200Mi"));
  CHECK(!quota_matches_scopes(be, "", "pods", pod));
  CHECK(quota_matches_scopes(term, "", "pods", pod));
  CHECK(!quota_matches_scopes(nbe, "", "pods", pod)); /* terminating now */
  CHECK(quota_matches_scopes(pc, "", "pods", pod));
  json_decref(be);
  json_decref(nbe);
  json_decref(term);
  json_decref(pc);
  json_decref(pod);
}

static void test_arithmetic(void) {
  char out[64];
  quota_add("10Mi", "10Mi", out, sizeof out);
  CHECK_STR(out, "20Mi");
  quota_add("100m", "900m", out, sizeof out);
  CHECK_STR(out, "1");
  quota_sub("1", "250m", out, sizeof out);
  CHECK_STR(out, "750m");
  CHECK(quota_cmp("30Mi", "25Mi") > 0);
  CHECK(quota_cmp(NULL, "0") == 0);
  json_t *usage = json_pack("{s:s,s:s,s:s}", "requests.storage", "20Mi", "persistentvolumeclaims", "2", "pods", "1");
  json_t *names = json_pack("{s:b,s:b}", "requests.storage", 1, "persistentvolumeclaims", 1);
  char *s = quota_pretty(usage, names);
  CHECK_STR(s, "persistentvolumeclaims=2,requests.storage=20Mi");
  free(s);
  json_decref(usage);
  json_decref(names);
}

TEST_MAIN(TEST(test_pod), TEST(test_claim_service_counts), TEST(test_extended_and_scopes), TEST(test_arithmetic))
