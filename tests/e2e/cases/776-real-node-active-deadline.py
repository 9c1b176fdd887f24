#!/usr/bin/python3
"""activeDeadlineSeconds on a real node (conformance: Pods should allow
activeDeadlineSeconds to be updated): a running pod whose deadline is
lowered by a patch is Failed with kubelet's reason DeadlineExceeded and
message, its DeadlineExceeded event and its container killed (SIGTERM,
SIGKILL after the grace period), never restarted under restartPolicy
Always; a pod created with a short deadline ends the same way; one whose
deadline lies ahead keeps running. Bounded: about 30 s."""
import json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-776"
MESSAGE = "Pod was active on the node longer than the specified deadline"


def apply(name, deadline):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "activeDeadlineSeconds": deadline,
                 "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "600"]}]}}))


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def killed(name):
    s = pod(name)["status"]
    t = s.get("containerStatuses", [{}])[0].get("state", {}).get("terminated")
    return s if s.get("phase") == "Failed" and t else None


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net()):
        apply("updated", 600)
        apply("ahead", 600)
        wait_for("updated Running", lambda: pod("updated")["status"].get("phase") == "Running", 30)
        kubectl("patch", "pod", "-n", NS, "updated", "-p", '{"spec":{"activeDeadlineSeconds":2}}')
        s = wait_for("updated Failed and its container killed", lambda: killed("updated"), 15)
        assert s["reason"] == "DeadlineExceeded" and s["message"] == MESSAGE, s
        cs = s["containerStatuses"][0]
        assert cs["state"]["terminated"]["exitCode"] in (137, 143) and cs["restartCount"] == 0, cs
        ev = json.loads(kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=updated", "-o", "json"))
        reasons = {(e["reason"], e["message"]) for e in ev["items"]}
        assert ("DeadlineExceeded", MESSAGE) in reasons and ("Killing", "Stopping container c") in reasons, reasons
        time.sleep(2)  # stays Failed: not restarted
        s = pod("updated")["status"]
        assert s["phase"] == "Failed" and s["containerStatuses"][0]["restartCount"] == 0, s
        apply("short", 2)
        s = wait_for("short Failed", lambda: killed("short"), 20)
        assert s["reason"] == "DeadlineExceeded", s
        assert pod("ahead")["status"]["phase"] == "Running"
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
