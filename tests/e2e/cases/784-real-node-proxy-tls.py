#!/usr/bin/python3
"""pods/proxy and services/proxy to a pod's TLS port on a real node
(conformance: Proxy version v1 should proxy through a service and a pod,
its https:NAME:PORT targets): the node speaks TLS to the pod without
verifying its self-signed certificate, as kube-apiserver's proxy does;
`kubectl get --raw` through the pod (by port number) and through a Service
(by port name) returns the pod's answer; the http scheme on the same pod's
plain port still works, and https to a plain-text port fails with 503 (the
handshake fails) instead of hanging. When the conformance suite's agnhost
and its porter certificate are on this machine, agnhost porter's Go TLS
server (the conformance test's own backend)
answers through the proxy too, with no CERT_FILE: its certificate is the
image's /localhost.crt (images.conf binds the porter's files there), as
in the conformance test. Bounded: about 40 s."""
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-784"
PORTER = "/tmp/k8s-e2e/kubernetes-1.20.2/test/images/agnhost/porter"
SERVER = """
import http.server, ssl, subprocess, sys, tempfile, threading
d = tempfile.mkdtemp()
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/k", "-out", d + "/c",
                "-subj", "/CN=proxy-tls", "-days", "1"], check=True, capture_output=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = (self.server.word + " " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
plain = http.server.HTTPServer(("0.0.0.0", 80), H)
plain.word = "plain"
threading.Thread(target=plain.serve_forever, daemon=True).start()
s = http.server.HTTPServer(("0.0.0.0", 443), H)
s.word = "tls"
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(d + "/c", d + "/k")
s.socket = c.wrap_socket(s.socket, server_side=True)
print("serving", flush=True)
s.serve_forever()
"""


def raw(path, check=True):
    p = subprocess.run(["kubectl", "get", "--raw", path], capture_output=True, text=True, timeout=60)
    if check and p.returncode:
        raise AssertionError(f"GET {path}: {p.stderr.strip()}")
    return p.stdout if not p.returncode else p.stderr


def main():
    kubectl("create", "namespace", NS)
    join = subprocess.run([os.environ["CKUBE_SERVER_BIN"], "token", "create", "--data-dir", os.environ["DATA"],
                           "--print-join-command"], capture_output=True, text=True, check=True).stdout.split()
    try:
        with RealNode(NODE, pod_net(), join=join[1:]):
            kubectl("apply", "-n", NS, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tls", "labels": {"app": "tls"}},
                 "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                     {"name": "c", "image": "python", "command": ["python3", "-c", SERVER],
                      "ports": [{"containerPort": 80}, {"containerPort": 443}]}]}},
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "tls-svc"},
                 "spec": {"selector": {"app": "tls"}, "ports": [{"name": "tlsport", "port": 8443, "targetPort": 443},
                                                                {"name": "plain", "port": 8080, "targetPort": 80}]}}]}))
            base = f"/api/v1/namespaces/{NS}"
            got = wait_for("the pod's TLS port through pods/proxy",
                           lambda: raw(f"{base}/pods/https:tls:443/proxy/foo?x=1"), 40)
            assert got == "tls /foo?x=1", got
            got = wait_for("the Service's TLS port through services/proxy",
                           lambda: raw(f"{base}/services/https:tls-svc:tlsport/proxy/bar"), 20)
            assert got == "tls /bar", got
            assert raw(f"{base}/services/http:tls-svc:plain/proxy/baz") == "plain /baz"
            assert raw(f"{base}/pods/tls:80/proxy/") == "plain /"
            err = raw(f"{base}/pods/https:tls:80/proxy/", check=False)
            assert "ServiceUnavailable" in err or "503" in err or "handshake" in err, err
            if os.path.exists("/tmp/k8s-e2e/bin/agnhost") and os.path.exists(PORTER + "/localhost.crt"):
                env = [{"name": "SERVE_TLS_PORT_443", "value": "tls baz"}]
                kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(
                    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "porter"},
                     "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                         {"name": "c", "image": "k8s.gcr.io/e2e-test-images/agnhost:2.21", "args": ["porter"],
                          "env": env, "ports": [{"containerPort": 443}]}]}}))
                got = wait_for("agnhost porter's TLS port", lambda: raw(f"{base}/pods/https:porter:443/proxy/"), 30)
                assert got == "tls baz", got
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
