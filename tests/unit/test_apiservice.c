/* test_apiservice.c - apiregistration.k8s.io APIServices in the API core
 * over an in-memory store: kube-aggregator's validation (name
 * <version>.<group>, priorities, local vs remote fields), the service port
 * default, v1beta1 serving the same objects, and the aggregator's table
 * (server/aggregator/apiservice_table.c): which group/versions are remote
 * and how /apis orders the remote groups and their versions. */
#include "test.h"
#include "api.h"
#include "apiservice_table.h"
#include "api_harness.h"
#include "registry.h"
#include <stdlib.h>
#include <string.h>

static api_harness h;
static api_server *srv = &h.srv;
static const resource *apisvc;

static void start(void) {
  api_harness_start(&h);
  apisvc = registry_find("apiregistration.k8s.io", "v1", "apiservices");
  CHECK(apisvc != NULL);
}

static void stop(void) { api_harness_stop(&h); }

static json_t *apiservice(const char *version, const char *group, int gp, int vp, bool remote) {
  char name[256];
  snprintf(name, sizeof name, "%s.%s", version, group);
  json_t *o = json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:s,s:i,s:i}}", "apiVersion", "apiregistration.k8s.io/v1", "kind",
                        "APIService", "metadata", "name", name, "spec", "group", group, "version", version,
                        "groupPriorityMinimum", gp, "versionPriority", vp);
  if (remote)
    json_object_set_new(json_object_get(o, "spec"), "service", json_pack("{s:s,s:s}", "namespace", "ns", "name", "svc"));
  return o;
}

/* Creates obj; the HTTP code, and the message of a failure into msg. */
static int create(json_t *obj, char *msg, size_t len) {
  api_result r = api_create(srv, apisvc, "", obj, NULL);
  int code = r.code;
  if (msg) {
    json_t *j = api_result_json(&r);
    snprintf(msg, len, "%s", json_string_value(json_object_get(j, "message")) ?: "");
    json_decref(j);
  }
  api_result_clear(&r);
  return code;
}

static void test_validation(void) {
  char msg[2048];
  json_t *wrong = apiservice("v1", "wardle.example.com", 2000, 200, true);
  json_object_set_new(json_object_get(wrong, "metadata"), "name", json_string("v1.other.example.com"));
  CHECK(create(wrong, msg, sizeof msg) == 422);
  CHECK(strstr(msg, "metadata.name: Invalid value: \"v1.other.example.com\": must be `spec.version+\".\"+spec.group`: "
                    "\"v1.wardle.example.com\"") != NULL);
  CHECK(create(apiservice("v1", "wardle.example.com", 0, 2000, true), msg, sizeof msg) == 422);
  CHECK(strstr(msg, "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000") != NULL);
  CHECK(strstr(msg, "spec.versionPriority: Invalid value: 2000: must be positive and less than 1000") != NULL);
  json_t *local_ca = apiservice("v2", "local.example.com", 100, 10, false);
  json_object_set_new(json_object_get(local_ca, "spec"), "caBundle", json_string("QUJDRA=="));
  CHECK(create(local_ca, msg, sizeof msg) == 422);
  CHECK(strstr(msg, "spec.caBundle: Invalid value: \"4 bytes\": local APIServices may not have a caBundle") != NULL);
  CHECK(create(apiservice("v2", "", 100, 10, false), msg, sizeof msg) == 422);
  CHECK(strstr(msg, "spec.group: Required value: only v1 may have an empty group") != NULL);
  json_t *no_svc_name = apiservice("v3", "wardle.example.com", 100, 10, true);
  json_object_del(json_object_get(json_object_get(no_svc_name, "spec"), "service"), "name");
  CHECK(create(no_svc_name, msg, sizeof msg) == 422);
  CHECK(strstr(msg, "spec.service.name: Required value") != NULL);
}

static void test_defaults_and_v1beta1(void) {
  CHECK(create(apiservice("v1alpha1", "wardle.example.com", 2000, 200, true), NULL, 0) == 201);
  api_result r = api_get(srv, apisvc, "", "v1alpha1.wardle.example.com");
  const json_t *o = r.obj ? r.obj->obj : r.body;
  CHECK(json_integer_value(json_object_get(json_object_get(json_object_get(o, "spec"), "service"), "port")) == 443);
  api_result_clear(&r);
  const resource *beta = registry_find("apiregistration.k8s.io", "v1beta1", "apiservices");
  r = api_get(srv, beta, "", "v1alpha1.wardle.example.com");
  o = r.obj ? r.obj->obj : r.body;
  CHECK(r.code == 200);
  CHECK_STR(json_string_value(json_object_get(o, "apiVersion")), "apiregistration.k8s.io/v1beta1");
  api_result_clear(&r);
}

static void test_remote_table(void) {
  CHECK(create(apiservice("v1beta1", "wardle.example.com", 2000, 300, true), NULL, 0) == 201);
  CHECK(create(apiservice("v1", "zeta.example.com", 5000, 10, true), NULL, 0) == 201);
  CHECK(create(apiservice("v1", "local.example.com", 9000, 10, false), NULL, 0) == 201);
  CHECK(apiservice_any_remote(srv->cache));
  cobj *o = apiservice_remote(srv->cache, "wardle.example.com", "v1alpha1");
  CHECK(o != NULL);
  cobj_unref(o);
  CHECK(apiservice_remote(srv->cache, "local.example.com", "v1") == NULL); /* local: served here */
  CHECK(apiservice_remote(srv->cache, "apps", "v1") == NULL);
  json_t *groups = apiservice_remote_groups(srv->cache);
  CHECK(json_array_size(groups) == 2);
  /* zeta first (priority 5000), then wardle with v1beta1 (300) before v1alpha1 (200) */
  CHECK_STR(json_string_value(json_object_get(json_array_get(groups, 0), "name")), "zeta.example.com");
  const json_t *w = json_array_get(groups, 1);
  CHECK_STR(json_string_value(json_object_get(w, "name")), "wardle.example.com");
  CHECK_STR(json_string_value(json_object_get(w, "preferredVersion")), "v1beta1");
  CHECK_STR(json_string_value(json_array_get(json_object_get(w, "versions"), 1)), "v1alpha1");
  json_decref(groups);
}

TEST_MAIN(TEST(start), TEST(test_validation), TEST(test_defaults_and_v1beta1), TEST(test_remote_table), TEST(stop))
