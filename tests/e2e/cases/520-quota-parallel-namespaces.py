#!/usr/bin/python3
"""ResourceQuota admission under parallel writers: exact, and per namespace.

(a) No overrun: a namespace with a quota of 11 ConfigMaps (its
kube-root-ca.crt and 10 more) and 10 pods gets 50 ConfigMap and 50 pod
creates at once (100 connections, every request written in one loop): exactly 10 of each
are created (201), every other answer is 403 "exceeded quota: q, requested:
count/configmaps=1, used: count/configmaps=11, limited: count/configmaps=11"
(pods alike), and the namespace holds 10 of each afterwards.
(b) No serialization across namespaces: two namespaces, each with a quota
large enough to admit everything, get 40 ConfigMap creates each at once. A
quota check once held one process-wide lock until the write was durable, so
no two writes into namespaces with a quota ever shared a store commit; now
each namespace's check is its own and the lock is not held across the
commit, so the creates share commits: the store's writes per commit over the
burst (ckube_store_committed_writes_total / ..._commit_duration_seconds_count
from /metrics) must exceed 2.5 in at least one of five bursts (one
process-wide lock: 1.1-1.5, every create its own commit; per namespace: 5-20,
less on a loaded machine). On etcd (STORE=etcd) every write is a
transaction of its own and each quota charge a compare-and-swap, so only
the creates' admission is checked there.
(c) An update is charged its delta on top of what the namespace uses,
its own old version included: with a quota of 2 services.nodeports taken
by two NodePort Services of one port each, giving one of them a second
port is refused "requested: services.nodeports=1, used:
services.nodeports=2" (counting the others only would admit it: 3 > 2).
Bounded: about 20 s."""
import http.client, json, os, re, ssl, sys, time

NS = os.environ["NS"]
PORT = int(os.environ["SERVER"].rsplit(":", 1)[1])
TOKEN = os.environ["TOKEN"]
CTX = ssl._create_unverified_context()
HDR = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}


def conn():
    return http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=30)


def call(c, method, path, body=None):
    c.request(method, path, json.dumps(body) if body is not None else None, HDR)
    r = c.getresponse()
    data = r.read()
    return r.status, data


def must(code, want, what):
    if code != want:
        sys.exit(f"FAIL: {what}: {code}, wanted {want}")


def namespace(name, hard):
    """A namespace with the quota q; returns once its kube-root-ca.crt
    ConfigMap (which counts against count/configmaps) exists."""
    c = conn()
    must(call(c, "POST", "/api/v1/namespaces", {"metadata": {"name": name}})[0], 201, f"namespace {name}")
    deadline = time.time() + 15
    while call(c, "GET", f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt")[0] != 200:
        if time.time() > deadline:
            sys.exit(f"FAIL: no kube-root-ca.crt in {name} after 15 s")
        time.sleep(0.1)
    quota = {"metadata": {"name": "q"}, "spec": {"hard": hard}}
    must(call(c, "POST", f"/api/v1/namespaces/{name}/resourcequotas", quota)[0], 201, f"quota in {name}")


def burst(requests):
    """Sends every (path, body) at once, one connection each: the connections
    are opened (TLS included) first, then every request's bytes are written
    in one tight loop of one thread, so they reach the server within a few
    milliseconds however loaded the machine is; the answers are read after.
    Returns [(status, body)]."""
    conns = [conn() for _ in requests]
    for c in conns:
        c.connect()
    raw = []
    for path, body in requests:
        data = json.dumps(body).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nAuthorization: {HDR['Authorization']}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
        raw.append(head + data)
    for c, data in zip(conns, raw):
        c.sock.sendall(data)
    out = []
    for c in conns:
        try:
            r = http.client.HTTPResponse(c.sock, method="POST")
            r.begin()
            out.append((r.status, r.read()))
        except (OSError, http.client.HTTPException) as e:
            out.append((0, str(e).encode()))
        c.close()
    return out


def pod(name):
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx",
            "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}


def no_overrun():
    ns = NS + "-exact"
    namespace(ns, {"count/configmaps": "11", "pods": "10"})  # kube-root-ca.crt and 10 of ours
    reqs = [(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"cm-{i}"}}) for i in range(50)]
    reqs += [(f"/api/v1/namespaces/{ns}/pods", pod(f"p-{i}")) for i in range(50)]
    answers = burst(reqs)
    for kind, name, limit, answers_of in (("configmaps", "count/configmaps", 11, answers[:50]),
                                          ("pods", "pods", 10, answers[50:])):
        created = sum(1 for code, _ in answers_of if code == 201)
        refused = [json.loads(b)["message"] for code, b in answers_of if code == 403]
        if created != 10 or len(refused) != 40:
            sys.exit(f"FAIL: {kind}: {created} created, {len(refused)} refused of 50; others: "
                     f"{[(c, b[:200]) for c, b in answers_of if c not in (201, 403)][:3]}")
        want = re.compile(rf'^{kind} "[a-z]+-\d+" is forbidden: exceeded quota: q, requested: {name}=1, '
                          rf'used: {name}={limit}, limited: {name}={limit}$')
        bad = [m for m in refused if not want.match(m)]
        if bad:
            sys.exit(f"FAIL: {kind}: refusal {bad[0]!r}")
        code, body = call(conn(), "GET", f"/api/v1/namespaces/{ns}/{kind}")
        have = len([i for i in json.loads(body)["items"] if i["metadata"]["name"] != "kube-root-ca.crt"])
        if have != 10:
            sys.exit(f"FAIL: {kind}: {have} stored, wanted 10")
        print(f"{kind}: 10 created, 40 refused with the quota's message, 10 stored")
    call(conn(), "DELETE", f"/api/v1/namespaces/{ns}")


def metrics():
    code, body = call(conn(), "GET", "/metrics")
    text = body.decode()
    get = lambda name: float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))
    return get("ckube_store_committed_writes_total"), get("ckube_store_commit_duration_seconds_count")


def shared_commits():
    a, b = NS + "-qa", NS + "-qb"
    for ns in (a, b):
        namespace(ns, {"count/configmaps": "1000"})
    time.sleep(1)  # the namespaces' own controllers (ServiceAccount, root CA) settle first
    best = 0.0
    for round_ in range(5):
        reqs = [(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"r{round_}-{i}"}})
                for i in range(40) for ns in (a, b)]
        w0, c0 = metrics()
        answers = burst(reqs)
        w1, c1 = metrics()
        if any(code != 201 for code, _ in answers):
            sys.exit(f"FAIL: creates under a roomy quota refused: {[a for a in answers if a[0] != 201][:2]}")
        ratio = (w1 - w0) / max(1.0, c1 - c0)
        print(f"round {round_}: {int(w1 - w0)} writes in {int(c1 - c0)} commits ({ratio:.2f} per commit)")
        best = max(best, ratio)
        if best > 2.5 or os.environ.get("STORE") == "etcd":
            break
    for ns in (a, b):
        call(conn(), "DELETE", f"/api/v1/namespaces/{ns}")
    if os.environ.get("STORE") == "etcd":  # one etcd transaction a write: group commit is SQLite's
        print("etcd store: every write is its own transaction, the creates were all admitted")
        return
    if best <= 2.5:
        sys.exit(f"FAIL: writes into namespaces with quotas did not share commits (best {best:.2f} per commit)")
    print("writes into two namespaces with quotas share store commits")


def update_delta():
    ns = NS + "-upd"
    namespace(ns, {"services.nodeports": "2"})
    c = conn()
    for name in ("one", "two"):
        svc = {"metadata": {"name": name}, "spec": {"type": "NodePort", "selector": {"app": name},
                                                  "ports": [{"name": "a", "port": 80}]}}
        must(call(c, "POST", f"/api/v1/namespaces/{ns}/services", svc)[0], 201, f"service {name}")
    patch = json.dumps({"spec": {"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 81}]}})
    c.request("PATCH", f"/api/v1/namespaces/{ns}/services/two", patch,
              dict(HDR, **{"Content-Type": "application/merge-patch+json"}))
    r = c.getresponse()
    body = json.loads(r.read())
    want = ('services "two" is forbidden: exceeded quota: q, requested: services.nodeports=1, '
            'used: services.nodeports=2, limited: services.nodeports=2')
    if r.status != 403 or body.get("message") != want:
        sys.exit(f"FAIL: a second port on a full quota: {r.status} {body.get('message')!r}")
    print("an update's delta is charged on top of its own old usage")
    call(conn(), "DELETE", f"/api/v1/namespaces/{ns}")


shared_commits()  # first, while no other namespace of this case is being deleted
no_overrun()
update_delta()
