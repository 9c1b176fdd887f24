#!/usr/bin/python3
"""API aggregation (apiregistration.k8s.io): an APIService with a service
reference makes its group/version another server's, as kube-aggregator
does. Here the other server is a small HTTPS server on 127.0.0.1 (its
certificate for sample-api.<ns>.svc, the Service's Endpoints pointing at
it) that requires a client certificate from the front-proxy CA the ConfigMap names:
- the ConfigMap kube-system/extension-apiserver-authentication publishes
  the cluster CA, the front-proxy CA (a CA of its own) and the requestheader names (X-Remote-User, X-Remote-Group,
  X-Remote-Extra-, allowed name front-proxy-client);
- /apis lists the group after the built-in ones (kubectl api-versions with
  both kubectls), /apis/<group> is answered here, /apis/<group>/<version>
  and everything under it is proxied: kubectl get (both kubectls) and curl
  POST reach the server with the caller's identity in X-Remote-User /
  X-Remote-Group, the front-proxy-client certificate, no Authorization
  header, and the server's status and body come back;
- the status of an APIService: Available with reason Passed once its
  service answers discovery, ServiceNotFound / MissingEndpoints /
  FailedDiscoveryCheck otherwise; a request for an unavailable one gets 503;
- validation: the name must be <version>.<group>; v1beta1 serves the same
  objects; the built-in group/versions are local APIServices (v1., v1.apps).
Bounded: about 30 s."""
import base64, http.client, json, os, shutil, ssl, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import free_port  # noqa: E402
from tls_hook import make_certs  # noqa: E402

NS = os.environ["NS"]
PORT = int(os.environ["SERVER"].rsplit(":", 1)[1])
TOKEN = os.environ["TOKEN"]
KUBECTLS = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or ["kubectl"]
CTX = ssl._create_unverified_context()
GROUP = "wardle.example.com"
APISVC = "/apis/apiregistration.k8s.io/v1/apiservices"
failures = 0
seen = []
flunders = {}


def check(cond, what, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"\n     {detail}"), flush=True)
    if not cond:
        failures += 1


def api(method, path, body=None, ctype="application/json"):
    c = http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=40)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Authorization": "Bearer " + TOKEN, "Content-Type": ctype, "Accept": "application/json"})
    r = c.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, data.decode()


def kubectl(k, *args, input_=None):
    p = subprocess.run([k, *args], capture_output=True, text=True, timeout=60, input=input_)
    return p.returncode, p.stdout, p.stderr


class Wardle(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, code, doc):
        data = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self):
        cert = self.connection.getpeercert() or {}
        cn = [v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"]
        seen.append({"path": self.path, "method": self.command, "cn": cn[0] if cn else None,
                     "user": self.headers.get("X-Remote-User"), "groups": self.headers.get_all("X-Remote-Group") or [],
                     "authorization": self.headers.get("Authorization")})

    def do_GET(self):
        self.record()
        path = self.path.split("?")[0]
        if path.startswith(f"/apis/{GROUP}/") and path.count("/") == 3:
            return self.answer(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": path[6:],
                                     "resources": [{"name": "flunders", "singularName": "", "namespaced": True,
                                                    "kind": "Flunder", "verbs": ["create", "delete", "get", "list"]}]})
        if path.endswith("/flunders") and "watch=" in self.path:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i, delay in ((1, 0), (2, 1.5)):
                time.sleep(delay)
                ev = json.dumps({"type": "ADDED", "object": {"kind": "Flunder", "metadata": {"name": f"w{i}"}}}) + "\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev.encode()))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        if path.endswith("/flunders"):
            return self.answer(200, {"kind": "FlunderList", "apiVersion": f"{GROUP}/v1alpha1", "metadata": {},
                                     "items": list(flunders.values())})
        self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404, "reason": "NotFound",
                          "message": "the server could not find the requested resource"})

    def do_POST(self):
        self.record()
        obj = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        obj["metadata"]["namespace"] = self.path.split("/")[5]
        flunders[obj["metadata"]["name"]] = obj
        data = json.dumps(obj).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Warning", '299 - "flunders are \\"experimental\\""')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def apiservice(name, group, version, svc_port, ca, **spec):
    s = {"group": group, "version": version, "groupPriorityMinimum": 2000, "versionPriority": 200, "caBundle": ca,
         "service": {"namespace": NS, "name": "sample-api", "port": svc_port}}
    s.update(spec)
    return {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": name}, "spec": s}


def condition(name):
    _, a = api("GET", f"{APISVC}/{name}")
    for c in (a or {}).get("status", {}).get("conditions", []):
        if c["type"] == "Available":
            return c
    return {}


def wait_condition(name, status, reason, deadline=20):
    end = time.time() + deadline
    c = {}
    while time.time() < end:
        c = condition(name)
        if c.get("status") == status and c.get("reason") == reason:
            return c
        time.sleep(0.25)
    return c


def main():
    tmp = tempfile.mkdtemp(prefix="e2e-627-")
    ca = make_certs(tmp, [f"sample-api.{NS}.svc"])
    port = free_port()
    srv = ThreadingHTTPServer(("127.0.0.1", port), Wardle)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key"))
    sctx.verify_mode = ssl.CERT_OPTIONAL
    _, cm0 = api("GET", "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
    sctx.load_verify_locations(cadata=cm0["data"]["requestheader-client-ca-file"])  # as an extension server trusts it
    srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    name = f"v1alpha1.{GROUP}"
    try:
        api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        # --- the trust published for extension servers
        _, cm = api("GET", "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
        d = (cm or {}).get("data", {})
        check(d.get("requestheader-username-headers") == '["X-Remote-User"]' and
              d.get("requestheader-group-headers") == '["X-Remote-Group"]' and
              d.get("requestheader-extra-headers-prefix") == '["X-Remote-Extra-"]' and
              d.get("requestheader-allowed-names") == '["front-proxy-client"]' and
              d.get("client-ca-file", "").startswith("-----BEGIN CERTIFICATE") and
              d.get("client-ca-file") == open(os.environ["CACERT"]).read() and
              d.get("requestheader-client-ca-file", "").startswith("-----BEGIN CERTIFICATE") and
              d.get("requestheader-client-ca-file") != d.get("client-ca-file"),
              "extension-apiserver-authentication ConfigMap", d)

        # --- local APIServices for the built-in groups
        _, lst = api("GET", APISVC)
        names = [i["metadata"]["name"] for i in (lst or {}).get("items", [])]
        _, core = api("GET", f"{APISVC}/v1.")
        check("v1." in names and "v1.apps" in names and "v1beta1.apiregistration.k8s.io" in names and
              core.get("spec", {}).get("service") is None and
              core.get("status", {}).get("conditions", [{}])[0].get("reason") == "Local",
              "built-in group/versions are local APIServices, Available (Local)", (names[:5], core))

        # --- validation
        code, st = api("POST", APISVC, apiservice("v1.wrong.example.com", GROUP, "v1alpha1", 7443, ca))
        check(code == 422 and "metadata.name" in st["message"] and "v1alpha1.wardle.example.com" in st["message"],
              "the name must be <version>.<group>", st)

        # --- no Service yet: ServiceNotFound
        code, body = api("POST", APISVC, apiservice(name, GROUP, "v1alpha1", 7443, ca))
        check(code == 201, "APIService created", body)
        c = wait_condition(name, "False", "ServiceNotFound")
        check(c.get("message") == f'service/sample-api in "{NS}" is not present', "ServiceNotFound", c)
        code, body = api("GET", f"/apis/{GROUP}/v1alpha1/namespaces/default/flunders")
        check(code == 503 and body == "service unavailable\n", "unavailable: 503 service unavailable", (code, body))

        api("POST", f"/api/v1/namespaces/{NS}/services", {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "sample-api"}, "spec": {"ports": [{"port": 7443, "targetPort": 443}]}})
        api("POST", f"/api/v1/namespaces/{NS}/endpoints", {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "sample-api"},
            "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": port}]}]})
        c = wait_condition(name, "True", "Passed")
        check(c.get("message") == "all checks passed", "Available: Passed once discovery answers", c)
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "get", "apiservices", name, "v1.apps")
            rows = [line.split() for line in out.splitlines()]
            check(rc == 0 and rows[0] == ["NAME", "SERVICE", "AVAILABLE", "AGE"] and
                  rows[1][:3] == [name, f"{NS}/sample-api", "True"] and rows[2][:3] == ["v1.apps", "Local", "True"],
                  f"kubectl get apiservices: kube-aggregator's columns [{k}]", out + err)

        # --- discovery
        code, apis = api("GET", "/apis")
        groups = [g["name"] for g in apis["groups"]]
        check(GROUP in groups and groups.index(GROUP) > groups.index("apiextensions.k8s.io"),
              "/apis lists the group after the built-in ones", groups)
        code, g = api("GET", f"/apis/{GROUP}")
        check(code == 200 and g["preferredVersion"]["groupVersion"] == f"{GROUP}/v1alpha1", "/apis/<group>", g)
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "api-versions")
            check(rc == 0 and f"{GROUP}/v1alpha1" in out.split(), f"kubectl api-versions [{k}]", out + err)

        # --- proxied requests
        n = len(seen)
        cp = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "--cacert", os.environ["CACERT"], "-H",
                             "Authorization: Bearer " + TOKEN, "-H", "Content-Type: application/json", "-X", "POST",
                             "--data", json.dumps({"apiVersion": f"{GROUP}/v1alpha1", "kind": "Flunder",
                                                   "metadata": {"name": "rest-flunder"}}),
                             f"{os.environ['SERVER']}/apis/{GROUP}/v1alpha1/namespaces/default/flunders"],
                            capture_output=True, text=True, timeout=30)
        body, _, code = cp.stdout.rpartition("\n")
        check(code == "201" and json.loads(body)["metadata"]["name"] == "rest-flunder", "curl POST proxied: 201",
              cp.stdout)
        r = seen[n] if len(seen) > n else {}
        check(r.get("cn") == "front-proxy-client" and r.get("user") == "kubernetes-admin" and
              "system:masters" in r.get("groups", []) and r.get("authorization") is None and r.get("method") == "POST",
              "the server sees the front-proxy certificate and X-Remote-User/Group, no Authorization", r)
        for k in KUBECTLS:
            rc, out, err = kubectl(k, "create", "-f", "-", input_=json.dumps({
                "apiVersion": f"{GROUP}/v1alpha1", "kind": "Flunder", "metadata": {"name": "k-" + k.split("/")[-2]}}))
            check(rc == 0 and 'Warning: flunders are "experimental"' in err, f"kubectl create: the server's Warning [{k}]",
                  out + err)
            api("DELETE", f"/apis/{GROUP}/v1alpha1/namespaces/default/flunders/k-" + k.split("/")[-2])
            flunders.pop("k-" + k.split("/")[-2], None)
            rc, out, err = kubectl(k, "get", "flunders", "-n", "default", "-o", "name")
            check(rc == 0 and out.strip() == f"flunder.{GROUP}/rest-flunder", f"kubectl get flunders [{k}]", out + err)

        # --- insecureSkipTLSVerify: no caBundle, the server's certificate is not checked
        insecure = apiservice(f"v1beta1.{GROUP}", GROUP, "v1beta1", 7443, None, insecureSkipTLSVerify=True,
                              versionPriority=100)
        del insecure["spec"]["caBundle"]
        code, body = api("POST", APISVC, insecure)
        c = wait_condition(f"v1beta1.{GROUP}", "True", "Passed")
        check(code == 201 and c.get("status") == "True", "insecureSkipTLSVerify: Available without a caBundle", (body, c))
        code, g = api("GET", f"/apis/{GROUP}")
        check([v["version"] for v in g.get("versions", [])] == ["v1alpha1", "v1beta1"] and
              g["preferredVersion"]["version"] == "v1alpha1", "versions by versionPriority (200 before 100)", g)
        bad = apiservice(f"v1beta2.{GROUP}", GROUP, "v1beta2", 7443, ca, insecureSkipTLSVerify=True)
        code, st = api("POST", APISVC, bad)
        check(code == 422 and "spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"
              in st.get("message", ""), "insecureSkipTLSVerify with a caBundle is refused", st)
        api("DELETE", f"{APISVC}/v1beta1.{GROUP}")

        # --- a watch is relayed as it arrives
        c = http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=20)
        t0 = time.time()
        c.request("GET", f"/apis/{GROUP}/v1alpha1/namespaces/default/flunders?watch=1",
                  headers={"Authorization": "Bearer " + TOKEN})
        resp = c.getresponse()
        first = json.loads(resp.readline())
        t1 = time.time() - t0
        second = json.loads(resp.readline())
        t2 = time.time() - t0
        check(resp.status == 200 and first["object"]["metadata"]["name"] == "w1" and
              second["object"]["metadata"]["name"] == "w2" and t2 - t1 >= 1.0,  # w2 is sent 1.5 s after w1: not held back
              f"watch streamed through the proxy (first event after {t1:.1f} s, second after {t2:.1f} s)", (first, second))
        c.close()

        # --- v1beta1 serves the same objects
        code, b = api("GET", f"/apis/apiregistration.k8s.io/v1beta1/apiservices/{name}")
        check(code == 200 and b["apiVersion"] == "apiregistration.k8s.io/v1beta1" and b["spec"]["group"] == GROUP,
              "v1beta1 APIService", b)

        # --- a server that stops answering: FailedDiscoveryCheck, then 503
        srv.shutdown()
        srv.server_close()
        c = wait_condition(name, "False", "FailedDiscoveryCheck")
        check(c.get("message", "").startswith(f"failing or missing response from https://sample-api.{NS}.svc:7443/apis/"
                                              f"{GROUP}/v1alpha1: Get "), "FailedDiscoveryCheck when the server is gone", c)
        rc, out, err = kubectl(KUBECTLS[0], "get", "apiservices", name, "--no-headers")
        check(out.split()[2:4] == ["False", "(FailedDiscoveryCheck)"], "kubectl shows False (FailedDiscoveryCheck)", out)
        code, body = api("GET", f"/apis/{GROUP}/v1alpha1/namespaces/default/flunders")
        check(code == 503, "503 while unavailable", (code, body))

        # --- deleted: the group is gone
        api("DELETE", f"{APISVC}/{name}")
        code, apis = api("GET", "/apis")
        check(GROUP not in [g["name"] for g in apis["groups"]], "deleted APIService leaves /apis", apis)
    finally:
        api("DELETE", f"{APISVC}/{name}")
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if not failures else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
