#!/usr/bin/python3
"""The Ingress proxy in front of pods that really run (a real node agent,
seed 002's shop flow): two Deployments of sysnet4admin/echo-hname behind
one host, path routing to each (`kubectl create ingress` with kubectl
1.20, `kubectl annotate` with the newest kubectl); a canary Deployment at
weight 10 gets 10 % +- 1 % of 10,000 requests and the canary-by-header
`always`/`never` override the weight; HTTPS from a kubernetes.io/tls
Secret (`kubectl create secret tls`), the certificate checked by
fingerprint; backend-protocol HTTPS to a pod serving TLS (openssl
s_server); least_conn spreads over every pod; the access log has a line
per request in ingress-nginx's format naming the pod that served it.
Bounded: about 60 s."""
import hashlib, http.client, json, os, re, socket, ssl, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-750"
HTTP, HTTPS = int(os.environ["INGRESS_HTTP"]), int(os.environ["INGRESS_HTTPS"])
KUBECTLS = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or ["kubectl"]
ACCESS_LOG = os.path.join(os.environ["DATA"], "ingress-access.log")
HOST = f"{NS}.shop.local"
TMP = tempfile.mkdtemp(prefix="ingress-750-")


def run(kctl, *args, input=None):
    p = subprocess.run([kctl, *args], capture_output=True, text=True, input=input, timeout=60)
    assert p.returncode == 0, f"{kctl} {' '.join(args)}: {p.stderr}"
    return p.stdout


def deployment(name, replicas, image="sysnet4admin/echo-hname", command=None, port=80):
    c = {"name": "web", "image": image}
    if command:
        c["command"] = command
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                                 "spec": {"nodeSelector": {"kubernetes.io/hostname": NODE}, "containers": [c]}}}}
    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(dep))
    kubectl("expose", "deployment", "-n", NS, name, f"--port={port}")


def pod_names(app):
    pods = json.loads(kubectl("get", "pods", "-n", NS, "-l", f"app={app}", "-o", "json"))["items"]
    return {p["metadata"]["name"] for p in pods if p["status"].get("phase") == "Running"
            and "deletionTimestamp" not in p["metadata"]}


class Client:
    """One keep-alive HTTP connection to the proxy."""

    def __init__(self):
        self.c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=5)

    def get(self, path, headers=None):
        self.c.request("GET", path, headers={"Host": HOST, **(headers or {})})
        r = self.c.getresponse()
        return r.status, r.read().decode(errors="replace").strip()


def serves(path, want, n=20):
    """The set of pod names answering path over n requests, once they are all from want."""
    c = Client()
    got = set()
    for _ in range(n):
        status, body = c.get(path)
        if status != 200:
            return None
        got.add(body)
    return got if got <= want and len(got) == len(want) else None


def main():
    kubectl("create", "namespace", NS)
    try:
        net = pod_net()
        with RealNode(NODE, net):
            deployment("shop", 2)
            deployment("cart", 2)
            wait_for("2+2 pods running", lambda: len(pod_names("shop")) == 2 and len(pod_names("cart")) == 2, 40)
            first, newest = KUBECTLS[0], KUBECTLS[-1]
            run(first, "create", "ingress", "-n", NS, "shop", f"--rule={HOST}/shop*=shop:80",
                f"--rule={HOST}/cart*=cart:80")
            got = wait_for("/shop served by both shop pods", lambda: serves("/shop", pod_names("shop")), 30)
            assert all(n.startswith("shop-") for n in got), got
            got = wait_for("/cart served by both cart pods", lambda: serves("/cart/items", pod_names("cart")), 30)
            assert all(n.startswith("cart-") for n in got), got
            status, _ = Client().get("/other")
            assert status == 404, status
            print("ok   path routing to two Deployments")

            # a canary Deployment at weight 10, then its header override
            deployment("cart-v2", 1)
            wait_for("canary pod running", lambda: len(pod_names("cart-v2")) == 1, 30)
            run(first, "create", "ingress", "-n", NS, "cart-canary", f"--rule={HOST}/cart*=cart-v2:80")
            run(newest, "annotate", "-n", NS, "ingress", "cart-canary", "nginx.ingress.kubernetes.io/canary=true",
                "nginx.ingress.kubernetes.io/canary-weight=10", "nginx.ingress.kubernetes.io/canary-by-header=X-Canary")
            canary = next(iter(pod_names("cart-v2")))
            wait_for("the canary serves", lambda: any(Client().get("/cart")[1] == canary for _ in range(30)), 20)
            c, hits, started = Client(), 0, time.time()
            for _ in range(10000):
                status, body = c.get("/cart")
                assert status == 200, status
                hits += body == canary
            assert 900 <= hits <= 1100, hits
            print(f"ok   canary weight 10: {hits} of 10000 ({time.time() - started:.1f} s)")
            assert all(c.get("/cart", {"X-Canary": "always"})[1] == canary for _ in range(50))
            assert not any(c.get("/cart", {"X-Canary": "never"})[1] == canary for _ in range(50))
            print("ok   canary-by-header always/never")

            # backend-protocol HTTPS: a pod serving TLS with openssl s_server
            tls_dir = f"/tmp/{NS}-backend"
            deployment("tlsweb", 1, image="ckube-test/openssl", port=8443, command=[
                "sh", "-c", f"mkdir -p {tls_dir} && cd {tls_dir} && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                f"-subj /CN=backend -keyout k.pem -out c.pem 2>/dev/null && exec openssl s_server -accept 8443 "
                f"-cert c.pem -key k.pem -www -quiet"])
            wait_for("TLS pod running", lambda: len(pod_names("tlsweb")) == 1, 30)
            run(first, "create", "ingress", "-n", NS, "tlsweb", f"--rule={HOST}/tls*=tlsweb:8443",
                "--annotation=nginx.ingress.kubernetes.io/backend-protocol=HTTPS",
                "--annotation=nginx.ingress.kubernetes.io/ssl-redirect=false")
            wait_for("the TLS backend answers through the proxy",
                     lambda: (lambda r: r[0] == 200 and "s_server" in r[1])(Client().get("/tls")), 30)
            print("ok   backend-protocol HTTPS")

            # least_conn still reaches every pod
            run(newest, "annotate", "-n", NS, "ingress", "shop", "nginx.ingress.kubernetes.io/load-balance=least_conn")
            wait_for("least_conn spreads over both pods", lambda: serves("/shop", pod_names("shop"), 40), 20)
            print("ok   load-balance least_conn")

            # the access log names the upstream and the pod address of a request
            cart_ips = {p["status"]["podIP"] for p in json.loads(kubectl(
                "get", "pods", "-n", NS, "-l", "app=cart", "-o", "json"))["items"]}
            Client().get("/cart/logged", {"User-Agent": "e2e-750", "Referer": "http://x/\"q"})
            line_re = re.compile(r'^127\.0\.0\.1 - - \[[^\]]+\] "GET /cart/logged HTTP/1\.1" 200 \d+ "http://x/\\x22q" '
                                 r'"e2e-750" \d+ \d+\.\d{3} \[' + re.escape(f"{NS}-cart-80") +
                                 r'\] \[[^\]]*\] (127\.' + str(net) + r'\.\d+\.\d+):80 \d+ \d+\.\d{3} 200 [0-9a-f]{32}$')

            def logged():
                for line in open(ACCESS_LOG, errors="replace"):
                    m = line_re.match(line.rstrip("\n"))
                    if m:
                        return m.group(1)
                return None
            ip = wait_for("the access log line", logged, 10)
            assert ip in cart_ips, (ip, cart_ips)
            print("ok   access log")
            # HTTPS from a Secret, checked by fingerprint
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}", "-keyout",
                            os.path.join(TMP, "tls.key"), "-out", os.path.join(TMP, "tls.crt")],
                           check=True, capture_output=True)
            run(first, "create", "secret", "tls", "-n", NS, "shop-tls", f"--cert={TMP}/tls.crt", f"--key={TMP}/tls.key")
            ing = json.loads(kubectl("get", "ingress", "-n", NS, "shop", "-o", "json"))
            ing["spec"]["tls"] = [{"hosts": [HOST], "secretName": "shop-tls"}]
            kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(ing))
            want = hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(os.path.join(TMP, "tls.crt")).read())).hexdigest()

            def https_ok():
                ctx = ssl.create_default_context(cafile=os.path.join(TMP, "tls.crt"))
                with socket.create_connection(("127.0.0.1", HTTPS), 5) as raw, \
                        ctx.wrap_socket(raw, server_hostname=HOST) as s:
                    der = s.getpeercert(binary_form=True)
                    s.sendall(f"GET /shop HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                    data = b""
                    while len(data) < 1 << 20:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
                return (hashlib.sha256(der).hexdigest() == want and head.startswith("HTTP/1.1 200")
                        and body.strip() in pod_names("shop"))
            wait_for("HTTPS with the Secret's certificate", https_ok, 20)
            status, _ = Client().get("/shop")
            assert status == 308, status  # HTTP to a TLS host is redirected
            print("ok   HTTPS from the Secret (fingerprint), HTTP redirected with 308")

    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        subprocess.run(["rm", "-rf", TMP, f"/tmp/{NS}-backend"])
    print("ok")


main()
