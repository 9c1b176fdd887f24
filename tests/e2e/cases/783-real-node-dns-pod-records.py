#!/usr/bin/python3
"""Pod A records from inside pods on a real node (conformance: DNS should
provide DNS for the cluster / for services / for pods for Hostname and
Subdomain / partial qualified names): the suite's probe takes the pod's
own address from `hostname -i`, dashes it into
<a-b-c-d>.<ns>.pod.cluster.local and asks dig over UDP with the search
path, over UDP and TCP. The suite's pods all set spec.hostname and
subdomain: `hostname -i` then finds the address only if the pod's UTS
hostname is spec.hostname (what its /etc/hosts line names), as kubelet
sets it, not the pod's name.
Bounded: about 40 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-783"


def apply(doc):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))


def main():
    kubectl("create", "namespace", NS)
    try:
        with RealNode(NODE, pod_net()) as node:
            probe = ("echo ip=$(hostname -i); "
                     "podARec=$(hostname -i| awk -F. '{print $1\"-\"$2\"-\"$3\"-\"$4\".%s.pod.cluster.local\"}'); "
                     "echo rec=$podARec; "
                     "check=\"$(dig +notcp +noall +answer +search ${podARec} A)\" && test -n \"$check\" && echo UDP-OK; "
                     "check=\"$(dig +tcp +noall +answer +search ${podARec} A)\" && test -n \"$check\" && echo TCP-OK; "
                     "cat /etc/hosts /etc/resolv.conf; sleep 3600") % NS
            for name, extra in (("plain", {}), ("named", {"hostname": "dns-querier-2", "subdomain": "dns-test-service-2"})):
                apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, **extra, "containers": [
                           {"name": "c", "image": "k8s.gcr.io/e2e-test-images/agnhost:2.21", "command": ["sh", "-c", probe]}]}})
            for name in ("plain", "named"):
                p = wait_for(f"{name} running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(
                    json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))), 30)
                path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
                read = lambda: "".join(l.split(" ", 3)[3] for l in open(path)) if os.path.exists(path) else ""
                try:
                    got = wait_for(f"{name}'s probe", lambda: (lambda t: t if "nameserver" in t else None)(read()), 30)
                except AssertionError:
                    print(json.dumps(json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))["status"], indent=1))
                    print(kubectl("get", "events", "-n", NS))
                    raise
                assert f"ip={p['status']['podIP']}\n" in got, got
                assert "UDP-OK" in got and "TCP-OK" in got, got
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
