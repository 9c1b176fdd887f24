/* test_deployment_util.c - the Deployment controller's arithmetic:
 * maxSurge/maxUnavailable rounding (surge up, unavailable down, 0/0 -> 1),
 * SafeEncodeString and pod-template-hash, template equality ignoring the
 * hash label, revision/revision-history annotations, proportional shares
 * and the completion predicate. Expected values follow
 * pkg/controller/deployment/util of Kubernetes 1.20 and its tests. */
#include "deployment_util.h"
#include "test.h"
#include <stdlib.h>

static json_t *J(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
  if (!v) fprintf(stderr, "bad json: %s: %s\n", s, e.text);
  return v;
}

static void fence(const char *surge, const char *unav, long long desired, long long ws, long long wu) {
  json_t *s = J(surge), *u = J(unav);
  long long gs, gu;
  resolve_fenceposts(s, u, desired, &gs, &gu);
  if (gs != ws || gu != wu) fprintf(stderr, "fence(%s,%s,%lld) = %lld,%lld\n", surge, unav, desired, gs, gu);
  CHECK(gs == ws);
  CHECK(gu == wu);
  json_decref(s);
  json_decref(u);
}

static void test_fenceposts(void) {
  fence("\"25%\"", "\"25%\"", 3, 1, 0);
  fence("\"25%\"", "\"25%\"", 10, 3, 2);
  fence("\"25%\"", "\"25%\"", 4, 1, 1);
  fence("\"25%\"", "\"25%\"", 1, 1, 0);
  fence("0", "0", 5, 0, 1);
  fence("\"0%\"", "\"0%\"", 5, 0, 1);
  fence("2", "\"50%\"", 5, 2, 2);
  fence("\"100%\"", "0", 7, 7, 0);
  long long v = 0;
  json_t *bad = J("\"12\"");
  CHECK(!intstr_scaled(bad, 10, true, &v));
  json_decref(bad);
  bad = J("\"x%\"");
  CHECK(!intstr_scaled(bad, 10, true, &v));
  json_decref(bad);
}

static void test_max_surge_unavailable(void) {
  json_t *d = J("{\"spec\":{\"replicas\":10,\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
                "{\"maxSurge\":\"30%\",\"maxUnavailable\":\"30%\"}}}}");
  CHECK(deployment_max_surge(d) == 3);
  CHECK(deployment_max_unavailable(d) == 3);
  json_decref(d);
  d = J("{\"spec\":{\"replicas\":2,\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
        "{\"maxSurge\":1,\"maxUnavailable\":5}}}}");
  CHECK(deployment_max_unavailable(d) == 2); /* capped at replicas */
  json_decref(d);
  d = J("{\"spec\":{\"replicas\":4,\"strategy\":{\"type\":\"Recreate\"}}}");
  CHECK(deployment_max_surge(d) == 0);
  CHECK(deployment_max_unavailable(d) == 0);
  json_decref(d);
}

static void test_safe_encode_and_hash(void) {
  char out[32];
  safe_encode_string("0123456789", out, sizeof out);
  /* "0" is byte 48: alphanums[48 % 27] = alphanums[21] = 4 */
  CHECK_STR(out, "456789bcdf");
  json_t *t = J("{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
  char h1[16], h2[16], h3[16];
  pod_template_hash(t, NULL, h1, sizeof h1);
  pod_template_hash(t, NULL, h2, sizeof h2);
  CHECK_STR(h1, h2);
  json_t *one = json_integer(1);
  pod_template_hash(t, one, h3, sizeof h3);
  CHECK(strcmp(h1, h3) != 0);
  CHECK(strlen(h1) >= 1 && strlen(h1) <= 10);
  for (const char *p = h1; *p; p++) CHECK(strchr("bcdfghjklmnpqrstvwxz2456789", *p) != NULL);
  json_decref(one);
  json_decref(t);
}

static void test_equal_ignore_hash(void) {
  json_t *a = J("{\"metadata\":{\"labels\":{\"app\":\"web\",\"pod-template-hash\":\"abc\"}},\"spec\":{\"x\":1}}");
  json_t *b = J("{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"x\":1}}");
  json_t *c = J("{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"x\":2}}");
  CHECK(templates_equal_ignore_hash(a, b));
  CHECK(!templates_equal_ignore_hash(a, c));
  /* null is absent once decoded: kubectl rollout undo's template */
  json_t *undo = J("{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"app\":\"web\"}},"
                   "\"spec\":{\"x\":1,\"y\":[{\"z\":null}]}}");
  json_t *stored = J("{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"x\":1,\"y\":[{}]}}");
  CHECK(templates_equal_ignore_hash(undo, stored));
  CHECK(!templates_equal_ignore_hash(undo, c));
  char h1[16], h2[16];
  pod_template_hash(undo, NULL, h1, sizeof h1);
  pod_template_hash(stored, NULL, h2, sizeof h2);
  CHECK_STR(h1, h2);
  json_decref(undo);
  json_decref(stored);
  json_decref(a);
  json_decref(b);
  json_decref(c);
}

static void test_annotations(void) {
  json_t *d = J("{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":\"v2\","
                "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},"
                "\"spec\":{\"replicas\":4,\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
                "{\"maxSurge\":\"25%\",\"maxUnavailable\":\"25%\"}}}}");
  json_t *rs = J("{\"metadata\":{}}");
  CHECK(set_new_rs_annotations(d, rs, "1", false));
  json_t *ann = json_object_get(json_object_get(rs, "metadata"), "annotations");
  CHECK_STR(json_string_value(json_object_get(ann, REVISION_ANNOTATION)), "1");
  CHECK_STR(json_string_value(json_object_get(ann, "kubernetes.io/change-cause")), "v2");
  CHECK(!json_object_get(ann, "kubectl.kubernetes.io/last-applied-configuration"));
  CHECK_STR(json_string_value(json_object_get(ann, DESIRED_REPLICAS_ANNOTATION)), "4");
  CHECK_STR(json_string_value(json_object_get(ann, MAX_REPLICAS_ANNOTATION)), "5");
  CHECK(!set_new_rs_annotations(d, rs, "1", true));
  /* rolled back to: the old revisions go to the history */
  CHECK(set_new_rs_annotations(d, rs, "3", true));
  CHECK_STR(json_string_value(json_object_get(ann, REVISION_ANNOTATION)), "3");
  CHECK_STR(json_string_value(json_object_get(ann, REVISION_HISTORY_ANNOTATION)), "1");
  CHECK(set_new_rs_annotations(d, rs, "5", true));
  CHECK_STR(json_string_value(json_object_get(ann, REVISION_HISTORY_ANNOTATION)), "1,3");
  CHECK(revision_of(rs) == 5);
  json_decref(rs);
  json_decref(d);
}

static void test_proportion(void) {
  /* a 10-replica rollout (surge 3) scaled to 20: an RS of 6 annotated with max 13 */
  json_t *d = J("{\"spec\":{\"replicas\":20,\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
                "{\"maxSurge\":3,\"maxUnavailable\":2}}},\"status\":{\"replicas\":13}}");
  json_t *rs = J("{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/max-replicas\":\"13\"}},"
                 "\"spec\":{\"replicas\":6}}");
  /* 6 * 23 / 13 = 10.6 -> 11: +5, capped by what is left to add */
  CHECK(rs_proportion(rs, d, 10, 0) == 5);
  CHECK(rs_proportion(rs, d, 10, 7) == 3);
  CHECK(rs_proportion(rs, d, 10, 10) == 0);
  json_decref(rs);
  json_decref(d);
}

static void test_complete(void) {
  json_t *d = J("{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":3}}");
  json_t *st = J("{\"observedGeneration\":2,\"replicas\":3,\"updatedReplicas\":3,\"availableReplicas\":3}");
  CHECK(deployment_complete(d, st));
  json_object_set_new(st, "observedGeneration", json_integer(1));
  CHECK(!deployment_complete(d, st));
  json_decref(st);
  json_decref(d);
}

TEST_MAIN(TEST(test_fenceposts), TEST(test_max_surge_unavailable), TEST(test_safe_encode_and_hash),
          TEST(test_equal_ignore_hash), TEST(test_annotations), TEST(test_proportion), TEST(test_complete))
