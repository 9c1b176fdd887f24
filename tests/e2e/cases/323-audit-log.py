#!/usr/bin/python3
"""The audit log (--audit-policy-file, --audit-log-path, rotation with
--audit-log-maxsize/--audit-log-maxbackup), its lines checked field by
field against what a real kube-apiserver 1.20 wrote for the same requests
and policy (real-cluster.sh with the same flags): levels None, Metadata,
Request, RequestResponse chosen by the first matching rule, omitStages,
the Audit-Id header, objectRef, responseStatus, requestObject (a protobuf
body from the newest kubectl decoded too), responseObject, authorization
annotations, a failed authentication (user {}, stage ResponseStarted), a
watch (ResponseStarted, then ResponseComplete "Connection closed early").
A bad policy stops the server at start with the validation message.
Bounded: about 25 s."""
import http.client, json, os, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import CTX, free_port, start  # noqa: E402

POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
  - level: None
    userGroups: ["system:nodes"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["configmaps"]
  - level: Request
    resources:
      - group: ""
        resources: ["secrets"]
  - level: None
    resources:
      - group: "coordination.k8s.io"
  - level: Metadata
    omitStages: ["ResponseStarted"]
    resources:
      - group: ""
        resources: ["pods/log"]
  - level: Metadata
"""


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def call(port, token, method, path, body=None, ctype="application/json"):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=10)
    headers = {"Content-Type": ctype, "User-Agent": "e2e-323"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, body if isinstance(body, (str, bytes)) or body is None else json.dumps(body), headers)
    r = c.getresponse()
    r.read()
    return r.status, r.getheader("Audit-Id")


def events(path):
    out = []
    for p in sorted(f for f in os.listdir(os.path.dirname(path)) if f.startswith("audit")):
        with open(os.path.join(os.path.dirname(path), p)) as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out


def by_id(evs, audit_id):
    return [e for e in evs if e["auditID"] == audit_id]


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except Exception:
        p.kill()
        p.wait()


def refused_policy(work, text, want):
    bad = os.path.join(work, "bad-policy.yaml")
    with open(bad, "w") as f:
        f.write(text)
    p = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "--data-dir", os.path.join(work, "bad"), "--listen",
                        f"127.0.0.1:{free_port()}", "--no-local-node", "--no-dns", "--audit-policy-file", bad,
                        "--audit-log-path", os.path.join(work, "bad.log")], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and want in p.stderr, f"bad policy: exit {p.returncode}: {p.stderr!r}")


def main():
    work = tempfile.mkdtemp(prefix="ckube-323-")
    logdir = os.path.join(work, "logs")
    os.makedirs(logdir)
    log = os.path.join(logdir, "audit.log")
    policy = os.path.join(work, "policy.yaml")
    with open(policy, "w") as f:
        f.write(POLICY)
    refused_policy(work, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n",
                   'rules[0].level: Unsupported value: "Loud": supported values: "None", "Metadata", "Request", "RequestResponse"')
    port = free_port()
    p = start(os.path.join(work, "data"), port, ["--anonymous-auth=true", "--audit-policy-file", policy, "--audit-log-path", log,
                                                  "--audit-log-maxsize", "1", "--audit-log-maxbackup", "2"])
    try:
        admin = open(os.path.join(work, "data", "pki", "admin.token")).read().strip()
        kc = os.path.join(work, "data", "admin.kubeconfig")
        kubectl = lambda *a, **kw: subprocess.run(["kubectl", "--kubeconfig", kc, *a], capture_output=True, text=True,
                                                  timeout=30, **kw)
        st, cm_id = call(port, admin, "POST", "/api/v1/namespaces/default/configmaps?fieldManager=e2e",
                         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}, "data": {"a": "b"}})
        check(st == 201 and cm_id, f"create configmap: {st} {cm_id}")
        st, get_id = call(port, admin, "GET", "/api/v1/namespaces/default/configmaps/nope")
        check(st == 404, f"get nope: {st}")
        out = kubectl("create", "secret", "generic", "s1", "--from-literal=x=y")  # protobuf from a newer kubectl
        check(out.returncode == 0, out.stderr)
        st, anon_id = call(port, None, "GET", "/api/v1/namespaces")
        check(st == 403, f"anonymous: {st}")
        st, bad_id = call(port, "wrong", "GET", "/api/v1/namespaces/default/pods")
        check(st == 401 and bad_id, f"bad token: {st}")
        st, health_id = call(port, None, "GET", "/healthz")
        check(st == 200 and health_id is None, f"/healthz is level None: no Audit-Id ({health_id})")
        st, del_id = call(port, admin, "DELETE", "/api/v1/namespaces/default/configmaps/c1", {"propagationPolicy": "Background"})
        check(st == 200, f"delete: {st}")
        kubectl("get", "configmaps", "-w", "--request-timeout=2s")
        deadline = time.time() + 15  # the server sees the watch's client gone at its next write
        while time.time() < deadline and len([x for x in events(log) if x["verb"] == "watch"]) < 2:
            time.sleep(0.3)

        evs = events(log)
        check(all(e["kind"] == "Event" and e["apiVersion"] == "audit.k8s.io/v1" for e in evs), "every line an Event")
        check(not [e for e in evs if e["stage"] == "RequestReceived"], "RequestReceived is omitted by the policy")
        e = by_id(evs, cm_id)
        check(len(e) == 1, f"one event for the create: {e}")
        e = e[0]
        check(list(e) == ["kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "sourceIPs",
                          "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
                          "requestReceivedTimestamp", "stageTimestamp", "annotations"], f"field order: {list(e)}")
        check(e["level"] == "RequestResponse" and e["stage"] == "ResponseComplete" and e["verb"] == "create", e)
        check(e["requestURI"] == "/api/v1/namespaces/default/configmaps?fieldManager=e2e", e["requestURI"])
        check(e["user"] == {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}, e["user"])
        check(e["sourceIPs"] == ["127.0.0.1"] and e["userAgent"] == "e2e-323", e)
        check(e["objectRef"] == {"resource": "configmaps", "namespace": "default", "name": "c1", "apiVersion": "v1"}, e["objectRef"])
        check(e["responseStatus"] == {"metadata": {}, "code": 201}, e["responseStatus"])
        check(e["requestObject"]["data"] == {"a": "b"} and e["responseObject"]["metadata"]["uid"], e)
        check(e["annotations"] == {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}, e)
        check(e["requestReceivedTimestamp"].endswith("Z") and len(e["stageTimestamp"]) == 27, e["stageTimestamp"])
        e = by_id(evs, get_id)[0]
        check(e["responseStatus"] == {"metadata": {}, "status": "Failure", "reason": "NotFound", "code": 404}, e)
        check(e["responseObject"]["message"] == 'configmaps "nope" not found', e)
        e = [x for x in evs if x.get("objectRef", {}).get("resource") == "secrets" and x["verb"] == "create"]
        check(len(e) == 1 and e[0]["level"] == "Request" and "responseObject" not in e[0], e)
        check(e[0]["requestObject"]["kind"] == "Secret" and e[0]["requestObject"]["data"] == {"x": "eQ=="}, e[0])
        check(e[0]["objectRef"]["name"] == "s1", e[0]["objectRef"])
        e = by_id(evs, anon_id)[0]
        check(e["level"] == "Metadata" and e["user"] == {"username": "system:anonymous", "groups": ["system:unauthenticated"]}, e)
        check(e["responseStatus"] == {"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403}, e)
        check(e["annotations"]["authorization.k8s.io/decision"] == "forbid", e)
        e = by_id(evs, bad_id)
        check(len(e) == 1 and e[0]["stage"] == "ResponseStarted" and e[0]["user"] == {} and "annotations" not in e[0], e)
        check(e[0]["responseStatus"] == {"metadata": {}, "status": "Failure", "reason": "Unauthorized", "code": 401}, e)
        e = by_id(evs, del_id)[0]
        check(e["requestObject"] == {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}, e)
        check(e["responseStatus"] == {"metadata": {}, "status": "Success", "code": 200}, e)
        w = [x for x in evs if x["verb"] == "watch"]
        check([x["stage"] for x in w] == ["ResponseStarted", "ResponseComplete"], [x["stage"] for x in w])
        check(w[1]["responseStatus"] == {"metadata": {}, "status": "Success", "message": "Connection closed early", "code": 200}, w[1])
        check(not [x for x in evs if x.get("objectRef", {}).get("apiGroup") == "coordination.k8s.io"], "leases: None")

        # rotation: RequestResponse lines of a ~400 KB ConfigMap fill 1 MB quickly; two backups are kept
        big = "x" * 400000
        call(port, admin, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "big"}, "data": {"k": big}})
        for _ in range(12):
            call(port, admin, "GET", "/api/v1/namespaces/default/configmaps/big")
        deadline = time.time() + 10  # the writer thread rotates and prunes behind the answers (as lumberjack does)
        while True:
            files = sorted(os.listdir(logdir))
            backups = [f for f in files if f != "audit.log"]
            if len(backups) == 2 or time.time() > deadline:
                break
            time.sleep(0.2)
        check(len(backups) == 2 and all(f.startswith("audit-") and f.endswith(".log") for f in backups), files)
        check(os.path.getsize(log) <= 1024 * 1024, f"the live log is under 1 MB: {os.path.getsize(log)}")
    finally:
        stop(p)
        shutil.rmtree(work, ignore_errors=True)
    print("ok")


main()
