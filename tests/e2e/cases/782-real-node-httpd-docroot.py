#!/usr/bin/python3
"""The httpd image's document root on a real node (conformance: the
StatefulSet tests that break readiness with `mv
/usr/local/apache2/htdocs/index.html /tmp/`): two httpd replicas with
the suite's readiness probe (GET /index.html every second); the page is
the image's ("It works!") from /usr/local/apache2/htdocs/index.html; moving
it away inside ss-0 (kubectl exec) makes ss-0 alone unready and answers
404 while ss-1 stays ready and serving; moving it back from ss-0's own /tmp
makes it ready again; the host's /usr/local and /tmp are untouched.
Bounded: about 60 s."""
import json, os, subprocess, sys, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-782"


def get_pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def ready(name):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in get_pod(name)["status"].get("conditions", []))


def status(name):
    try:
        with urllib.request.urlopen(f"http://{get_pod(name)['status']['podIP']}/index.html", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def main():
    kubectl("create", "namespace", NS)
    assert not os.path.exists("/usr/local/apache2")
    # joined by token: exec goes through the node's call-home tunnel
    join = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "token", "create", "--data-dir", os.environ["DATA"],
                           "--print-join-command"], capture_output=True, text=True, check=True).stdout.split()
    with RealNode(NODE, pod_net(0), join=join[1:]):
        kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ss"},
            "spec": {"serviceName": "ss", "replicas": 2, "podManagementPolicy": "Parallel",
                     "selector": {"matchLabels": {"app": "ss"}},
                     "template": {"metadata": {"labels": {"app": "ss"}},
                                  "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                                      {"name": "webserver", "image": "docker.io/library/httpd:2.4.38-alpine",
                                       "readinessProbe": {"httpGet": {"path": "/index.html", "port": 80},
                                                          "periodSeconds": 1, "successThreshold": 1,
                                                          "failureThreshold": 1}}]}}}}))
        for name in ("ss-0", "ss-1"):
            wait_for(f"{name} ready", lambda: ready(name), 40)
        assert status("ss-0") == (200, "<html><body><h1>It works!</h1></body></html>\n"), status("ss-0")
        out = kubectl("exec", "-n", NS, "ss-0", "--", "/bin/sh", "-c",
                      "mv -v /usr/local/apache2/htdocs/index.html /tmp/ || true")
        assert "index.html" in out, out
        wait_for("ss-0 unready", lambda: not ready("ss-0"), 20)
        assert status("ss-0")[0] == 404, status("ss-0")
        assert ready("ss-1") and status("ss-1")[0] == 200
        assert not os.path.exists("/usr/local/apache2") and not os.path.exists("/tmp/index.html")
        kubectl("exec", "-n", NS, "ss-0", "--", "/bin/sh", "-c", "mv -v /tmp/index.html /usr/local/apache2/htdocs/ || true")
        wait_for("ss-0 ready again", lambda: ready("ss-0"), 20)
        assert status("ss-0")[0] == 200
        kubectl("delete", "statefulset", "-n", NS, "ss")
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
