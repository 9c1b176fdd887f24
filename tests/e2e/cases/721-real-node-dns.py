#!/usr/bin/python3
"""The pod's /etc/resolv.conf on a real node, for each dnsPolicy (node/pod_dns.c,
as kubelet's dns.Configurer): ClusterFirst names kube-system/kube-dns's
ClusterIP with the namespace's search path and ndots:5; ClusterFirst on the
host network falls back to the node's resolv.conf (Default);
ClusterFirstWithHostNet keeps the cluster's; Default is the node's; None
takes dnsConfig alone; dnsConfig merges into ClusterFirst. The host's own
/etc/resolv.conf stays as it was. Each pod prints its file; nothing
resolves a name. Bounded: about 30 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-721"


def host_conf():
    """The node's resolv.conf as kubelet reads it: nameservers, the last search line, options."""
    servers, searches, options = [], [], []
    for line in open("/etc/resolv.conf"):
        f = line.split("#")[0].split(";")[0].split()
        if not f:
            continue
        if f[0] == "nameserver" and len(f) > 1 and f[1] not in servers:
            servers.append(f[1])
        elif f[0] == "search":
            searches = list(dict.fromkeys(f[1:]))
        elif f[0] == "options":
            options += f[1:]
    return servers, searches, options


def render(servers, searches, options):
    out = "".join(f"nameserver {s}\n" for s in servers[:3])
    if searches:
        out += "search " + " ".join(searches[:6]) + "\n"
    if options:
        out += "options " + " ".join(options) + "\n"
    return out


def log(node, p):
    path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
    return "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""


def main():
    kubectl("create", "namespace", NS)
    before = open("/etc/resolv.conf").read()
    dns_ip = kubectl("get", "svc", "-n", "kube-system", "kube-dns", "-o", "jsonpath={.spec.clusterIP}")
    assert dns_ip, "no kube-dns Service"
    servers, searches, options = host_conf()
    cluster_search = [f"{NS}.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    cluster = render([dns_ip], list(dict.fromkeys(cluster_search + searches)), ["ndots:5"])
    default = render(servers, searches, options)
    cases = {
        "cluster-first": ({}, cluster),
        "host-net-cluster-first": ({"hostNetwork": True}, default),
        "host-net-with-host-net": ({"hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet"}, cluster),
        "default": ({"dnsPolicy": "Default"}, default),
        "none": ({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["127.0.0.53"], "searches": ["a.example", "b.example"],
                                                      "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}},
                 "nameserver 127.0.0.53\nsearch a.example b.example\noptions ndots:2 edns0\n"),
        "merged": ({"dnsConfig": {"nameservers": ["127.0.0.54"], "searches": ["svc.cluster.local", "extra.example"],
                                  "options": [{"name": "ndots", "value": "1"}, {"name": "single-request"}]}},
                   render([dns_ip, "127.0.0.54"], list(dict.fromkeys(cluster_search + searches + ["extra.example"])),
                          ["ndots:1", "single-request"])),
    }
    try:
        with RealNode(NODE, pod_net()) as node:
            for name, (spec, _) in cases.items():
                kubectl("apply", "-f", "-", input=json.dumps({
                    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
                    "spec": dict(spec, nodeName=NODE, terminationGracePeriodSeconds=1, containers=[
                        {"name": "c", "image": "busybox", "command": ["sh", "-c", "cat /etc/resolv.conf; sleep 3600"]}])}))
            for name, (_, want) in cases.items():
                p = wait_for(f"{name} running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(
                    json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))), 20)
                got = wait_for(f"{name} prints its resolv.conf", lambda: log(node, p), 10)
                assert got == want, f"{name}: resolv.conf is\n{got}\nwant\n{want}"
            assert open("/etc/resolv.conf").read() == before, "the host's /etc/resolv.conf must not change"
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
