/* test_rbac_rules.c - lib/rbac_rules.c: request attributes as kube-apiserver's
 * RequestInfo derives them, RBAC rule matching (wildcards, subresources,
 * resourceNames, nonResourceURLs), subjects and the 1.20 Forbidden texts. */
#include "rbac_rules.h"
#include "test.h"

static authz_attrs info(const char *method, const char *path, const char *query) {
  authz_attrs a = {0};
  a.user = "satellite";
  rbac_request_info(method, path, query, &a);
  return a;
}

static void test_request_info(void) {
  authz_attrs a = info("GET", "/api/v1/namespaces/default/pods", NULL);
  CHECK(a.resource_request);
  CHECK_STR(a.verb, "list");
  CHECK_STR(a.ns, "default");
  CHECK_STR(a.resource, "pods");
  CHECK_STR(a.api_group, "");
  a = info("GET", "/api/v1/pods", "watch=true&resourceVersion=5");
  CHECK_STR(a.verb, "watch");
  CHECK_STR(a.ns, "");
  a = info("GET", "/api/v1/watch/namespaces/ns1/pods/p", NULL);
  CHECK_STR(a.verb, "watch");
  CHECK_STR(a.name, "p");
  a = info("GET", "/api/v1/namespaces/ns1/pods/p/log", NULL);
  CHECK_STR(a.verb, "get");
  CHECK_STR(a.subresource, "log");
  CHECK_STR(a.name, "p");
  a = info("DELETE", "/apis/apps/v1/namespaces/x/deployments", NULL);
  CHECK_STR(a.verb, "deletecollection");
  CHECK_STR(a.api_group, "apps");
  a = info("PATCH", "/apis/apps/v1/namespaces/x/deployments/d/scale", NULL);
  CHECK_STR(a.verb, "patch");
  CHECK_STR(a.subresource, "scale");
  a = info("GET", "/api/v1/namespaces/kube-system", NULL);
  CHECK_STR(a.resource, "namespaces");
  CHECK_STR(a.name, "kube-system");
  CHECK_STR(a.ns, "kube-system");
  a = info("PUT", "/api/v1/namespaces/gone/finalize", NULL);
  CHECK_STR(a.resource, "namespaces");
  CHECK_STR(a.subresource, "finalize");
  a = info("GET", "/api/v1/pods", "fieldSelector=metadata.name%3Dweb&watch=1");
  CHECK_STR(a.verb, "watch");
  CHECK_STR(a.name, "web");
  a = info("GET", "/api/v1/pods", "fieldSelector=metadata.name!%3Dweb");
  CHECK_STR(a.name, "");
  a = info("GET", "/apis/apps/v1", NULL);
  CHECK(!a.resource_request);
  CHECK_STR(a.verb, "get");
  a = info("POST", "/healthz", NULL);
  CHECK(!a.resource_request);
  CHECK_STR(a.verb, "post");
  CHECK_STR(a.path, "/healthz");
}

static void test_rules(void) {
  json_t *r = json_pack("{s:[s],s:[s],s:[s,s]}", "apiGroups", "", "resources", "pods", "verbs", "get", "list");
  authz_attrs a = info("GET", "/api/v1/namespaces/default/pods", NULL);
  CHECK(rbac_rule_allows(r, &a));
  a = info("GET", "/api/v1/namespaces/default/pods/p/log", NULL);
  CHECK(!rbac_rule_allows(r, &a)); /* pods/log is its own resource */
  a = info("DELETE", "/api/v1/namespaces/default/pods/p", NULL);
  CHECK(!rbac_rule_allows(r, &a));
  a = info("GET", "/apis/apps/v1/namespaces/default/deployments", NULL);
  CHECK(!rbac_rule_allows(r, &a));
  json_decref(r);

  r = json_pack("{s:[s],s:[s],s:[s]}", "apiGroups", "*", "resources", "*/log", "verbs", "*");
  a = info("GET", "/api/v1/namespaces/default/pods/p/log", NULL);
  CHECK(rbac_rule_allows(r, &a));
  a = info("GET", "/api/v1/namespaces/default/pods/p", NULL);
  CHECK(!rbac_rule_allows(r, &a));
  json_decref(r);

  r = json_pack("{s:[s],s:[s],s:[s],s:[s]}", "apiGroups", "", "resources", "configmaps", "resourceNames",
                "cluster-info", "verbs", "get");
  a = info("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info", NULL);
  CHECK(rbac_rule_allows(r, &a));
  a = info("GET", "/api/v1/namespaces/kube-public/configmaps/other", NULL);
  CHECK(!rbac_rule_allows(r, &a));
  a = info("GET", "/api/v1/namespaces/kube-public/configmaps", NULL);
  CHECK(!rbac_rule_allows(r, &a)); /* a list has no name */
  json_decref(r);

  r = json_pack("{s:[s,s],s:[s]}", "nonResourceURLs", "/healthz", "/apis/*", "verbs", "get");
  a = info("GET", "/healthz", NULL);
  CHECK(rbac_rule_allows(r, &a));
  a = info("GET", "/apis/apps/v1", NULL);
  CHECK(rbac_rule_allows(r, &a));
  a = info("GET", "/api", NULL);
  CHECK(!rbac_rule_allows(r, &a));
  a = info("POST", "/healthz", NULL);
  CHECK(!rbac_rule_allows(r, &a));
  a = info("GET", "/api/v1/namespaces/default/pods", NULL);
  CHECK(!rbac_rule_allows(r, &a)); /* URL rules never grant resources */
  json_decref(r);
}

static void test_subjects(void) {
  json_t *groups = json_pack("[s,s]", "dev", "system:authenticated");
  json_t *u = json_pack("{s:s,s:s}", "kind", "User", "name", "satellite");
  json_t *g = json_pack("{s:s,s:s}", "kind", "Group", "name", "dev");
  json_t *sa = json_pack("{s:s,s:s}", "kind", "ServiceAccount", "name", "robot");
  CHECK(rbac_subject_applies(u, "satellite", groups, ""));
  CHECK(!rbac_subject_applies(u, "openshift", groups, ""));
  CHECK(rbac_subject_applies(g, "anyone", groups, ""));
  CHECK(rbac_subject_applies(sa, "system:serviceaccount:ns1:robot", NULL, "ns1"));
  CHECK(!rbac_subject_applies(sa, "system:serviceaccount:ns2:robot", NULL, "ns1"));
  char buf[200];
  rbac_describe_subject(sa, "ns1", buf, sizeof buf);
  CHECK_STR(buf, "ServiceAccount \"robot/ns1\"");
  json_decref(groups);
  json_decref(u);
  json_decref(g);
  json_decref(sa);
}

static void test_forbidden(void) {
  authz_attrs a = info("GET", "/api/v1/namespaces/default/pods", NULL);
  json_t *st = rbac_forbidden_status(&a, NULL);
  CHECK_STR(json_string_value(json_object_get(st, "message")),
            "pods is forbidden: User \"satellite\" cannot list resource \"pods\" in API group \"\" in the namespace "
            "\"default\"");
  CHECK(json_integer_value(json_object_get(st, "code")) == 403);
  CHECK_STR(json_string_value(json_object_get(json_object_get(st, "details"), "kind")), "pods");
  json_decref(st);
  a = info("DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", NULL);
  st = rbac_forbidden_status(&a, NULL);
  CHECK_STR(json_string_value(json_object_get(st, "message")),
            "clusterroles.rbac.authorization.k8s.io \"admin\" is forbidden: User \"satellite\" cannot delete resource "
            "\"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope");
  json_decref(st);
  a = info("GET", "/logs", NULL);
  st = rbac_forbidden_status(&a, NULL);
  CHECK_STR(json_string_value(json_object_get(st, "message")),
            "forbidden: User \"satellite\" cannot get path \"/logs\"");
  json_decref(st);
}

static void test_escalation(void) {
  json_t *owner = json_pack("[{s:[s],s:[s,s],s:[s,s]},{s:[s],s:[s]}]", "apiGroups", "", "resources", "pods",
                            "pods/*", "verbs", "get", "list", "nonResourceURLs", "/healthz*", "verbs", "get");
  json_t *want = json_pack("[{s:[s],s:[s,s],s:[s]}]", "apiGroups", "", "resources", "pods", "pods/log", "verbs", "get");
  json_t *missing = rbac_uncovered(owner, want);
  CHECK(json_array_size(missing) == 0); /* pods/log through pods/ * */
  json_decref(missing);
  json_decref(want);
  want = json_pack("[{s:[s],s:[s],s:[s,s,s]},{s:[s],s:[s]},{s:[s],s:[s],s:[s],s:[s]}]", "apiGroups", "",
                   "resources", "secrets", "verbs", "get", "list", "delete", "nonResourceURLs", "/healthz/ping",
                   "verbs", "get", "apiGroups", "", "resources", "pods", "resourceNames", "a", "verbs", "delete");
  missing = rbac_uncovered(owner, want);
  CHECK(json_array_size(missing) == 4);
  char text[1024];
  rbac_missing_text(missing, text, sizeof text);
  CHECK_STR(text, "{APIGroups:[\"\"], Resources:[\"pods\"], ResourceNames:[\"a\"], Verbs:[\"delete\"]}\n"
                  "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"delete\"]}");
  json_decref(missing);
  json_decref(want);
  json_decref(owner);
}

TEST_MAIN(TEST(test_request_info), TEST(test_rules), TEST(test_subjects), TEST(test_forbidden), TEST(test_escalation))
