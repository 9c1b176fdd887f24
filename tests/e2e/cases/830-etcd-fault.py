#!/usr/bin/python3
"""Fault test of issue 19: 3 etcd members + 3 ckube-servers (the second and
third joined with the first's certificates, so one token works on all),
writers spread over all servers; kill -9 the server holding
kube-controller-manager's Lease, then the etcd leader member, under load.

- Writers: two threads per server, each creating ConfigMaps and updating
  each once with the resourceVersion it got. A write that errs (connection
  lost, 5xx) is uncertain and its name is never written again.
- Every write a client saw acknowledged is present on every surviving server
  (same resourceVersion and data, or a later one only where an uncertain
  write followed), and each survivor's final list equals etcd's keys and
  mod revisions.
- Watches: one per server from the same revision; on each survivor the
  resourceVersions never decrease (the writes of one etcd transaction share
  its revision) and are equal, event for event, to
  etcd's own history of the namespace's ConfigMaps (read through etcd's
  watch), so no event is missed or invented.
- Controllers: a Deployment on two simulated nodes (their agent's
  kubeconfig names all three servers, the one killed first, so it fails
  over too) is scaled 2 -> 5 right after the kill; another server takes
  the Lease and the ReplicaSet is scaled within 15 s of the leader's death,
  and the Deployment reaches 5 ready replicas.
Bounded: about 90 s plus server starts."""
import http.client, json, os, signal, ssl, subprocess, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import etcd  # noqa: E402
from etcd_servers import lease_holder, main_on_etcd, start_servers, wait  # noqa: E402
from etcd_truth import EtcdGateway, Watcher  # noqa: E402

NS = "etcd-fault"
CMS = f"/api/v1/namespaces/{NS}/configmaps"
LOAD_BEFORE, ETCD_KILL_AFTER, LOAD_AFTER = 4, 5, 20


class Writer(threading.Thread):
    def __init__(self, tag, client, stop):
        super().__init__(daemon=True)
        self.tag, self.client, self.stop = tag, client, stop
        self.acked = {}          # name -> (resourceVersion, data value) of its last acknowledged write
        self.uncertain = set()   # names whose last write's outcome is unknown
        self.unexpected = []     # answers no fault explains
        self.failures = {}       # what made writes uncertain: "connection" or the status, counted

    def write(self, name, method, path, body):
        try:
            st, o = self.client.call(method, path, body)
        except (OSError, http.client.HTTPException):
            self.uncertain.add(name)
            self.failures["connection"] = self.failures.get("connection", 0) + 1
            time.sleep(0.2)
            return None
        if st in (200, 201):
            return o
        self.uncertain.add(name)
        why = f"{st} {(o or {}).get('message', '')[:80]}"
        self.failures[why] = self.failures.get(why, 0) + 1
        if st < 500 and st != 429:
            self.unexpected.append((name, method, st, (o or {}).get("message")))
        return None

    def run(self):
        i = 0
        while not self.stop.is_set():
            name = f"{self.tag}-{i}"
            i += 1
            o = self.write(name, "POST", CMS, {"metadata": {"name": name}, "data": {"v": "1"}})
            if o is None:
                continue
            self.acked[name] = (o["metadata"]["resourceVersion"], "1")
            o["data"] = {"v": "2"}
            o = self.write(name, "PUT", f"{CMS}/{name}", o)
            if o is not None:
                self.acked[name] = (o["metadata"]["resourceVersion"], "2")


def etcd_leader_index(flags):
    """Index (0..2, the member mN) of etcd's current raft leader."""
    out = json.loads(etcd.ctl(flags, "endpoint", "status", "-w", "json"))
    for i, st in enumerate(out):
        if st["Status"]["header"]["member_id"] == st["Status"]["leader"]:
            return i
    sys.exit(f"no etcd leader in {out}")


def scale(client, name, replicas):
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/{name}"
    for _ in range(20):
        st, d = client.call("GET", path)
        d["spec"]["replicas"] = replicas
        st, _ = client.call("PUT", path, d)
        if st == 200:
            return
        time.sleep(0.2)
    sys.exit("could not scale the Deployment")


def shared_credentials(base, names, servers):
    """b and c joined with a's certificate key: one admin token, a client
    certificate signed by a's CA, and a service-account token a issued are
    accepted by every server."""
    tokens = {open(os.path.join(base, n, "pki", "admin.token")).read() for n in names}
    assert len(tokens) == 1, "the joined servers have admin tokens of their own"
    for n in names:  # written through a: the others see it once their etcd watch delivers it
        wait(f"{n} to see the namespace", lambda n=n: servers[n][0].call("GET", f"/api/v1/namespaces/{NS}")[0] == 200, 10)
    ctx = ssl._create_unverified_context()
    ctx.load_cert_chain(os.path.join(base, "a", "pki", "admin.crt"), os.path.join(base, "a", "pki", "admin.key"))
    for n in names:
        c = http.client.HTTPSConnection("127.0.0.1", servers[n][2], context=ctx, timeout=10)
        c.request("GET", f"/api/v1/namespaces/{NS}")
        assert c.getresponse().status == 200, (n, "a's client certificate refused")
    a = servers["a"][0]
    sa = f"/api/v1/namespaces/{NS}/serviceaccounts/default"
    wait("the default ServiceAccount", lambda: a.call("GET", sa)[0] == 200, 30)
    st, tr = a.call("POST", sa + "/token", {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                             "spec": {"expirationSeconds": 600}})
    assert st == 201, (st, tr)
    for n in names:
        st, rev = servers[n][0].call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": tr["status"]["token"]}})
        assert st == 201 and rev["status"].get("authenticated") is True, (n, st, rev)
        assert rev["status"]["user"]["username"] == f"system:serviceaccount:{NS}:default", rev["status"]


def run(base, edir, flags, procs):
    names = ("a", "b", "c")
    servers = start_servers(base, names, flags, procs, join=os.environ.get("JOIN", "1") == "1")
    clients = {n: servers[n][0] for n in names}
    a = clients["a"]
    st, _ = a.call("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    assert st == 201, st
    shared_credentials(base, names, servers)

    identities = {n: open(os.path.join(base, n, "leader-identity")).read().strip() for n in names}
    lead = wait("a kube-controller-manager Lease holder", lambda: lease_holder(a, identities), 30)
    survivors = [n for n in names if n != lead]
    sv = clients[survivors[0]]

    node_log = open(os.path.join(base, "node.log"), "w")
    # the node agent names all three servers, the one about to die first: it must follow the cluster
    text = open(os.path.join(base, lead, "admin.kubeconfig")).read()
    one = f"server: https://127.0.0.1:{servers[lead][2]}"
    assert one in text, text[:300]
    kubeconfig = os.path.join(base, "node.kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(text.replace(one, "server: " + ",".join(f"https://127.0.0.1:{servers[n][2]}" for n in [lead, *survivors])))
    node = subprocess.Popen([os.environ["CKUBE_NODE_BIN"], "--simulate", "2", "--kubeconfig", kubeconfig,
                             "--name-prefix", "f830", "--heartbeat-seconds", "2"], stdout=node_log, stderr=node_log)
    procs.append(node)
    wait("2 simulated nodes", lambda: len(sv.call("GET", "/api/v1/nodes")[1]["items"]) >= 2, 30)
    labels = {"app": "d"}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
              "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                       "template": {"metadata": {"labels": labels},
                                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    st, _ = sv.call("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deploy)
    assert st == 201, st
    dpath = f"/apis/apps/v1/namespaces/{NS}/deployments/d"

    def ready(n):
        st, d = sv.call("GET", dpath)
        return st == 200 and d["status"].get("readyReplicas", 0) == n and d["status"].get("replicas", 0) == n
    wait("the Deployment's 2 ready replicas", lambda: ready(2), 40)

    # the watches start at one revision every server has reached
    start_rv = int(a.call("GET", CMS)[1]["metadata"]["resourceVersion"])
    for n in names:
        wait(f"{n} at revision {start_rv}",
             lambda: int(clients[n].call("GET", CMS)[1]["metadata"]["resourceVersion"]) >= start_rv, 10)
    watchers = {n: Watcher(clients[n], CMS, start_rv) for n in names}
    stop = threading.Event()
    writers = []
    for n in names:
        for k in range(2):
            w = Writer(f"{n}{k}", type(clients[n])(servers[n][2], clients[n].token), stop)
            writers.append(w)
    for t in [*watchers.values(), *writers]:
        t.start()

    time.sleep(LOAD_BEFORE)
    member = etcd_leader_index(flags)
    killed_at = time.time()
    servers[lead][1].send_signal(signal.SIGKILL)
    kill_member = threading.Timer(ETCD_KILL_AFTER, lambda: os.kill(int(open(os.path.join(edir, f"m{member}.pid")).read()),
                                                                  signal.SIGKILL))
    kill_member.start()
    scale(sv, "d", 5)
    new = wait("a surviving server to take the Lease", lambda: (lambda h: h if h in survivors else None)(
        lease_holder(sv, identities)), 15)
    took = time.time() - killed_at
    wait("the ReplicaSet scaled to 5 (controllers resumed)", lambda: any(
        rs["spec"]["replicas"] == 5 for rs in sv.call("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")[1]["items"]),
        max(1, 15 - (time.time() - killed_at)))
    resumed = time.time() - killed_at
    wait("the Deployment's 5 ready replicas", lambda: ready(5), 30)
    reached = time.time() - killed_at
    remaining = killed_at + ETCD_KILL_AFTER + LOAD_AFTER - time.time()
    if remaining > 0:
        time.sleep(remaining)
    kill_member.join()
    stop.set()
    for w in writers:
        w.join(40)
        assert not w.is_alive(), f"writer {w.tag} did not stop"

    gw = EtcdGateway(flags, NS)
    truth_keys = gw.keys()
    last = max(truth_keys.values())
    truth = gw.history(start_rv, last)
    acked = {k: v for w in writers for k, v in w.acked.items()}
    uncertain = set().union(*(w.uncertain for w in writers))
    unexpected = [u for w in writers for u in w.unexpected]
    print(f"server {lead} killed; Lease taken by {new} after {took:.1f} s, ReplicaSet scaled after {resumed:.1f} s, "
          f"Deployment at 5 ready after {reached:.1f} s; etcd member m{member} (leader) killed "
          f"{ETCD_KILL_AFTER} s after; {len(acked)} names acknowledged, {len(uncertain)} uncertain, "
          f"{len(truth)} events in etcd; uncertain by writer: "
          + ", ".join(f"{w.tag}={len(w.uncertain)} {w.failures}" for w in writers))
    assert not unexpected, unexpected[:10]
    assert resumed <= 15, resumed
    assert len(acked) > 50, len(acked)

    for n in survivors:
        c = clients[n]
        wait(f"{n} to reach revision {last}", lambda: int(c.call("GET", CMS)[1]["metadata"]["resourceVersion"]) >= last, 20)
        items = {o["metadata"]["name"]: o for o in c.call("GET", CMS)[1]["items"]}
        got = {k: int(o["metadata"]["resourceVersion"]) for k, o in items.items()}
        assert got == truth_keys, (n, set(got.items()) ^ set(truth_keys.items()))
        for name, (rv, v) in acked.items():
            o = items.get(name)
            assert o is not None, (n, "lost acknowledged write", name, rv)
            if name in uncertain:
                assert int(o["metadata"]["resourceVersion"]) >= int(rv), (n, name, rv, o["metadata"])
            else:
                assert o["metadata"]["resourceVersion"] == rv and o["data"]["v"] == v, (n, name, rv, v, o)
        watchers[n].check_history(n, last, truth, acked, wait)


main_on_etcd(run)
