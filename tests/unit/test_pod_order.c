/* test_pod_order.c - which pods a ReplicaSet gives up first (1.20's
 * ActivePodsWithRanks): unscheduled, then Pending, then not ready, then
 * doubled-up on a node, then most recently ready, most restarts, newest. */
#include "pod_order.h"
#include "test.h"
#include <stdbool.h>
#include <stdlib.h>

static json_t *pod(const char *name, const char *node, const char *phase, bool ready, const char *ready_at,
                   int restarts, const char *created) {
  json_t *p = json_pack("{s:{s:s,s:s},s:{},s:{s:s,s:[{s:s,s:s,s:s}],s:[{s:i}]}}", "metadata", "name", name,
                        "creationTimestamp", created, "spec", "status", "phase", phase, "conditions", "type", "Ready",
                        "status", ready ? "True" : "False", "lastTransitionTime", ready_at, "containerStatuses",
                        "restartCount", restarts);
  if (node) json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string(node));
  return p;
}

static const char *name_at(ranked_pod *r, size_t i) {
  return json_string_value(json_object_get(json_object_get(r[i].pod, "metadata"), "name"));
}

static void test_order(void) {
  json_t *pods[] = {
      pod("old-ready", "n1", "Running", true, "2020-01-01T00:00:10Z", 0, "2020-01-01T00:00:00Z"),
      pod("unscheduled", NULL, "Pending", false, "2020-01-01T00:00:00Z", 0, "2020-01-01T00:00:00Z"),
      pod("pending", "n1", "Pending", false, "2020-01-01T00:00:00Z", 0, "2020-01-01T00:00:00Z"),
      pod("not-ready", "n2", "Running", false, "2020-01-01T00:00:00Z", 0, "2020-01-01T00:00:00Z"),
      pod("new-ready", "n3", "Running", true, "2020-01-01T00:05:00Z", 0, "2020-01-01T00:00:00Z"),
      pod("restarts", "n4", "Running", true, "2020-01-01T00:00:10Z", 3, "2020-01-01T00:00:00Z"),
  };
  size_t n = sizeof pods / sizeof pods[0];
  ranked_pod r[6];
  for (size_t i = 0; i < n; i++) r[i] = (ranked_pod){pods[i], 0};
  sort_pods_for_deletion(r, n);
  CHECK_STR(name_at(r, 0), "unscheduled");
  CHECK_STR(name_at(r, 1), "pending");
  CHECK_STR(name_at(r, 2), "not-ready");
  CHECK_STR(name_at(r, 3), "new-ready");
  CHECK_STR(name_at(r, 4), "restarts");
  CHECK_STR(name_at(r, 5), "old-ready");
  for (size_t i = 0; i < n; i++) json_decref(pods[i]);
}

static void test_ranks(void) {
  json_t *a = pod("a", "n1", "Running", true, "2020-01-01T00:00:10Z", 0, "2020-01-01T00:00:00Z");
  json_t *b = pod("b", "n1", "Running", true, "2020-01-01T00:00:10Z", 0, "2020-01-01T00:00:00Z");
  json_t *c = pod("c", "n2", "Running", true, "2020-01-01T00:00:10Z", 0, "2020-01-01T00:00:00Z");
  const json_t *related[] = {a, b, c};
  ranked_pod r[] = {{c, 0}, {a, 0}};
  rank_pods_by_node(r, 2, related, 3);
  CHECK(r[0].rank == 1);
  CHECK(r[1].rank == 2);
  sort_pods_for_deletion(r, 2);
  CHECK_STR(name_at(r, 0), "a"); /* doubled up on n1 goes first */
  json_decref(a);
  json_decref(b);
  json_decref(c);
}

static void test_newest_first(void) {
  json_t *o = pod("older", "n1", "Running", true, "2020-01-01T00:00:10Z", 0, "2020-01-01T00:00:00Z");
  json_t *y = pod("younger", "n2", "Running", true, "2020-01-01T00:00:10Z", 0, "2020-01-01T00:01:00Z");
  ranked_pod r[] = {{o, 0}, {y, 0}};
  sort_pods_for_deletion(r, 2);
  CHECK_STR(name_at(r, 0), "younger");
  json_decref(o);
  json_decref(y);
}

TEST_MAIN(TEST(test_order), TEST(test_ranks), TEST(test_newest_first))
