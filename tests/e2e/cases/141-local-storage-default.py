#!/usr/bin/python3
"""--local-storage-default: the built-in StorageClass local-path as the
default class, k3s-style.

Starts its own ckube-server (binary from $CKUBE_SERVER_BIN) on a fresh data
dir without the flag: local-path exists, not annotated as the default, and a
claim without a class keeps no class (Pending, nothing provisions it). Then
restarts the same data dir with --local-storage-default: the existing class
is marked storageclass.kubernetes.io/is-default-class "true", and a new
claim without a class gets local-path and a provisioned volume (Bound).
Bounded: about 20 s."""
import http.client, json, os, shutil, signal, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import CTX, free_port, start  # noqa: E402

DEFAULT = "storageclass.kubernetes.io/is-default-class"


def call(port, token, method, path, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=10)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    return r.status, (json.loads(data) if data else None)


def wait_for(what, fn, secs=10):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what}")


def claim(name):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}


def local_path(port, token):
    st, sc = call(port, token, "GET", "/apis/storage.k8s.io/v1/storageclasses/local-path")
    return sc if st == 200 else None


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except Exception:
        p.kill()
        p.wait()


def main():
    work = tempfile.mkdtemp(prefix="ckube-local-storage-")
    data, port = os.path.join(work, "data"), free_port()
    claims = "/api/v1/namespaces/default/persistentvolumeclaims"
    p = start(data, port)
    try:
        token = open(os.path.join(data, "pki", "admin.token")).read().strip()
        sc = wait_for("the local-path class", lambda: local_path(port, token))
        if sc["provisioner"] != "rancher.io/local-path" or DEFAULT in sc["metadata"].get("annotations", {}):
            sys.exit(f"without the flag, local-path must exist and not be the default: {sc}")
        st, made = call(port, token, "POST", claims, claim("plain"))
        if st != 201 or "storageClassName" in made["spec"]:
            sys.exit(f"a class-less claim got a class without a default class: {st} {made}")
        time.sleep(1)
        st, got = call(port, token, "GET", claims + "/plain")
        if got["status"].get("phase") != "Pending" or got["spec"].get("volumeName"):
            sys.exit(f"a class-less claim was bound with no volume and no default class: {got}")
        stop(p)

        p = start(data, port, ["--local-storage-default"])
        wait_for("local-path marked default",
                 lambda: (local_path(port, token) or {}).get("metadata", {}).get("annotations", {}).get(DEFAULT) == "true")
        st, made = call(port, token, "POST", claims, claim("k3s-style"))
        if st != 201 or made["spec"].get("storageClassName") != "local-path":
            sys.exit(f"with --local-storage-default a class-less claim must get local-path: {st} {made}")
        bound = wait_for("the claim bound to a provisioned volume",
                         lambda: (lambda g: g if g["status"].get("phase") == "Bound" else None)(
                             call(port, token, "GET", claims + "/k3s-style")[1]))
        st, pv = call(port, token, "GET", "/api/v1/persistentvolumes/" + bound["spec"]["volumeName"])
        if st != 200 or pv["metadata"]["annotations"].get("pv.kubernetes.io/provisioned-by") != "rancher.io/local-path":
            sys.exit(f"the volume was not provisioned by local-path: {st} {pv}")
        print("ok: local-path is the default only with --local-storage-default")
    finally:
        stop(p)
        shutil.rmtree(work, ignore_errors=True)


main()
