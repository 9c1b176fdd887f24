#!/usr/bin/python3
"""A node agent follows the cluster when its API server dies: two
ckube-servers on one etcd cluster (b joined with a's certificate key), a
simulated node whose kubeconfig names both (server:
"https://127.0.0.1:A,https://127.0.0.1:B"), connected to a first.

a is killed (-9). Through b: the node's Lease keeps being renewed (its
renewTime passes the kill within a few seconds), the node stays Ready for
longer than --node-monitor-grace-period (8 s) past the kill and past b's
taking the controller Lease, and a pod bound to the node after the kill is
run by the agent (Running), i.e. its watch moved to b as well.
Also: join-control-plane with a wrong certificate key, or into a data
directory that has a CA, fails and writes nothing.
Bounded: about 40 s plus server starts."""
import datetime, os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from etcd_servers import cli, join_material, lease_holder, main_on_etcd, start_servers, wait  # noqa: E402

NODE = "f832-0"


def parse_time(s):
    return datetime.datetime.strptime(s.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def refused_joins(base):
    """join-control-plane with a wrong certificate key, or into a data
    directory that has a CA already, fails and writes nothing."""
    url, token, pin, key = join_material(os.path.join(base, "a"))
    wrong = ("0" if key[0] != "0" else "1") + key[1:]
    data = os.path.join(base, "refused")
    out = cli("join-control-plane", url, "--token", token, "--discovery-token-ca-cert-hash", pin,
              "--certificate-key", wrong, "--data-dir", data, check=False)
    assert out.returncode == 1 and "cannot decrypt" in out.stderr, (out.returncode, out.stderr)
    assert not os.listdir(os.path.join(data, "pki")), os.listdir(os.path.join(data, "pki"))
    out = cli("join-control-plane", url, "--token", token, "--discovery-token-ca-cert-hash", pin,
              "--certificate-key", key, "--data-dir", os.path.join(base, "b"), check=False)
    assert out.returncode == 1 and "already belongs to a cluster" in out.stderr, (out.returncode, out.stderr)


def run(base, edir, flags, procs):
    servers = start_servers(base, ("a", "b"), flags, procs, extra=["--node-monitor-grace-period", "8"])
    a, b = servers["a"][0], servers["b"][0]
    text = open(os.path.join(base, "a", "admin.kubeconfig")).read()
    one = f"server: https://127.0.0.1:{servers['a'][2]}"
    assert one in text, text[:300]
    kubeconfig = os.path.join(base, "node.kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(text.replace(one, f"server: https://127.0.0.1:{servers['a'][2]},https://127.0.0.1:{servers['b'][2]}"))
    log = open(os.path.join(base, "node.log"), "w")
    procs.append(subprocess.Popen([os.environ["CKUBE_NODE_BIN"], "--simulate", "1", "--kubeconfig", kubeconfig,
                                   "--name-prefix", "f832", "--heartbeat-seconds", "1"], stdout=log, stderr=log))

    def ready(c):
        st, n = c.call("GET", f"/api/v1/nodes/{NODE}")
        conds = {x["type"]: x["status"] for x in n.get("status", {}).get("conditions", [])} if st == 200 else {}
        return conds.get("Ready") == "True"
    wait("the node Ready", lambda: ready(a), 30)
    refused_joins(base)
    # the agent talks to a: its connections are a's (the first server named)
    conns = subprocess.run(["ss", "-tnp"], capture_output=True, text=True).stdout
    pid = procs[-1].pid
    to_a = [l for l in conns.splitlines() if f"127.0.0.1:{servers['a'][2]} " in l and f"pid={pid}," in l]
    assert to_a, "the agent has no connection to a"

    identities = {n: open(os.path.join(base, n, "leader-identity")).read().strip() for n in ("a", "b")}
    killed = time.time()
    servers["a"][1].send_signal(signal.SIGKILL)

    lease = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + NODE
    wait("the node's Lease renewed after the kill (through b)",
         lambda: parse_time(b.call("GET", lease)[1]["spec"]["renewTime"]) > killed + 1, 15)
    renewed = time.time() - killed
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "after-kill"},
           "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "busybox"}]}}
    st, _ = b.call("POST", "/api/v1/namespaces/default/pods", pod)
    assert st == 201, st
    wait("the pod bound after the kill Running",
         lambda: b.call("GET", "/api/v1/namespaces/default/pods/after-kill")[1].get("status", {}).get("phase") == "Running",
         20)
    running = time.time() - killed
    wait("b to hold the controller Lease", lambda: lease_holder(b, identities) == "b", 20)
    # Ready all along: checked each second until well past the grace period after b took over
    deadline = time.time() + 10
    while time.time() < deadline:
        assert ready(b), f"the node went NotReady {time.time() - killed:.1f} s after a was killed"
        time.sleep(1)
    st, n = b.call("GET", f"/api/v1/nodes/{NODE}")
    beat = max(parse_time(c["lastHeartbeatTime"]) for c in n["status"]["conditions"])
    assert beat > killed, "the node's status was not updated after the kill"
    print(f"node Lease renewed through b {renewed:.1f} s after a's kill, a new pod Running after {running:.1f} s, "
          f"Ready {time.time() - killed:.0f} s past the kill")


main_on_etcd(run)
