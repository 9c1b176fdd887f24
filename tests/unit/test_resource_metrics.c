/* test_resource_metrics.c - the in-memory resource metrics
 * (server/resource_metrics.c): NodeMetricsReport parsing and refusal, the
 * NodeMetrics/PodMetrics shapes metrics-server writes (quantities,
 * timestamp, window), the HPA's per-pod usage with and without a
 * container, a report replacing what its node said before, uid checks;
 * and the simulated kubelet's usage annotations (node/simulate_metrics.c). */
#include "resource_metrics.h"
#include "simulate_metrics.h"
#include "test.h"
#include <stdlib.h>

static json_t *parse(const char *s) { return json_loads(s, 0, NULL); }

static int report(const char *s, char *err) {
  json_t *r = parse(s);
  int n = resource_metrics_report(r, err, 256);
  json_decref(r);
  return n;
}

static const char *const REPORT =
    "{\"kind\":\"NodeMetricsReport\",\"apiVersion\":\"ckube.io/v1\",\"window\":\"5s\",\"nodes\":[{\"name\":\"n1\","
    "\"timestamp\":\"2099-01-02T03:04:05Z\",\"usage\":{\"cpu\":\"250000000n\",\"memory\":\"65536Ki\"},"
    "\"pods\":[{\"namespace\":\"ns\",\"name\":\"p\",\"uid\":\"u1\",\"containers\":["
    "{\"name\":\"a\",\"usage\":{\"cpu\":\"90m\",\"memory\":\"64Mi\"}},"
    "{\"name\":\"b\",\"usage\":{\"cpu\":\"1500u\",\"memory\":\"1000\"}}]}]}]}";

static void test_shapes(void) {
  char err[256] = "";
  resource_metrics_reset();
  CHECK(report(REPORT, err) == 1);
  json_t *node = parse("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"k\":\"v\"},\"uid\":\"x\"}}");
  json_t *m = resource_metrics_node(node);
  CHECK_STR(json_string_value(json_object_get(m, "kind")), "NodeMetrics");
  CHECK_STR(json_string_value(json_object_get(m, "apiVersion")), "metrics.k8s.io/v1beta1");
  CHECK_STR(json_string_value(json_object_get(m, "timestamp")), "2099-01-02T03:04:05Z");
  CHECK_STR(json_string_value(json_object_get(m, "window")), "5s");
  CHECK_STR(json_string_value(json_object_get(json_object_get(m, "usage"), "cpu")), "250m");
  CHECK_STR(json_string_value(json_object_get(json_object_get(m, "usage"), "memory")), "64Mi");
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(m, "metadata"), "labels"), "k")), "v");
  CHECK(!json_object_get(json_object_get(m, "metadata"), "uid"));
  json_decref(m);
  json_decref(node);
  json_t *pod = parse("{\"metadata\":{\"namespace\":\"ns\",\"name\":\"p\",\"uid\":\"u1\"}}");
  m = resource_metrics_pod(pod);
  json_t *cs = json_object_get(m, "containers");
  CHECK(json_array_size(cs) == 2);
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(cs, 1), "usage"), "cpu")), "1500u");
  json_decref(m);
  int64_t milli;
  long long ts, window;
  CHECK(resource_metrics_pod_usage(pod, "cpu", NULL, &milli, &ts, &window) == 1);
  CHECK(milli == 92); /* 90m + 1.5m rounded up per container */
  CHECK(window == 5000 && ts == 4071006245000LL);
  CHECK(resource_metrics_pod_usage(pod, "memory", "a", &milli, &ts, &window) == 1 && milli == 67108864000LL);
  CHECK(resource_metrics_pod_usage(pod, "cpu", "c", &milli, &ts, &window) == -1);
  json_decref(pod);
  /* another pod under the name (uid) has no metrics */
  pod = parse("{\"metadata\":{\"namespace\":\"ns\",\"name\":\"p\",\"uid\":\"u2\"}}");
  CHECK(!resource_metrics_pod(pod));
  CHECK(resource_metrics_pod_usage(pod, "cpu", NULL, &milli, &ts, &window) == 0);
  json_decref(pod);
}

static void test_replace_and_refuse(void) {
  char err[256] = "";
  resource_metrics_reset();
  CHECK(report(REPORT, err) == 1);
  /* the node's next report without the pod: the pod has no metrics any more */
  CHECK(report("{\"kind\":\"NodeMetricsReport\",\"window\":\"1m30s\",\"nodes\":[{\"name\":\"n1\","
               "\"timestamp\":\"2099-01-02T03:04:10.5Z\",\"usage\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}]}",
               err) == 1);
  json_t *pod = parse("{\"metadata\":{\"namespace\":\"ns\",\"name\":\"p\"}}");
  CHECK(!resource_metrics_pod(pod));
  json_decref(pod);
  json_t *node = parse("{\"metadata\":{\"name\":\"n1\"}}");
  json_t *m = resource_metrics_node(node);
  CHECK_STR(json_string_value(json_object_get(m, "window")), "1m30s");
  json_decref(m);
  /* a bad report changes nothing */
  CHECK(report("{\"kind\":\"NodeMetricsReport\",\"window\":\"5s\",\"nodes\":[{\"name\":\"n1\","
               "\"timestamp\":\"2099-01-02T03:04:15Z\",\"usage\":{\"cpu\":\"x\",\"memory\":\"1\"}}]}",
               err) == -1);
  CHECK_STR(err, "node n1: usage needs cpu and memory quantities");
  m = resource_metrics_node(node);
  CHECK_STR(json_string_value(json_object_get(json_object_get(m, "usage"), "cpu")), "1");
  json_decref(m);
  json_decref(node);
  CHECK(report("{\"kind\":\"Pod\"}", err) == -1);
  CHECK_STR(err, "expected a NodeMetricsReport");
  CHECK(report("{\"kind\":\"NodeMetricsReport\",\"window\":\"soon\"}", err) == -1);
  resource_metrics_reset();
}

static void test_simulated_usage(void) {
  int64_t cpu, mem;
  json_t *pod = parse("{\"metadata\":{\"annotations\":{\"ckube.io/simulate-cpu\":\"90m\","
                      "\"ckube.io/simulate-memory\":\"64Mi\"}}}");
  sim_container_usage(pod, &cpu, &mem);
  CHECK(cpu == 90000000 && mem == 67108864);
  json_decref(pod);
  pod = parse("{\"metadata\":{\"annotations\":{\"ckube.io/simulate-cpu\":\"lots\"}}}");
  sim_container_usage(pod, &cpu, &mem);
  CHECK(cpu == 1000000 && mem == 4194304); /* the defaults, 1m and 4Mi */
  json_decref(pod);
}

TEST_MAIN(TEST(test_shapes), TEST(test_replace_and_refuse), TEST(test_simulated_usage))
