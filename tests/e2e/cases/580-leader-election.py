#!/usr/bin/python3
"""Leader election: the controllers and the scheduler run only while the
server holds their Leases in kube-system.

(a) On the run's server: Leases kube-controller-manager and kube-scheduler
are held by its identity (hostname_uuid, the uuid from <data>/leader-identity),
leaseDurationSeconds 15, renewTime advancing, a LeaderElection event
"<identity> became leader", and `kubectl get lease -n kube-system` lists them.
(b) A second server on its own data dir, first run with --leader-elect=false
(no Leases written) to seed kube-controller-manager as held by another
identity with a fresh renewTime, then restarted with leader election (lease
10 s, renew deadline 6 s, retry 1 s): a Deployment gets no ReplicaSet while
that lease has not expired, then the server takes over (leaseTransitions + 1,
event) and reconciles.
(c) The lease taken away under the leader: it stops leading ("stopped
leading"), a new Deployment waits, and the controllers start again once the
thief's lease expires.
Bounded: about 45 s."""
import http.client, json, os, re, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import CTX, free_port, start  # noqa: E402

LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token

    def call(self, method, path, body=None, ctype="application/json"):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=CTX, timeout=10)
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Authorization": "Bearer " + self.token, "Content-Type": ctype})
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)

    def get(self, path):
        code, body = self.call("GET", path)
        assert code == 200, (path, code, body)
        return body


def wait_for(what, fn, secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    sys.exit(f"timed out after {secs} s waiting for {what}")


def identity(data):
    uid = open(os.path.join(data, "leader-identity")).read().strip()
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", uid), uid
    return uid


def election_events(cl, lease):
    items = cl.get("/api/v1/namespaces/kube-system/events?fieldSelector=involvedObject.name%3D" + lease)["items"]
    return [e["message"] for e in items if e["reason"] == "LeaderElection" and e["involvedObject"]["kind"] == "Lease"]


def deployment(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def replicasets(cl, app):
    return cl.get(f"/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3D{app}")["items"]


def micro_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def check_running_server():
    data = os.environ["DATA"]
    port = int(os.environ["SERVER"].rsplit(":", 1)[1])
    cl = Client(port, os.environ["TOKEN"])
    uid = identity(data)
    first = {}
    for name in ("kube-controller-manager", "kube-scheduler"):
        spec = cl.get(f"{LEASES}/{name}")["spec"]
        assert spec["holderIdentity"].endswith("_" + uid) and len(spec["holderIdentity"]) > 37, spec
        assert spec["leaseDurationSeconds"] == 15, spec
        assert MICRO.match(spec["acquireTime"]) and MICRO.match(spec["renewTime"]), spec
        first[name] = spec["renewTime"]
        holder = spec["holderIdentity"]
        # events are recorded in the background (as client-go's broadcaster): wait for it
        wait_for(f"{name}'s LeaderElection event", lambda: f"{holder} became leader" in election_events(cl, name), 10)
    # renewed every 2 s
    for name in first:
        wait_for(f"{name} renewed", lambda: cl.get(f"{LEASES}/{name}")["spec"]["renewTime"] > first[name], 6)
    out = subprocess.run(["kubectl", "get", "lease", "-n", "kube-system"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split()[1] for line in out.stdout.splitlines()[1:]}
    assert out.stdout.split()[:2] == ["NAME", "HOLDER"], out.stdout
    assert rows.get("kube-controller-manager") == holder and rows.get("kube-scheduler") == holder, out.stdout


def check_second_server():
    work = tempfile.mkdtemp(prefix="ckube-leader-")
    data = os.path.join(work, "data")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "w")
    srv = start(data, port, ["--leader-elect=false"], log)
    ok = False
    try:
        cl = Client(port, open(os.path.join(data, "pki", "admin.token")).read().strip())
        assert cl.call("GET", f"{LEASES}/kube-scheduler")[0] == 404
        now = micro_now()
        code, body = cl.call("POST", LEASES, {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "kube-controller-manager"},
            "spec": {"holderIdentity": "elsewhere_5f0c3a55-8d3e-4a4b-9a51-2f7f6a1d2c11", "leaseDurationSeconds": 15,
                     "acquireTime": now, "renewTime": now, "leaseTransitions": 4}})
        assert code == 201, (code, body)
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=20)

        args = ["--leader-elect-lease-duration=10s", "--leader-elect-renew-deadline=6s", "--leader-elect-retry-period=1s"]
        t0 = time.time()
        srv = start(data, port, args, log)
        me = wait_for("kube-scheduler lease", lambda: cl.call("GET", f"{LEASES}/kube-scheduler")[1]["spec"]
                      .get("holderIdentity") if cl.call("GET", f"{LEASES}/kube-scheduler")[0] == 200 else None, 10)
        assert me.endswith("_" + identity(data)), me
        assert cl.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("d1"))[0] == 201
        # the other identity's lease is only 10 s old in this server's eyes: no controllers yet
        while time.time() < t0 + 6:
            assert not replicasets(cl, "d1"), "a ReplicaSet while another server holds the lease"
            spec = cl.get(f"{LEASES}/kube-controller-manager")["spec"]
            assert spec["holderIdentity"].startswith("elsewhere_"), spec
            time.sleep(0.5)
        wait_for("ReplicaSet of d1 after the takeover", lambda: replicasets(cl, "d1"), 20)
        spec = cl.get(f"{LEASES}/kube-controller-manager")["spec"]
        assert spec["holderIdentity"] == me and spec["leaseTransitions"] == 5 and spec["leaseDurationSeconds"] == 10, spec
        assert spec["acquireTime"] > now, spec
        wait_for("the takeover's LeaderElection event",
                 lambda: f"{me} became leader" in election_events(cl, "kube-controller-manager"), 10)

        # (c) taken away: the holder changes under the leader
        lease = cl.get(f"{LEASES}/kube-controller-manager")
        thief = micro_now()
        lease["spec"].update(holderIdentity="thief_0b6f4ad2-3c39-4d55-8f0e-6b0a5f0e9e77", renewTime=thief, acquireTime=thief,
                             leaseTransitions=6)
        code, body = cl.call("PUT", f"{LEASES}/kube-controller-manager", lease)
        assert code == 200, (code, body)
        wait_for("stopped leading", lambda: f"{me} stopped leading" in election_events(cl, "kube-controller-manager"), 12)
        assert cl.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("d2"))[0] == 201
        t1 = time.time()
        while time.time() < t1 + 2:
            assert not replicasets(cl, "d2"), "a ReplicaSet after the server stopped leading"
            time.sleep(0.5)
        wait_for("ReplicaSet of d2 after taking the lease back", lambda: replicasets(cl, "d2"), 20)
        spec = cl.get(f"{LEASES}/kube-controller-manager")["spec"]
        assert spec["holderIdentity"] == me and spec["leaseTransitions"] == 7, spec
        assert srv.poll() is None, "server died"
        ok = True
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            code = srv.wait(timeout=20)
        except subprocess.TimeoutExpired:
            srv.kill()
            code = "hung"
        log.close()
        if not ok or code != 0:
            print(open(os.path.join(work, "server.log"), errors="replace").read()[-4000:])
        shutil.rmtree(work, ignore_errors=True)
    assert code == 0, f"server exited with {code}"


check_running_server()
check_second_server()
print("ok")
