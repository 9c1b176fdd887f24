/* test_pod_stream.c - the Statuses that end exec/attach streams, as
 * kubelet writes them on the error stream: Success, NonZeroExitCode with
 * the ExitCode cause (kubectl turns it into its exit code), and the node's
 * refusals; the stream subresource paths. */
#include "test.h"
#include "pod_stream.h"
#include <stdlib.h>

static const char *field(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void test_exit_status(void) {
  json_t *line = json_pack("{s:[s,s,s]}", "command", "sh", "-c", "exit 3");
  json_t *ok = pod_stream_exit_status(line, 0);
  CHECK_STR(field(ok, "status"), "Success");
  json_t *bad = pod_stream_exit_status(line, 3);
  CHECK_STR(field(bad, "status"), "Failure");
  CHECK_STR(field(bad, "reason"), "NonZeroExitCode");
  CHECK_STR(field(bad, "message"),
            "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3");
  json_t *cause = json_array_get(json_object_get(json_object_get(bad, "details"), "causes"), 0);
  CHECK_STR(field(cause, "reason"), "ExitCode");
  CHECK_STR(field(cause, "message"), "3");
  json_decref(ok);
  json_decref(bad);
  json_decref(line);
}

static void test_failure_statuses(void) {
  json_t *refused = pod_stream_node_failure(400, "container not found (\"app\")");
  CHECK(json_integer_value(json_object_get(refused, "code")) == 400);
  CHECK_STR(field(refused, "reason"), "BadRequest");
  json_t *down = pod_stream_node_failure(503, NULL);
  CHECK_STR(field(down, "reason"), "InternalError");
  CHECK_STR(field(down, "message"), "the node did not answer");
  json_t *none = pod_stream_no_tunnel("n1");
  CHECK_STR(field(none, "message"), "error dialing backend: node n1 has no call-home connection");
  json_decref(refused);
  json_decref(down);
  json_decref(none);
}

static void test_paths(void) {
  char ns[256], pod[256], kind[16];
  CHECK(pod_stream_path("/api/v1/namespaces/default/pods/web/portforward", ns, pod, kind));
  CHECK_STR(ns, "default");
  CHECK_STR(pod, "web");
  CHECK_STR(kind, "portforward");
  CHECK(pod_stream_path("/api/v1/namespaces/a/pods/b/exec", ns, pod, kind) && !strcmp(kind, "exec"));
  CHECK(!pod_stream_path("/api/v1/namespaces/a/pods/b/log", ns, pod, kind));
  CHECK(!pod_stream_path("/api/v1/namespaces/a/services/b/exec", ns, pod, kind));
}

TEST_MAIN(TEST(test_exit_status), TEST(test_failure_statuses), TEST(test_paths))
