#!/usr/bin/python3
"""A Deployment of the tutorial image sysnet4admin/echo-hname on a real
node: each pod answers HTTP on its own pod IP, port 80, with its own name
(the pod's UTS namespace hostname). Then kill -9 of the agent: its
containers outlive it, and the restarted agent (same data dir) kills them
through their pid files and starts the pods again, which answer again; a
SIGTERM of the agent leaves no container process. Two pods both binding
0.0.0.0:8080 answer each on its own IP (a network namespace per pod),
and kubectl top shows their real usage.
Bounded: about 40 s."""
import json, os, sys, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, alive, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-701"
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # pod IPs are on loopback: no proxy

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo"},
          "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "echo"}},
                   "template": {"metadata": {"labels": {"app": "echo"}},
                                "spec": {"nodeSelector": {"kubernetes.io/hostname": NODE},
                                         "containers": [{"name": "echo-hname", "image": "sysnet4admin/echo-hname"}]}}}}


def answers():
    """{pod name: what its IP answers}, once all 3 pods run."""
    pods = json.loads(kubectl("get", "pods", "-n", NS, "-l", "app=echo", "-o", "json"))["items"]
    running = [p for p in pods if p["status"].get("phase") == "Running" and "deletionTimestamp" not in p["metadata"]]
    if len(running) != 3:
        return None
    got = {}
    for p in running:
        with DIRECT.open(f"http://{p['status']['podIP']}/", timeout=2) as r:
            got[p["metadata"]["name"]] = r.read().decode().strip()
    return got


def main():
    kubectl("create", "namespace", NS)
    try:
        node = RealNode(NODE, pod_net())
        with node:
            kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(DEPLOY))
            got = wait_for("3 pods answering", answers, 30)
            assert all(name == body for name, body in got.items()), got
            ips = {p["status"]["podIP"] for p in json.loads(kubectl("get", "pods", "-n", NS, "-o", "json"))["items"]}
            assert len(ips) == 3 and all(ip.startswith(f"127.{node.net}.") for ip in ips), ips
            old = node.pids()
            assert len(old) == 3, old
            node.kill9()
            assert all(alive(p) for p in old), "containers outlive a killed agent"
            node.start()
            wait_for("the old containers killed", lambda: not any(alive(p) for p in old), 10)
            got = wait_for("3 pods answering again", lambda: (lambda a: a if a and set(node.pids()).isdisjoint(old) else None)(answers()), 30)
            assert all(name == body for name, body in got.items()), got
            kubectl("delete", "deployment", "-n", NS, "echo")
            # two pods binding 0.0.0.0:8080 on one node: each in its own network namespace
            for name in ("web-a", "web-b"):
                doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"nodeName": NODE, "containers": [{"name": "httpd", "image": "busybox",
                                "command": ["sh", "-c", f"mkdir -p /tmp/{NS}-{name} && echo {name} > /tmp/{NS}-{name}/index.html && exec httpd -f -p 0.0.0.0:8080 -h /tmp/{NS}-{name}"]}]}}
                kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))
            def both():
                out = {}
                for name in ("web-a", "web-b"):
                    ip = json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))["status"]["podIP"]
                    with DIRECT.open(f"http://{ip}:8080/", timeout=2) as r:
                        out[name] = r.read().decode().strip()
                return out
            got = wait_for("both answer on :8080", both, 20)
            assert got == {"web-a": "web-a", "web-b": "web-b"}, got
            # agnhost (built by ../shared/conformance/build.sh, when it is there): netexec twice on :8080
            if os.path.exists("/tmp/k8s-e2e/bin/agnhost"):
                for name in ("ag-a", "ag-b"):
                    kubectl("run", "-n", NS, name, "--image=k8s.gcr.io/e2e-test-images/agnhost:2.21",
                            f'--overrides={{"spec":{{"nodeName":"{NODE}"}}}}', "--", "netexec", "--http-port=8080")
                def hostnames():
                    out = {}
                    for name in ("ag-a", "ag-b"):
                        ip = json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))["status"]["podIP"]
                        with DIRECT.open(f"http://{ip}:8080/hostname", timeout=2) as r:
                            out[name] = r.read().decode()
                    return out
                assert wait_for("agnhost netexec answers", hostnames, 20) == {"ag-a": "ag-a", "ag-b": "ag-b"}
            else:
                print("agnhost not built: its part skipped")
            # real usage reaches kubectl top (two 5 s samples make a window)
            wait_for("kubectl top", lambda: "web-a" in kubectl("top", "pod", "-n", NS, check=False), 25)
            assert NODE in kubectl("top", "node", NODE)
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
