/* authz_policy.h - the RBAC bootstrap policy of kube-apiserver 1.20
 * (generated at build time from Kubernetes' own testdata, api-spec/
 * rbac_policy.py) reconciled at every start as its rbac/bootstrap-roles
 * post-start hook does, plus the few objects kubeadm adds for joining
 * nodes (ckube plays kubeadm's part: bootstrap tokens, cluster-info). */
#ifndef CKUBE_AUTHZ_POLICY_H
#define CKUBE_AUTHZ_POLICY_H
#include "api_server.h"

/* Creates what is missing; objects annotated
 * rbac.authorization.kubernetes.io/autoupdate: "false" are left as the
 * user made them, the others get back missing rules, subjects, labels and
 * annotations. 0, or -1 when a write failed (logged). */
int authz_policy_reconcile(api_server *srv);

#endif
