#!/usr/bin/python3
"""Custom resources survive a restart, and CRD names are arbitrated.

Starts its own ckube-server (binary from $CKUBE_SERVER_BIN) on a fresh data
dir, creates a cluster-scoped CRD and one custom resource, restarts the
server on the same data dir and reads the custom resource back at once
(stored CRDs are registered before the server answers). Then a second CRD of
the same group asking for a kind already taken gets NamesAccepted=False
(ListKindConflict, the last of its name checks) and is not established;
deleting the first CRD deletes its custom resources (cleanup finalizer),
waits for their own finalizers (Terminating/InstanceDeletionInProgress, creates
refused with 405) and the resource leaves discovery.
Bounded: stops within ~60 s."""
import http.client, json, os, shutil, signal, socket, ssl, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import CTX, free_port, start  # noqa: E402
GROUP = "restart.ckube.io"


class Client:
    def __init__(self, port, token):
        self.port, self.hdr = port, {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=CTX, timeout=10)
        c.request(method, path, json.dumps(body) if body is not None else None, self.hdr)
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def crd(plural, kind):
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{GROUP}"},
            "spec": {"group": GROUP, "scope": "Cluster", "names": {"plural": plural, "kind": kind},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}


def condition(obj, kind):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return c
    return {}


def wait_for(what, fn, secs=10):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what}")


def main():
    work = tempfile.mkdtemp(prefix="ckube-crd-restart-")
    data = os.path.join(work, "data")
    port = free_port()
    srv = start(data, port)
    try:
        cl = Client(port, open(os.path.join(data, "pki", "admin.token")).read().strip())
        code, _ = cl.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd("gadgets", "Gadget"))
        assert code == 201, code
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets." + GROUP
        wait_for("Established", lambda: condition(cl.call("GET", path)[1], "Established").get("status") == "True")
        code, body = cl.call("POST", f"/apis/{GROUP}/v1/gadgets",
                             {"apiVersion": f"{GROUP}/v1", "kind": "Gadget", "metadata": {"name": "g1"},
                              "anything": {"goes": [1, 2]}})
        assert code == 201, (code, body)
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=20)
        srv = start(data, port)
        code, body = cl.call("GET", f"/apis/{GROUP}/v1/gadgets/g1")
        assert code == 200 and body["anything"] == {"goes": [1, 2]}, (code, body)
        code, body = cl.call("GET", f"/apis/{GROUP}/v1")
        assert code == 200 and [r["name"] for r in body["resources"]] == ["gadgets"], body

        code, _ = cl.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd("others", "Gadget"))
        assert code == 201, code
        other = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/others." + GROUP
        names = wait_for("NamesAccepted", lambda: condition(cl.call("GET", other)[1], "NamesAccepted") or None)
        # kind and listKind both conflict; like Kubernetes, the last check wins
        assert names["status"] == "False" and names["reason"] == "ListKindConflict", names
        assert names["message"] == '"GadgetList" is already in use', names
        est = condition(cl.call("GET", other)[1], "Established")
        assert est["status"] == "False" and est["reason"] == "NotAccepted", est
        assert cl.call("GET", f"/apis/{GROUP}/v1/others")[0] == 404

        # a finalizer on the custom resource holds the CRD in Terminating
        cl.hdr["Content-Type"] = "application/merge-patch+json"
        code, body = cl.call("PATCH", f"/apis/{GROUP}/v1/gadgets/g1", {"metadata": {"finalizers": ["e2e.ckube.io/hold"]}})
        cl.hdr["Content-Type"] = "application/json"
        assert code == 200, (code, body)
        code, body = cl.call("DELETE", path)
        assert code == 200, (code, body)
        assert "customresourcecleanup.apiextensions.k8s.io" in body["metadata"]["finalizers"], body
        wait_for("InstanceDeletionInProgress",
                 lambda: condition(cl.call("GET", path)[1], "Terminating").get("reason") == "InstanceDeletionInProgress")
        code, body = cl.call("POST", f"/apis/{GROUP}/v1/gadgets",
                             {"apiVersion": f"{GROUP}/v1", "kind": "Gadget", "metadata": {"name": "g2"}})
        assert code == 405 and body["reason"] == "MethodNotAllowed", (code, body)
        assert body["message"] == "create not allowed while custom resource definition is terminating", body
        cl.hdr["Content-Type"] = "application/merge-patch+json"
        code, body = cl.call("PATCH", f"/apis/{GROUP}/v1/gadgets/g1", {"metadata": {"finalizers": None}})
        cl.hdr["Content-Type"] = "application/json"
        assert code == 200, (code, body)
        wait_for("CRD gone", lambda: cl.call("GET", path)[0] == 404)
        assert cl.call("GET", f"/apis/{GROUP}/v1/gadgets/g1")[0] == 404
        wait_for("others established", lambda: condition(cl.call("GET", other)[1], "Established").get("status") == "True")
        code, body = cl.call("GET", f"/apis/{GROUP}/v1")
        assert [r["name"] for r in body["resources"]] == ["others"], body
    finally:
        srv.kill()
        srv.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("ok")


main()
