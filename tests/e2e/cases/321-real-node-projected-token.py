#!/usr/bin/python3
"""A projected volume on a real node joined by token (so the agent acts as
system:node:NAME through the Node authorizer and NodeRestriction): the
serviceAccountToken source requested by the agent with TokenRequest
(audience, expirationSeconds, path), beside configMap (items), secret and
downwardAPI sources under one defaultMode. The pod reads its token and
uses it against the API through the `kubernetes` Service (curl inside the
pod: 403 until a RoleBinding lets its ServiceAccount list pods, then 200);
the token is rejected (401) once the pod is deleted. The node may ask for
tokens of its own pods' ServiceAccounts only. Bounded: about 40 s."""
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-321"


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def log(node, p, c, n=0):
    path = node.data("pods", p["metadata"]["uid"], "containers", c, f"{n}.log")
    return "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""


def code(token, path):
    out = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}",
                          os.environ["SERVER"] + path], capture_output=True, text=True, timeout=30).stdout
    return out


def main():
    kubectl("create", "namespace", NS)
    data = os.environ["DATA"]
    join = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "token", "create", "--data-dir", data,
                           "--print-join-command"], capture_output=True, text=True, check=True).stdout.split()
    with RealNode(NODE, pod_net(), join=join[1:]) as node:
        kubectl("create", "serviceaccount", "-n", NS, "reader")
        kubectl("create", "configmap", "-n", NS, "cfg", "--from-literal=color=blue", "--from-literal=size=XL")
        kubectl("create", "secret", "generic", "-n", NS, "sec", "--from-literal=pass=s3cret")
        script = ("T=/projected/token; ls /projected | tr '\\n' ' '; echo; stat -c %a /projected/..data/token /projected/..data/name | tr '\\n' ' '; echo; "
                  "cat /projected/c/color; echo; cat /projected/pass; echo; cat /projected/name; echo; "
                  "while true; do curl -sk -o /dev/null -w '%{http_code}\\n' -H \"Authorization: Bearer $(cat $T)\" "
                  "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/" + NS + "/pods "
                  "> /tmp/code-$$ && cp /tmp/code-$$ /projected-out/code; sleep 0.5; done")
        kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tok", "namespace": NS},
             "spec": {"nodeName": NODE, "serviceAccountName": "reader", "terminationGracePeriodSeconds": 1,
                      "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", script],
                                      "volumeMounts": [{"name": "proj", "mountPath": "/projected"},
                                                       {"name": "out", "mountPath": "/projected-out"}]}],
                      "volumes": [{"name": "out", "emptyDir": {}},
                                  {"name": "proj", "projected": {"defaultMode": 0o440, "sources": [
                                      {"serviceAccountToken": {"path": "token", "expirationSeconds": 600}},
                                      {"serviceAccountToken": {"path": "vault-token", "audience": "vault"}},
                                      {"configMap": {"name": "cfg", "items": [{"key": "color", "path": "c/color"}]}},
                                      {"secret": {"name": "sec"}},
                                      {"downwardAPI": {"items": [{"path": "name",
                                                                  "fieldRef": {"fieldPath": "metadata.name"}}]}}]}}]}}))
        p = wait_for("tok running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(pod("tok")), 30)
        want = "c name pass token vault-token \n440 440 \nblue\ns3cret\ntok\n"  # defaultMode for every source
        wait_for("the pod's view of its projected volume", lambda: log(node, p, "c") == want, 15)
        vol = node.data("pods", p["metadata"]["uid"], "volumes", "proj")
        assert os.path.islink(os.path.join(vol, "..data")) and os.readlink(os.path.join(vol, "token")) == "..data/token"
        token = open(os.path.join(vol, "token")).read()
        review = json.loads(kubectl("create", "-o", "json", "-f", "-", input=json.dumps(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})))["status"]
        assert review["user"]["username"] == f"system:serviceaccount:{NS}:reader", review
        assert review["user"]["extra"]["authentication.kubernetes.io/pod-name"] == ["tok"], review
        vault = open(os.path.join(vol, "vault-token")).read()
        review = json.loads(kubectl("create", "-o", "json", "-f", "-", input=json.dumps(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
             "spec": {"token": vault, "audiences": ["vault"]}})))["status"]
        assert review.get("authenticated") and review["audiences"] == ["vault"], review
        assert code(vault, "/api") == "401", "a token for vault is not one for the API"

        # inside the pod: the token against the API through the kubernetes Service
        out = node.data("pods", p["metadata"]["uid"], "volumes", "out", "code")
        wait_for("403 before the RoleBinding", lambda: open(out).read() == "403\n", 15)
        kubectl("create", "role", "-n", NS, "pod-reader", "--verb=list", "--resource=pods")
        kubectl("create", "rolebinding", "-n", NS, "reader-reads", "--role=pod-reader", f"--serviceaccount={NS}:reader")
        wait_for("200 after it", lambda: open(out).read() == "200\n", 15)
        assert code(token, f"/api/v1/namespaces/{NS}/pods") == "200"

        # the node's identity asks only for its own pods' ServiceAccounts
        cfg = node.data("kubelet.kubeconfig")
        nodectl = ["kubectl", "--kubeconfig", cfg]
        other = subprocess.run(nodectl + ["create", "--raw", f"/api/v1/namespaces/{NS}/serviceaccounts/default/token",
                                          "-f", "-"], input="{}", capture_output=True, text=True, timeout=30)
        assert "no relationship found between node 'real-321' and this object" in other.stderr, other.stderr
        unbound = subprocess.run(nodectl + ["create", "--raw", f"/api/v1/namespaces/{NS}/serviceaccounts/reader/token",
                                            "-f", "-"], input="{}", capture_output=True, text=True, timeout=30)
        assert 'serviceaccounts "reader" is forbidden: node requested token not bound to a pod' in unbound.stderr, unbound.stderr

        # deleting the pod revokes its token
        kubectl("delete", "pod", "-n", NS, "tok", "--wait=false")
        wait_for("pod gone", lambda: "tok" not in kubectl("get", "pods", "-n", NS, "-o", "name"), 30)
        wait_for("401 after the pod is gone", lambda: code(token, f"/api/v1/namespaces/{NS}/pods") == "401", 10)
    kubectl("delete", "namespace", NS, "--wait=false")
    print("ok")


main()
