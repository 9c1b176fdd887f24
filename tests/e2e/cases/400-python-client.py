#!/usr/bin/python3
"""The Python kubernetes client (Debian's python3-kubernetes) against ckube:
namespaces, ConfigMap and Deployment CRUD with strategic and merge patches,
label selectors, a watch seeing another thread's changes, and ApiException
status codes. Prints each check; exits non-zero on the first mismatch."""
import os, sys, threading, time
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = os.environ.get("NS", "e2e-python") + "-py"


def check(what, got, want):
    if got != want:
        print(f"FAIL {what}: got {got!r}, want {want!r}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


def expect_status(what, status, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ApiException as e:
        check(f"{what} -> {status}", e.status, status)
        return e
    check(f"{what} -> {status}", "no exception", status)


config.load_kube_config(config_file=os.environ["KUBECONFIG"])
core = client.CoreV1Api()
apps = client.AppsV1Api()

names = [n.metadata.name for n in core.list_namespace().items]
check("list_namespace has default and kube-system", {"default", "kube-system"} <= set(names), True)
ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
check("create_namespace phase", ns.status.phase, "Active")
expect_status("create_namespace again", 409, core.create_namespace,
              client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))

# ConfigMap CRUD
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"app": "py", "tier": "web"}),
                        data={"a": "1"})
created = core.create_namespaced_config_map(NS, cm)
check("configmap created uid set", bool(created.metadata.uid), True)
read = core.read_namespaced_config_map("py-cm", NS)
check("read configmap data", read.data, {"a": "1"})
p = core.patch_namespaced_config_map("py-cm", NS, {"data": {"b": "2"}, "metadata": {"labels": {"tier": "db"}}})
check("strategic patch (default) merges data", p.data, {"a": "1", "b": "2"})
check("strategic patch changed label", p.metadata.labels, {"app": "py", "tier": "db"})
p = core.api_client.call_api(
    "/api/v1/namespaces/{namespace}/configmaps/{name}", "PATCH",
    path_params={"namespace": NS, "name": "py-cm"}, body={"data": {"a": None}},
    header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
    response_type="V1ConfigMap", auth_settings=["BearerToken"], _return_http_data_only=True)
check("merge patch removed key a", p.data, {"b": "2"})
read = core.read_namespaced_config_map("py-cm", NS)
read.data = {"c": "3"}
rep = core.replace_namespaced_config_map("py-cm", NS, read)
check("replace configmap", rep.data, {"c": "3"})
check("replace bumped resourceVersion", int(rep.metadata.resource_version) > int(read.metadata.resource_version), True)
stale = read  # still carries the old resourceVersion
stale.data = {"d": "4"}
expect_status("replace with stale resourceVersion", 409, core.replace_namespaced_config_map, "py-cm", NS, stale)
core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="other", labels={"app": "other"})))
sel = [c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="app=py").items]
check("list label_selector app=py", sel, ["py-cm"])
sel = sorted(c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="app in (py,other)").items)
check("list label_selector app in (py,other)", sel, ["other", "py-cm"])
e = expect_status("create existing configmap", 409, core.create_namespaced_config_map, NS, cm)
check("409 reason", '"reason":"AlreadyExists"' in e.body.replace(" ", ""), True)
core.delete_namespaced_config_map("py-cm", NS)
e = expect_status("read deleted configmap", 404, core.read_namespaced_config_map, "py-cm", NS)
check("404 reason", '"reason":"NotFound"' in e.body.replace(" ", ""), True)
expect_status("delete missing configmap", 404, core.delete_namespaced_config_map, "py-cm", NS)

# Deployment CRUD
dep = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py-web", labels={"app": "py-web"}),
    spec=client.V1DeploymentSpec(
        replicas=2, selector=client.V1LabelSelector(match_labels={"app": "py-web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "py-web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="nginx:1.19"),
                                               client.V1Container(name="side", image="busybox:1.32")]))))
d = apps.create_namespaced_deployment(NS, dep)
check("deployment defaults: strategy", d.spec.strategy.type, "RollingUpdate")
check("deployment defaults: revisionHistoryLimit", d.spec.revision_history_limit, 10)
check("deployment defaults: imagePullPolicy", d.spec.template.spec.containers[0].image_pull_policy, "IfNotPresent")
d = apps.patch_namespaced_deployment("py-web", NS, {"spec": {"template": {"spec": {"containers": [
    {"name": "side", "image": "busybox:1.33"}]}}}})
check("strategic patch keeps other container",
      [(c.name, c.image) for c in d.spec.template.spec.containers],
      [("app", "nginx:1.19"), ("side", "busybox:1.33")])
# read-modify-write races the deployment controller's status writes: retry
# on 409 Conflict as client-go's RetryOnConflict does
for attempt in range(10):
    d = apps.read_namespaced_deployment("py-web", NS)
    d.spec.replicas = 4
    try:
        d = apps.replace_namespaced_deployment("py-web", NS, d)
        break
    except client.exceptions.ApiException as e:
        if e.status != 409:
            raise
check("replace deployment replicas", d.spec.replicas, 4)
check("generation after two spec changes", d.metadata.generation, 3)
s = apps.read_namespaced_deployment_scale("py-web", NS)
check("scale subresource", s.spec.replicas, 4)
lst = apps.list_namespaced_deployment(NS, label_selector="app=py-web")
check("list deployments by label", [x.metadata.name for x in lst.items], ["py-web"])
bad = client.V1Deployment(metadata=client.V1ObjectMeta(name="Bad_Name"), spec=dep.spec)
e = expect_status("invalid deployment name", 422, apps.create_namespaced_deployment, NS, bad)
check("422 names the field", "metadata.name: Invalid value" in e.body, True)
apps.delete_namespaced_deployment("py-web", NS)
expect_status("read deleted deployment", 404, apps.read_namespaced_deployment, "py-web", NS)

# Watch: another thread creates, modifies and deletes a configmap
rv = core.list_namespaced_config_map(NS).metadata.resource_version


def writer():
    time.sleep(0.5)
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="watched"), data={"v": "1"}))
    core.patch_namespaced_config_map("watched", NS, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("watched", NS)


t = threading.Thread(target=writer)
t.start()
seen = []
w = watch.Watch()
deadline = time.time() + 10
# the client sends watch=True: any value but "0"/"false" means true to kube-apiserver
try:
    for ev in w.stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=4):
        if ev["object"].metadata.name == "watched":
            seen.append((ev["type"], (ev["object"].data or {}).get("v")))
        if len(seen) == 3 or time.time() > deadline:
            w.stop()
except Exception as e:  # e.g. a list answered instead of a watch stream
    t.join()
    check("watch stream readable", f"{type(e).__name__}: {e}", "no error")
t.join()
check("watch saw ADDED/MODIFIED/DELETED", seen, [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")])

core.delete_namespace(NS)
print("all python client checks passed")
