#!/usr/bin/python3
"""securityContext on a real node (conformance: Security Context with
runAsUser should run the container with uid 65534; privileged should run
the container as unprivileged when false; AllowPrivilegeEscalation should
not allow privilege escalation when false).
(a) runAsUser/runAsGroup (container over pod), supplementalGroups and
fsGroup are the process's ids; a Secret with defaultMode 0400 is group
fsGroup and mode 0440, so the non-root user reads it; its emptyDir is
writable and setgid fsGroup.
(b) runAsNonRoot without a user: CreateContainerConfigError with kubelet's
message.
(c) not privileged: containerd's default capabilities (no NET_ADMIN, so
`ip link add` is refused; capabilities.add gives it back); privileged:
all of them.
(d) allowPrivilegeEscalation false: no_new_privs, a setuid-root program
keeps the user's uid; left unset, it runs as root; the same with the
nonewprivs image (a setuid-root copy of ckube-node).
(e) exec probes and exec postStart hooks run as the container's user. Bounded: about 40 s."""
import json, os, shutil, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-777"


def apply(name, containers, **spec):
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeName": NODE, "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                 "containers": containers, **spec}}))


def pod(name):
    return json.loads(kubectl("get", "pod", "-n", NS, name, "-o", "json"))


def done(name):
    p = pod(name)
    return p if p["status"].get("phase") in ("Succeeded", "Failed") else None


def log(node, name):
    p = pod(name)
    path = node.data("pods", p["metadata"]["uid"], "containers", "c", "0.log")
    return "".join(line.split(" ", 3)[3] for line in open(path)) if os.path.exists(path) else ""


def finished_log(node, name):
    p = wait_for(f"{name} finished", lambda: done(name), 30)
    return p["status"]["phase"], log(node, name)


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-777-")
    try:
        with RealNode(NODE, pod_net()) as node:
            # (a) the ids, fsGroup on the volumes
            kubectl("create", "secret", "generic", "-n", NS, "s", "--from-literal=key=secret-value")
            apply("ids", [{"name": "c", "image": "busybox", "securityContext": {"runAsUser": 1000, "runAsGroup": 3000},
                           "command": ["sh", "-c", "id -u; id -g; id -G; cat /s/key; echo; stat -c '%a %g' /s/..data/key; "
                                                   "echo w > /cache/f && stat -c '%a %g' /cache"],
                           "volumeMounts": [{"name": "s", "mountPath": "/s"}, {"name": "cache", "mountPath": "/cache"}]}],
                  securityContext={"runAsUser": 2222, "supplementalGroups": [4000], "fsGroup": 2000},
                  volumes=[{"name": "s", "secret": {"secretName": "s", "defaultMode": 0o400}},
                           {"name": "cache", "emptyDir": {}}])
            phase, out = finished_log(node, "ids")
            assert phase == "Succeeded" and out == "1000\n3000\n3000 2000 4000\nsecret-value\n440 2000\n2777 2000\n", (phase, out)
            apply("nobody", [{"name": "c", "image": "busybox", "securityContext": {"runAsUser": 65534},
                              "command": ["sh", "-c", "test $(id -u) -eq 65534"]}])
            assert finished_log(node, "nobody")[0] == "Succeeded"

            # (b) runAsNonRoot and an image user of root
            apply("nonroot", [{"name": "c", "image": "busybox", "command": ["true"],
                               "securityContext": {"runAsNonRoot": True}}])
            uid = pod("nonroot")["metadata"]["uid"]
            w = wait_for("CreateContainerConfigError", lambda: pod("nonroot")["status"]["containerStatuses"][0]["state"]
                         .get("waiting", {}).get("reason") == "CreateContainerConfigError" and
                         pod("nonroot")["status"]["containerStatuses"][0]["state"]["waiting"], 20)
            assert w["message"] == ("container has runAsNonRoot and image will run as root "
                                    f'(pod: "nonroot_{NS}({uid})", container: c)'), w

            # (c) capabilities
            link = "ip link add dummy0 type dummy 2>&1 || true; grep CapEff /proc/self/status"
            apply("unprivileged", [{"name": "c", "image": "busybox", "command": ["sh", "-c", link],
                                    "securityContext": {"privileged": False}}])
            phase, out = finished_log(node, "unprivileged")
            assert phase == "Succeeded" and "Operation not permitted" in out, out
            assert "CapEff:\t00000000a80425fb" in out, out  # containerd's default set
            apply("netadmin", [{"name": "c", "image": "busybox", "command": ["sh", "-c", link],
                                "securityContext": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]}}}])
            phase, out = finished_log(node, "netadmin")
            assert "Operation not permitted" not in out and "CapEff:\t00000000a00435fb" in out, out
            apply("privileged", [{"name": "c", "image": "busybox", "command": ["sh", "-c", link],
                                  "securityContext": {"privileged": True}}])
            phase, out = finished_log(node, "privileged")
            mine = [line for line in open("/proc/self/status") if line.startswith("CapEff:")][0]
            assert "Operation not permitted" not in out and mine in out, (out, mine)  # all the agent has

            # (d) no_new_privs against a setuid-root program
            os.chmod(tmp, 0o755)
            suid = os.path.join(tmp, "whoami-suid")
            shutil.copy("/usr/bin/id", suid)
            os.chown(suid, 0, 0)
            os.chmod(suid, 0o4755)
            apply("nnp-false", [{"name": "c", "image": "busybox", "command": [suid, "-u"],
                                 "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False}}])
            apply("nnp-unset", [{"name": "c", "image": "busybox", "command": [suid, "-u"],
                                 "securityContext": {"runAsUser": 1000}}])
            assert finished_log(node, "nnp-false") == ("Succeeded", "1000\n"), log(node, "nnp-false")
            assert finished_log(node, "nnp-unset") == ("Succeeded", "0\n"), log(node, "nnp-unset")
            # the conformance test's image: its nnp is a setuid-root program reporting its effective uid
            image = "gcr.io/kubernetes-e2e-test-images/nonewprivs:1.0"
            apply("image-false", [{"name": "c", "image": image,
                                   "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False}}])
            apply("image-unset", [{"name": "c", "image": image, "securityContext": {"runAsUser": 1000}}])
            assert finished_log(node, "image-false") == ("Succeeded", "Effective uid: 1000\n"), log(node, "image-false")
            assert finished_log(node, "image-unset") == ("Succeeded", "Effective uid: 0\n"), log(node, "image-unset")

            # (e) exec probes and exec hooks run as the container's user, as CRI's exec does
            kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "as-user"},
                "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1,
                         "securityContext": {"runAsUser": 1000, "fsGroup": 2000},
                         "volumes": [{"name": "cache", "emptyDir": {}}],
                         "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "600"],
                                         "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
                                         "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "id -u > /cache/hook"]}}},
                                         "readinessProbe": {"exec": {"command": ["sh", "-c", "test $(cat /cache/hook) -eq 1000 && test $(id -u) -eq 1000"]},
                                                            "periodSeconds": 1}}]}}))
            wait_for("as-user Ready", lambda: pod("as-user")["status"]["containerStatuses"][0]["ready"], 30)
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()
