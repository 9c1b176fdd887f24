#!/usr/bin/python3
"""A real node agent (ckube-node without --simulate) runs pods as processes.
(a) The Node: capacity from the machine (cpu = nproc, memory in Ki, pods
110, ephemeral-storage, the --extended-resource), InternalIP 127.N.0.1 (N = pod_net()),
labels, nodeInfo, Ready with kubelet's reason, a Lease renewed.
(b) A busybox pod runs its command with env from a ConfigMap, a Secret, the
downward API and $(VAR) expansion; its output lands in the CRI log file
DIR/pods/<uid>/containers/<name>/0.log; it Succeeds with exit code 0, and
pod.json names it.
(c) Exit codes and restarts: exit 3 under Always -> restartCount grows,
CrashLoopBackOff with kubelet's message, lastState terminated Error 3;
under Never -> Failed, with the termination message from
/dev/termination-log or (FallbackToLogsOnError) the log's tail.
(d) Init containers run first, in order; the pod shows Init:0/2 then Running.
(e) An unknown image without a command: ErrImagePull then ImagePullBackOff.
(f) Deletion: the preStop hook runs, the process gets SIGTERM (its trap
writes a file), the pod disappears and no process is left.
Bounded: about 60 s."""
import json, os, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, alive, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-700"
NET = pod_net()


def pod_json(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def apply(doc):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))


def pod(name, containers, policy="Always", init=None, **spec):
    s = {"nodeName": NODE, "restartPolicy": policy, "containers": containers, **spec}
    if init:
        s["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": s}


def cstatus(p, i=0, key="containerStatuses"):
    return p["status"][key][i]


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-700-")
    try:
        with RealNode(NODE, NET, ["--extended-resource", "example.com/dongle=2"]) as node:
            # (a) the Node and its Lease
            n = json.loads(kubectl("get", "node", NODE, "-o", "json"))
            cap = n["status"]["capacity"]
            assert cap["cpu"] == str(os.cpu_count()), cap
            assert cap["memory"].endswith("Ki") and cap["pods"] == "110", cap
            assert cap["example.com/dongle"] == "2" and n["status"]["allocatable"]["example.com/dongle"] == "2", cap
            assert "ephemeral-storage" in cap, cap
            assert {"type": "InternalIP", "address": f"127.{NET}.0.1"} in n["status"]["addresses"], n["status"]["addresses"]
            assert {"type": "Hostname", "address": NODE} in n["status"]["addresses"]
            labels = n["metadata"]["labels"]
            assert labels["kubernetes.io/hostname"] == NODE and labels["kubernetes.io/os"] == "linux", labels
            assert labels["beta.kubernetes.io/arch"] == labels["kubernetes.io/arch"], labels
            ready = [c for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
            assert ready["reason"] == "KubeletReady" and ready["message"] == "kubelet is posting ready status", ready
            assert n["status"]["nodeInfo"]["kubeletVersion"] == "v1.20.2"
            lease = lambda: json.loads(kubectl("get", "lease", "-n", "kube-node-lease", NODE, "-o", "json"))["spec"]
            first = lease()["renewTime"]
            wait_for("the Lease renewed", lambda: lease()["renewTime"] != first, 5)

            # (b) env, command, log file
            kubectl("create", "configmap", "-n", NS, "cfg", "--from-literal=color=blue")
            kubectl("create", "secret", "generic", "-n", NS, "sec", "--from-literal=pass=s3cret")
            apply(pod("env", [{"name": "main", "image": "busybox", "command": ["sh", "-c", "echo color=$COLOR pass=$PASS pod=$POD ip=$IP greet=$(GREETING); echo to-stderr >&2"],
                               "env": [{"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color"}}},
                                       {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "pass"}}},
                                       {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                       {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                                       {"name": "GREETING", "value": "hello-$(COLOR)"}]}], policy="Never"))
            p = wait_for("pod env Succeeded", lambda: (lambda p: p if p["status"].get("phase") == "Succeeded" else None)(pod_json("env")), 20)
            ip = p["status"]["podIP"]
            assert ip.startswith(f"127.{NET}.") and p["status"]["hostIP"] == f"127.{NET}.0.1", p["status"]
            term = cstatus(p)["state"]["terminated"]
            assert term["exitCode"] == 0 and term["reason"] == "Completed", term
            uid = p["metadata"]["uid"]
            log = open(node.data("pods", uid, "containers", "main", "0.log")).read()
            assert f" stdout F color=blue pass=s3cret pod=env ip={ip} greet=hello-blue\n" in log, log
            assert " stderr F to-stderr\n" in log, log
            assert json.load(open(node.data("pods", uid, "pod.json"))) == {"namespace": NS, "name": "env", "uid": uid, "ip": ip}

            # (c) exit codes, restarts, back-off
            apply(pod("crash", [{"name": "c", "image": "busybox", "command": ["sh", "-c", "exit 3"]}]))
            apply(pod("fail", [{"name": "c", "image": "busybox", "command": ["sh", "-c", "echo -n bye > /dev/termination-log; exit 4"]}], policy="Never"))
            apply(pod("fallback", [{"name": "c", "image": "busybox", "terminationMessagePolicy": "FallbackToLogsOnError",
                                    "command": ["sh", "-c", "echo last words; exit 5"]}], policy="Never"))
            def backing_off():
                c = cstatus(pod_json("crash"))
                w = c["state"].get("waiting", {})
                return c if c["restartCount"] >= 1 and w.get("reason") == "CrashLoopBackOff" else None
            c = wait_for("crash in CrashLoopBackOff", backing_off, 20)
            assert c["state"]["waiting"]["message"].startswith("back-off 10s restarting failed container=c pod=crash_" + NS), c
            assert c["lastState"]["terminated"]["exitCode"] == 3 and c["lastState"]["terminated"]["reason"] == "Error", c
            f = wait_for("fail Failed", lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(pod_json("fail")), 20)
            assert cstatus(f)["state"]["terminated"]["exitCode"] == 4 and cstatus(f)["restartCount"] == 0, f["status"]
            assert cstatus(f)["state"]["terminated"]["message"] == "bye", f["status"]  # terminationMessagePath
            f = wait_for("fallback Failed", lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(pod_json("fallback")), 20)
            assert cstatus(f)["state"]["terminated"]["message"] == "last words\n", f["status"]

            # (d) init containers in order
            apply(pod("init", [{"name": "main", "image": "busybox", "command": ["sleep", "3600"]}],
                      init=[{"name": "one", "image": "busybox", "command": ["sh", "-c", "sleep 1; echo one"]},
                            {"name": "two", "image": "busybox", "command": ["sh", "-c", "echo two"]}]))
            wait_for("Init:0/2", lambda: "Init:0/2" in kubectl("get", "pod", "-n", NS, "init"), 10)
            p = wait_for("init Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(pod_json("init")), 20)
            one, two = [s["state"]["terminated"] for s in p["status"]["initContainerStatuses"]]
            assert one["finishedAt"] <= two["startedAt"] and one["exitCode"] == 0 == two["exitCode"], (one, two)
            assert [c["status"] for c in p["status"]["conditions"]] == ["True"] * 4, p["status"]["conditions"]

            # (e) unknown image
            apply(pod("nopull", [{"name": "c", "image": "example.invalid/nothing:1"}]))
            wait_for("ErrImagePull", lambda: cstatus(pod_json("nopull"))["state"]["waiting"]["reason"] == "ErrImagePull", 10)
            wait_for("ImagePullBackOff", lambda: cstatus(pod_json("nopull"))["state"]["waiting"]["reason"] == "ImagePullBackOff", 10)
            ev = kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=nopull")
            assert "Error: ErrImagePull" in ev and "Back-off pulling image" in ev, ev

            # (f) graceful deletion
            marker = os.path.join(tmp, "term")
            apply(pod("term", [{"name": "c", "image": "busybox",
                                "command": ["sh", "-c", f"trap 'echo TERM > {marker}; exit 0' TERM; while true; do sleep 0.1; done"],
                                "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", f"echo prestop > {marker}.pre"]}}}}],
                      terminationGracePeriodSeconds=10))
            wait_for("term Running", lambda: pod_json("term")["status"].get("phase") == "Running", 20)
            pids = node.pids()
            t0 = time.time()
            kubectl("delete", "pod", "-n", NS, "term", "--wait=true")
            assert time.time() - t0 < 9, "the TERM trap should end it well before the grace period"
            assert open(marker).read() == "TERM\n" and open(marker + ".pre").read() == "prestop\n"
            left = [x for x in pids if alive(x) and x not in node.pids()]
            assert not left, left
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=0", "--force", check=False)
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
