#!/usr/bin/python3
"""--token-auth-file, --anonymous-auth and --service-account-max-token-expiration, each answer as a real
kube-apiserver 1.20 gives it (real-cluster.sh runs one with a token file and
kube-apiserver's default --anonymous-auth=true).

Starts its own ckube-server with ckube's default (--anonymous-auth=false, as
k3s ships it) and a static token
CSV (token,user,uid,"group1,group2"): without credentials 401 (the health
and version paths and kube-public/cluster-info stay open for probes and
joining nodes); a static token is its user with its uid and groups (+
system:authenticated) in TokenReview, RBAC-bound through a group; a bad
token 401. A token file with a two-column line, or a bad --anonymous-auth
value, stops the server at start with kube-apiserver's message. Then a
second server with --anonymous-auth=true (kube-apiserver's default): system:anonymous in
system:unauthenticated, 403 with RBAC's message, /healthz and /version
allowed by system:public-info-viewer, /healthz/ping not. Bounded: about 20 s (50 s on a loaded machine)."""
import http.client, json, os, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import CTX, free_port, start  # noqa: E402


def call(port, token, method, path, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = c.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data.decode()


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except Exception:
        p.kill()
        p.wait()


def refused_at_start(args, want):
    work = tempfile.mkdtemp(prefix="ckube-322-bad-")
    try:
        p = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "--data-dir", os.path.join(work, "d"), "--listen",
                            f"127.0.0.1:{free_port()}", "--no-local-node", "--no-dns", *args],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and want in p.stderr, f"{args}: exit {p.returncode}, {p.stderr!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def anonymous_checks(main_port):
    st, body = call(main_port, None, "GET", "/api/v1/pods")
    check(st == 403 and body["message"] == 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope', f"anonymous: {st} {body}")
    for path, want in (("/healthz", 200), ("/livez", 200), ("/readyz", 200), ("/version", 200), ("/version/", 200),
                       ("/healthz/ping", 403), ("/api", 403), ("/apis", 403), ("/openapi/v2", 403), ("/metrics", 403)):
        st, body = call(main_port, None, "GET", path)
        check(st == want, f"anonymous {path}: {st}, not {want}")
        if want == 403:
            check(body["message"] == f'forbidden: User "system:anonymous" cannot get path "{path}"', f"{path}: {body}")
    st, _ = call(main_port, "wrong", "GET", "/healthz")
    check(st == 401, f"a wrong token is never anonymous: {st}")


def main():
    work = tempfile.mkdtemp(prefix="ckube-322-")
    tokens = os.path.join(work, "tokens.csv")
    with open(tokens, "w") as f:
        f.write('alice-token,alice,uid-alice,"devs,ops"\nbob-token,bob,uid-bob\n')
    refused_at_start(["--token-auth-file", os.path.join(work, "nope.csv")], "--token-auth-file: open ")
    bad = os.path.join(work, "bad.csv")
    with open(bad, "w") as f:
        f.write("t1,u1,i1\nt2,u2\n")
    refused_at_start(["--token-auth-file", bad],
                     f"token file '{bad}' must have at least 3 columns (token, user name, user uid), found 2")
    refused_at_start(["--anonymous-auth=maybe"], "--anonymous-auth: invalid value maybe")
    port = free_port()
    p = start(os.path.join(work, "data"), port, ["--token-auth-file", tokens,
                                                  "--service-account-max-token-expiration", "2h"])
    try:
        admin = open(os.path.join(work, "data", "pki", "admin.token")).read().strip()
        st, body = call(port, None, "GET", "/api/v1/namespaces")
        check(st == 401 and body["reason"] == "Unauthorized", f"no credentials: {st} {body}")
        for path in ("/readyz", "/healthz", "/version", "/api/v1/namespaces/kube-public/configmaps/cluster-info"):
            st, _ = call(port, None, "GET", path)
            check(st == 200, f"{path} without credentials: {st}")
        st, body = call(port, "alice-token", "GET", "/api/v1/namespaces/default/pods")
        check(st == 403 and body["message"] == 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"', f"alice: {st} {body}")
        st, body = call(port, admin, "POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "alice-token"}})
        check(st == 201 and body["status"] == {"authenticated": True, "user": {
            "username": "alice", "uid": "uid-alice", "groups": ["devs", "ops", "system:authenticated"]},
            "audiences": ["https://kubernetes.default.svc.cluster.local"]}, f"review: {body}")
        st, _ = call(port, admin, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                     {"metadata": {"name": "devs-view"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                      "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}]})
        check(st == 201, f"binding: {st}")
        for _ in range(50):  # the RBAC index is rebuilt after the binding's write (as informers lag in kube)
            st, body = call(port, "alice-token", "GET", "/api/v1/namespaces/default/pods")
            if st == 200:
                break
            time.sleep(0.1)
        check(st == 200 and body["kind"] == "PodList", f"alice after the binding: {st}")
        st, _ = call(port, "bob-token", "GET", "/api/v1/namespaces/default/pods")
        check(st == 403, f"bob: {st}")
        st, _ = call(port, "carol-token", "GET", "/api/v1/namespaces/default/pods")
        check(st == 401, f"unknown token: {st}")
        # --service-account-max-token-expiration shortens a longer TokenRequest
        for _ in range(150):  # the default ServiceAccount comes from a controller (30 s at most under load)
            st, body = call(port, admin, "POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                            {"spec": {"expirationSeconds": 10000}})
            if st != 404:
                break
            time.sleep(0.2)
        check(st == 201 and body["spec"]["expirationSeconds"] == 7200, f"max expiration: {st} {body}")
    finally:
        stop(p)

    # --anonymous-auth=true (kube-apiserver's default): system:anonymous, authorized by RBAC
    main_port = free_port()
    p = start(os.path.join(work, "data-anon"), main_port, ["--anonymous-auth=true"])
    try:
        anonymous_checks(main_port)
    finally:
        stop(p)
        shutil.rmtree(work, ignore_errors=True)
    print("ok")


main()
