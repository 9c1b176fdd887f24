/* test_audit_policy.c - audit policies as kube-apiserver 1.20 loads and
 * applies them: first matching rule wins (users, userGroups, verbs,
 * namespaces, resources with subresources, "*", "* /sub", "res/ *" and
 * resourceNames, nonResourceURLs with a trailing "*"), the default None,
 * omitStages from the policy and the rule, and the validation messages. */
#include "test.h"
#include "audit_policy.h"
#include <string.h>

static const char policy[] =
    "apiVersion: audit.k8s.io/v1\n"
    "kind: Policy\n"
    "omitStages: [RequestReceived]\n"
    "rules:\n"
    "- level: None\n"
    "  nonResourceURLs: [\"/healthz*\", /version]\n"
    "- level: None\n"
    "  users: [system:kube-scheduler]\n"
    "- level: Metadata\n"
    "  userGroups: [system:nodes]\n"
    "  verbs: [get]\n"
    "- level: RequestResponse\n"
    "  resources: [{group: \"\", resources: [configmaps]}]\n"
    "  omitStages: [ResponseStarted]\n"
    "- level: Request\n"
    "  resources: [{group: \"\", resources: [\"*/log\"]}, {group: apps, resources: [\"deployments/*\"]}]\n"
    "- level: Request\n"
    "  namespaces: [kube-system]\n"
    "- level: Metadata\n"
    "  resources: [{group: \"\", resources: [secrets], resourceNames: [top]}]\n"
    "- level: None\n"
    "  resources: [{group: \"\", resources: [secrets]}]\n"
    "- level: Metadata\n"
    "  nonResourceURLs: [\"*\"]\n";

static audit_level level(audit_policy *p, const char *user, const char *group, const char *method, const char *path,
                         unsigned *omit) {
  authz_attrs a = {0};
  json_t *groups = json_pack("[s]", group);
  a.user = user;
  a.groups = groups;
  rbac_request_info(method, path, "", &a);
  audit_level l = audit_policy_level(p, &a, omit);
  json_decref(groups);
  return l;
}

static void test_levels(void) {
  char err[512];
  audit_policy *p = audit_policy_parse(policy, strlen(policy), err, sizeof err);
  CHECK(p != NULL);
  unsigned omit;
  CHECK(level(p, "u", "g", "GET", "/healthz/etcd", &omit) == AUDIT_NONE);
  CHECK(level(p, "u", "g", "GET", "/version", &omit) == AUDIT_NONE);
  CHECK(level(p, "u", "g", "GET", "/versions", &omit) == AUDIT_METADATA);
  CHECK(level(p, "system:kube-scheduler", "g", "GET", "/api/v1/namespaces/a/configmaps", &omit) == AUDIT_NONE);
  CHECK(level(p, "system:node:n", "system:nodes", "GET", "/api/v1/namespaces/a/pods/x", &omit) == AUDIT_METADATA);
  CHECK(level(p, "u", "g", "GET", "/api/v1/namespaces/a/configmaps", &omit) == AUDIT_REQUEST_RESPONSE);
  CHECK(omit == (AUDIT_REQUEST_RECEIVED | AUDIT_RESPONSE_STARTED));
  CHECK(level(p, "u", "g", "GET", "/api/v1/namespaces/a/pods/x/log", &omit) == AUDIT_REQUEST);
  CHECK(omit == AUDIT_REQUEST_RECEIVED);
  CHECK(level(p, "u", "g", "GET", "/api/v1/namespaces/a/pods/x", &omit) == AUDIT_NONE); /* no rule: None */
  CHECK(level(p, "u", "g", "PUT", "/apis/apps/v1/namespaces/a/deployments/d/scale", &omit) == AUDIT_REQUEST);
  /* "resource/(star)" matches the resource itself too (TrimRight in checker.go) */
  CHECK(level(p, "u", "g", "GET", "/apis/apps/v1/namespaces/a/deployments/d", &omit) == AUDIT_REQUEST);
  CHECK(level(p, "u", "g", "GET", "/apis/apps/v1/namespaces/a/replicasets/d", &omit) == AUDIT_NONE);
  CHECK(level(p, "u", "g", "DELETE", "/api/v1/namespaces/kube-system/pods/x", &omit) == AUDIT_REQUEST);
  CHECK(level(p, "u", "g", "GET", "/api/v1/namespaces/a/secrets/top", &omit) == AUDIT_METADATA);
  CHECK(level(p, "u", "g", "GET", "/api/v1/namespaces/a/secrets/other", &omit) == AUDIT_NONE);
  CHECK(level(p, NULL, "g", "GET", "/api/v1/namespaces/a/configmaps", &omit) == AUDIT_REQUEST_RESPONSE);
  audit_policy_free(p);
}

static void refused(const char *text, const char *want) {
  char err[1024] = "";
  audit_policy *p = audit_policy_parse(text, strlen(text), err, sizeof err);
  CHECK(p == NULL);
  CHECK_STR(err, want);
  audit_policy_free(p);
}

static void test_validation(void) {
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n",
          "rules[0].level: Unsupported value: \"Loud\": supported values: \"None\", \"Metadata\", \"Request\", "
          "\"RequestResponse\"");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- users: [a]\n", "rules[0].level: Required value");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [healthz, /a*b]\n",
          "[rules[0].nonResourceURLs[0]: Invalid value: \"healthz\": non-resource URL rules must begin with a '/' "
          "character, rules[0].nonResourceURLs[1]: Invalid value: \"/a*b\": non-resource URL wildcards '*' must be "
          "the final character of the rule]");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Nope]\nrules:\n- level: None\n",
          "omitStages[0]: Invalid value: \"Nope\": allowed stages are "
          "RequestReceived,ResponseStarted,ResponseComplete,Panic");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{resourceNames: [x]}]\n",
          "rules[0].resources.resourceNames: Invalid value: []string{\"x\"}: using resourceNames requires at least "
          "one resource");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  namespaces: [a]\n  nonResourceURLs: [/x]\n",
          "rules[0].nonResourceURLs: Invalid value: []string{\"/x\"}: rules cannot apply to both regular resources "
          "and non-resource URLs");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n", "loaded illegal policy with 0 rules");
  refused("apiVersion: v1\nkind: Policy\nrules: []\n",
          "failed decoding: no kind \"Policy\" is registered for version \"v1\"");
  refused("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: a\n",
          "failed decoding: cannot read field \"users\" of audit.Policy");
  refused("kind: Policy\n", "failed decoding: Object 'apiVersion' is missing");
}

TEST_MAIN(TEST(test_levels), TEST(test_validation))
