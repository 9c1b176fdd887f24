#!/usr/bin/python3
"""subPathExpr on a real node (conformance: Variable Expansion should allow
substituting values in a volume subpath; should succeed in writing
subpaths in container): the mount's $(VAR)s are expanded from the
container's environment (a plain value, the downward API's annotation and
pod name), the subdirectory is made in the volume and mounted at the mount
path, so a file written under the whole volume's mount shows in it and the
other way round; an expansion to an absolute path keeps the container in
CreateContainerConfigError. Bounded: about 30 s."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-778"


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def log(node, name):
    p = pod(name)
    path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
    return "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""


def apply(name, env, sub_expr, command):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "annotations": {"mysubpath": "mypath"}},
        "spec": {"nodeName": NODE, "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                 "volumes": [{"name": "w", "emptyDir": {}}],
                 "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", command], "env": env,
                                 "volumeMounts": [{"name": "w", "mountPath": "/sub", "subPathExpr": sub_expr},
                                                  {"name": "w", "mountPath": "/vol"}]}]}}))


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net()) as node:
        env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
               {"name": "ANNOTATION", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['mysubpath']"}}}]
        apply("writer", env, "$(ANNOTATION)/$(POD_NAME)",
              "test -d /vol/mypath/writer && echo made; touch /vol/mypath/writer/a && test -f /sub/a && echo seen; "
              "echo b > /sub/b && cat /vol/mypath/writer/b; ls /vol")
        wait_for("writer Succeeded", lambda: pod("writer")["status"].get("phase") == "Succeeded", 30)
        assert log(node, "writer") == "made\nseen\nb\nmypath\n", log(node, "writer")
        apply("plain", [{"name": "DIR", "value": "foo"}], "$(DIR)", "test -d /vol/foo; echo $?")
        wait_for("plain Succeeded", lambda: pod("plain")["status"].get("phase") == "Succeeded", 30)
        assert log(node, "plain") == "0\n", log(node, "plain")
        apply("absolute", [{"name": "DIR", "value": "/etc"}], "$(DIR)", "true")
        w = wait_for("CreateContainerConfigError", lambda: pod("absolute")["status"]["containerStatuses"][0]["state"]
                     .get("waiting", {}).get("reason") == "CreateContainerConfigError" and
                     pod("absolute")["status"]["containerStatuses"][0]["state"]["waiting"], 20)
        assert w["message"] == "error SubPath `/etc` must not be an absolute path", w
        kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
