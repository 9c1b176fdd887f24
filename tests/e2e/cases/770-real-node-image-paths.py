#!/usr/bin/python3
"""The image's program at the image's own paths on a real node: an image
table line `IMAGE /entry,/entry-2 PROGRAM` puts PROGRAM at /entry and its
link /entry-2 in each container's root, so argv[0] stays the path the pod
(or the image's ENTRYPOINT) names, as in Docker (conformance: Docker
Containers should be able to override the image's default command, and
arguments); its containers find the host's tools before busybox's
applets (netcat-openbsd's nc for `nc -z`). The program here is a shell script printing $0 and its
arguments; agnhost's entrypoint-tester is checked too when the conformance
suite's agnhost is built. Bounded: about 30 s."""
import json, os, shutil, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-770"
AGNHOST = "/tmp/k8s-e2e/bin/agnhost"


def run(name, image, command=None, args=None):
    c = {"name": "c", "image": image}
    if command:
        c["command"] = command
    if args:
        c["args"] = args
    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
        "spec": {"nodeName": NODE, "restartPolicy": "Never", "containers": [c]}}))


def finished(name):
    p = json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))
    return p if p["status"].get("phase") in ("Succeeded", "Failed") else None


def output(node, name):
    """The container's log (a node started with a kubeconfig has no tunnel for kubectl logs: read its CRI file)."""
    p = wait_for(f"{name} finished", lambda: finished(name), 20)
    assert p["status"]["phase"] == "Succeeded", p["status"]
    with open(node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")) as f:
        return "".join(line.split(" ", 3)[3] for line in f)


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-770-")
    try:
        prog = os.path.join(tmp, "printargs")
        with open(prog, "w") as f:
            f.write('#!/bin/sh\necho "$0 $*"\n')
        os.chmod(prog, 0o755)
        table = os.path.join(tmp, "images.conf")
        with open(table, "w") as f:
            f.write("busybox - applets:/bin/busybox sh\n"
                    f"example/printargs /printargs,/printargs-2 {prog} default-cmd\n")
            if os.path.exists(AGNHOST):
                f.write(f"agnhost /agnhost,/agnhost-2 {AGNHOST} pause\n")
        with RealNode(NODE, pod_net(), extra=["--image-table", table]) as node:
            run("defaults", "example/printargs")
            run("args", "example/printargs", args=["a", "b"])
            run("link", "example/printargs", command=["/printargs-2"], args=["x"])
            run("seen", "busybox", command=["sh", "-c", "ls /printargs 2>&1 | grep -c 'No such'"])
            # an image with a program of its own finds the host's tools first (agnhost's image has netcat-openbsd's
            # nc, whose -z the conformance tests use), busybox's applets only after them
            run("tools", "example/printargs", command=["sh", "-c", "case $PATH in /usr/local/sbin:*busybox*) echo host-first;; esac; "
                                                       "nc -h 2>&1 | grep -q Zero-I/O && echo openbsd-nc"])
            assert output(node, "defaults") == "/printargs default-cmd\n"
            assert output(node, "args") == "/printargs a b\n"
            assert output(node, "link") == "/printargs-2 x\n"
            assert output(node, "seen") == "1\n", "another image's root has no /printargs"
            assert output(node, "tools") == "host-first\nopenbsd-nc\n"
            if os.path.exists(AGNHOST):
                run("ag-args", "k8s.gcr.io/e2e-test-images/agnhost:2.21", args=["entrypoint-tester", "override", "arguments"])
                run("ag-cmd", "k8s.gcr.io/e2e-test-images/agnhost:2.21", command=["/agnhost-2"], args=["entrypoint-tester"])
                assert output(node, "ag-args") == "[/agnhost entrypoint-tester override arguments]\n"
                assert output(node, "ag-cmd") == "[/agnhost-2 entrypoint-tester]\n"
            else:
                print("agnhost not built: its part skipped")
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()
