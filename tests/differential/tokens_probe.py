#!/usr/bin/python3
"""tokens_probe.py KUBECONFIG ADMIN_TOKEN OUT.json - the token answers of a
cluster, normalized so that two clusters compare equal when they behave
alike: TokenRequest errors and defaults (serviceaccounts/token), the claims
of issued tokens, TokenReview of legacy, bound and static tokens with and
without audiences, a bound token after its pod is deleted, and what
requests without credentials get. Tokens, uids, times and managedFields
are replaced by placeholders. Used by tokens.sh."""
import base64, json, re, ssl, subprocess, sys, time, urllib.request

KC, ADMIN, OUT = sys.argv[1:4]
NS = "tokdiff"
cfg = subprocess.run(["kubectl", "--kubeconfig", KC, "config", "view", "--raw", "-o",
                      "jsonpath={.clusters[0].cluster.server}"], capture_output=True, text=True).stdout
CTX = ssl._create_unverified_context()


def call(method, path, body=None, token=ADMIN):
    req = urllib.request.Request(cfg + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=20) as r:
            data = r.read()
            try:
                return r.status, json.loads(data or b"null")
            except ValueError:
                return r.status, data.decode()
    except urllib.error.HTTPError as e:
        data = e.read()
        try:
            return e.code, json.loads(data)
        except ValueError:
            return e.code, data.decode()


def norm(v):
    s = json.dumps(v, sort_keys=True)
    s = re.sub(r'"token": "[^"]*"', '"token": "TOKEN"', s)
    s = re.sub(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', "UID", s)
    s = re.sub(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', "TIME", s)
    s = re.sub(r'default-token-[a-z0-9]{5}', "default-token-X", s)
    v = json.loads(s)
    if isinstance(v, dict):
        v.get("metadata", {}).pop("managedFields", None)
    return v


def claims(tok):
    p = tok.split(".")[1]
    c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    k = c["kubernetes.io"]
    return {"keys": sorted(c), "k8s": sorted(k), "life": c["exp"] - c["iat"], "nbf": c["nbf"] == c["iat"],
            "warnafter": k.get("warnafter", 0) - c["iat"] if "warnafter" in k else None, "aud": c["aud"],
            "sub": c["sub"], "pod": k.get("pod", {}).get("name"), "secret": bool(k.get("secret"))}


def token_of(sa, spec):
    st, body = call("POST", f"/api/v1/namespaces/{NS}/serviceaccounts/{sa}/token", {"spec": spec})
    return body["status"]["token"] if st == 201 else None


def main():
    out = {}
    call("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    call("POST", f"/api/v1/namespaces/{NS}/serviceaccounts", {"metadata": {"name": "robot"}})
    call("POST", f"/api/v1/namespaces/{NS}/secrets", {"metadata": {"name": "s1"}, "stringData": {"a": "b"}})
    call("POST", f"/api/v1/namespaces/{NS}/pods", {"metadata": {"name": "p1"}, "spec": {
        "serviceAccountName": "robot", "containers": [{"name": "c", "image": "busybox"}]}})
    for _ in range(100):  # the ServiceAccounts' token Secrets
        st, sa = call("GET", f"/api/v1/namespaces/{NS}/serviceaccounts/robot")
        if st == 200 and sa.get("secrets"):
            break
        time.sleep(0.3)
    pod_uid = call("GET", f"/api/v1/namespaces/{NS}/pods/p1")[1]["metadata"]["uid"]
    cases = {
        "empty": ("robot", {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest"}),
        "short": ("robot", {"spec": {"expirationSeconds": 100}}),
        "negative": ("robot", {"spec": {"expirationSeconds": -5}}),
        "huge": ("robot", {"metadata": {"name": "x"}, "spec": {"expirationSeconds": 5000000000}}),
        "no-sa": ("nosuch", {}),
        "no-sa-short": ("nosuch", {"spec": {"expirationSeconds": 5}}),
        "no-pod": ("robot", {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "nope"}}}),
        "pod-no-name": ("robot", {"spec": {"boundObjectRef": {"kind": "Pod"}}}),
        "empty-ref": ("robot", {"spec": {"boundObjectRef": {}}}),
        "configmap": ("robot", {"spec": {"boundObjectRef": {"kind": "ConfigMap", "apiVersion": "v1", "name": "x"}}}),
        "apps-pod": ("robot", {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "apps/v1", "name": "p1"}}}),
        "other-sa": ("default", {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p1"}}}),
        "uid-conflict": ("robot", {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p1", "uid": "x"}}}),
        "secret": ("robot", {"spec": {"audiences": ["a", "b"], "boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": "s1"}}}),
        "pod-3607": ("robot", {"spec": {"expirationSeconds": 3607, "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p1", "uid": pod_uid}}}),
        "labels": ("robot", {"metadata": {"name": "zz", "labels": {"a": "b"}}, "spec": {}}),
        "wrong-kind": ("robot", {"apiVersion": "v1", "kind": "Pod"}),
        "v1beta1": ("robot", {"apiVersion": "authentication.k8s.io/v1beta1", "kind": "TokenRequest"}),
    }
    for name, (sa, body) in cases.items():
        st, ans = call("POST", f"/api/v1/namespaces/{NS}/serviceaccounts/{sa}/token", body)
        out[f"request/{name}"] = [st, norm(ans)]
        if st == 201:
            out[f"claims/{name}"] = claims(ans["status"]["token"])
    legacy_secret = call("GET", f"/api/v1/namespaces/{NS}/serviceaccounts/robot")[1]["secrets"][0]["name"]
    legacy = base64.b64decode(call("GET", f"/api/v1/namespaces/{NS}/secrets/{legacy_secret}")[1]["data"]["token"]).decode()
    bound = token_of("robot", {"audiences": ["x", "y"]})
    plain = token_of("robot", {})
    podtok = token_of("robot", {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p1", "uid": pod_uid}})
    reviews = {"legacy": (legacy, None), "legacy-aud": (legacy, ["x", "y"]), "admin-aud": (ADMIN, ["x"]),
               "bound-xy": (bound, None), "bound-yz": (bound, ["y", "z"]), "plain": (plain, None),
               "plain-empty-aud": (plain, []), "pod": (podtok, None), "garbage": ("abc.def.ghi", None)}
    for name, (tok, auds) in reviews.items():
        spec = {"token": tok}
        if auds is not None:
            spec["audiences"] = auds
        st, ans = call("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                       {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec})
        out[f"review/{name}"] = [st, norm(ans.get("status") if isinstance(ans, dict) else ans)]
    st, ans = call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {"spec": {}})
    out["review/no-token"] = [st, norm(ans)]
    out["use/pod-token"] = call("GET", f"/api/v1/namespaces/{NS}/pods", token=podtok)[0]
    call("DELETE", f"/api/v1/namespaces/{NS}/pods/p1", {"gracePeriodSeconds": 0})
    for _ in range(100):
        if call("GET", f"/api/v1/namespaces/{NS}/pods/p1")[0] == 404:
            break
        time.sleep(0.3)
    time.sleep(11)  # kube-apiserver caches a token's successful authentication for 10 s; ckube does not cache
    out["use/pod-token-after-delete"] = call("GET", f"/api/v1/namespaces/{NS}/pods", token=podtok)[0]
    for path in ("/api/v1/pods", "/healthz", "/livez", "/readyz", "/version/", "/api", "/apis", "/metrics",
                 "/healthz/ping", "/nonexistent", f"/api/v1/namespaces/{NS}/pods/x"):
        st, ans = call("GET", path, token=None)
        out[f"anonymous{path}"] = [st, ans.get("message") if isinstance(ans, dict) else ans]
    out["wrong-token/healthz"] = call("GET", "/healthz", token="wrong")[0]
    call("DELETE", f"/api/v1/namespaces/{NS}")
    json.dump(out, open(OUT, "w"), indent=1, sort_keys=True)


main()
