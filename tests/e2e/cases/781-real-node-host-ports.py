#!/usr/bin/python3
"""hostPort on a real node (conformance: SchedulerPredicates validates that
there is no conflict between pods with same hostPort but different hostIP
and protocol; StatefulSet Should recreate evicted statefulset): pods with
hostPort 54391 on 127.0.0.1/TCP, on the node's address/TCP and on the
node's address/UDP all run, and each answers through its own host port
(HTTP from the host, a UDP echo); kubelet's admission refuses a pod whose
host port a running pod holds: phase Failed, reason NodePorts, message
"Pod Predicate NodePorts failed", a Warning event; of two pods created
together the first created wins, as kubelet admits in creation order; a
pod that finished frees its port; a
StatefulSet's pod so
refused is recreated until the holder goes, then runs and answers on the
port. Bounded: about 90 s."""
import json, os, socket, sys, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-781"
PORT = 54391  # not the conformance test's 54321: 127.0.0.1 is shared by every cluster on the machine
UDP_ECHO = ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 80))\n"
            "while True:\n    d, a = s.recvfrom(100)\n    s.sendto(d, a)\n")


def apply(doc):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))


def get_pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def running(name):
    return get_pod(name)["status"].get("phase") == "Running"


def web_pod(name, host_ip, port=PORT):
    cmd = f"mkdir /w && echo {name} > /w/index.html && exec httpd -f -p 80 -h /w"
    p = {"containerPort": 80, "hostPort": port}
    if host_ip:
        p["hostIP"] = host_ip
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", cmd], "ports": [p]}]}}


def http(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode().strip()


def udp_echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(b"ping\n", (addr, port))
        return s.recvfrom(100)[0].decode().strip()
    finally:
        s.close()


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net(0)) as node:
        addr = f"127.{node.net}.0.1"
        apply(web_pod("pod1", "127.0.0.1"))
        apply(web_pod("pod2", addr))
        apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod3"},
               "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                   {"name": "c", "image": "python", "command": ["python3", "-c", UDP_ECHO],
                    "ports": [{"containerPort": 80, "hostPort": PORT, "hostIP": addr, "protocol": "UDP"}]}]}})
        for name in ("pod1", "pod2", "pod3"):
            wait_for(f"{name} running", lambda: running(name), 30)
        assert wait_for("pod1 on 127.0.0.1", lambda: http(f"http://127.0.0.1:{PORT}/"), 20) == "pod1"
        assert wait_for("pod2 on the node's address", lambda: http(f"http://{addr}:{PORT}/"), 20) == "pod2"
        assert wait_for("pod3 over UDP", lambda: udp_echo(addr, PORT), 20) == "ping"
        # the node's address/TCP is pod2's: a fourth pod asking for it (no hostIP: every address) is refused
        apply(web_pod("pod4", None))
        wait_for("pod4 refused", lambda: get_pod("pod4")["status"].get("phase") == "Failed", 20)
        st = get_pod("pod4")["status"]
        assert st.get("reason") == "NodePorts" and st.get("message") == "Pod Predicate NodePorts failed", st
        assert "podIP" not in st, st
        wait_for("the NodePorts event", lambda: "Predicate NodePorts failed" in kubectl(
            "get", "events", "-n", NS, "--field-selector", "involvedObject.name=pod4,reason=NodePorts"), 20)
        # kubelet admits in creation order: of two pods created in the same second asking for one port, the first
        # created runs, whatever order the runtime meets them in (the newer one's name sorts first on purpose)
        kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [
            web_pod("z-older", addr, PORT + 1), web_pod("a-newer", addr, PORT + 1)]}))
        wait_for("a-newer refused", lambda: get_pod("a-newer")["status"].get("reason") == "NodePorts", 20)
        wait_for("z-older running", lambda: running("z-older"), 20)
        assert wait_for("z-older on its port", lambda: http(f"http://{addr}:{PORT + 1}/"), 20) == "z-older"
        # a pod that finished no longer holds its port
        done = web_pod("done", addr, PORT + 2)
        done["spec"]["restartPolicy"] = "Never"
        done["spec"]["containers"][0]["command"] = ["true"]
        apply(done)
        wait_for("done Succeeded", lambda: get_pod("done")["status"].get("phase") == "Succeeded", 20)
        apply(web_pod("after", addr, PORT + 2))
        wait_for("after running", lambda: running("after"), 20)
        # a StatefulSet's pod refused the same way is recreated until pod2 goes
        apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ss"},
               "spec": {"serviceName": "ss", "replicas": 1, "selector": {"matchLabels": {"app": "ss"}},
                        "template": {"metadata": {"labels": {"app": "ss"}},
                                     "spec": web_pod("ss", addr)["spec"]}}})
        uids = set()

        def refused_twice():
            p = json.loads(kubectl("get", "pods", "-n", NS, "-l", "app=ss", "-o", "json"))["items"]
            for x in p:
                if x["status"].get("reason") == "NodePorts":
                    uids.add(x["metadata"]["uid"])
            return len(uids) >= 2
        wait_for("ss-0 refused and recreated", refused_twice, 40)
        kubectl("delete", "pod", "-n", NS, "pod2", "--grace-period=0", "--force")
        wait_for("ss-0 running", lambda: running("ss-0") and get_pod("ss-0")["metadata"]["uid"] not in uids, 40)
        assert wait_for("ss-0 on the node's address", lambda: http(f"http://{addr}:{PORT}/"), 20) == "ss"
        kubectl("delete", "statefulset", "-n", NS, "ss")
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
