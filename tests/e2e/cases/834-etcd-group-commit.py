#!/usr/bin/python3
"""Group commit on etcd: two ckube-servers on one etcd cluster, each sending
the writes of its concurrent clients as shared etcd transactions (several
objects then have one resourceVersion, the transaction's revision).

(a) 24 writers, 12 through each server, each creating ConfigMaps and
updating each once with the resourceVersion it got, then trying a stale
update and a second create of the same name: every acknowledged write is on
both servers with its resourceVersion and data, their lists equal etcd's
keys and mod revisions, the stale update answers 409 "Operation cannot be
fulfilled on configmaps ...: the object has been modified; please apply
your changes to the latest version and try again" and the create 409
AlreadyExists 'configmaps "..." already exists', as kube-apiserver.
(b) Races: 8 clients (4 per server) update one ConfigMap with the same
resourceVersion at once, 10 rounds: exactly one succeeds each round, the
others answer 409 with the message above (a conflicting write fails alone
in its transaction; the others in it commit).
(c) A watch on each server from before the writes delivers exactly etcd's
history of the namespace's ConfigMaps: no event missed or invented, in
order, resourceVersions never decreasing; at least one revision holds
several writes (the transactions were shared).
Bounded: about 40 s plus server starts."""
import os, sys, threading
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from etcd_servers import Client, main_on_etcd, start_servers, wait  # noqa: E402
from etcd_truth import EtcdGateway, Watcher  # noqa: E402

NS = "etcd-group"
CMS = f"/api/v1/namespaces/{NS}/configmaps"
WRITERS, EACH, RACERS, ROUNDS = 24, 15, 8, 10
MODIFIED = ("Operation cannot be fulfilled on configmaps \"{}\": the object has been modified; please apply your "
            "changes to the latest version and try again")


def writer(client, tag, acked, problems):
    """Creates and updates EACH ConfigMaps; checks the 409s of a stale update and a second create."""
    for i in range(EACH):
        name = f"{tag}-{i}"
        st, o = client.call("POST", CMS, {"metadata": {"name": name}, "data": {"v": "1"}})
        if st != 201:
            problems.append((name, "create", st, (o or {}).get("message")))
            continue
        acked[name] = (o["metadata"]["resourceVersion"], "1")
        stale = dict(o)
        o["data"] = {"v": "2"}
        st, o = client.call("PUT", f"{CMS}/{name}", o)
        if st != 200:
            problems.append((name, "update", st, (o or {}).get("message")))
            continue
        acked[name] = (o["metadata"]["resourceVersion"], "2")
        if i % 3:
            continue
        stale["data"] = {"v": "3"}
        st, o = client.call("PUT", f"{CMS}/{name}", stale)
        if st != 409 or o.get("reason") != "Conflict" or o.get("message") != MODIFIED.format(name):
            problems.append((name, "stale update", st, o))
        st, o = client.call("POST", CMS, {"metadata": {"name": name}, "data": {"v": "4"}})
        if st != 409 or o.get("reason") != "AlreadyExists" or o.get("message") != f'configmaps "{name}" already exists':
            problems.append((name, "second create", st, o))


def race(clients, name, acked, problems):
    """RACERS updates of name with one resourceVersion at once: one wins."""
    base = clients[0].call("GET", f"{CMS}/{name}")[1]
    barrier = threading.Barrier(RACERS)
    answers = []

    def one(k):
        c = clients[k % len(clients)]
        body = dict(base, data={"v": f"r{k}"})
        barrier.wait(10)
        st, o = c.call("PUT", f"{CMS}/{name}", body)
        answers.append((st, o, k))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [(o, k) for st, o, k in answers if st == 200]
    lost = [o for st, o, _ in answers if st == 409 and o.get("message") == MODIFIED.format(name)]
    if len(won) != 1 or len(lost) != RACERS - 1:
        problems.append((name, "race", [(st, (o or {}).get("message")) for st, o, _ in answers]))
    for o, k in won:
        acked[name] = (o["metadata"]["resourceVersion"], f"r{k}")


def run(base, edir, flags, procs):
    servers = start_servers(base, ("a", "b"), flags, procs, join=False)
    a, b = servers["a"][0], servers["b"][0]
    assert a.call("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})[0] == 201
    wait("b to see the namespace", lambda: b.call("GET", f"/api/v1/namespaces/{NS}")[0] == 200, 10)
    start_rv = int(a.call("GET", CMS)[1]["metadata"]["resourceVersion"])
    wait("b to reach a's revision", lambda: int(b.call("GET", CMS)[1]["metadata"]["resourceVersion"]) >= start_rv, 10)
    watchers = {n: Watcher(servers[n][0], CMS, start_rv, 120) for n in servers}
    for w in watchers.values():
        w.start()

    acked, problems = {}, []
    ports = {n: (servers[n][2], servers[n][0].token) for n in servers}
    threads = [threading.Thread(target=writer, args=(Client(*ports["ab"[k % 2]]), f"w{k}", acked, problems))
               for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "writers still running after 120 s"
    racers = [Client(*ports["ab"[k % 2]]) for k in range(RACERS)]
    for r in range(ROUNDS):
        name = f"race-{r}"
        st, o = a.call("POST", CMS, {"metadata": {"name": name}, "data": {"v": "0"}})
        assert st == 201, (st, o)
        wait(f"b to see {name}", lambda name=name: b.call("GET", f"{CMS}/{name}")[0] == 200, 10)
        race(racers, name, acked, problems)
    assert not problems, problems[:10]
    assert len(acked) == WRITERS * EACH + ROUNDS, len(acked)

    gw = EtcdGateway(flags, NS)
    truth_keys = gw.keys()
    last = max(truth_keys.values())
    truth = gw.history(start_rv, last)
    shared = Counter(r for _, _, r in truth)
    grouped = sum(k for k in shared.values() if k > 1)
    print(f"{len(acked)} names, {len(truth)} events in etcd at {len(shared)} revisions; "
          f"{grouped} events shared a revision (largest {max(shared.values())})")
    assert grouped > 0, "no two writes shared an etcd transaction"
    for n, (c, _, _) in servers.items():
        wait(f"{n} to reach revision {last}", lambda c=c: int(c.call("GET", CMS)[1]["metadata"]["resourceVersion"]) >= last,
             20)
        items = {o["metadata"]["name"]: o for o in c.call("GET", CMS)[1]["items"]}
        got = {k: int(o["metadata"]["resourceVersion"]) for k, o in items.items()}
        assert got == truth_keys, (n, sorted(set(got.items()) ^ set(truth_keys.items()))[:10])
        for name, (rv, v) in acked.items():
            o = items.get(name)
            assert o is not None, (n, "lost acknowledged write", name, rv)
            assert o["metadata"]["resourceVersion"] == rv and o["data"]["v"] == v, (n, name, rv, v, o)
        watchers[n].check_history(n, last, truth, acked, wait)


main_on_etcd(run)
