#!/usr/bin/python3
"""Two ckube-servers on one 3-member etcd cluster (--store etcd, TLS).

(a) Storage: an object written through server A is stored at
/registry/<group>/<resource>/<namespace>/<name> (cluster-scoped without the
namespace) as JSON without a resourceVersion, and its resourceVersion is the
key's etcd mod revision.
(b) Each server's watch cache is fed by its etcd watch: B serves A's write
(same resourceVersion) and a watch on B from a revision delivers A's later
writes in order; a LIST on B at that revision is consistent.
(c) Compare-and-swap across servers: an update on B with the resourceVersion
A has since replaced answers 409 Conflict; a create of a name A created
answers 409 AlreadyExists; a delete on B with A's stale
preconditions.resourceVersion answers 409.
(d) Controllers only where the Lease is held: kube-controller-manager's Lease
names exactly one of the two servers; a Deployment created through the other
gets its ReplicaSet and pods (made by the holder), seen through both.
(e) Failover: the holder is killed (-9); the other server takes the Lease
after it expires (10 s) and a Deployment created after the kill reaches its
replicas.
(f) Compaction: the servers run with --etcd-compaction-interval 2s, so etcd's
history is compacted while all of the above goes on; at the end a read of
an early revision is refused by etcd as compacted.
Bounded: about 60 s plus server starts."""
import http.client, json, os, signal, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import etcd  # noqa: E402
from etcd_servers import main_on_etcd  # noqa: E402
from server import CTX, free_port, start  # noqa: E402


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token

    def call(self, method, path, body=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=CTX, timeout=30)
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def wait(what, fn, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    sys.exit(f"timed out ({seconds} s) waiting for {what}")


def rv(obj):
    return obj["metadata"]["resourceVersion"]


def run(base, edir, flags, procs):
    lease = ["--leader-elect-lease-duration", "10s", "--leader-elect-renew-deadline", "6s",
             "--leader-elect-retry-period", "1s", "--no-dns", "--etcd-compaction-interval", "2s"]
    servers = {}
    for name in ("a", "b"):
        port = free_port()
        data = os.path.join(base, name)
        log = open(os.path.join(base, name + ".log"), "w")
        procs.append(start(data, port, [*flags, *lease], log))
        servers[name] = (Client(port, open(os.path.join(data, "pki", "admin.token")).read().strip()), procs[-1])
    a, b = servers["a"][0], servers["b"][0]
    ns = "etcd-two"
    st, _ = a.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    assert st == 201, st
    cms = f"/api/v1/namespaces/{ns}/configmaps"

    # (a) the key layout and resourceVersion = mod revision
    st, cm = a.call("POST", cms, {"metadata": {"name": "one"}, "data": {"k": "1"}})
    assert st == 201, (st, cm)
    kv = json.loads(etcd.ctl(flags, "get", f"/registry/core/configmaps/{ns}/one", "-w", "json"))["kvs"][0]
    assert str(kv["mod_revision"]) == rv(cm), (kv["mod_revision"], rv(cm))
    import base64
    stored = json.loads(base64.b64decode(kv["value"]))
    assert stored["data"] == {"k": "1"} and "resourceVersion" not in stored["metadata"], stored
    assert etcd.ctl(flags, "get", f"/registry/core/namespaces/{ns}", "--keys-only").strip() == \
        f"/registry/core/namespaces/{ns}"

    # (b) B serves A's write at the same revision; a watch on B sees A's next writes in order
    got = wait("B to serve A's write", lambda: (lambda r: r[1] if r[0] == 200 else None)(b.call("GET", cms + "/one")), 10)
    assert rv(got) == rv(cm), (rv(got), rv(cm))
    st, lst = b.call("GET", cms)
    start_rv = lst["metadata"]["resourceVersion"]
    c = http.client.HTTPSConnection("127.0.0.1", b.port, context=CTX, timeout=30)
    c.request("GET", f"{cms}?watch=1&resourceVersion={start_rv}&timeoutSeconds=20",
              headers={"Authorization": "Bearer " + b.token})
    watch = c.getresponse()
    assert watch.status == 200, watch.status
    written = []
    for i in range(5):
        st, o = a.call("POST", cms, {"metadata": {"name": f"w{i}"}})
        assert st == 201, st
        written.append(rv(o))
    seen = []
    while len(seen) < 5:
        ev = json.loads(watch.readline())
        seen.append(rv(ev["object"]))
        assert ev["type"] == "ADDED", ev
    assert seen == written, (seen, written)
    c.close()
    st, at = b.call("GET", f"{cms}?resourceVersion={written[2]}&resourceVersionMatch=Exact")
    assert st == 200, (st, at)  # a LIST at a revision inside the window: exactly the objects then
    if st == 200:
        names = sorted(o["metadata"]["name"] for o in at["items"] if o["metadata"]["name"] != "kube-root-ca.crt")
        assert names == ["one", "w0", "w1", "w2"], names

    # (c) compare-and-swap across servers
    cur = a.call("GET", cms + "/one")[1]
    cur["data"] = {"k": "2"}
    st, upd = a.call("PUT", cms + "/one", cur)
    assert st == 200, st
    wait("B to see the update", lambda: rv(b.call("GET", cms + "/one")[1]) == rv(upd), 10)
    stale = dict(cur)  # carries the replaced resourceVersion
    stale["data"] = {"k": "from-b"}
    st, s = b.call("PUT", cms + "/one", stale)
    assert st == 409 and s["reason"] == "Conflict", (st, s)
    st, s = b.call("POST", cms, {"metadata": {"name": "w0"}})
    assert st == 409 and s["reason"] == "AlreadyExists", (st, s)
    st, s = b.call("DELETE", cms + "/one", {"preconditions": {"resourceVersion": rv(cur)}})
    assert st == 409 and s["reason"] == "Conflict", (st, s)
    st, _ = b.call("DELETE", cms + "/one", {"preconditions": {"resourceVersion": rv(upd)}})
    assert st == 200, st
    wait("A to see the delete", lambda: a.call("GET", cms + "/one")[0] == 404, 10)

    # (d) controllers only where the Lease is held
    identity = {}
    for name in ("a", "b"):
        identity[name] = open(os.path.join(base, name, "leader-identity")).read().strip()

    def holder(via=a):
        st, l = via.call("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager")
        h = l["spec"].get("holderIdentity", "") if st == 200 else ""
        return next((n for n, i in identity.items() if h.endswith(i) or i in h), None)
    lead = wait("a Lease holder", holder, 20)
    other = "b" if lead == "a" else "a"
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d1"},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "d1"}},
                       "template": {"metadata": {"labels": {"app": "d1"}},
                                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    oc = servers[other][0]
    st, _ = oc.call("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deploy)
    assert st == 201, st
    for cl in (a, b):
        wait("the ReplicaSet and 2 pods",
             lambda: len(cl.call("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets")[1]["items"]) == 1 and
             len(cl.call("GET", f"/api/v1/namespaces/{ns}/pods")[1]["items"]) == 2, 30)
    assert holder() == lead and holder(b) == lead

    # (e) the holder dies: the other server takes over and reconciles
    servers[lead][1].send_signal(signal.SIGKILL)
    deploy["metadata"]["name"] = "d2"
    deploy["spec"]["selector"]["matchLabels"]["app"] = "d2"
    deploy["spec"]["template"]["metadata"]["labels"]["app"] = "d2"
    st, _ = oc.call("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deploy)
    assert st == 201, st
    wait("the other server to take the Lease", lambda: holder(oc) == other, 30)
    wait("d2's pods", lambda: len([p for p in oc.call("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector=app%3Dd2")[1]["items"]]) == 2, 30)

    # (f) history before the first object's revision is gone
    try:
        etcd.ctl(flags, "get", f"/registry/core/configmaps/{ns}/one", f"--rev={rv(cm)}")
        sys.exit("etcd still serves the first revision: no compaction happened")
    except Exception as e:
        assert "compacted" in getattr(e, "stderr", ""), e


main_on_etcd(run)
