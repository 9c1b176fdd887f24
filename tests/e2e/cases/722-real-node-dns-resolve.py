#!/usr/bin/python3
"""Names resolved inside a pod on a real node through the cluster DNS: glibc's
resolver (getent, the pod's resolv.conf with its search path and ndots:5)
asks kube-dns's ClusterIP, which the node's service proxy forwards to the
server's DNS listener. Short names (`hello`), names with the namespace
(`hello.<ns>`), a StatefulSet-like hostname behind a headless Service
(`db-0.db`) and an unknown name (no answer) are checked.
It needs the ClusterIP range on loopback and the agent's service proxy
(node/service_proxy*.c): while kube-dns's ClusterIP is not a 127.x address
the case prints why it skips and passes, since no test may send a packet
to a 10.x address. Bounded: about 30 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-722"


def apply(doc):
    kubectl("apply", "-f", "-", input=json.dumps(doc))


def main():
    dns_ip = kubectl("get", "svc", "-n", "kube-system", "kube-dns", "-o", "jsonpath={.spec.clusterIP}")
    if not dns_ip.startswith("127."):
        print(f"skip: kube-dns's ClusterIP {dns_ip} is not on loopback (no service proxy on this build)")
        return
    kubectl("create", "namespace", NS)
    try:
        with RealNode(NODE, pod_net()) as node:
            apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hello", "namespace": NS},
                   "spec": {"ports": [{"port": 80}]}})
            apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": NS},
                   "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}})
            apply({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": {"name": "db-1", "namespace": NS, "labels": {"kubernetes.io/service-name": "db"}},
                   "addressType": "IPv4", "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
                   "endpoints": [{"addresses": ["127.0.77.5"], "hostname": "db-0"}]})
            hello = kubectl("get", "svc", "-n", NS, "hello", "-o", "jsonpath={.spec.clusterIP}")
            script = ("for n in hello hello.$NS db-0.db nope; do getent hosts $n | awk '{print $1}' | grep . || echo none; done; "
                      "sleep 3600")
            apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "asker", "namespace": NS},
                   "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                       {"name": "c", "image": "busybox", "command": ["sh", "-c", script], "env": [{"name": "NS", "value": NS}]}]}})
            p = wait_for("asker running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(
                json.loads(kubectl("get", "pod", "-n", NS, "asker", "-o", "json"))), 20)
            path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
            read = lambda: "".join(l.split(" ", 3)[3] for l in open(path)) if os.path.exists(path) else ""
            want = f"{hello}\n{hello}\n127.0.77.5\nnone\n"
            got = wait_for("four answers", lambda: (lambda t: t if t.count("\n") >= 4 else None)(read()), 20)
            assert got == want, f"in-pod resolution:\n{got}\nwant\n{want}"
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
