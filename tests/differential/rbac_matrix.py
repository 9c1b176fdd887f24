#!/usr/bin/python3
"""rbac_matrix.py KUBECONFIG TOKEN OUT.json - the RBAC differential probe:
creates a fixed set of namespaces, roles and bindings (kubectl apply), waits
for the aggregated roles, then records the cluster's answers to a matrix of
SubjectAccessReviews (user, groups, verb, resource, subresource, namespace,
name), SelfSubjectRulesReviews made through impersonation, the 403 bodies of
impersonated requests and the bootstrap ClusterRoles/ClusterRoleBindings as
objects. Run it against ckube and against real-cluster.sh's kube-apiserver
1.20, then compare the two files with compare.py. Talks only to the
kubeconfig's server (loopback)."""
import itertools, json, os, ssl, subprocess, sys, time, urllib.request

SETUP = """
apiVersion: v1
kind: Namespace
metadata: {name: diff-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: diff-b}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: diff-b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: diff-reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
- apiGroups: [""]
  resources: ["*/log"]
  verbs: [get]
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [cm1]
  verbs: [get, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: diff-urls}
rules:
- nonResourceURLs: ["/healthz*", /metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: diff-widgets
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [example.com]
  resources: [widgets]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: diff-a}
rules:
- apiGroups: [apps]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: diff-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: diff-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-deploy, namespace: diff-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: diff-devs-urls}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: diff-urls}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robot-edits, namespace: diff-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: ServiceAccount, name: robot, namespace: diff-b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-views, namespace: diff-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: diff-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: no-such-role}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}
"""

USERS = [("alice", []), ("bob", []), ("carol", ["devs"]), ("system:serviceaccount:diff-b:robot",
         ["system:serviceaccounts", "system:serviceaccounts:diff-b"]), ("dave", ["system:masters"])]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate"]
RESOURCES = [("", "pods", ""), ("", "pods", "log"), ("", "configmaps", ""), ("apps", "deployments", ""),
             ("", "secrets", ""), ("example.com", "widgets", ""), ("rbac.authorization.k8s.io", "roles", "")]
NAMESPACES = ["diff-a", "diff-b", ""]
NAMES = ["", "cm1"]
URLS = ["/healthz", "/healthz/ping", "/metrics", "/api", "/apis/apps/v1", "/logs", "/version"]


def main():
    kubeconfig, token, out = sys.argv[1:4]
    cfg = subprocess.check_output(["kubectl", "--kubeconfig", kubeconfig, "config", "view", "--minify", "-o",
                                   "jsonpath={.clusters[0].cluster.server}"]).decode()
    subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "apply", "-f", "-"], input=SETUP.encode(), check=True,
                   stdout=subprocess.DEVNULL)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def call(method, path, body=None, headers=None):
        h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        h.update(headers or {})
        req = urllib.request.Request(cfg + path, method=method, headers=h,
                                     data=json.dumps(body).encode() if body is not None else None)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    deadline = time.time() + 30
    while time.time() < deadline:  # the aggregation controller fills view from diff-widgets
        _, view = call("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view")
        if "widgets" in json.dumps(view):
            break
        time.sleep(0.5)
    res = {"sar": {}, "nonresource": {}, "ssrr": {}, "forbidden": {}, "policy": {}}
    for (user, groups), verb, (group, resource, sub), ns, name in itertools.product(USERS, VERBS, RESOURCES,
                                                                                  NAMESPACES, NAMES):
        ra = {"verb": verb, "group": group, "resource": resource, "subresource": sub, "namespace": ns, "name": name}
        _, r = call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                    {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                     "spec": {"user": user, "groups": groups + ["system:authenticated"], "resourceAttributes": ra}})
        res["sar"][json.dumps([user, verb, group, resource, sub, ns, name])] = r.get("status")
    for (user, groups), url, verb in itertools.product(USERS, URLS, ["get", "post"]):
        _, r = call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                    {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                     "spec": {"user": user, "groups": groups + ["system:authenticated"],
                              "nonResourceAttributes": {"path": url, "verb": verb}}})
        res["nonresource"][json.dumps([user, url, verb])] = r.get("status")
    for (user, groups), ns in itertools.product(USERS[:4], NAMESPACES[:2]):
        hdr = {"Impersonate-User": user}
        _, r = call("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                    {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
                     "spec": {"namespace": ns}}, headers=hdr)
        res["ssrr"][json.dumps([user, ns])] = r.get("status")
    for user, path, method in itertools.product(["alice", "bob"], [
            "/api/v1/namespaces/diff-a/pods", "/api/v1/namespaces/diff-b/secrets/s1", "/api/v1/nodes",
            "/apis/apps/v1/namespaces/diff-a/deployments?watch=true&timeoutSeconds=1", "/logs", "/api/v1/namespaces/diff-a",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", "/api/v1/namespaces/diff-a/pods/p1/exec"],
            ["GET", "DELETE"]):
        code, r = call(method, path, headers={"Impersonate-User": user})
        res["forbidden"][json.dumps([user, method, path])] = [code, r if code >= 400 else None]
    for plural in ["clusterroles", "clusterrolebindings"]:
        _, lst = call("GET", f"/apis/rbac.authorization.k8s.io/v1/{plural}?labelSelector=kubernetes.io%2Fbootstrapping%3Drbac-defaults")
        for o in lst.get("items", []):
            md = o["metadata"]
            res["policy"][plural + "/" + md["name"]] = {
                "labels": md.get("labels"), "annotations": md.get("annotations"), "rules": o.get("rules"),
                "aggregationRule": o.get("aggregationRule"), "roleRef": o.get("roleRef"),
                "subjects": o.get("subjects")}
    json.dump(res, open(out, "w"), indent=1, sort_keys=True)
    print(f"{len(res['sar'])} resource SARs, {len(res['nonresource'])} non-resource SARs, {len(res['ssrr'])} "
          f"rules reviews, {len(res['forbidden'])} forbidden bodies, {len(res['policy'])} policy objects")


main()
