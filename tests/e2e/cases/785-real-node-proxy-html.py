#!/usr/bin/python3
"""pods/proxy and services/proxy rewrite what leads back to the backend,
as kube-apiserver's proxy transport does (conformance: Proxy version v1
should proxy through a service and a pod, whose agnhost porter answers
`<a href="/rewriteme">test</a>` and expects the proxy path in front): links
in a text/html answer (plain and gzip), a redirect's Location, the
X-Forwarded-Uri the backend gets; CORS headers dropped; other hosts'
links, relative links and non-HTML bodies untouched; `.../proxy` moved to
`.../proxy/`. Checked with curl (headers, no redirect following) and
kubectl get --raw. Bounded: about 30 s."""
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-785"
PAGE = '<html><a href="/rewriteme">test</a> <img src=/i.png> <a href="rel">r</a> <a href="http://example.com/x">x</a></html>'
SERVER = """
import gzip, http.server
PAGE = %r
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body, ctype, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/gz":
            self.answer(200, gzip.compress(PAGE.encode()), "text/html; charset=utf-8", [("Content-Encoding", "gzip")])
        elif self.path == "/moved":
            self.answer(302, b"", "text/plain", [("Location", "/target/")])
        elif self.path == "/plain":
            self.answer(200, PAGE.encode(), "text/plain", [("Access-Control-Allow-Origin", "*"), ("X-Kept", "yes")])
        elif self.path.startswith("/fwd"):
            self.answer(200, self.headers.get("X-Forwarded-Uri", "none").encode(), "text/plain")
        else:
            self.answer(200, PAGE.encode(), "text/html")
http.server.HTTPServer(("0.0.0.0", 80), H).serve_forever()
""" % PAGE


def curl(path):
    """(status, headers lowercased, body) of GET path on the API server, redirects not followed."""
    p = subprocess.run(["curl", "-sS", "--noproxy", "*", "--cacert", os.environ["CACERT"], "-H",
                        f"Authorization: Bearer {os.environ['TOKEN']}", "--compressed", "-D", "-",
                        os.environ["SERVER"] + path], capture_output=True, text=True, timeout=30)
    head, _, body = p.stdout.partition("\n\n")  # text mode: curl's CRLFs read as newlines
    lines = head.split("\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def ok(r):
    """r when its status is 200 (else an error that names it, for wait_for's message)."""
    if r[0] != 200:
        raise AssertionError(f"{r[0]} {r[2][:300]}")
    return r


def main():
    kubectl("create", "namespace", NS)
    join = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "token", "create", "--data-dir", os.environ["DATA"],
                           "--print-join-command"], capture_output=True, text=True, check=True).stdout.split()
    try:
        with RealNode(NODE, pod_net(), join=join[1:]):  # joined: the call-home connection the proxy goes through
            kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
                 "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                     {"name": "c", "image": "python", "command": ["python3", "-c", SERVER], "ports": [{"containerPort": 80}]}]}},
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                 "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 8080, "targetPort": 80}]}}]}))
            pod = f"/api/v1/namespaces/{NS}/pods/http:web:80/proxy"
            svc = f"/api/v1/namespaces/{NS}/services/web:http/proxy"
            want = lambda prefix: PAGE.replace('"/rewriteme"', f'"{prefix}/rewriteme"').replace("src=/i.png", f'src="{prefix}/i.png"')
            code, _, body = wait_for("the pod's page through pods/proxy", lambda: ok(curl(pod + "/")), 40)
            assert body == want(pod), body
            assert kubectl("get", "--raw", pod + "/index.html") == want(pod)
            code, headers, body = curl(pod + "/gz")
            assert code == 200 and headers.get("content-encoding") == "gzip" and body == want(pod), (code, headers, body)
            code, headers, _ = curl(pod + "/moved")
            assert code == 302 and headers["location"] == pod + "/target/", (code, headers)
            code, headers, body = curl(pod + "/plain")
            assert code == 200 and body == PAGE and headers.get("x-kept") == "yes", (code, headers, body)
            assert "access-control-allow-origin" not in headers, headers
            assert curl(pod + "/fwd/a/")[2] == pod + "/fwd/a/"
            code, headers, _ = curl(pod + "?x=1")
            assert code == 301 and headers["location"] == pod + "/?x=1", (code, headers)
            code, _, body = wait_for("the Service's page through services/proxy", lambda: ok(curl(svc + "/")), 20)
            assert body == want(svc), body
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
