#!/usr/bin/python3
"""Pod to pod across real nodes on one machine (conformance: Networking
Granular Checks: Pods should function for intra-pod communication): two
agents, each with its bridge ckbrN; a pod on the second node fetches a
pod's page on the first node and on its own node by their pod IPs (the
bridges forward what their pods send to the other node's range; the
host's own interfaces are left as they are). A preStop httpGet hook of a
pod on the second node reaches a listener pod on the first when the pod
is deleted (conformance: Container Lifecycle Hook should execute prestop
http hook properly). Bounded: about 50 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]


def pod(name, node, command):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1,
                 "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", command]}]}}))


def ip(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))["status"].get("podIP")


def log(node, name):
    """The container's stdout (its stderr may hold a first "No route to host" while the bridge comes up)."""
    p = json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))
    path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
    lines = [line.split(" ", 3) for line in open(path)] if os.path.exists(path) else []
    return "".join(f[3] for f in lines if len(f) == 4 and f[1] == "stdout")


def main():
    kubectl("create", "namespace", NS)
    with RealNode("real-773a", pod_net(0)) as a, RealNode("real-773b", pod_net(1)) as b:
        serve = "mkdir /w && echo from-$(hostname) > /w/index.html && exec httpd -f -p 8080 -h /w"
        pod("web-a", "real-773a", serve)
        pod("web-b", "real-773b", serve)
        ips = wait_for("pod IPs", lambda: (ip("web-a"), ip("web-b")) if ip("web-a") and ip("web-b") else None, 30)
        get = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc {} 8080 | grep from-"
        fetch = "; ".join(f"until {get.format(a)}; do sleep 0.5; done" for a in ips) + "; sleep 3600"
        pod("client", "real-773b", fetch)
        wait_for("the client reached both pods", lambda: log(b, "client") == "from-web-a\nfrom-web-b\n", 30)
        # preStop httpGet: the GET is made from the node into the pod's network, to another node's pod
        pod("handler", "real-773a", "exec nc -l -p 8090")
        handler = wait_for("handler IP", lambda: ip("handler"), 30)
        kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hooked"},
            "spec": {"nodeName": "real-773b", "terminationGracePeriodSeconds": 5, "containers": [
                {"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                 "lifecycle": {"preStop": {"httpGet": {"host": handler, "port": 8090, "path": "/echo?msg=prestop"}}}}]}}))
        wait_for("hooked running", lambda: json.loads(kubectl("get", "pod", "-n", NS, "hooked", "-o", "json"))
                 ["status"].get("phase") == "Running", 30)
        kubectl("delete", "pod", "-n", NS, "hooked", "--wait=false")
        wait_for("the preStop GET reached the handler", lambda: "GET /echo?msg=prestop HTTP/1.1" in log(a, "handler"), 20)
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
