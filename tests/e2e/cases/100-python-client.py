#!/usr/bin/python3
"""The Python kubernetes client (Debian's python3-kubernetes) against ckube:
list, create, read, patch (strategic and merge), replace, delete, label
selectors, a watch seeing ADDED/MODIFIED/DELETED, and ApiException codes."""
import os
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(os.environ["KUBECONFIG"])
core, apps = client.CoreV1Api(), client.AppsV1Api()
ns = "e2e-python"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        raise SystemExit(1)


names = [n.metadata.name for n in core.list_namespace().items]
check("default" in names and "kube-system" in names, "list namespaces")
core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))

cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(
    metadata=client.V1ObjectMeta(name="py-cm", labels={"app": "py"}), data={"a": "1"}))
check(cm.metadata.uid and cm.metadata.resource_version, "create configmap")
check(core.read_namespaced_config_map("py-cm", ns).data == {"a": "1"}, "read configmap")
core.patch_namespaced_config_map("py-cm", ns, {"data": {"b": "2"}})
check(core.read_namespaced_config_map("py-cm", ns).data == {"a": "1", "b": "2"}, "strategic patch")
cur = core.read_namespaced_config_map("py-cm", ns)
cur.data = {"c": "3"}
core.replace_namespaced_config_map("py-cm", ns, cur)
check(core.read_namespaced_config_map("py-cm", ns).data == {"c": "3"}, "replace")
try:
    cur.data = {"stale": "yes"}
    core.replace_namespaced_config_map("py-cm", ns, cur)
    check(False, "stale replace is refused")
except ApiException as e:
    check(e.status == 409, "stale replace gives 409 Conflict")
check(len(core.list_namespaced_config_map(ns, label_selector="app=py").items) == 1, "label selector")
check(len(core.list_namespaced_config_map(ns, label_selector="app in (other)").items) == 0, "set-based selector")

dep = apps.create_namespaced_deployment(ns, {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "py-dep"},
    "spec": {"selector": {"matchLabels": {"app": "py"}},
             "template": {"metadata": {"labels": {"app": "py"}},
                          "spec": {"containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "busybox"}]}}}})
check(dep.spec.replicas == 1 and dep.spec.strategy.type == "RollingUpdate", "create deployment with defaults")
apps.patch_namespaced_deployment("py-dep", ns, {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "busybox:1.32"}]}}}})
d = apps.read_namespaced_deployment("py-dep", ns)
check([(c.name, c.image) for c in d.spec.template.spec.containers] == [("a", "nginx"), ("b", "busybox:1.32")],
      "strategic patch merges containers by name")
apps.patch_namespaced_deployment_scale("py-dep", ns, {"spec": {"replicas": 3}})
check(apps.read_namespaced_deployment_scale("py-dep", ns).spec.replicas == 3, "scale subresource")

seen = []


def watcher():
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, ns, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED" and ev["object"].metadata.name == "py-watched":
            w.stop()


t = threading.Thread(target=watcher)
t.start()
time.sleep(1)
core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-watched")))
core.patch_namespaced_config_map("py-watched", ns, {"data": {"x": "y"}})
core.delete_namespaced_config_map("py-watched", ns)
t.join(10)
mine = [e for e in seen if e[1] == "py-watched"]
check(mine == [("ADDED", "py-watched"), ("MODIFIED", "py-watched"), ("DELETED", "py-watched")], f"watch {mine}")

try:
    core.read_namespaced_config_map("nope", ns)
    check(False, "missing object is 404")
except ApiException as e:
    check(e.status == 404, "missing object gives 404")
apps.delete_namespaced_deployment("py-dep", ns)
core.delete_namespace(ns)
print("python client: all checks passed")
