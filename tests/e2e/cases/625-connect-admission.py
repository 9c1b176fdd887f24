#!/usr/bin/python3
"""CONNECT requests go through the validating (and mutating) admission
webhooks, as kube-apiserver 1.20's ConnectResource sends them: operation
CONNECT, the subresource's options object (PodAttachOptions, PodExecOptions,
PodPortForwardOptions, PodProxyOptions, ServiceProxyOptions) decoded from
the query as the review's object and kind, no oldObject and no options, and
before the pod is looked up or its node dialed. A denial reaches kubectl
attach and kubectl exec (both kubectls) and curl with the webhook's message;
an admitted attach goes on to the node (here: no call-home tunnel). A
webhook that is down with failurePolicy Fail refuses the CONNECT with 500.
The webhook is an HTTPS endpoint on 127.0.0.1 (tools/tls_hook.py).
Bounded: about 20 s."""
import http.client, json, os, shutil, ssl, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import free_port  # noqa: E402
from tls_hook import Hook  # noqa: E402

NS = os.environ["NS"]
PORT = int(os.environ["SERVER"].rsplit(":", 1)[1])
TOKEN = os.environ["TOKEN"]
KUBECTLS = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or ["kubectl"]
ADM = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
CTX = ssl._create_unverified_context()
NODE = NS + "-node"
DENIED = "to-be-attached-pod"
MSG = "attaching to pod 'to-be-attached-pod' is not allowed"
DENIAL = f'admission webhook "deny-connect.ckube.io" denied the request: {MSG}'
failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"\n     {detail}"), flush=True)
    if not cond:
        failures += 1


def api(method, path, body=None, headers=None, ctype="application/json"):
    c = http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=30)
    h = {"Authorization": "Bearer " + TOKEN, "Content-Type": ctype, **(headers or {})}
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, data


def kubectl(k, *args):
    p = subprocess.run([k, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def answer(path, review):
    rq = review["request"]
    resp = {"uid": rq["uid"], "allowed": True}
    if rq.get("name", "").split(":")[0] == DENIED:
        resp = {"uid": rq["uid"], "allowed": False, "status": {"message": MSG}}
    return 200, {"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": resp}


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": NODE, "containers": [{"name": "container1", "image": "busybox"},
                                                       {"name": "container2", "image": "busybox"}]}}


def running(name):
    cs = [{"name": c, "ready": True, "restartCount": 0, "image": "busybox", "imageID": "", "containerID": "ckube://" + c,
           "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}} for c in ("container1", "container2")]
    code, _ = api("PATCH", f"/api/v1/namespaces/{NS}/pods/{name}/status",
                  {"status": {"phase": "Running", "containerStatuses": cs}}, ctype="application/merge-patch+json")
    assert code == 200, code


def last_review(hook, name, sub):
    got = [b["request"] for b in hook.bodies("/connect") if b["request"].get("name") == name and
           b["request"].get("subResource") == sub]
    return got[-1] if got else {}


def main():
    tmp = tempfile.mkdtemp(prefix="e2e-625-")
    hook = Hook(tmp, answer)
    name = "e2e-625-" + NS
    try:
        api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        api("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}})
        for p in (DENIED, "allowed-pod"):
            code, body = api("POST", f"/api/v1/namespaces/{NS}/pods", pod(p))
            assert code == 201, (code, body)
            running(p)
        api("POST", f"/api/v1/namespaces/{NS}/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": DENIED},
            "spec": {"ports": [{"port": 80}]}})
        rules = [{"operations": ["CONNECT"], "apiGroups": [""], "apiVersions": ["v1"],
                  "resources": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"]}]
        cfg = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
               "metadata": {"name": name},
               "webhooks": [{"name": "deny-connect.ckube.io", "sideEffects": "None", "admissionReviewVersions": ["v1"],
                             "clientConfig": {"url": hook.url("/connect"), "caBundle": hook.ca}, "rules": rules,
                             "namespaceSelector": {"matchLabels": {"e2e-connect": NS}}}]}
        api("PATCH", f"/api/v1/namespaces/{NS}", {"metadata": {"labels": {"e2e-connect": NS}}},
            ctype="application/merge-patch+json")
        code, body = api("POST", ADM, cfg)
        assert code == 201, (code, body)

        # --- kubectl attach and exec: denied with the webhook's message
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "attach", "-n", NS, DENIED, "-i", "-c=container1")
            check(rc != 0 and DENIAL in err, f"kubectl attach denied [{k}]", err)
            rq = last_review(hook, DENIED, "attach")
            check(rq.get("operation") == "CONNECT" and
                  rq.get("kind") == {"group": "", "version": "v1", "kind": "PodAttachOptions"} and
                  rq.get("requestKind") == rq.get("kind") and
                  rq.get("resource") == {"group": "", "version": "v1", "resource": "pods"} and
                  rq.get("requestSubResource") == "attach" and rq.get("namespace") == NS and
                  rq.get("object") == {"kind": "PodAttachOptions", "apiVersion": "v1", "stdin": True, "stdout": True,
                                       "stderr": True, "container": "container1"} and
                  rq.get("oldObject") is None and rq.get("options") is None and rq.get("dryRun") is False and
                  rq["userInfo"]["username"] == "kubernetes-admin", f"attach review: CONNECT, PodAttachOptions [{k}]", rq)
            rc, out, err = kubectl(k, "exec", "-n", NS, DENIED, "-c", "container2", "--", "echo", "hi")
            check(rc != 0 and DENIAL in err, f"kubectl exec denied [{k}]", err)
            rq = last_review(hook, DENIED, "exec")
            obj = rq.get("object") or {}
            check(obj.get("kind") == "PodExecOptions" and obj.get("command") == ["echo", "hi"] and
                  obj.get("container") == "container2" and obj.get("stdout") is True and "stdin" not in obj,
                  f"exec review: PodExecOptions with the command [{k}]", rq)
            # admitted: the request goes on to the pod's node
            rc, out, err = kubectl(k, "attach", "-n", NS, "allowed-pod", "-c=container1")
            check(rc != 0 and DENIAL not in err and "has no call-home connection" in err and
                  last_review(hook, "allowed-pod", "attach").get("operation") == "CONNECT",
                  f"admitted attach reaches the node step [{k}]", err)

        # --- curl: attach over SPDY refused before the upgrade, with the Status
        cp = subprocess.run(["curl", "-s", "--cacert", os.environ["CACERT"], "-H", "Authorization: Bearer " + TOKEN,
                             "-H", "Connection: Upgrade", "-H", "Upgrade: SPDY/3.1",
                             "-H", "X-Stream-Protocol-Version: v4.channel.k8s.io", "-X", "POST",
                             f"{os.environ['SERVER']}/api/v1/namespaces/{NS}/pods/{DENIED}/attach?stdout=1&tty=t"],
                            capture_output=True, text=True, timeout=30)
        st = json.loads(cp.stdout or "{}")
        check(st.get("message") == DENIAL and st.get("code") == 400 and st.get("status") == "Failure",
              "curl: attach denied with the webhook's Status (no code: 400)", cp.stdout)
        obj = last_review(hook, DENIED, "attach").get("object")
        check(obj == {"kind": "PodAttachOptions", "apiVersion": "v1", "stdout": True, "tty": True},
              "query flags as strconv.ParseBool reads them (1, t)", obj)
        code, st = api("POST", f"/api/v1/namespaces/{NS}/pods/{DENIED}/portforward?ports=8080&ports=9090",
                       headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1",
                                "X-Stream-Protocol-Version": "portforward.k8s.io"})
        rq = last_review(hook, DENIED, "portforward")
        check(code == 400 and st["message"] == DENIAL and
              rq.get("object") == {"kind": "PodPortForwardOptions", "apiVersion": "v1", "ports": [8080, 9090]},
              "portforward denied; PodPortForwardOptions with the ports", (code, st, rq))
        code, st = api("GET", f"/api/v1/namespaces/{NS}/pods/{DENIED}/proxy/some/path?x=1")
        rq = last_review(hook, DENIED, "proxy")
        check(code == 400 and st["message"] == DENIAL and
              rq.get("object") == {"kind": "PodProxyOptions", "apiVersion": "v1", "path": "/some/path"},
              "pods/proxy denied; PodProxyOptions path", (code, st, rq))
        code, st = api("GET", f"/api/v1/namespaces/{NS}/services/{DENIED}:80/proxy/")
        rq = last_review(hook, f"{DENIED}:80", "proxy")
        check(code == 400 and st["message"] == DENIAL and
              rq.get("object") == {"kind": "ServiceProxyOptions", "apiVersion": "v1", "path": "/"} and
              rq.get("resource", {}).get("resource") == "services", "services/proxy denied; ServiceProxyOptions", (code, st, rq))

        # --- a webhook that is down, failurePolicy Fail: 500 before connecting
        down = free_port()
        cfg["webhooks"][0]["clientConfig"]["url"] = f"https://127.0.0.1:{down}/connect"
        _, cur = api("GET", f"{ADM}/{name}")
        cfg["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
        code, body = api("PUT", f"{ADM}/{name}", cfg)
        assert code == 200, (code, body)
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "exec", "-n", NS, "allowed-pod", "-c", "container1", "--", "true")
            check(rc != 0 and f'Internal error occurred: failed calling webhook "deny-connect.ckube.io": Post '
                  f'"https://127.0.0.1:{down}/connect?timeout=10s": dial tcp 127.0.0.1:{down}: connect: connection refused'
                  in err, f"webhook down, failurePolicy Fail: exec refused with 500 [{k}]", err)
    finally:
        api("DELETE", f"{ADM}/{name}")
        api("DELETE", f"/api/v1/nodes/{NODE}")
        hook.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if not failures else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
