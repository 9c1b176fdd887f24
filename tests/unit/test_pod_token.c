/* test_pod_token.c - the projected serviceAccountToken source: the
 * TokenRequest kubelet sends (bound to the pod by name and uid, audience,
 * expirationSeconds defaulted to 3600), reuse from the cache, kubelet's
 * refresh points (80% of the life, 24 h), the old token kept while valid
 * when a refresh fails, and the FailedMount text when there is none. */
#include "test.h"
#include "pod_token.h"
#include "timestamp.h"
#include <stdlib.h>
#include <string.h>

static int calls, answer_code = 201;
static json_t *last_body;
static char last_path[512];
static long long fake_now = 1800000000;

static int fake_post(void *ctx, const char *path, const json_t *body, json_t **out) {
  (void)ctx;
  calls++;
  snprintf(last_path, sizeof last_path, "%s", path);
  json_decref(last_body);
  last_body = json_deep_copy(body);
  if (answer_code != 201) {
    *out = json_pack("{s:s,s:s}", "kind", "Status", "message", "serviceaccounts \"robot\" not found");
    return answer_code;
  }
  long long secs = json_integer_value(json_object_get(json_object_get(body, "spec"), "expirationSeconds"));
  char exp[40], tok[40];
  rfc3339_format(fake_now + secs, exp, sizeof exp);
  snprintf(tok, sizeof tok, "token-%d", calls);
  *out = json_pack("{s:{s:I},s:{s:s,s:s}}", "spec", "expirationSeconds", (json_int_t)secs, "status", "token", tok,
                   "expirationTimestamp", exp);
  return 201;
}

static void test_refresh_points(void) {
  /* a 3600 s token issued at 0: fresh until 2880 (80%), jitter moves that earlier */
  CHECK(!pod_token_requires_refresh(2880, 3600, 3600, 0));
  CHECK(pod_token_requires_refresh(2881, 3600, 3600, 0));
  CHECK(pod_token_requires_refresh(2875, 3600, 3600, 10));
  /* a one-year token: refreshed after 24 h */
  long long year = 31536000;
  CHECK(!pod_token_requires_refresh(86400, year, year, 0));
  CHECK(pod_token_requires_refresh(86401, year, year, 0));
}

static void test_request_and_cache(void) {
  json_t *pod = json_pack("{s:{s:s,s:s,s:s},s:{s:s}}", "metadata", "name", "p1", "namespace", "ns1", "uid", "u-1",
                          "spec", "serviceAccountName", "robot");
  json_t *src = json_pack("{s:s,s:s}", "audience", "vault", "path", "token");
  json_t *cache = json_object();
  char *tok = NULL, why[300];
  CHECK(pod_token_get(fake_post, NULL, cache, pod, src, fake_now, &tok, why, sizeof why) == 0);
  CHECK_STR(tok, "token-1");
  free(tok);
  CHECK_STR(last_path, "/api/v1/namespaces/ns1/serviceaccounts/robot/token");
  const json_t *spec = json_object_get(last_body, "spec");
  CHECK(json_integer_value(json_object_get(spec, "expirationSeconds")) == 3600);
  CHECK_STR(json_string_value(json_array_get(json_object_get(spec, "audiences"), 0)), "vault");
  const json_t *ref = json_object_get(spec, "boundObjectRef");
  CHECK_STR(json_string_value(json_object_get(ref, "kind")), "Pod");
  CHECK_STR(json_string_value(json_object_get(ref, "name")), "p1");
  CHECK_STR(json_string_value(json_object_get(ref, "uid")), "u-1");
  /* reused while fresh, renewed past 80% */
  CHECK(pod_token_get(fake_post, NULL, cache, pod, src, fake_now + 2000, &tok, why, sizeof why) == 0);
  CHECK_STR(tok, "token-1");
  free(tok);
  CHECK(calls == 1);
  CHECK(pod_token_get(fake_post, NULL, cache, pod, src, fake_now + 2900, &tok, why, sizeof why) == 0);
  CHECK_STR(tok, "token-2");
  free(tok);
  /* a failed refresh keeps the old, still valid token; without one the pod gets kubelet's message */
  answer_code = 404;
  CHECK(pod_token_get(fake_post, NULL, cache, pod, src, fake_now + 3400, &tok, why, sizeof why) == 0);
  CHECK_STR(tok, "token-2");
  free(tok);
  json_t *empty = json_object();
  CHECK(pod_token_get(fake_post, NULL, empty, pod, src, fake_now, &tok, why, sizeof why) == -1);
  CHECK_STR(why, "failed to fetch token: serviceaccounts \"robot\" not found");
  answer_code = 201;
  json_decref(empty);
  json_decref(cache);
  json_decref(src);
  json_decref(pod);
  json_decref(last_body);
}

TEST_MAIN(TEST(test_refresh_points), TEST(test_request_and_cache))
