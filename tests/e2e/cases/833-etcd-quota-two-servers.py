#!/usr/bin/python3
"""ResourceQuota across two ckube-servers on one etcd cluster: a quota of
10 ConfigMaps (count/configmaps), then 40 ConfigMap creates in parallel,
half through each server: exactly 10 are created and the other 30 answer
403 Forbidden "exceeded quota: q, requested: count/configmaps=1, used:
count/configmaps=10, limited: count/configmaps=10", because each server
charges the quota's status.used by compare-and-swap on its
resourceVersion before the object is written (as kube-apiserver does);
each server's own lock alone would let both take the last units. Both
servers then list the same 10 and the quota's status.used says 10. A dry
run charges nothing. Bounded: about 30 s plus server starts."""
import os, sys, threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from etcd_servers import Client, main_on_etcd, start_servers, wait  # noqa: E402

NS = "etcd-quota"
LIMIT, TRIES = 10, 40


def run(base, edir, flags, procs):
    servers = start_servers(base, ("a", "b"), flags, procs)
    ports = {n: servers[n][2] for n in servers}
    token = servers["a"][0].token
    a = servers["a"][0]
    assert a.call("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})[0] == 201
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
             "spec": {"hard": {"count/configmaps": str(LIMIT)}}}
    st, o = a.call("POST", f"/api/v1/namespaces/{NS}/resourcequotas", quota)
    assert st == 201, (st, o)
    # the namespace's own kube-root-ca.crt counts: both servers see it and the quota's status counting it
    used0 = 1
    for n in servers:
        wait(f"{n} to see kube-root-ca.crt counted", lambda n=n: servers[n][0].call(
            "GET", f"/api/v1/namespaces/{NS}/configmaps/kube-root-ca.crt")[0] == 200 and ((servers[n][0].call(
                "GET", f"/api/v1/namespaces/{NS}/resourcequotas/q")[1].get("status") or {}).get("used") or {}).get(
                "count/configmaps") == str(used0), 15)
    # a dry run is admitted and charges nothing
    st, _ = a.call("POST", f"/api/v1/namespaces/{NS}/configmaps?dryRun=All", {"metadata": {"name": "dry"}})
    assert st == 201, st
    q = a.call("GET", f"/api/v1/namespaces/{NS}/resourcequotas/q")[1]
    assert q["status"]["used"]["count/configmaps"] == str(used0), q["status"]
    local = threading.local()
    barrier = threading.Barrier(TRIES)

    def create(i):
        n = "a" if i % 2 == 0 else "b"
        if getattr(local, "clients", None) is None:
            local.clients = {m: Client(p, token) for m, p in ports.items()}
            for c in local.clients.values():
                c.call("GET", "/api/v1/namespaces/default")  # connected before the race
        barrier.wait(20)
        return local.clients[n].call("POST", f"/api/v1/namespaces/{NS}/configmaps", {"metadata": {"name": f"c{i}"}})

    with ThreadPoolExecutor(max_workers=TRIES) as pool:
        results = list(pool.map(create, range(TRIES)))
    made = [i for i, (st, _) in enumerate(results) if st == 201]
    refused = [(st, o) for st, o in results if st != 201]
    assert len(made) == LIMIT - used0, (len(made), [(st, o.get("message")) for st, o in refused][:3])
    for st, o in refused:
        assert st == 403 and o["reason"] == "Forbidden" and "exceeded quota: q, requested: count/configmaps=1" in o["message"], (st, o)
    assert any(f"used: count/configmaps={LIMIT}, limited: count/configmaps={LIMIT}" in o["message"] for _, o in refused), refused[0]
    names = {f"c{i}" for i in made}
    for n in servers:
        c = servers[n][0]
        wait(f"{n} to list the created ConfigMaps", lambda c=c: {o["metadata"]["name"] for o in c.call(
            "GET", f"/api/v1/namespaces/{NS}/configmaps")[1]["items"] if o["metadata"]["name"].startswith("c")} == names, 15)
        wait(f"{n}: status.used {LIMIT}", lambda c=c: c.call("GET", f"/api/v1/namespaces/{NS}/resourcequotas/q")[1]
             ["status"]["used"]["count/configmaps"] == str(LIMIT), 15)
    print(f"{TRIES} ConfigMap creates through 2 servers against a quota of {LIMIT}: {len(made)} created "
          f"(+{used0} there before), {len(refused)} refused with 403")


main_on_etcd(run)
