/* rbac_rules.h - the pure parts of Kubernetes 1.20 authorization: request
 * attributes derived from an HTTP request as kube-apiserver's RequestInfo
 * factory derives them (verb from the method, list/watch/deletecollection,
 * namespace, resource, subresource, name, non-resource paths), RBAC's
 * PolicyRule matching (verbs, apiGroups, resources with "*" and "* /sub",
 * resourceNames, nonResourceURLs with trailing "*"), whether a binding's
 * subject names a user, and the 403 Forbidden Status text of
 * apiserver's responsewriters. No I/O; unit-tested in test_rbac_rules.c. */
#ifndef CKUBE_RBAC_RULES_H
#define CKUBE_RBAC_RULES_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef struct {
  const char *user;     /* user name */
  const json_t *groups; /* array of group names (may be NULL) */
  bool resource_request;
  char verb[32];
  char path[1024]; /* the request path (non-resource requests) */
  char api_group[128], api_version[64], ns[256], resource[128], subresource[128], name[256];
} authz_attrs;

/* Fills a's request fields from method, decoded path and raw query, as
 * RequestInfoFactory.NewRequestInfo does (user and groups untouched). */
void rbac_request_info(const char *method, const char *path, const char *query, authz_attrs *a);

/* Whether one rbac/v1 PolicyRule allows the request (RBAC's RuleAllows). */
bool rbac_rule_allows(const json_t *rule, const authz_attrs *a);

/* Whether a binding subject ({kind, name, namespace}) applies to the user;
 * binding_ns is the RoleBinding's namespace ("" for a ClusterRoleBinding). */
bool rbac_subject_applies(const json_t *subject, const char *user, const json_t *groups, const char *binding_ns);

/* "User \"u\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"" into buf. */
void rbac_forbidden_text(const authz_attrs *a, char *buf, size_t len);

/* The 403 metav1.Status kube-apiserver answers for a denied request; reason
 * (may be NULL or empty) is the authorizers' joined reason. New reference. */
json_t *rbac_forbidden_status(const authz_attrs *a, const char *reason);

/* Human text of a subject as RBAC's reasons name it: `User "x"`,
 * `ServiceAccount "name/ns"` (binding_ns when the subject has none). */
void rbac_describe_subject(const json_t *subject, const char *binding_ns, char *buf, size_t len);

/* RBAC's escalation check (rbac/validation Covers): the atomic rules of
 * requested (one verb x group x resource x name, or verb x URL) that no
 * owner rule covers, as a new array (empty when owner covers all). */
json_t *rbac_uncovered(const json_t *owner_rules, const json_t *requested_rules);

/* The lines ConfirmNoEscalation lists for missing rules: compacted (verbs of
 * one group/resource/name merged), each as CompactString prints it
 * ("{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\" \"list\"]}"),
 * sorted and unique, joined by newlines into buf. */
void rbac_missing_text(const json_t *missing, char *buf, size_t len);

#endif
