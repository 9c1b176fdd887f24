/* audit_policy.h - kube-apiserver 1.20's audit policy (audit.k8s.io/v1,
 * v1beta1 or v1alpha1 Policy, YAML or JSON): loading with its validation
 * messages, and the level and omitted stages a request gets (the first
 * rule that matches user, userGroups, verbs, namespaces, resources with
 * group/resources/resourceNames, or nonResourceURLs; none: level None).
 * No I/O; unit-tested in test_audit_policy.c, fuzzed by fuzz_audit_policy. */
#ifndef CKUBE_AUDIT_POLICY_H
#define CKUBE_AUDIT_POLICY_H
#include "rbac_rules.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { AUDIT_NONE, AUDIT_METADATA, AUDIT_REQUEST, AUDIT_REQUEST_RESPONSE } audit_level;

/* Stages, as a bit set for omitStages. */
enum { AUDIT_REQUEST_RECEIVED = 1, AUDIT_RESPONSE_STARTED = 2, AUDIT_RESPONSE_COMPLETE = 4, AUDIT_PANIC = 8 };

typedef struct audit_policy audit_policy;

/* Parses and validates the policy text (len bytes); NULL with the error
 * (kube-apiserver's wording where it has one) in err. */
audit_policy *audit_policy_parse(const char *text, size_t len, char *err, size_t errlen);
void audit_policy_free(audit_policy *p);
/* The level of a request with attributes a (a->user NULL: not
 * authenticated) and, into *omit, the stages not to record. */
audit_level audit_policy_level(const audit_policy *p, const authz_attrs *a, unsigned *omit);
const char *audit_level_name(audit_level l);
const char *audit_stage_name(unsigned stage);

#endif
