#!/usr/bin/python3
"""Dynamic admission control: ValidatingWebhookConfiguration and
MutatingWebhookConfiguration objects make the server call a webhook.

A small HTTPS webhook runs in this process on 127.0.0.1 (its CA and
certificate made with openssl here); configurations reach it by url (with
the caBundle) or by a Service whose Endpoints point at it. Proved with every
kubectl given and with curl:
- a validating webhook denies ConfigMaps carrying the key "forbidden" in
  namespaces labelled e2e-webhooks=on (namespaceSelector): kubectl and the
  API print kube-apiserver's 'admission webhook "NAME" denied the request:
  MSG' with the webhook's code; other namespaces are not asked;
- a mutating webhook adds a label by JSONPatch (and a warning kubectl
  shows), skipped for objects labelled skip-mutation (objectSelector); the
  validating webhook sees the mutated object; the AdmissionReview carries
  uid, kind, resource, operation, userInfo, options, dryRun and ?timeout=;
- UPDATE and DELETE (oldObject) are sent; dry runs reach webhooks with
  sideEffects None (v1 allows no other);
- v1 defaults are stored and invalid configurations refused;
- a webhook that is down: failurePolicy Ignore admits, Fail answers 500
  "Internal error occurred: failed calling webhook ..."; a webhook slower
  than timeoutSeconds fails in about that time;
- AdmissionReview v1beta1, reinvocationPolicy IfNeeded, a service reference.
Bounded: about 30 s."""
import base64, http.client, json, os, shutil, ssl, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import free_port  # noqa: E402

NS = os.environ["NS"]
OFF = NS + "-off"
PORT = int(os.environ["SERVER"].rsplit(":", 1)[1])
TOKEN = os.environ["TOKEN"]
KUBECTLS = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or ["kubectl"]
ADM = "/apis/admissionregistration.k8s.io/v1/"
CTX = ssl._create_unverified_context()
failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"\n     {detail}"), flush=True)
    if not cond:
        failures += 1


def api(method, path, body=None, ctype="application/json"):
    c = http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=30)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Authorization": "Bearer " + TOKEN, "Content-Type": ctype})
    r = c.getresponse()
    data = r.read()
    return r.status, (json.loads(data) if data else None), r.getheader("Warning")


def kubectl(k, *args, stdin=None):
    p = subprocess.run([k, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# ---- the webhook -------------------------------------------------------------------------------

seen = []  # (path, review) of every call
lock = threading.Lock()


def respond(review, allowed=True, status=None, patch=None, warnings=None):
    rq = review["request"]
    resp = {"uid": rq["uid"], "allowed": allowed}
    if status:
        resp["status"] = status
    if patch is not None:
        resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
        if review["apiVersion"] == "admission.k8s.io/v1":
            resp["patchType"] = "JSONPatch"
    if warnings:
        resp["warnings"] = warnings
    return {"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": resp}


def add_label(obj, key, value):
    if (obj["metadata"].get("labels") or {}).get(key) == value:
        return []
    if not obj["metadata"].get("labels"):
        return [{"op": "add", "path": "/metadata/labels", "value": {key: value}}]
    return [{"op": "add", "path": "/metadata/labels/" + key.replace("~", "~0").replace("/", "~1"), "value": value}]


class Hook(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path.split("?")[0]
        with lock:
            seen.append((self.path, review))
        rq = review["request"]
        obj, old = rq.get("object"), rq.get("oldObject")
        if path == "/validate":
            if obj and "forbidden" in (obj.get("data") or {}):
                out = respond(review, False, {"code": 403, "message": "the key forbidden is not allowed"})
            elif rq["operation"] == "DELETE" and (old["metadata"].get("labels") or {}).get("protected") == "true":
                out = respond(review, False, {"reason": "Protected"})
            else:
                out = respond(review)
        elif path == "/deny":
            out = respond(review, False, {"message": "denied via service"})
        elif path == "/mutate":
            out = respond(review, patch=add_label(obj, "webhook-mutated", "yes"), warnings=["mutated by label.ckube.io"])
        elif path in ("/reinvoke-a", "/reinvoke-b"):
            out = respond(review, patch=add_label(obj, path[1:], str(sum(1 for p, _ in seen if p.startswith(path)))))
        elif path == "/slow":
            time.sleep(4)
            out = respond(review)
        else:
            out = respond(review)
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def make_certs(d):
    def run(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=e2e-webhook-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=webhook")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write(f"subjectAltName=IP:127.0.0.1,DNS:wh-svc.{NS}.svc\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt",
        "-days", "1", "-extfile", "san.ext")
    return base64.b64encode(open(os.path.join(d, "ca.crt"), "rb").read()).decode()


tmp = tempfile.mkdtemp(prefix="e2e-webhook-")
CA = make_certs(tmp)
HOOK_PORT = free_port()
DOWN_PORT = free_port()
srv = ThreadingHTTPServer(("127.0.0.1", HOOK_PORT), Hook)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key"))
srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()


def url_config(path, port=None):
    return {"url": f"https://127.0.0.1:{port or HOOK_PORT}{path}", "caBundle": CA}


def hook(name, path, ops=("CREATE", "UPDATE"), resources=("configmaps",), **extra):
    h = {"name": name, "clientConfig": url_config(path), "sideEffects": "None", "admissionReviewVersions": ["v1"],
         "rules": [{"operations": list(ops), "apiGroups": [""], "apiVersions": ["v1"], "resources": list(resources)}]}
    h.update(extra)
    return h


def configure(kind, name, hooks):
    plural = kind.lower() + "s"
    api("DELETE", ADM + plural + "/" + name)
    code, body, _ = api("POST", ADM + plural, {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
                                               "metadata": {"name": name}, "webhooks": hooks})
    assert code == 201, (code, body)


def cm(name, data=None, labels=None, ns=NS):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "data": data or {"a": "1"}}


def reviews(path):
    with lock:
        return [r for p, r in seen if p.split("?")[0] == path]


try:
    for n, labels in ((NS, {"e2e-webhooks": "on"}), (OFF, {})):
        api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels}})
    on = {"matchLabels": {"e2e-webhooks": "on"}}
    configure("ValidatingWebhookConfiguration", "e2e-deny", [
        hook("deny.ckube.io", "/validate", ops=("CREATE", "UPDATE", "DELETE"), namespaceSelector=on)])
    configure("MutatingWebhookConfiguration", "e2e-label", [
        hook("label.ckube.io", "/mutate", ops=("CREATE",), namespaceSelector=on,
             objectSelector={"matchExpressions": [{"key": "skip-mutation", "operator": "DoesNotExist"}]})])

    # --- the configurations: v1 defaults, validation
    _, got, _ = api("GET", ADM + "validatingwebhookconfigurations/e2e-deny")
    h = got["webhooks"][0]
    check(h["failurePolicy"] == "Fail" and h["matchPolicy"] == "Equivalent" and h["timeoutSeconds"] == 10 and
          h["objectSelector"] == {} and h["rules"][0]["scope"] == "*", "v1 defaults stored", h)
    bad = hook("bad", "/validate")
    del bad["sideEffects"]
    code, st, _ = api("POST", ADM + "validatingwebhookconfigurations", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "e2e-bad"}, "webhooks": [bad]})
    check(code == 422 and st["message"] == 'ValidatingWebhookConfiguration.admissionregistration.k8s.io "e2e-bad" is '
          'invalid: [webhooks[0].name: Invalid value: "bad": should be a domain with at least three segments separated by '
          'dots, webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun]', "validation", st)

    # --- validation: denial as kube-apiserver words it, with the webhook's code
    denial = 'admission webhook "deny.ckube.io" denied the request: the key forbidden is not allowed'
    code, st, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("bad", {"forbidden": "x"}))
    check(code == 403 and st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                 "message": denial, "code": 403}, "denial Status over the API", st)
    for k in KUBECTLS:
        rc, out, err = kubectl(k, "create", "configmap", "bad", "-n", NS, "--from-literal=forbidden=x")
        last = err.strip().splitlines()[-1] if err.strip() else ""
        check(rc == 1 and last in (f"Error from server: {denial}", f"error: failed to create configmap: {denial}"),
              f"kubectl create denied [{k}]", err)
        rc, out, err = kubectl(k, "apply", "-f", "-", stdin=json.dumps(cm("bad", {"forbidden": "x"})))
        check(rc == 1 and err.strip().splitlines()[-1] == f'Error from server: error when creating "STDIN": {denial}',
              f"kubectl apply denied [{k}]", err)
    cp = subprocess.run(["curl", "-s", "--cacert", os.environ["CACERT"], "-H", "Authorization: Bearer " + TOKEN,
                         "-H", "Content-Type: application/json", "-X", "POST", "--data", json.dumps(cm("bad", {"forbidden": "x"})),
                         f"{os.environ['SERVER']}/api/v1/namespaces/{NS}/configmaps"], capture_output=True, text=True)
    check(json.loads(cp.stdout).get("message") == denial, "curl sees the denial", cp.stdout)
    code, _, _ = api("POST", f"/api/v1/namespaces/{OFF}/configmaps", cm("bad", {"forbidden": "x"}, ns=OFF))
    check(code == 201, "namespaceSelector: a namespace without the label is not asked", code)

    # --- mutation: a label added by JSONPatch, seen by the validating webhook; the review's fields
    for i, k in enumerate(KUBECTLS):
        rc, out, err = kubectl(k, "create", "configmap", f"good-{i}", "-n", NS, "--from-literal=a=1")
        check(rc == 0 and "Warning: mutated by label.ckube.io" in err, f"kubectl create admitted with warning [{k}]", out + err)
        rc, out, err = kubectl(k, "get", "configmap", f"good-{i}", "-n", NS, "-o", "jsonpath={.metadata.labels}")
        check("webhook-mutated" in out, f"mutation visible [{k}]", out + err)
    code, obj, warn = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("good-api", labels={"app": "x"}))
    check(code == 201 and obj["metadata"]["labels"] == {"app": "x", "webhook-mutated": "yes"} and
          warn == '299 - "mutated by label.ckube.io"', "mutation in the API answer and Warning header", (obj, warn))
    v = [r for r in reviews("/validate") if r["request"].get("name") == "good-api"][-1]["request"]
    check(v["object"]["metadata"]["labels"].get("webhook-mutated") == "yes", "validating webhook sees the mutated object")
    m = [(p, r) for p, r in seen if p.startswith("/mutate") and r["request"].get("name") == "good-api"][-1]
    rq = m[1]["request"]
    check(m[0] == "/mutate?timeout=10s", "timeoutSeconds default 10 sent as ?timeout=10s", m[0])
    check(m[1]["apiVersion"] == "admission.k8s.io/v1" and m[1]["kind"] == "AdmissionReview" and len(rq["uid"]) == 36 and
          rq["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"} and
          rq["resource"] == {"group": "", "version": "v1", "resource": "configmaps"} and
          rq["requestKind"] == rq["kind"] and rq["requestResource"] == rq["resource"] and "subResource" not in rq and
          rq["namespace"] == NS and rq["operation"] == "CREATE" and rq["dryRun"] is False and
          rq["oldObject"] is None and rq["options"] == {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"} and
          rq["userInfo"]["username"] == "kubernetes-admin" and "system:masters" in rq["userInfo"]["groups"],
          "AdmissionReview v1 request fields", rq)
    code, obj, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("skipped", labels={"skip-mutation": "1"}))
    check(code == 201 and "webhook-mutated" not in obj["metadata"]["labels"], "objectSelector: labelled object not mutated")
    code, obj, _ = api("POST", f"/api/v1/namespaces/{OFF}/configmaps", cm("plain", ns=OFF))
    check(code == 201 and not obj["metadata"].get("labels"), "namespaceSelector: other namespace not mutated")

    # --- update and delete
    code, st, _ = api("PATCH", f"/api/v1/namespaces/{NS}/configmaps/good-api", {"data": {"forbidden": "y"}},
                      "application/merge-patch+json")
    check(code == 403 and st["message"] == denial, "a patch is denied (UPDATE)", st)
    u = [r for r in reviews("/validate") if r["request"]["operation"] == "UPDATE"][-1]["request"]
    check(u["oldObject"]["data"] == {"a": "1"} and u["options"]["kind"] == "PatchOptions", "UPDATE carries oldObject, PatchOptions", u)
    api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("keep", labels={"protected": "true"}))
    code, st, _ = api("DELETE", f"/api/v1/namespaces/{NS}/configmaps/keep")
    check(code == 400 and st["message"] == 'admission webhook "deny.ckube.io" denied the request: Protected' and
          st["reason"] == "Protected", "DELETE denied (reason as message, code 400 by default)", st)
    d = [r for r in reviews("/validate") if r["request"]["operation"] == "DELETE"][-1]["request"]
    check(d["object"] is None and d["oldObject"]["metadata"]["name"] == "keep" and d["name"] == "keep" and
          d["options"]["kind"] == "DeleteOptions", "DELETE review: oldObject, DeleteOptions", d)
    code, _, _ = api("DELETE", f"/api/v1/namespaces/{NS}/configmaps/good-api")
    check(code == 200, "unprotected delete admitted")

    # --- dry run: sideEffects None is called with dryRun true
    n = len(reviews("/validate"))
    code, _, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps?dryRun=All", cm("dry"))
    check(code == 201 and len(reviews("/validate")) == n + 1 and reviews("/validate")[-1]["request"]["dryRun"] is True,
          "dry run reaches a webhook without side effects")
    for k in KUBECTLS:
        rc, out, err = kubectl(k, "create", "configmap", "dry-k", "-n", NS, "--from-literal=forbidden=1", "--dry-run=server")
        check(rc == 1 and denial in err and reviews("/validate")[-1]["request"]["dryRun"] is True,
              f"kubectl --dry-run=server is denied too [{k}]", err)

    # --- failurePolicy with the webhook down
    down = hook("down.ckube.io", "/down", objectSelector={"matchLabels": {"target": "down"}}, failurePolicy="Ignore")
    down["clientConfig"] = url_config("/down", DOWN_PORT)
    configure("ValidatingWebhookConfiguration", "e2e-down", [down])
    code, _, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("down-1", labels={"target": "down"}))
    check(code == 201, "failurePolicy Ignore: admitted while the webhook is down", code)
    down["failurePolicy"] = "Fail"
    configure("ValidatingWebhookConfiguration", "e2e-down", [down])
    why = (f'failed calling webhook "down.ckube.io": Post "https://127.0.0.1:{DOWN_PORT}/down?timeout=10s": '
           f'dial tcp 127.0.0.1:{DOWN_PORT}: connect: connection refused')
    code, st, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("down-2", labels={"target": "down"}))
    check(code == 500 and st["message"] == "Internal error occurred: " + why and st["reason"] == "InternalError" and
          st["details"]["causes"] == [{"message": why}], "failurePolicy Fail: 500 InternalError", st)
    for k in KUBECTLS:
        rc, out, err = kubectl(k, "create", "-f", "-", stdin=json.dumps(cm("down-3", labels={"target": "down"})))
        check(rc == 1 and "Internal error occurred: " + why in err, f"kubectl shows the failed call [{k}]", err)
    api("DELETE", ADM + "validatingwebhookconfigurations/e2e-down")

    # --- timeoutSeconds
    slow = hook("slow.ckube.io", "/slow", objectSelector={"matchLabels": {"target": "slow"}}, timeoutSeconds=1)
    configure("ValidatingWebhookConfiguration", "e2e-slow", [slow])
    t0 = time.time()
    code, st, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("slow-1", labels={"target": "slow"}))
    took = time.time() - t0
    check(code == 500 and st["message"] == f'Internal error occurred: failed calling webhook "slow.ckube.io": Post '
          f'"https://127.0.0.1:{HOOK_PORT}/slow?timeout=1s": context deadline exceeded' and 0.9 < took < 2.5,
          f"timeoutSeconds 1 honoured ({took:.1f} s)", st)
    slow["failurePolicy"] = "Ignore"
    configure("ValidatingWebhookConfiguration", "e2e-slow", [slow])
    t0 = time.time()
    code, _, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("slow-2", labels={"target": "slow"}))
    took = time.time() - t0
    check(code == 201 and took < 2.5, f"timeout with failurePolicy Ignore admits ({took:.1f} s)", code)
    api("DELETE", ADM + "validatingwebhookconfigurations/e2e-slow")

    # --- AdmissionReview v1beta1 (patch without patchType), reinvocationPolicy IfNeeded
    sel = {"matchLabels": {"target": "reinvoke"}}
    configure("MutatingWebhookConfiguration", "e2e-reinvoke", [
        hook("a.ckube.io", "/reinvoke-a", objectSelector=sel, reinvocationPolicy="IfNeeded"),
        hook("b.ckube.io", "/reinvoke-b", objectSelector=sel, admissionReviewVersions=["v1beta1", "v1"])])
    code, obj, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("again", labels={"target": "reinvoke"}))
    calls_a = [r for r in reviews("/reinvoke-a") if r["request"].get("name") == "again"]
    calls_b = [r for r in reviews("/reinvoke-b") if r["request"].get("name") == "again"]
    check(code == 201 and len(calls_a) == 2 and len(calls_b) == 1 and calls_b[0]["apiVersion"] == "admission.k8s.io/v1beta1"
          and "reinvoke-b" in obj["metadata"]["labels"] and "reinvoke-a" in calls_a[1]["request"]["object"]["metadata"]["labels"],
          "v1beta1 review patched; IfNeeded webhook reinvoked once after a later change", (code, len(calls_a), len(calls_b), obj))
    api("DELETE", ADM + "mutatingwebhookconfigurations/e2e-reinvoke")

    # --- a service reference, resolved through its Endpoints; the certificate names wh-svc.<ns>.svc
    api("POST", f"/api/v1/namespaces/{NS}/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "wh-svc"},
        "spec": {"ports": [{"name": "https", "port": 443, "targetPort": HOOK_PORT}]}})
    api("POST", f"/api/v1/namespaces/{NS}/endpoints", {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "wh-svc"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "https", "port": HOOK_PORT}]}]})
    svc_hook = hook("svc.ckube.io", "/deny", objectSelector={"matchLabels": {"target": "svc"}})
    svc_hook["clientConfig"] = {"service": {"namespace": NS, "name": "wh-svc", "path": "/deny"}, "caBundle": CA}
    configure("ValidatingWebhookConfiguration", "e2e-svc", [svc_hook])
    code, st, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("svc-bad", labels={"target": "svc"}))
    check(code == 400 and st["message"] == 'admission webhook "svc.ckube.io" denied the request: denied via service' and
          "/deny?timeout=10s" in [p for p, _ in seen], "service reference: called through the Endpoints", st)
    svc_hook["clientConfig"]["service"]["name"] = "nope"
    configure("ValidatingWebhookConfiguration", "e2e-svc", [svc_hook])
    code, st, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("svc-2", labels={"target": "svc"}))
    check(code == 500 and st["message"] == 'Internal error occurred: failed calling webhook "svc.ckube.io": Post '
          f'"https://nope.{NS}.svc:443/deny?timeout=10s": service "nope" not found', "service not found", st)
    api("DELETE", ADM + "validatingwebhookconfigurations/e2e-svc")

    # --- the configurations themselves are exempt: a broken webhook cannot lock them
    configure("ValidatingWebhookConfiguration", "e2e-all", [
        {**hook("all.ckube.io", "/down", ops=("*",), resources=("*",)), "clientConfig": url_config("/down", DOWN_PORT),
         "rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"]}]}])
    code, _, _ = api("POST", f"/api/v1/namespaces/{NS}/configmaps", cm("locked"))
    check(code == 500, "a catch-all broken webhook blocks writes")
    code, _, _ = api("DELETE", ADM + "validatingwebhookconfigurations/e2e-all")
    check(code == 200, "but its configuration can still be deleted")
finally:
    for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
        for name in ("e2e-deny", "e2e-label", "e2e-bad", "e2e-down", "e2e-slow", "e2e-reinvoke", "e2e-svc", "e2e-all"):
            api("DELETE", ADM + kind + "/" + name)
    for n in (NS, OFF):
        api("DELETE", "/api/v1/namespaces/" + n)
    srv.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(1 if failures else 0)
