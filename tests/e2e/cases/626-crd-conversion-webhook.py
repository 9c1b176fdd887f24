#!/usr/bin/python3
"""CRD conversion webhooks (spec.conversion.strategy Webhook): a custom
resource read or written in a version other than the one it is stored in
goes through a ConversionReview to the CRD's webhook, as kube-apiserver
1.20 does:
- a v1 object read as v2 (GET with curl and both kubectls, by
  <plural>.<version>.<group>) comes back converted; the review is
  apiextensions.k8s.io/v1 (the first of conversionReviewVersions) with uid,
  desiredAPIVersion and the object; metadata is the stored one but for the
  labels the webhook adds;
- after the storage version moves to v2, an object written as v1 is stored
  as v2; a list in either version is one review with only the items not in
  that version (a non homogeneous list);
- conversionReviewVersions [v1beta1] gets an apiextensions.k8s.io/v1beta1
  review;
- a webhook that answers Failure, changes an object's name, or is down makes
  the read fail with 500 "Internal error occurred: conversion webhook for
  <gv>, Kind=<kind> failed: ..." (kubectl shows it);
- objects already in the asked version never reach the webhook.
The webhook is an HTTPS endpoint on 127.0.0.1 (tools/tls_hook.py).
Bounded: about 20 s."""
import http.client, json, os, shutil, ssl, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import free_port  # noqa: E402
from tls_hook import Hook  # noqa: E402

NS = os.environ["NS"]
PORT = int(os.environ["SERVER"].rsplit(":", 1)[1])
TOKEN = os.environ["TOKEN"]
KUBECTLS = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or ["kubectl"]
CTX = ssl._create_unverified_context()
GROUP = "conv.e2e.ckube.io"
PLURAL = "e2ehosts" + NS.rsplit("-", 1)[-1].replace(".", "")
KIND = "E2eHost"
CRD = f"{PLURAL}.{GROUP}"
mode = {"fail": None}
failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"\n     {detail}"), flush=True)
    if not cond:
        failures += 1


def api(method, path, body=None, ctype="application/json"):
    c = http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=40)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Authorization": "Bearer " + TOKEN, "Content-Type": ctype})
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None


def kubectl(k, *args):
    p = subprocess.run([k, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def convert(obj, desired):
    out = json.loads(json.dumps(obj))
    out["apiVersion"] = desired
    if desired.endswith("/v2") and "hostPort" in out:
        host, port = out.pop("hostPort").split(":")
        out["host"], out["port"] = host, port
    elif desired.endswith("/v1") and "host" in out:
        out["hostPort"] = out.pop("host") + ":" + out.pop("port")
    out["metadata"].setdefault("labels", {})["converted-by"] = "e2e-webhook"
    out["metadata"]["generation"] = 99  # not the webhook's to change: the stored value comes back
    if mode["fail"] == "rename":
        out["metadata"]["name"] = "renamed"
    return out


def answer(path, review):
    rq = review["request"]
    resp = {"uid": rq["uid"], "result": {"status": "Success"},
            "convertedObjects": [convert(o, rq["desiredAPIVersion"]) for o in rq["objects"]]}
    if mode["fail"] == "failure":
        resp = {"uid": rq["uid"], "result": {"status": "Failure", "message": "cannot convert this one"}}
    return 200, {"apiVersion": review["apiVersion"], "kind": "ConversionReview", "response": resp}


def crd_doc(hook, storage="v1", review_versions=("v1", "v1beta1"), url=None):
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": CRD},
            "spec": {"group": GROUP, "scope": "Namespaced",
                     "names": {"plural": PLURAL, "singular": PLURAL[:-1], "kind": KIND, "listKind": KIND + "List"},
                     "versions": [{"name": v, "served": True, "storage": v == storage, "schema": schema}
                                  for v in ("v1", "v2")],
                     "conversion": {"strategy": "Webhook", "webhook": {
                         "clientConfig": {"url": url or hook.url("/crdconvert"), "caBundle": hook.ca},
                         "conversionReviewVersions": list(review_versions)}}}}


def put_crd(doc):
    _, cur = api("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD}")
    doc["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
    code, body = api("PUT", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD}", doc)
    assert code == 200, (code, body)


def path(version, name=""):
    return f"/apis/{GROUP}/{version}/namespaces/{NS}/{PLURAL}" + (f"/{name}" if name else "")


def wait_served(version, want_webhook_calls_after=None, deadline=15):
    end = time.time() + deadline
    while time.time() < end:
        code, _ = api("GET", path(version))
        if code == 200:
            return True
        time.sleep(0.2)
    return False


def reviews(hook):
    return hook.bodies("/crdconvert")


def main():
    tmp = tempfile.mkdtemp(prefix="e2e-626-")
    hook = Hook(tmp, answer)
    try:
        api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        code, body = api("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd_doc(hook))
        assert code == 201, (code, body)
        assert wait_served("v1") and wait_served("v2"), "CRD versions not served"
        end = time.time() + 10
        while time.time() < end:
            code, lapi = api("GET", f"/apis/apiregistration.k8s.io/v1/apiservices/v2.{GROUP}")
            if code == 200:
                break
            time.sleep(0.2)
        check(code == 200 and lapi["spec"].get("service") is None and lapi["spec"]["groupPriorityMinimum"] == 1000 and
              lapi["spec"]["versionPriority"] == 100, "each served CRD version has a local APIService", lapi)

        # --- written as v1 (the storage version), read as v2
        code, created = api("POST", path("v1"), {"apiVersion": f"{GROUP}/v1", "kind": KIND,
                                                  "metadata": {"name": "cr-instance-1"}, "hostPort": "localhost:8080"})
        check(code == 201 and created["hostPort"] == "localhost:8080" and not reviews(hook),
              "create in the storage version: no webhook call", (code, created, len(reviews(hook))))
        code, got = api("GET", path("v2", "cr-instance-1"))
        check(code == 200 and got["apiVersion"] == f"{GROUP}/v2" and got.get("host") == "localhost" and
              got.get("port") == "8080" and "hostPort" not in got, "GET v2 converted by the webhook", got)
        check(got["metadata"]["labels"] == {"converted-by": "e2e-webhook"} and got["metadata"]["generation"] == 1 and
              got["metadata"]["uid"] == created["metadata"]["uid"], "labels from the webhook, the rest of metadata kept",
              got["metadata"])
        rv = reviews(hook)[-1]
        rq = rv["request"]
        check(rv["apiVersion"] == "apiextensions.k8s.io/v1" and rv["kind"] == "ConversionReview" and len(rq["uid"]) == 36
              and rq["desiredAPIVersion"] == f"{GROUP}/v2" and len(rq["objects"]) == 1 and
              rq["objects"][0]["hostPort"] == "localhost:8080" and rq["objects"][0]["apiVersion"] == f"{GROUP}/v1",
              "ConversionReview v1: uid, desiredAPIVersion, the stored object", rv)
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "get", f"{PLURAL}.v2.{GROUP}", "cr-instance-1", "-n", NS, "-o", "json")
            o = json.loads(out) if rc == 0 else {}
            check(o.get("apiVersion") == f"{GROUP}/v2" and o.get("host") == "localhost" and o.get("port") == "8080",
                  f"kubectl get {PLURAL}.v2.{GROUP} [{k}]", out + err)
        cp = subprocess.run(["curl", "-s", "--cacert", os.environ["CACERT"], "-H", "Authorization: Bearer " + TOKEN,
                             f"{os.environ['SERVER']}{path('v2', 'cr-instance-1')}"], capture_output=True, text=True,
                            timeout=30)
        check(json.loads(cp.stdout or "{}").get("port") == "8080", "curl GET v2", cp.stdout)
        code, upd = api("PATCH", path("v2", "cr-instance-1"), {"port": "9090"}, "application/merge-patch+json")
        _, back = api("GET", path("v1", "cr-instance-1"))
        check(code == 200 and upd.get("port") == "9090" and back.get("hostPort") == "localhost:9090",
              "a patch in v2 is stored in v1 through the webhook", (code, upd, back))

        # --- storage moves to v2: a non homogeneous list
        put_crd(crd_doc(hook, storage="v2"))
        end = time.time() + 15
        while time.time() < end:
            n = len(reviews(hook))
            code, c2 = api("POST", path("v1"), {"apiVersion": f"{GROUP}/v1", "kind": KIND,
                                                 "metadata": {"name": "cr-instance-2"}, "hostPort": "example:1"})
            if code == 201 and any(r["request"]["desiredAPIVersion"] == f"{GROUP}/v2" for r in reviews(hook)[n:]):
                break
            if code == 201:
                api("DELETE", path("v1", "cr-instance-2"))
            time.sleep(0.2)
        check(code == 201 and c2.get("hostPort") == "example:1", "create as v1 with storage v2 (converted to store)",
              (code, c2))
        for version, key in (("v1", "hostPort"), ("v2", "host")):
            n = len(reviews(hook))
            code, lst = api("GET", path(version))
            items = lst.get("items", []) if code == 200 else []
            names = sorted(i["metadata"]["name"] for i in items)
            sent = [r["request"] for r in reviews(hook)[n:]]
            check(code == 200 and names == ["cr-instance-1", "cr-instance-2"] and
                  all(i["apiVersion"] == f"{GROUP}/{version}" and key in i for i in items) and
                  len(sent) == 1 and len(sent[0]["objects"]) == 1,
                  f"list in {version}: both items in {version}, one review with only the other version's item",
                  (code, lst, sent))
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "get", f"{PLURAL}.v1.{GROUP}", "-n", NS, "-o",
                                   "jsonpath={range .items[*]}{.metadata.name}={.hostPort} {end}")
            check(rc == 0 and out.strip() == "cr-instance-1=localhost:9090 cr-instance-2=example:1",
                  f"kubectl lists v1 [{k}]", out + err)

        # --- ConversionReview v1beta1
        put_crd(crd_doc(hook, storage="v2", review_versions=("v1beta1",)))
        end = time.time() + 15
        while time.time() < end:
            n = len(reviews(hook))
            api("GET", path("v2", "cr-instance-1"))
            if reviews(hook)[n:] and reviews(hook)[-1]["apiVersion"] == "apiextensions.k8s.io/v1beta1":
                break
            time.sleep(0.2)
        check(reviews(hook)[-1]["apiVersion"] == "apiextensions.k8s.io/v1beta1",
              "conversionReviewVersions [v1beta1]: a v1beta1 review", reviews(hook)[-1])

        # --- failures: kube-apiserver's 500
        prefix = f"Internal error occurred: conversion webhook for {GROUP}/v1, Kind={KIND}"
        mode["fail"] = "failure"
        code, st = api("GET", path("v2", "cr-instance-1"))
        check(code == 500 and st["reason"] == "InternalError" and
              st["message"] == f"{prefix} failed: cannot convert this one", "Failure result: 500 with its message", st)
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "get", f"{PLURAL}.v2.{GROUP}", "cr-instance-1", "-n", NS)
            check(rc != 0 and f"{prefix} failed: cannot convert this one" in err, f"kubectl shows the failure [{k}]", err)
        code, st = api("GET", path("v2"))
        check(code == 500 and "cannot convert this one" in st["message"], "a list fails as a whole", st)
        code, st = api("GET", path("v2", "cr-instance-2"))
        check(code == 200 and st.get("host") == "example", "an object in the asked version needs no webhook", st)
        mode["fail"] = "rename"
        code, st = api("GET", path("v2", "cr-instance-1"))
        check(code == 500 and st["message"] == f"{prefix} returned invalid converted object at index 0: must have the "
              "same name: cr-instance-1 != renamed", "a renamed object is refused", st)
        mode["fail"] = None
        down = free_port()
        put_crd(crd_doc(hook, storage="v2", url=f"https://127.0.0.1:{down}/crdconvert"))
        end = time.time() + 15
        while time.time() < end:
            code, st = api("GET", path("v2", "cr-instance-1"))
            if code == 500:
                break
            time.sleep(0.2)
        check(code == 500 and st["message"].startswith(f'{prefix} failed: Post "https://127.0.0.1:{down}/crdconvert') and
              st["message"].endswith(f"dial tcp 127.0.0.1:{down}: connect: connection refused"),
              "webhook down: 500 with the dial error", st)
    finally:
        api("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD}")
        hook.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if not failures else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
