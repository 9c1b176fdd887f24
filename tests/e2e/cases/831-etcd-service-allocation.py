#!/usr/bin/python3
"""ClusterIP and NodePort allocation across two ckube-servers on one etcd
cluster: they never hand out the same address or port.

The service range is a /25 (126 addresses) so that two allocators that do
not see each other's recent allocations would collide almost surely.
(a) 100 Services created in parallel, 50 through each server (every third a
NodePort): all created, their ClusterIPs distinct, their NodePorts distinct,
and both servers list the same 100 Services with the same allocations.
(b) (first) The same explicit ClusterIP and the same explicit nodePort
asked for through both servers at the same moment, 10 times: exactly one
create succeeds and the other answers 422 with kube-apiserver's "already
allocated" message; the winner is deleted before the next round, which
must find the address and port free again on both servers (released at
once, as kube-apiserver's bitmap does, not when the claim lapses).
Bounded: about 30 s plus server starts."""
import os, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from etcd_servers import Client, main_on_etcd, start_servers, wait  # noqa: E402

NS = "etcd-alloc"
SVCS = f"/api/v1/namespaces/{NS}/services"


def service(name, node_port=False, cluster_ip=None, port_number=None):
    port = {"port": 80, "protocol": "TCP", "targetPort": 80}
    if port_number:
        port["nodePort"] = port_number
    spec = {"selector": {"app": name}, "ports": [port], "type": "NodePort" if node_port or port_number else "ClusterIP"}
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def run(base, edir, flags, procs):
    servers = start_servers(base, ("a", "b"), flags, procs, extra=["--service-cluster-ip-range", "127.1.0.0/25"])
    ports = {n: servers[n][2] for n in servers}
    token = servers["a"][0].token
    a = servers["a"][0]
    st, _ = a.call("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    assert st == 201, st
    wait("b to see the namespace", lambda: servers["b"][0].call("GET", f"/api/v1/namespaces/{NS}")[0] == 200, 10)

    # (b) the same explicit address or port through both servers at once, on
    # addresses and ports no Service (the cluster's own included) holds
    system = a.call("GET", "/api/v1/services")[1]["items"]
    held_ips = {o["spec"].get("clusterIP") for o in system}
    held_ports = {p.get("nodePort") for o in system for p in o["spec"].get("ports", [])}
    free_ips = [ip for ip in (f"127.1.0.{h}" for h in range(2, 127)) if ip not in held_ips][:3]
    free_ports = [p for p in range(32700, 32767) if p not in held_ports][:1]
    for k in range(10):
        for kind in ("ip", "port"):
            barrier = threading.Barrier(2)

            def ask(n, kind=kind, k=k, barrier=barrier):
                c = Client(ports[n], token)
                c.call("GET", "/api/v1/namespaces/default")  # connected before the race
                name = f"x{kind}{k}{n}"
                body = service(name, cluster_ip=free_ips[0]) if kind == "ip" else service(name, port_number=free_ports[0],
                                                                             cluster_ip=free_ips[1 + (n == "b")])
                barrier.wait(10)
                return n, c.call("POST", SVCS, body)
            with ThreadPoolExecutor(max_workers=2) as pool:
                answers = list(pool.map(ask, ("a", "b")))
            won = [(n, o) for n, (st, o) in answers if st == 201]
            lost = [(n, st, o) for n, (st, o) in answers if st != 201]
            assert len(won) == 1 and len(lost) == 1, (kind, k, [(n, st, o.get("message")) for n, (st, o) in answers])
            st, o = lost[0][1], lost[0][2]
            assert st == 422 and o["reason"] == "Invalid" and "already allocated" in o["message"], (st, o)
            # deleting the winner frees them at once, on both servers, for the next round
            n, obj = won[0]
            st, _ = servers[n][0].call("DELETE", f"{SVCS}/{obj['metadata']['name']}")
            assert st == 200, st
            for m in servers:
                wait(f"{m} to see the delete", lambda m=m: servers[m][0].call(
                    "GET", f"{SVCS}/{obj['metadata']['name']}")[0] == 404, 10)
    # (a) 100 parallel creates split across the servers
    local = threading.local()

    def create(i):
        name = "a" if i % 2 == 0 else "b"
        if getattr(local, "clients", None) is None:
            local.clients = {n: Client(p, token) for n, p in ports.items()}
        return local.clients[name].call("POST", SVCS, service(f"s{i}", node_port=i % 3 == 0))

    start = time.time()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(create, range(100)))
    took = time.time() - start
    bad = [(i, st, o.get("message")) for i, (st, o) in enumerate(results) if st != 201]
    assert not bad, bad[:5]
    ips = [o["spec"]["clusterIP"] for _, o in results]
    nps = [o["spec"]["ports"][0]["nodePort"] for _, o in results if o["spec"]["type"] == "NodePort"]
    assert len(set(ips)) == 100, sorted(ip for ip in ips if ips.count(ip) > 1)
    assert len(nps) == 34 and len(set(nps)) == 34, sorted(p for p in nps if nps.count(p) > 1)
    want = {o["metadata"]["name"]: (o["spec"]["clusterIP"], o["spec"]["ports"][0].get("nodePort")) for _, o in results}
    for n in servers:
        c = servers[n][0]

        def listed():
            items = c.call("GET", SVCS)[1]["items"]
            return {o["metadata"]["name"]: (o["spec"]["clusterIP"], o["spec"]["ports"][0].get("nodePort"))
                    for o in items}
        wait(f"{n} to list the 100 Services", lambda: listed() == want, 15)

    print(f"100 Services through 2 servers in {took:.1f} s: 100 distinct ClusterIPs in a /25, 34 distinct "
          "NodePorts; 10 races for one ClusterIP and 10 for one nodePort each won by exactly one server")


main_on_etcd(run)
