#!/usr/bin/python3
"""The README's flow on a server of its own: `ckube-server` with its
default local node (no --no-local-node; its own data dir and port), then,
with each kubectl of $KUBECTLS, `kubectl create deployment web
--image=nginx`, `kubectl expose deployment web --port=80 --type=NodePort`,
and `curl 127.0.0.1:NODEPORT` answers with nginx's page through the local
node's service proxy. SIGTERM of the server stops its node.
Bounded: about 40 s."""
import json, os, signal, subprocess, sys, tempfile, shutil, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import pod_net, wait_for  # noqa: E402
from server import free_port  # noqa: E402

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def main():
    work = tempfile.mkdtemp(prefix="ckube-711-")
    data = os.path.join(work, "data")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "w")
    # the README's defaults, except what must differ from clusters running beside it on this machine
    # (the worker's own Service range, LoadBalancer pool and pod network block, a free DNS port)
    server = subprocess.Popen([os.environ["CKUBE_SERVER_BIN"], "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                               "--service-cluster-ip-range", os.environ.get("SERVICE_CIDR", "127.1.0.0/16"),
                               "--loadbalancer-pool", os.environ.get("LB_POOL", "127.255.0.0/16"),
                               "--local-node-pod-cidr", f"127.{pod_net(4)}.0.0/16",
                               "--dns-listen", f"127.0.0.1:{free_port()}"],
                              stdout=log, stderr=subprocess.STDOUT)
    kubeconfig = os.path.join(data, "admin.kubeconfig")
    ok = False
    try:
        kubectls = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or [shutil.which("kubectl")]

        def kubectl(k, *args):
            p = subprocess.run([k, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, f"kubectl {' '.join(args)}: {p.stderr}"
            return p.stdout

        wait_for("the server's admin.kubeconfig", lambda: os.path.exists(kubeconfig), 20)
        node = wait_for("the local node Ready", lambda: [n["metadata"]["name"] for n in json.loads(
            kubectl(kubectls[0], "get", "nodes", "-o", "json"))["items"] if any(
            c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])], 30)[0]
        for i, k in enumerate(kubectls):
            ns = f"readme-{i}"
            kubectl(k, "create", "namespace", ns)
            assert kubectl(k, "-n", ns, "create", "deployment", "web", "--image=nginx").strip() == \
                "deployment.apps/web created"
            assert kubectl(k, "-n", ns, "expose", "deployment", "web", "--port=80", "--type=NodePort").strip() == \
                "service/web exposed"
            np = json.loads(kubectl(k, "-n", ns, "get", "service", "web", "-o", "json"))["spec"]["ports"][0]["nodePort"]

            def page():
                with DIRECT.open(f"http://127.0.0.1:{np}/", timeout=3) as r:
                    return r.read().decode()
            body = wait_for(f"curl 127.0.0.1:{np}", page, 40)
            assert "Welcome to nginx" in body, body[:200]
            kubectl(k, "delete", "namespace", ns, "--wait=false")
        print(f"ok (node {node})")
        ok = True
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        if not ok:
            print(open(os.path.join(work, "server.log"), errors="replace").read()[-3000:])
            node_log = os.path.join(data, "node", "ckube-node.log")
            if os.path.exists(node_log):
                print(open(node_log, errors="replace").read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)


main()
