#!/usr/bin/python3
"""Volumes on a real node, each container in its own mount namespace:
an emptyDir (medium Memory) shared by two containers (one read-only);
a ConfigMap at /etc/config (the host's /etc untouched) whose files follow
an update through the ..data swap; a Secret with items and mode; the
downward API (labels); a hostPath DirectoryOrCreate and its type check
failing with kubelet's FailedMount message; a PVC bound to a hostPath PV
with subPath; /etc/hosts with the pod's IP and name; `hostname` prints the
pod's name. Bounded: about 40 s."""
import json, os, shutil, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-703"


def apply(doc):
    kubectl("apply", "-f", "-", input=json.dumps(doc))


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def log(node, p, c, n=0):
    path = node.data("pods", p["metadata"]["uid"], "containers", c, f"{n}.log")
    return "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-703-")
    hostdir, pvdir = os.path.join(tmp, "host"), os.path.join(tmp, "pv")
    try:
        with RealNode(NODE, pod_net()) as node:
            kubectl("create", "configmap", "-n", NS, "cfg", "--from-literal=color=blue", "--from-literal=size=XL")
            kubectl("create", "secret", "generic", "-n", NS, "sec", "--from-literal=pass=s3cret")
            os.makedirs(pvdir)
            apply({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{NS}"},
                   "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                            "storageClassName": "manual-703", "hostPath": {"path": pvdir}}})
            apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "claim", "namespace": NS},
                   "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "manual-703",
                            "resources": {"requests": {"storage": "1Gi"}}}})
            wait_for("claim Bound", lambda: json.loads(kubectl("get", "pvc", "-n", NS, "claim", "-o", "json"))["status"].get("phase") == "Bound", 20)
            script = ("hostname; tail -1 /etc/hosts; cat /etc/config/color; echo; ls /etc/config; cat /secret/p/pass; echo; "
                      "stat -c %a /secret/p/pass; cat /info/labels; echo; echo shared > /cache/f; "
                      "echo on-host > /data/out; echo in-pv > /pv/out; touch /etc/config/x 2>&1 | sed 's/.*Read-only.*/ro/'; "
                      "while true; do cat /etc/config/color > /cache/color; sleep 0.3; done")
            apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vols", "namespace": NS, "labels": {"app": "v"}},
                   "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                       {"name": "a", "image": "busybox", "command": ["sh", "-c", script],
                        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "cfg", "mountPath": "/etc/config"},
                                         {"name": "sec", "mountPath": "/secret"}, {"name": "info", "mountPath": "/info"},
                                         {"name": "host", "mountPath": "/data"},
                                         {"name": "pv", "mountPath": "/pv", "subPath": "sub"}]},
                       {"name": "b", "image": "busybox", "command": ["sh", "-c", "sleep 1; cat /cache/f; touch /cache/g 2>/dev/null || echo cannot-write; sleep 3600"],
                        "volumeMounts": [{"name": "cache", "mountPath": "/cache", "readOnly": True}]}],
                       "volumes": [{"name": "cache", "emptyDir": {"medium": "Memory"}},
                                   {"name": "cfg", "configMap": {"name": "cfg"}},
                                   {"name": "sec", "secret": {"secretName": "sec", "items": [{"key": "pass", "path": "p/pass", "mode": 0o400}]}},
                                   {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                                   {"name": "host", "hostPath": {"path": hostdir, "type": "DirectoryOrCreate"}},
                                   {"name": "pv", "persistentVolumeClaim": {"claimName": "claim"}}]}})
            p = wait_for("vols running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(pod("vols")), 20)
            ip = p["status"]["podIP"]
            want = f"vols\n{ip}\tvols\nblue\ncolor\nsize\ns3cret\n400\napp=\"v\"\nro\n"
            wait_for("a's output", lambda: log(node, p, "a") == want, 10)
            wait_for("b reads a's file and cannot write", lambda: log(node, p, "b") == "shared\ncannot-write\n", 10)
            assert open(os.path.join(hostdir, "out")).read() == "on-host\n"
            assert open(os.path.join(pvdir, "sub", "out")).read() == "in-pv\n"
            assert not os.path.exists("/etc/config"), "the host's /etc must not change"
            kubectl("patch", "configmap", "-n", NS, "cfg", "-p", '{"data":{"color":"red"}}')
            color = node.data("pods", p["metadata"]["uid"], "volumes", "cache", "color")
            wait_for("the update reaches the container", lambda: open(color).read() == "red", 15)

            # hostPath type check
            apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "badpath", "namespace": NS},
                   "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "busybox", "command": ["true"],
                            "volumeMounts": [{"name": "h", "mountPath": "/h"}]}],
                            "volumes": [{"name": "h", "hostPath": {"path": os.path.join(tmp, "missing"), "type": "Directory"}}]}})
            msg = f'MountVolume.SetUp failed for volume "h" : hostPath type check failed: {tmp}/missing is not a directory'
            wait_for("FailedMount", lambda: msg in kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=badpath,reason=FailedMount"), 10)
            wait_for("badpath ContainerCreating", lambda: pod("badpath")["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating", 5)
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
            kubectl("delete", "pvc", "-n", NS, "claim", "--wait=false")
    finally:
        kubectl("delete", "pv", f"pv-{NS}", "--wait=false", check=False)
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()
