/* test_scheduler.c - the scheduler's pure parts: pod requests (containers
 * summed, init containers as a maximum, defaults for scoring), the filters
 * in kube-scheduler's order with their reason strings, FitError's sorted
 * histogram message, scoring preferences and the node window size. */
#include "test.h"
#include "scheduler.h"
#include <stdlib.h>

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j) fprintf(stderr, "bad test JSON: %s\n", e.text);
  return j;
}

static sched_node *node(const char *json) {
  sched_node *n = calloc(1, sizeof *n);
  json_t *obj = load(json);
  n->name = strdup(json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
  sched_node_set(n, obj);
  json_decref(obj);
  return n;
}

#define NODE(name, extra_spec, labels, alloc)                                                               \
  "{\"metadata\":{\"name\":\"" name "\",\"labels\":{" labels "}},\"spec\":{" extra_spec "},"                \
  "\"status\":{\"allocatable\":{" alloc "}}}"
#define ALLOC_4CPU "\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\",\"ephemeral-storage\":\"100Gi\""

static void test_requests(void) {
  json_t *pod = load("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"rs-1\",\"controller\":true}]},\"spec\":{"
                     "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}}},"
                     "{\"name\":\"b\",\"resources\":{\"requests\":{\"nvidia.com/gpu\":\"1\"}},"
                     "\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]}],"
                     "\"initContainers\":[{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"2\"}}}]}}");
  sched_pod p;
  sched_pod_parse(pod, &p);
  CHECK(p.requests.milli_cpu == 2000); /* init container dominates */
  CHECK(p.requests.memory == 64 << 20);
  CHECK(p.requests.nscalars == 1 && !strcmp(p.requests.scalars[0].name, "nvidia.com/gpu") &&
        p.requests.scalars[0].value == 1);
  CHECK(p.nonzero.milli_cpu == 2000);
  CHECK(p.nonzero.memory == (64 << 20) + 200LL * 1024 * 1024); /* b has no memory request */
  CHECK(p.nports == 1 && p.ports[0].port == 8080 && !strcmp(p.ports[0].protocol, "TCP") &&
        !strcmp(p.ports[0].ip, "0.0.0.0"));
  CHECK_STR(p.owner, "rs-1");
  json_decref(pod);
}

static void test_filters_and_message(void) {
  sched_node *tainted = node(NODE("a", "\"taints\":[{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}]",
                                  "", ALLOC_4CPU));
  sched_node *small1 = node(NODE("b", "", "\"disk\":\"ssd\"", "\"cpu\":\"1\",\"memory\":\"8Gi\",\"pods\":\"110\""));
  sched_node *small2 = node(NODE("c", "", "", "\"cpu\":\"1\",\"memory\":\"1Gi\",\"pods\":\"110\""));
  sched_node *cordoned = node(NODE("d", "\"unschedulable\":true", "", ALLOC_4CPU));
  json_t *pod = load("{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"2Gi\"}}}]}}");
  sched_pod p;
  sched_pod_parse(pod, &p);
  sched_reasons why;
  sched_fit_error *fe = sched_fit_error_new();
  CHECK(!sched_filter(&p, tainted, &why));
  CHECK(why.n == 1);
  CHECK_STR(why.reasons[0], "node(s) had taint {dedicated: gpu}, that the pod didn't tolerate");
  sched_fit_error_add(fe, &why);
  CHECK(!sched_filter(&p, small1, &why));
  CHECK(why.n == 1);
  CHECK_STR(why.reasons[0], "Insufficient cpu");
  sched_fit_error_add(fe, &why);
  CHECK(!sched_filter(&p, small2, &why));
  CHECK(why.n == 2);
  CHECK_STR(why.reasons[1], "Insufficient memory");
  sched_fit_error_add(fe, &why);
  CHECK(!sched_filter(&p, cordoned, &why));
  CHECK_STR(why.reasons[0], "node(s) were unschedulable");
  sched_fit_error_add(fe, &why);
  char *msg = sched_fit_error_message(fe, 4);
  CHECK_STR(msg, "0/4 nodes are available: 1 Insufficient memory, 1 node(s) had taint {dedicated: gpu}, that the pod "
                 "didn't tolerate, 1 node(s) were unschedulable, 2 Insufficient cpu.");
  free(msg);
  sched_fit_error_free(fe);

  /* toleration and nodeSelector */
  json_t *tol = load("{\"spec\":{\"nodeSelector\":{\"disk\":\"ssd\"},\"tolerations\":[{\"key\":\"dedicated\","
                     "\"operator\":\"Exists\"}],\"containers\":[{\"name\":\"a\"}]}}");
  sched_pod_parse(tol, &p);
  CHECK(!sched_filter(&p, tainted, &why));
  CHECK_STR(why.reasons[0], "node(s) didn't match Pod's node affinity");
  CHECK(sched_filter(&p, small1, &why));
  json_decref(tol);

  /* required affinity with Gt, matchFields; host ports; pod count */
  json_t *aff = load("{\"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                     "{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                     "\"values\":[\"c\"]}]}]}}},\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":1,"
                     "\"hostPort\":80}]}]}}");
  sched_pod_parse(aff, &p);
  CHECK(!sched_filter(&p, small1, &why));
  CHECK(sched_filter(&p, small2, &why));
  sched_node_add_pod(small2, &p);
  CHECK(!sched_filter(&p, small2, &why));
  CHECK_STR(why.reasons[0], "node(s) didn't have free ports for the requested pod ports");
  sched_node_remove_pod(small2, &p);
  CHECK(sched_filter(&p, small2, &why));
  small2->allowed_pods = 0;
  CHECK(!sched_filter(&p, small2, &why));
  CHECK_STR(why.reasons[0], "Too many pods");
  json_decref(aff);

  json_t *gpu = load("{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"nvidia.com/gpu\":\"1\"}}}]}}");
  sched_pod_parse(gpu, &p);
  CHECK(!sched_filter(&p, small1, &why));
  CHECK_STR(why.reasons[0], "Insufficient nvidia.com/gpu");
  json_decref(gpu);
  json_decref(pod);
  sched_node_free(tainted);
  sched_node_free(small1);
  sched_node_free(small2);
  sched_node_free(cordoned);
}

static void test_scores(void) {
  sched_node *nodes[3] = {node(NODE("a", "", "\"zone\":\"x\"", ALLOC_4CPU)), node(NODE("b", "", "\"zone\":\"y\"", ALLOC_4CPU)),
                          node(NODE("c", "\"taints\":[{\"key\":\"k\",\"effect\":\"PreferNoSchedule\"}]", "", ALLOC_4CPU))};
  unsigned seed = 1;
  json_t *pod = load("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"o\",\"controller\":true}]},"
                     "\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}");
  sched_pod p;
  sched_pod_parse(pod, &p);
  /* spreading: pods of one owner go to different nodes, the tainted one last */
  int first = sched_select(&p, nodes, 3, &seed);
  CHECK(first != 2);
  sched_node_add_pod(nodes[first], &p);
  int second = sched_select(&p, nodes, 3, &seed);
  CHECK(second != first && second != 2);
  sched_node_add_pod(nodes[second], &p);
  /* preferred affinity outweighs spreading */
  json_t *pref = load("{\"spec\":{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
                      "[{\"weight\":100,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                      "\"values\":[\"y\"]}]}}]}},\"containers\":[{\"name\":\"a\"}]}}");
  sched_pod_parse(pref, &p);
  CHECK(sched_select(&p, nodes, 3, &seed) == 1);
  json_decref(pref);
  json_decref(pod);
  for (int i = 0; i < 3; i++) sched_node_free(nodes[i]);
  CHECK(sched_nodes_to_find(50) == 50);
  CHECK(sched_nodes_to_find(1000) == 420);
  CHECK(sched_nodes_to_find(5000) == 500);
  CHECK(sched_nodes_to_find(150) == 100);
}

TEST_MAIN(TEST(test_requests), TEST(test_filters_and_message), TEST(test_scores))
