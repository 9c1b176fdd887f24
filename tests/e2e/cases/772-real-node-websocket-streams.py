#!/usr/bin/python3
"""Exec and logs over WebSocket as the conformance tests open them
(Pods should support remote command execution / retrieving logs over
websockets): exec with channel.k8s.io gets stdout frames (channel 1) and,
as kubelet's v1 streams, nothing on the error channel when the command
succeeds and the failure's message when it fails; pods/log with
binary.k8s.io gets the log as plain binary frames. Bounded: about 30 s."""
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402
from ws_client import messages  # noqa: E402

NS = os.environ["NS"]
NODE = "real-772"


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net()) as node:
        tunnel = subprocess.Popen([os.environ["CKUBE_NODE_BIN"], "tunnel", "--kubeconfig", os.environ["KUBECONFIG"],
                                   "--name", NODE, "--data-dir", node.data()], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "main"},
                "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                    {"name": "main", "image": "busybox",
                     "command": ["sh", "-c", "echo container is alive; sleep 3600"]}]}}))
            wait_for("main running", lambda: json.loads(kubectl("get", "pod", "-n", NS, "main", "-o", "json"))
                     ["status"].get("phase") == "Running", 30)
            base = f"/api/v1/namespaces/{NS}/pods/main"
            proto, msgs = messages(f"{base}/exec?command=echo&command=remote%20execution%20test&stdout=1&stderr=1",
                                   ["channel.k8s.io"])
            assert proto == "channel.k8s.io", proto
            data = [m for m in msgs if len(m) > 1]
            assert data and all(m[0] == 1 for m in data), msgs
            assert b"".join(m[1:] for m in data) == b"remote execution test\n", msgs
            _, msgs = messages(f"{base}/exec?command=sh&command=-c&command=exit%203&stdout=1&stderr=1",
                               ["channel.k8s.io"])
            err = b"".join(m[1:] for m in msgs if m and m[0] == 3)
            assert b"exit code 3" in err and not err.startswith(b"{"), msgs
            proto, msgs = messages(f"{base}/log?container=main", ["binary.k8s.io"])
            assert proto == "binary.k8s.io", proto
            assert b"".join(msgs) == b"container is alive\n", msgs
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
        finally:
            tunnel.kill()  # it notices SIGTERM only at its stream's next keep-alive
            tunnel.wait(10)
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
