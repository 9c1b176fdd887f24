/* fuzz_audit_policy.c - libFuzzer target for the audit policy loader
 * (audit_policy_parse: YAML/JSON decoding, type checks, validation) and,
 * for a policy that loads, rule matching against a fixed set of request
 * attributes (resource and non-resource, with and without a user). The
 * level must be one of the four and a policy with rules never fails to
 * answer. Seeds are in corpus/fuzz_audit_policy/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[1024];
  audit_policy *p = audit_policy_parse((const char *)data, size, err, sizeof err);
  if (!p) return 0;
  static const char *const reqs[][3] = {{"GET", "/api/v1/namespaces/default/pods/x/log", ""},
                                        {"POST", "/apis/apps/v1/namespaces/kube-system/deployments", ""},
                                        {"GET", "/healthz/etcd", ""},
                                        {"GET", "/api/v1/pods", "watch=true"}};
  json_t *groups = json_pack("[s,s]", "system:masters", "system:authenticated");
  for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
    for (int anon = 0; anon < 2; anon++) {
      authz_attrs a = {0};
      a.user = anon ? NULL : "admin";
      a.groups = anon ? NULL : groups;
      rbac_request_info(reqs[i][0], reqs[i][1], reqs[i][2], &a);
      unsigned omit = 0;
      audit_level l = audit_policy_level(p, &a, &omit);
      if ((int)l < AUDIT_NONE || l > AUDIT_REQUEST_RESPONSE || omit > 15) abort();
    }
  }
  json_decref(groups);
  audit_policy_free(p);
  return 0;
}
