#!/usr/bin/python3
"""Services answer traffic through the agents' service proxy, every address
on loopback: three real agents, a Deployment of sysnet4admin/echo-hname
exposed as ClusterIP, NodePort and LoadBalancer (built-in pool). From the
host, the ClusterIP, the NodePort on 127.0.0.1 and on each node's own
127.N.0.1, and the LoadBalancer ingress IP answer with different pod names
across requests; from inside a pod (busybox wget of the ClusterIP, read back
with kubectl logs through the node's tunnel) too; scaling to 1 and back to 4
changes who answers; sessionAffinity ClientIP sticks to one pod. A UDP
Service without selector, whose Endpoints point at a UDP echo on
127.0.0.1 (as the cluster DNS's are), answers through its ClusterIP from
the host and from a pod; an established TCP connection survives an
endpoint change; a NodePort whose port another process held on 127.0.0.1
answers there once that process lets go.
Runs once with each kubectl of $KUBECTLS (same agents, a namespace each).
Bounded: about 60 s."""
import json, os, random, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]  # the scenario's namespace: $NS-<round>
NODES = [("real-710a", pod_net(0)), ("real-710b", pod_net(1)), ("real-710c", pod_net(2))]
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo"},
          "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "echo"}},
                   "template": {"metadata": {"labels": {"app": "echo"}},
                                "spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/hostname",
                                                                                 "operator": "In",
                                                                                 "values": [n for n, _ in NODES]}]}]}}},
                                         "containers": [{"name": "echo-hname", "image": "sysnet4admin/echo-hname"}]}}}}


def get(url):
    with DIRECT.open(url, timeout=3) as r:
        return r.read().decode().strip()


def names(url, n=12):
    return [get(url) for _ in range(n)]


def svc(name):
    return json.loads(kubectl("get", "service", "-n", NS, name, "-o", "json"))


def ready_endpoints(name):
    ep = json.loads(kubectl("get", "endpoints", "-n", NS, name, "-o", "json"))
    return sum(len(s.get("addresses", [])) for s in ep.get("subsets") or [])


def spread(url, want):
    """At least `want` different pod names across requests to url."""
    got = set(names(url))
    return got if len(got) >= want else None


def udp_echo():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    def serve():
        while True:
            data, peer = s.recvfrom(2048)
            if data == b"stop":
                return
            s.sendto(b"echo:" + data, peer)
    threading.Thread(target=serve, daemon=True).start()
    return s


def udp_ask(ip, port, msg):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(1)
    try:
        c.sendto(msg, (ip, port))
        return c.recvfrom(2048)[0]
    finally:
        c.close()


def busy_node_port(taken):
    """A socket bound (without SO_REUSEPORT) to a free port of the NodePort range on 127.0.0.1."""
    for _ in range(100):
        port = random.randrange(30000, 32768)
        if port in taken:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return s, port
        except OSError:
            s.close()
    raise RuntimeError("no free port in 30000-32767")


def scenario():
    kubectl("create", "namespace", NS)
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(DEPLOY))
    kubectl("expose", "deployment", "echo", "-n", NS, "--port=80", "--name=echo")
    kubectl("expose", "deployment", "echo", "-n", NS, "--port=80", "--type=NodePort", "--name=echo-np")
    kubectl("expose", "deployment", "echo", "-n", NS, "--port=8080", "--target-port=80", "--type=LoadBalancer",
            "--name=echo-lb")
    wait_for("4 ready endpoints", lambda: ready_endpoints("echo") == 4, 40)
    cip = svc("echo")["spec"]["clusterIP"]
    assert cip.startswith("127.1."), cip
    got = wait_for("the ClusterIP answers from several pods", lambda: spread(f"http://{cip}/", 2), 20)
    assert all(n.startswith("echo-") for n in got), got
    np = svc("echo-np")["spec"]["ports"][0]["nodePort"]
    wait_for("the NodePort on 127.0.0.1", lambda: spread(f"http://127.0.0.1:{np}/", 2), 20)
    for _, net in NODES:
        wait_for(f"the NodePort on 127.{net}.0.1", lambda: spread(f"http://127.{net}.0.1:{np}/", 2), 20)
    lb = wait_for("a LoadBalancer address from the built-in pool",
                  lambda: svc("echo-lb")["status"]["loadBalancer"].get("ingress", [{}])[0].get("ip"), 20)
    assert lb.startswith("127.255."), lb
    wait_for("the LoadBalancer answers", lambda: spread(f"http://{lb}:8080/", 2), 20)
    # from inside a pod: busybox wgets the ClusterIP
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
           "spec": {"nodeName": NODES[0][0], "restartPolicy": "Never",
                    "containers": [{"name": "wget", "image": "busybox", "command": [
                        "sh", "-c", f"for i in 1 2 3 4 5 6 7 8; do timeout 5 wget -q -O - http://{cip}/; done"]}]}}
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(pod))
    wait_for("the client pod done", lambda: json.loads(kubectl("get", "pod", "-n", NS, "client", "-o", "json"))
             ["status"].get("phase") in ("Succeeded", "Failed"), 40)
    lines = [l for l in wait_for("its logs", lambda: kubectl("logs", "-n", NS, "client"), 20).split("\n") if l]
    assert len(lines) == 8 and all(l.startswith("echo-") for l in lines) and len(set(lines)) >= 2, lines
    # scale: the endpoints follow, and so do the answers
    kubectl("scale", "deployment", "echo", "-n", NS, "--replicas=1")
    wait_for("1 ready endpoint", lambda: ready_endpoints("echo") == 1, 40)
    one = wait_for("one pod answers", lambda: (lambda s: s if len(s) == 1 else None)(set(names(f"http://{cip}/"))), 20)
    kubectl("scale", "deployment", "echo", "-n", NS, "--replicas=4")
    wait_for("4 ready endpoints again", lambda: ready_endpoints("echo") == 4, 40)
    wait_for("new pods answer", lambda: spread(f"http://{cip}/", 3), 20)
    # sessionAffinity ClientIP: one pod for the host's requests
    kubectl("patch", "service", "echo", "-n", NS, "-p",
            '{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}}}}')
    time.sleep(1)
    sticky = wait_for("sticky answers", lambda: (lambda s: s if len(s) == 1 else None)(set(names(f"http://{cip}/", 16))), 20)
    kubectl("patch", "service", "echo", "-n", NS, "-p", '{"spec":{"sessionAffinity":"None"}}')
    wait_for("round-robin again", lambda: spread(f"http://{cip}/", 2), 20)
    # UDP to an endpoint outside the cluster's pods (127.0.0.1, as the cluster DNS)
    echo = udp_echo()
    port = echo.getsockname()[1]
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "udp"},
             "spec": {"ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}},
            {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "udp"},
             "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "dns", "port": port, "protocol": "UDP"}]}]}]}))
    uip = svc("udp")["spec"]["clusterIP"]
    assert wait_for("UDP through the ClusterIP", lambda: udp_ask(uip, 53, b"hello"), 20) == b"echo:hello"
    # and from inside a pod (the path a pod's DNS query to kube-dns takes)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "udp-client"},
           "spec": {"nodeName": NODES[0][0], "restartPolicy": "Never",
                    "containers": [{"name": "udp", "image": "busybox", "command": [  # Debian's busybox nc has no -u
                        "/usr/bin/python3", "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                        f"s.settimeout(3); s.sendto(b'from-pod', ('{uip}', 53)); print(s.recv(100).decode())"]}]}}
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(pod))
    wait_for("the UDP client pod done", lambda: json.loads(kubectl("get", "pod", "-n", NS, "udp-client", "-o", "json"))
             ["status"].get("phase") in ("Succeeded", "Failed"), 40)
    out = wait_for("its logs", lambda: kubectl("logs", "-n", NS, "udp-client"), 20)
    assert "echo:from-pod" in out, out
    echo.sendto(b"stop", echo.getsockname())
    # an established TCP connection survives endpoint changes
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    tport = srv.getsockname()[1]
    def echo_tcp():
        conn, _ = srv.accept()
        while True:
            data = conn.recv(1024)
            if not data:
                return conn.close()
            conn.sendall(b"tcp:" + data)
    threading.Thread(target=echo_tcp, daemon=True).start()
    def endpoints(ips):
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "tcp"}, "spec": {"ports": [{"port": 7000}]}},
            {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "tcp"},
             "subsets": [{"addresses": [{"ip": ip} for ip in ips], "ports": [{"port": tport}]}]}]})
    kubectl("apply", "-n", NS, "-f", "-", input=endpoints(["127.0.0.1"]))
    tip = svc("tcp")["spec"]["clusterIP"]
    def connected():
        c = socket.create_connection((tip, 7000), timeout=2)
        c.sendall(b"one")
        if c.recv(100) == b"tcp:one":
            return c
        c.close()
    c = wait_for("TCP through the ClusterIP", connected, 20)
    kubectl("apply", "-n", NS, "-f", "-", input=endpoints(["127.0.0.1", f"127.{NODES[1][1]}.0.1"]))
    kubectl("delete", "service", "-n", NS, "udp")
    time.sleep(1)
    c.sendall(b"two")
    assert c.recv(100) == b"tcp:two"
    c.close()
    # a NodePort another process holds on 127.0.0.1 answers once that process lets go
    held, hp = busy_node_port({np, svc("echo-lb")["spec"]["ports"][0]["nodePort"]})
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "held"},
         "spec": {"type": "NodePort", "selector": {"app": "echo"}, "ports": [{"port": 80, "nodePort": hp}]}}))
    wait_for(f"the held NodePort {hp} on 127.{NODES[0][1]}.0.1", lambda: spread(f"http://127.{NODES[0][1]}.0.1:{hp}/", 2), 20)
    held.close()
    wait_for(f"the NodePort {hp} on 127.0.0.1 once free", lambda: spread(f"http://127.0.0.1:{hp}/", 2), 10)
    print(f"ok ({sorted(got)}, one={sorted(one)}, sticky={sorted(sticky)})")
    kubectl("delete", "namespace", NS, "--wait=false")


def main():
    global NS
    base, path = NS, os.environ["PATH"]
    agents = [RealNode(n, net) for n, net in NODES]
    tunnel = None
    try:
        for a in agents:
            a.start()
        # the first node's call-home tunnel, for kubectl logs (a joined node starts it itself)
        tunnel = subprocess.Popen([os.environ["CKUBE_NODE_BIN"], "tunnel", "--kubeconfig", os.environ["KUBECONFIG"],
                                   "--name", NODES[0][0], "--data-dir", agents[0].data()],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kubectls = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or [shutil.which("kubectl")]
        for i, k in enumerate(kubectls):
            bindir = tempfile.mkdtemp(prefix="ckube-710-")
            os.symlink(k, os.path.join(bindir, "kubectl"))
            os.environ["PATH"] = bindir + os.pathsep + path
            NS = f"{base}-{i}"
            scenario()
            shutil.rmtree(bindir)
    finally:
        if tunnel:
            tunnel.kill()
            tunnel.wait()
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        exc = sys.exc_info()
        for a in agents:
            a.__exit__(*exc)


main()
