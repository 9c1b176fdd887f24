#!/usr/bin/python3
"""Three real agents joined by token (`ckube-server token create
--print-join-command`, `ckube-node join`, pod ranges 127.74-76.0.0/16) run
the tutorial flows that need no Service, with kubectl 1.20 and the newest:
(a) a Deployment of sysnet4admin/echo-hname spreads over the three nodes and
each pod answers its own name on its address; set image + rollout status.
(b) The audit-trail example on a hostPath PV/PVC: 4 replicas scaled to 8,
every replica's request log lands in the shared volume and every replica
sees every file (exec, newest kubectl).
(c) k8s.gcr.io/liveness: the failing /healthz restarts the container.
(d) A memory hog over its 32Mi limit: terminated OOMKilled, exit code 137.
(e) `ps` in a container (exec, newest kubectl) sees only its own processes:
a PID namespace per container with its own /proc.
(f) `kubectl top` shows real usage: a busy loop limited to 200m by its
cgroup (cpu.cfs_quota_us 20000, or cpu.max) shows at most 200m.
(g) A renewed client certificate is picked up by the running agent.
(h) kill -9 of one agent: its node goes NotReady, its pods (tolerating
unreachable for 2 s) are recreated on the other two; the agent restarted
on its data dir kills what its predecessor left.
Bounded: about 3 minutes."""
import json, os, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, alive, kubectl, wait_for  # noqa: E402

NS = os.environ["NS"]
NAMES = [f"real-740-{x}" for x in "abc"]
KUBECTLS = os.environ["KUBECTLS"].split(os.pathsep)
NEWEST = KUBECTLS[-1]
# exec from kubectl 1.20 (SPDY) is not served yet: the exec checks need a newer kubectl
# (the ASan run passes kubectl 1.20 alone)
CAN_EXEC = len(KUBECTLS) > 1
TOLERATE = [{"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}
            for k in ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")]


def kubectl_newest(*args, check=True):
    p = subprocess.run([NEWEST, *args], capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def apply(doc):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))


def pods(label):
    return json.loads(kubectl("get", "pods", "-n", NS, "-l", label, "-o", "json"))["items"]


def ready(p):
    return p.get("metadata", {}).get("deletionTimestamp") is None and any(
        c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))


def ready_pods(label, n):
    ps = [p for p in pods(label) if ready(p)]
    return ps if len(ps) == n else None


def deployment(name, image, replicas, container, **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"nodeSelector": {"e2e740": "yes"}, "tolerations": TOLERATE,
                                           "terminationGracePeriodSeconds": 5,
                                           "containers": [{"name": container, "image": image, **spec.pop("c", {})}],
                                           **spec}}}}


def pod(name, containers, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeSelector": {"e2e740": "yes"}, "containers": containers, **spec}}


def get(url):
    """The body at url; retried a while, since Ready (no readiness probe) comes
    as the process starts, before the server in it listens, as in Kubernetes."""
    def once():
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode()
    return wait_for(f"GET {url}", once, 15)


def main():
    kubectl("create", "namespace", NS)
    data = os.environ["DATA"]
    join = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "token", "create", "--data-dir", data,
                           "--print-join-command"], capture_output=True, text=True, check=True).stdout.split()
    assert join[:2] == ["ckube-node", "join"], join
    audit_dir = tempfile.mkdtemp(prefix="ckube-740-audit-")
    nodes = [RealNode(n, 74 + i, join=join[1:]) for i, n in enumerate(NAMES)]
    passed = False
    try:
        for n in nodes:
            n.start()
            kubectl("label", "node", n.name, "e2e740=yes")
        # (c), (d), (e), (f) start early: they take their time
        apply(pod("liveness-http", [{"name": "liveness", "image": "k8s.gcr.io/liveness", "args": ["/server"],
                                     "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                                       "initialDelaySeconds": 3, "periodSeconds": 3}}]))
        apply(pod("hog", [{"name": "hog", "image": "busybox", "command": ["sh", "-c", "tail /dev/zero"],
                           "resources": {"limits": {"memory": "32Mi"}}}], restartPolicy="Never"))
        apply(pod("two", [{"name": "a", "image": "busybox", "command": ["sleep", "3600"]},
                          {"name": "b", "image": "busybox", "command": ["sh", "-c", "sleep 3000; true"]}],
                  terminationGracePeriodSeconds=1))
        apply(pod("busy", [{"name": "spin", "image": "busybox", "command": ["sh", "-c", "while :; do :; done"],
                            "resources": {"limits": {"cpu": "200m", "memory": "64Mi"}}}],
                  terminationGracePeriodSeconds=1))

        # (a) echo-hname over three nodes, each pod answering its name
        apply(deployment("echo-hname", "sysnet4admin/echo-hname", 3, "echo-hname"))
        echo = wait_for("3 echo-hname pods Ready", lambda: ready_pods("app=echo-hname", 3), 40)
        assert sorted(p["spec"]["nodeName"] for p in echo) == NAMES, [p["spec"]["nodeName"] for p in echo]
        for p in echo:
            assert get(f"http://{p['status']['podIP']}/") == p["metadata"]["name"] + "\n", p["metadata"]["name"]
        kubectl_newest("set", "image", "-n", NS, "deployment/echo-hname", "echo-hname=nginx")
        out = kubectl("rollout", "status", "-n", NS, "deployment/echo-hname", "--timeout=60s")
        assert 'deployment "echo-hname" successfully rolled out' in out, out
        new = wait_for("3 nginx pods Ready", lambda: (lambda ps: ps if ps and all(
            p["spec"]["containers"][0]["image"] == "nginx" for p in ps) else None)(ready_pods("app=echo-hname", 3)), 30)
        assert "Welcome to nginx!" in get(f"http://{new[0]['status']['podIP']}/")

        # (b) the audit-trail example on a hostPath PV, scaled 4 -> 8
        kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"{NS}-pv"},
             "spec": {"capacity": {"storage": "100Mi"}, "accessModes": ["ReadWriteMany"],
                      "persistentVolumeReclaimPolicy": "Retain", "hostPath": {"path": audit_dir}}}))
        apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "nfs-pvc"},
               "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Mi"}},
                        "volumeName": f"{NS}-pv", "storageClassName": ""}})
        apply(deployment("nfs-pvc-deploy", "sysnet4admin/audit-trail", 4, "audit-trail",
                         c={"volumeMounts": [{"name": "nfs-vol", "mountPath": "/audit"}]},
                         volumes=[{"name": "nfs-vol", "persistentVolumeClaim": {"claimName": "nfs-pvc"}}]))
        wait_for("4 audit-trail pods Ready", lambda: ready_pods("app=nfs-pvc-deploy", 4), 40)
        kubectl("scale", "-n", NS, "deployment/nfs-pvc-deploy", "--replicas=8")
        trail = wait_for("8 audit-trail pods Ready", lambda: ready_pods("app=nfs-pvc-deploy", 8), 40)
        assert len({p["spec"]["nodeName"] for p in trail}) == 3, [p["spec"]["nodeName"] for p in trail]
        for p in trail:
            body = get(f"http://{p['status']['podIP']}/")
            assert f"pod_name : {p['metadata']['name']}" in body, body
        want = sorted(f"audit_{p['metadata']['name']}.log" for p in trail)
        assert sorted(os.listdir(audit_dir)) == want, os.listdir(audit_dir)
        line = open(os.path.join(audit_dir, want[0])).read()
        assert line.strip().endswith("GET") and "  127." in line, line
        for p in (trail[0], trail[-1]) if CAN_EXEC else ():
            seen = kubectl_newest("exec", "-n", NS, p["metadata"]["name"], "--", "ls", "/audit").split()
            assert sorted(seen) == want, seen
        if CAN_EXEC:
            line = kubectl_newest("exec", "-n", NS, trail[0]["metadata"]["name"], "--", "cat",
                                  f"/audit/audit_{trail[-1]['metadata']['name']}.log")
            assert line.strip().endswith("GET") and "  127." in line, line

        # (c) liveness failure restarts the container
        def restarted():
            s = json.loads(kubectl("get", "pod", "-n", NS, "liveness-http", "-o", "json"))["status"]
            return s["containerStatuses"][0]["restartCount"] >= 1
        wait_for("liveness-http restarted", restarted, 40)
        ev = kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=liveness-http")
        assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in ev, ev

        # (d) OOMKilled
        def oom():
            s = json.loads(kubectl("get", "pod", "-n", NS, "hog", "-o", "json"))["status"]
            return s["containerStatuses"][0]["state"].get("terminated") if s.get("phase") == "Failed" else None
        t = wait_for("hog OOMKilled", oom, 30)
        assert t["reason"] == "OOMKilled" and t["exitCode"] == 137, t

        # (e) ps in each container sees only that container's processes
        wait_for("two Running", lambda: json.loads(kubectl("get", "pod", "-n", NS, "two", "-o", "json"))["status"].get("phase") == "Running", 20)
        for c, want in (("a", ["sleep 3600"]), ("b", ["sh -c sleep 3000; true", "sleep 3000"])) if CAN_EXEC else ():
            ps = kubectl_newest("exec", "-n", NS, "two", "-c", c, "--", "ps", "-o", "pid,args")
            rows = [r.split(None, 1) for r in ps.strip().splitlines()[1:]]
            assert rows[0][0] == "1" and [r[1] for r in rows] == want + ["ps -o pid,args"], ps
        if CAN_EXEC:
            assert kubectl_newest("exec", "-n", NS, "two", "-c", "a", "--", "hostname").strip() == "two"
        else:
            print("kubectl 1.20 alone: the exec checks (ls /audit, ps, hostname) are skipped")

        # (f) kubectl top: the spinning container is held to its 200m limit
        def top():
            out = kubectl("top", "pod", "-n", NS, "busy", "--no-headers", check=False).split()
            return out if len(out) == 3 and out[1].endswith("m") and int(out[1][:-1]) > 50 else None
        cpu = int(wait_for("kubectl top pod busy", top, 40)[1][:-1])
        assert cpu <= 260, cpu  # at most its quota (less when the machine is saturated)
        spin = json.loads(kubectl("get", "pod", "-n", NS, "busy", "-o", "json"))
        host = next(n for n in nodes if n.name == spin["spec"]["nodeName"])
        pid = int(open(host.data("pods", spin["metadata"]["uid"], "containers", "spin", "pid")).read())
        cg = [l.split(":", 2)[2].strip() for l in open(f"/proc/{pid}/cgroup") if l.split(":")[1] in ("cpu", "cpu,cpuacct", "")]
        quota = [open(f"/sys/fs/cgroup/cpu{c}/cpu.cfs_quota_us").read().strip() for c in cg if os.path.exists(f"/sys/fs/cgroup/cpu{c}/cpu.cfs_quota_us")] + \
                [open(f"/sys/fs/cgroup{c}/cpu.max").read().split()[0] for c in cg if os.path.exists(f"/sys/fs/cgroup{c}/cpu.max")]
        assert quota and quota[0] == "20000", (cg, quota)  # 200m of a 100 ms period
        assert "busy" in kubectl_newest("top", "pod", "-n", NS)

        # (g) the running agent uses its renewed certificate
        a = nodes[0]
        subprocess.run([os.environ["CKUBE_NODE_BIN"], "join", "--name", a.name, "--data-dir", a.data(),
                        "--bootstrap-only", "--renew-certificate"], check=True, capture_output=True, timeout=60)
        wait_for("agent a reloads its kubeconfig", lambda: "kubelet.kubeconfig changed: its credentials are used" in a.log_text(), 15)
        lease = lambda: json.loads(kubectl("get", "lease", "-n", "kube-node-lease", a.name, "-o", "json"))["spec"]["renewTime"]
        first = lease()
        wait_for("the Lease renewed with the new certificate", lambda: lease() != first, 5)

        # (h) kill -9 of agent c: its pods come back on a and b
        c = nodes[2]
        on_c = [p["metadata"]["name"] for p in pods("app=nfs-pvc-deploy") if p["spec"]["nodeName"] == c.name]
        assert on_c, "no audit-trail pod on agent c"
        c.kill9()
        wait_for("node c NotReady", lambda: " NotReady " in kubectl("get", "node", c.name, "--no-headers") + " ", 30)
        def recreated():
            ps = ready_pods("app=nfs-pvc-deploy", 8)
            return ps if ps and all(p["spec"]["nodeName"] != c.name for p in ps) else None
        wait_for("8 audit-trail pods Ready on a and b", recreated, 40)
        left = c.pids()
        c.start()  # the new agent kills what the old one left
        wait_for("the old containers killed", lambda: not [x for x in left if alive(x)], 20)
        passed = True
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        kubectl("delete", "pv", f"{NS}-pv", "--wait=false", check=False)
        errors = []
        for n in nodes:
            try:
                n.__exit__(None, None, None)
            except AssertionError as e:
                errors.append(str(e))
        subprocess.run(["rm", "-rf", audit_dir])
        if errors and passed:
            raise AssertionError(errors)
    print("ok")


main()
