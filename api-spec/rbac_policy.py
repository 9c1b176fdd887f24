"""rbac_policy.py - Kubernetes 1.20's RBAC bootstrap policy as one JSON
document ("rbac-bootstrap-policy.json"), read from the golden testdata of
Debian's kubernetes source package (plugin/pkg/auth/authorizer/rbac/
bootstrappolicy/testdata, fetched by scripts/deps.sh): the objects
kube-apiserver's RBAC post-start hook reconciles, never typed by hand.
Shape: {"clusterRoles": [...], "clusterRoleBindings": [...],
"roles": [...], "roleBindings": [...]} (rbac.authorization.k8s.io/v1)."""
import os

import yaml

FILES = {
    "clusterRoles": ["cluster-roles.yaml", "controller-roles.yaml"],
    "clusterRoleBindings": ["cluster-role-bindings.yaml", "controller-role-bindings.yaml"],
    "roles": ["namespace-roles.yaml"],
    "roleBindings": ["namespace-role-bindings.yaml"],
}


def clean(obj):
    """Drops the testdata's creationTimestamp: null (the server stamps its own)."""
    md = obj.get("metadata", {})
    md.pop("creationTimestamp", None)
    if obj.get("rules") is None and obj.get("kind") in ("ClusterRole", "Role"):
        obj["rules"] = []
    return obj


def build(testdata_dir):
    policy = {}
    for key, names in FILES.items():
        items = []
        for n in names:
            doc = yaml.safe_load(open(os.path.join(testdata_dir, n)))
            items += [clean(o) for o in doc.get("items") or []]
        policy[key] = items
    assert any(r["metadata"]["name"] == "cluster-admin" for r in policy["clusterRoles"])
    return policy
