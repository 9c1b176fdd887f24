#!/usr/bin/python3
"""Optional ConfigMap and Secret volumes on a real node (conformance:
ConfigMap / Secrets optional updates should be reflected in volume): a pod
starts while some of its optional sources do not exist (their volumes are
empty); then one ConfigMap is deleted (its volume's files go), one is
updated (the new value shows), a missing ConfigMap and a missing Secret are
created (their files appear), each within the agent's refresh period, as
the container itself sees them. Bounded: about 40 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-779"
FILES = ["/del/data", "/upd/data", "/new/data", "/sec/data"]


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def seen(node):
    """What the container printed last: one word per file (its content, or missing)."""
    p = pod("watcher")
    path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
    text = "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""
    blocks = [b.split() for b in text.split("---\n")[:-1]]
    return blocks[-1] if blocks else None


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net()) as node:
        kubectl("create", "configmap", "-n", NS, "cm-del", "--from-literal=data=del-1")
        kubectl("create", "configmap", "-n", NS, "cm-upd", "--from-literal=data=upd-1")
        show = "; ".join(f"cat {f} 2>/dev/null || echo missing; echo" for f in FILES)
        vols = [{"name": "del", "configMap": {"name": "cm-del", "optional": True}},
                {"name": "upd", "configMap": {"name": "cm-upd", "optional": True}},
                {"name": "new", "configMap": {"name": "cm-new", "optional": True}},
                {"name": "sec", "secret": {"secretName": "s-new", "optional": True}}]
        kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "watcher"},
            "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "volumes": vols,
                     "containers": [{"name": "c", "image": "busybox",
                                     "command": ["sh", "-c", f"while true; do {show}; echo ---; sleep 0.5; done"],
                                     "volumeMounts": [{"name": v["name"], "mountPath": "/" + v["name"]} for v in vols]}]}}))
        wait_for("the first view", lambda: seen(node) == ["del-1", "upd-1", "missing", "missing"], 30)
        kubectl("delete", "configmap", "-n", NS, "cm-del")
        kubectl("patch", "configmap", "-n", NS, "cm-upd", "-p", '{"data":{"data":"upd-2"}}')
        kubectl("create", "configmap", "-n", NS, "cm-new", "--from-literal=data=new-1")
        kubectl("create", "secret", "generic", "-n", NS, "s-new", "--from-literal=data=sec-1")
        wait_for("the changes in the volumes", lambda: seen(node) == ["missing", "upd-2", "new-1", "sec-1"], 20)
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
