#!/usr/bin/python3
"""postStart hooks and FallbackToLogsOnError on a real node (conformance:
Container Lifecycle Hook should execute poststart exec/http hook properly;
Container Runtime should report termination message from log output if
TerminationMessagePolicy FallbackToLogsOnError is set).
(a) exec: the hook runs in the container (its environment, its emptyDir);
while it runs the pod is Pending and the container waiting
ContainerCreating, Running only after it returns.
(b) httpGet: the node GETs another pod's server (host, port, path).
(c) a failing hook: kubelet's FailedPostStartHook event with its message,
Killing "FailedPostStartHook", the container killed, the pod Failed under
restartPolicy Never.
(d) a failed container with an empty message file: its log's tail is the
terminated state's message (a last line without newline as it is; at most
80 lines and 2048 bytes).
(e) a preStop hook that fails: kubelet's FailedPreStopHook event, the pod
still deleted. Bounded: about 70 s."""
import json, os, shutil, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-775"


def apply(name, containers, **spec):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": containers, **spec}}))


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def events(name):
    return json.loads(kubectl("get", "events", "-n", NS, "--field-selector", f"involvedObject.name={name}",
                              "-o", "json"))["items"]


def log(node, name):
    p = pod(name)
    path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
    return "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""


def terminated(name):
    p = pod(name)
    if p["status"].get("phase") not in ("Succeeded", "Failed"):
        return None
    return p["status"]["containerStatuses"][0]["state"].get("terminated")


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-775-")
    try:
        with RealNode(NODE, pod_net()) as node:
            # (a) the exec hook runs before the container counts as Running
            started = os.path.join(tmp, "hook-started")
            apply("exec-hook", [{
                "name": "c", "image": "busybox", "env": [{"name": "GREETING", "value": "from-env"}],
                "command": ["sh", "-c", "until [ -f /data/hook ]; do sleep 0.2; done; cat /data/hook; exec sleep 600"],
                "volumeMounts": [{"name": "d", "mountPath": "/data"}],
                "lifecycle": {"postStart": {"exec": {"command": [
                    "sh", "-c", f"touch {started}; sleep 3; echo $GREETING > /data/hook"]}}}}],
                volumes=[{"name": "d", "emptyDir": {}}])
            wait_for("the hook started", lambda: os.path.exists(started), 30)
            p = pod("exec-hook")
            cs = p["status"].get("containerStatuses", [{}])[0]
            assert p["status"].get("phase") == "Pending", p["status"]
            assert cs.get("state", {}).get("waiting", {}).get("reason") == "ContainerCreating", cs
            assert cs.get("ready") is False and cs.get("started") is not True, cs
            wait_for("exec-hook Running", lambda: pod("exec-hook")["status"].get("phase") == "Running", 15)
            wait_for("the container saw the hook's file", lambda: log(node, "exec-hook") == "from-env\n", 10)

            # (b) the httpGet hook reaches another pod's server
            apply("server", [{"name": "c", "image": "busybox",
                              "command": ["sh", "-c", "mkdir /w && exec httpd -f -vv -p 8080 -h /w"]}])
            ip = wait_for("server IP", lambda: pod("server")["status"].get("podIP")
                          if pod("server")["status"].get("phase") == "Running" else None, 30)
            apply("http-hook", [{"name": "c", "image": "busybox", "command": ["sleep", "600"],
                                 "lifecycle": {"postStart": {"httpGet": {
                                     "host": ip, "port": 8080, "path": "/echo?msg=poststart"}}}}])
            wait_for("http-hook Running", lambda: pod("http-hook")["status"].get("phase") == "Running", 30)
            wait_for("the server got the hook's GET", lambda: "url:/echo" in log(node, "server"), 10)

            # (c) a failing hook kills the container
            apply("bad-hook", [{"name": "c", "image": "busybox", "command": ["sleep", "600"],
                                "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "echo broke; exit 3"]}}}}],
                  restartPolicy="Never")
            t = wait_for("bad-hook Failed", lambda: terminated("bad-hook"), 30)
            assert t["exitCode"] in (137, 143) and t["reason"] == "Error", t
            uid = pod("bad-hook")["metadata"]["uid"]
            want = (f'Exec lifecycle hook ([sh -c echo broke; exit 3]) for Container "c" in Pod "bad-hook_{NS}({uid})" '
                    f'failed - error: command \'sh -c echo broke; exit 3\' exited with 3: broke\n, message: "broke\\n"')
            evs = wait_for("FailedPostStartHook", lambda: [e for e in events("bad-hook")
                                                            if e["reason"] in ("FailedPostStartHook", "Killing")], 10)
            hook = [e for e in evs if e["reason"] == "FailedPostStartHook"]
            assert hook and hook[0]["message"] == want and hook[0]["type"] == "Warning", (hook, want)
            assert any(e["reason"] == "Killing" and e["message"] == "FailedPostStartHook" for e in evs), evs

            # (d) FallbackToLogsOnError: the log's tail, a partial last line as it is
            apply("fallback", [{"name": "c", "image": "busybox", "terminationMessagePolicy": "FallbackToLogsOnError",
                                "command": ["sh", "-c", "echo line1; /bin/echo -n DONE; exit 2"]}], restartPolicy="Never")
            apply("fallback-long", [{"name": "c", "image": "busybox", "terminationMessagePolicy": "FallbackToLogsOnError",
                                     "command": ["sh", "-c", "for i in $(seq 1 100); do printf '%039d\\n' $i; done; exit 1"]}],
                  restartPolicy="Never")
            apply("fallback-ok", [{"name": "c", "image": "busybox", "terminationMessagePolicy": "FallbackToLogsOnError",
                                   "command": ["sh", "-c", "echo fine"]}], restartPolicy="Never")
            t = wait_for("fallback Failed", lambda: terminated("fallback"), 30)
            assert t["exitCode"] == 2 and t.get("message") == "line1\nDONE", t
            t = wait_for("fallback-long Failed", lambda: terminated("fallback-long"), 30)
            tail = "".join("%039d\n" % i for i in range(21, 101))[-2048:]
            assert t["exitCode"] == 1 and t.get("message") == tail, t
            t = wait_for("fallback-ok Succeeded", lambda: terminated("fallback-ok"), 30)
            assert t["exitCode"] == 0 and "message" not in t, t

            # (e) a preStop hook that fails: FailedPreStopHook, and the pod still goes
            apply("bad-prestop", [{"name": "c", "image": "busybox", "command": ["sleep", "600"],
                                   "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "echo nope; exit 4"]}}}}])
            wait_for("bad-prestop Running", lambda: pod("bad-prestop")["status"].get("phase") == "Running", 30)
            uid = pod("bad-prestop")["metadata"]["uid"]
            kubectl("delete", "pod", "-n", NS, "bad-prestop", "--wait=false")
            want = (f'Exec lifecycle hook ([sh -c echo nope; exit 4]) for Container "c" in Pod "bad-prestop_{NS}({uid})" '
                    f'failed - error: command \'sh -c echo nope; exit 4\' exited with 4: nope\n, message: "nope\\n"')
            wait_for("FailedPreStopHook", lambda: [e for e in events("bad-prestop")
                                                   if e["reason"] == "FailedPreStopHook" and e["message"] == want], 20)
            wait_for("bad-prestop gone", lambda: "bad-prestop" not in kubectl("get", "pods", "-n", NS, "-o", "name"), 20)
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()
