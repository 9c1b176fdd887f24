#!/usr/bin/python3
"""securityContext.readOnlyRootFilesystem on a real node (conformance:
Kubelet when scheduling a read only busybox container should not write to
root filesystem): the container's root and the host's directories in it
are read-only, its volumes and /dev stay writable; without the flag the
root takes writes (its own tmpfs). Bounded: about 30 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-774"
SCRIPT = "echo test > /file && echo root-rw; echo x > /vol/f && echo vol-rw; echo y > /dev/null && echo dev-rw"
HOST_DIR = "echo test > /tmp/ckube-774-file && echo tmp-rw; "  # only where it must fail: /tmp is the host's


def pod(name, read_only):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeName": NODE, "restartPolicy": "Never", "volumes": [{"name": "vol", "emptyDir": {}}],
                 "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", (HOST_DIR if read_only else "") + SCRIPT],
                                 "securityContext": {"readOnlyRootFilesystem": read_only},
                                 "volumeMounts": [{"name": "vol", "mountPath": "/vol"}]}]}}))


def log(node, name):
    p = json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))
    if p["status"].get("phase") != "Succeeded":
        return None
    with open(node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")) as f:
        return "".join(line.split(" ", 3)[3] for line in f)


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net()) as node:
        pod("ro", True)
        pod("rw", False)
        ro = wait_for("ro done", lambda: log(node, "ro"), 30)
        # stdout and stderr are two pipes: their lines' order in the log is not fixed
        assert sorted(ro.splitlines()) == ["dev-rw", "sh: can't create /file: Read-only file system",
                                           "sh: can't create /tmp/ckube-774-file: Read-only file system", "vol-rw"], ro
        assert not os.path.exists("/tmp/ckube-774-file")
        rw = wait_for("rw done", lambda: log(node, "rw"), 30)
        assert rw == "root-rw\nvol-rw\ndev-rw\n", rw
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
