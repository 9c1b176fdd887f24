#!/usr/bin/python3
"""Probes on a real node.
(a) readinessProbe httpGet: a busybox httpd pod behind a Service stays
NotReady (404, "Readiness probe failed: HTTP probe failed with statuscode:
404" event) until its page exists; then Ready and its IP is an endpoint;
when the page goes away it is NotReady again and leaves the ready addresses.
(b) livenessProbe exec: the file it checks disappears; the container is
killed ("Container c failed liveness probe, will be restarted") and
restarted (restartCount 1).
(c) startupProbe exec: started false and not Ready until it passes, and
the tcpSocket readinessProbe only counts after it.
Bounded: about 40 s."""
import json, os, shutil, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-702"


def apply(doc):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def ready(name):
    p = pod(name)
    return [c["status"] for c in p["status"].get("conditions", []) if c["type"] == "Ready"] == ["True"]


def endpoints():
    ep = json.loads(kubectl("get", "endpoints", "-n", NS, "web", "-o", "json"))
    ready_ips = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses", [])]
    not_ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses", [])]
    return ready_ips, not_ready


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-702-")
    try:
        with RealNode(NODE, pod_net()):
            # (a) readiness drives Ready and the endpoints
            www = os.path.join(tmp, "www")
            os.makedirs(www)
            apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
            apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
                   "spec": {"nodeName": NODE, "containers": [{
                       "name": "c", "image": "busybox", "command": ["httpd", "-f", "-p", "8080", "-h", www],
                       "ports": [{"name": "http", "containerPort": 8080}],
                       "readinessProbe": {"httpGet": {"path": "/ready.html", "port": "http"}, "periodSeconds": 1,
                                          "failureThreshold": 1}}]}})
            ip = wait_for("web running", lambda: pod("web")["status"].get("podIP") if pod("web")["status"].get("phase") == "Running" else None, 20)
            wait_for("a 404 event", lambda: "Readiness probe failed: HTTP probe failed with statuscode: 404" in
                     kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=web"), 10)
            assert not ready("web")
            wait_for("web not ready in the endpoints", lambda: endpoints() == ([], [ip]), 10)
            open(os.path.join(www, "ready.html"), "w").write("ok\n")
            wait_for("web Ready", lambda: ready("web"), 10)
            wait_for("web ready in the endpoints", lambda: endpoints() == ([ip], []), 10)
            os.remove(os.path.join(www, "ready.html"))
            wait_for("web NotReady again", lambda: not ready("web"), 10)
            wait_for("web leaves the ready addresses", lambda: endpoints() == ([], [ip]), 10)

            # (b) liveness failure restarts the container
            healthy = os.path.join(tmp, "healthy")
            apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "live"},
                   "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 2, "containers": [{
                       "name": "c", "image": "busybox",
                       "command": ["sh", "-c", f"touch {healthy}; sleep 2; rm -f {healthy}; sleep 600"],
                       "livenessProbe": {"exec": {"command": ["cat", healthy]}, "periodSeconds": 1, "failureThreshold": 1}}]}})
            c = wait_for("live restarted", lambda: (lambda c: c if c["restartCount"] >= 1 else None)(pod("live")["status"]["containerStatuses"][0]), 25)
            assert c["lastState"]["terminated"]["exitCode"] in (137, 143), c
            ev = kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=live")
            assert "Container c failed liveness probe, will be restarted" in ev and "Liveness probe failed: cat:" in ev, ev

            # (c) startup probe gates started and readiness
            flag = os.path.join(tmp, "started")
            apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "slow"},
                   "spec": {"nodeName": NODE, "containers": [{
                       "name": "c", "image": "busybox", "command": ["nc", "-ll", "-p", "9090", "-e", "echo"],
                       "startupProbe": {"exec": {"command": ["test", "-f", flag]}, "periodSeconds": 1, "failureThreshold": 60},
                       "readinessProbe": {"tcpSocket": {"port": 9090}, "periodSeconds": 1}}]}})
            wait_for("slow running", lambda: pod("slow")["status"].get("phase") == "Running", 20)
            cs = pod("slow")["status"]["containerStatuses"][0]
            assert cs["started"] is False and cs["ready"] is False, cs
            open(flag, "w").close()
            wait_for("slow started and ready", lambda: (lambda c: c["started"] and c["ready"])(pod("slow")["status"]["containerStatuses"][0]), 15)
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()
