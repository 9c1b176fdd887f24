#!/usr/bin/python3
"""The Ingress proxy end to end, with every kubectl given: test backends on
loopback (127.0.0.2-4) behind Services without selectors and hand-made
EndpointSlices; `kubectl create ingress` path routing, 404, 503,
forwarded headers, ADDRESS in `kubectl get ingress`, streamed bodies both
ways, 413, a WebSocket tunnel; a canary at weight 10
over 10,000 requests and its header override (`kubectl annotate`); HTTPS
with curl --resolve, the Secret's certificate checked by fingerprint,
rotation without restart, the fake certificate and a Warning Event for a
missing Secret, HTTP->HTTPS 308; then a load run while Ingresses,
endpoints and Secrets change, which must see no error, and one while a
backend is killed (under 0.1 % errors)."""
import hashlib
import http.client
import http.server
import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request

HTTP, HTTPS = int(os.environ["INGRESS_HTTP"]), int(os.environ["INGRESS_HTTPS"])
KUBECTLS = [k for k in os.environ["KUBECTLS"].split(os.pathsep) if k] or ["kubectl"]
TMP = tempfile.mkdtemp(prefix="ingress-e2e-")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        raise SystemExit(1)


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body go out in two writes

    def do_GET(self):
        if self.path.endswith("/ws") and self.headers.get("Upgrade") == "websocket":  # a byte echo after 101
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:
                data = self.connection.recv(4096)
                if not data:
                    break
                self.connection.sendall(data)
            self.close_connection = True
            return
        if self.path.endswith("/stream"):  # a chunked response in three parts, 0.4 s apart
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first", b"second", b"third"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.4)
            self.wfile.write(b"0\r\n\r\n")
            return
        self.reply({"backend": self.server.name, "path": self.path, "headers": dict(self.headers)})

    def do_POST(self):
        if self.headers.get("Transfer-Encoding") == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply({"backend": self.server.name, "length": len(data), "sha": hashlib.sha256(data).hexdigest()})

    def reply(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PORT = free_port()
BACKENDS = {}
for name, ip in (("web", "127.0.0.2"), ("api", "127.0.0.3"), ("canary", "127.0.0.4")):
    srv = http.server.ThreadingHTTPServer((ip, PORT), Echo)
    srv.daemon_threads = True
    srv.name = name
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    BACKENDS[name] = ip


def run(kubectl, args, stdin=None, ok=True):
    p = subprocess.run([kubectl] + args, input=stdin, capture_output=True, text=True)
    if ok and p.returncode != 0:
        print(p.stdout, p.stderr)
        check(False, "kubectl " + " ".join(args))
    return p


def backend_objects(ns, name, ips, ready=True):
    eps = ",".join('{"addresses":["%s"],"conditions":{"ready":%s}}' % (ip, "true" if ready else "false") for ip in ips)
    return ('{"apiVersion":"v1","kind":"List","items":['
            '{"apiVersion":"v1","kind":"Service","metadata":{"name":"%s","namespace":"%s"},'
            '"spec":{"ports":[{"name":"http","port":80}]}},'
            '{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"%s-1","namespace":"%s",'
            '"labels":{"kubernetes.io/service-name":"%s"}},"addressType":"IPv4",'
            '"ports":[{"name":"http","port":%d}],"endpoints":[%s]}]}') % (name, ns, name, ns, name, PORT, eps)


def get(host, path, headers=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
    h = {"Host": host}
    h.update(headers or {})
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    if not conn:
        c.close()
    return r.status, body, r


def backend_of(host, path, headers=None, conn=None):
    st, body, _ = get(host, path, headers, conn)
    return json.loads(body)["backend"] if st == 200 else st


def until(fn, want, seconds=15):
    deadline = time.time() + seconds
    got = None
    while time.time() < deadline:
        try:
            got = fn()
        except (OSError, ValueError, http.client.HTTPException):
            got = None
        if got == want:
            return got
        time.sleep(0.2)
    return got


def tls_fingerprint(host):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", HTTPS), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


def make_cert(host, tag):
    key, crt = os.path.join(TMP, f"{tag}.key"), os.path.join(TMP, f"{tag}.crt")
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "2", "-keyout", key,
                    "-out", crt, "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}"],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"], check=True, capture_output=True).stdout
    return key, crt, hashlib.sha256(der).hexdigest()


VICTIM = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_GET(self):
        body = b'{"backend": "victim"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.6", int(sys.argv[1])), H)
s.daemon_threads = True
s.serve_forever()
"""


def metrics_text():
    ctx = ssl.create_default_context(cafile=os.environ["CACERT"])
    ctx.check_hostname = False
    req = urllib.request.Request(os.environ["SERVER"] + "/metrics",
                                 headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return r.read().decode()


def streaming_and_bodies(host):
    """Bodies pass through unbuffered in both directions; proxy-body-size's 1m default gives 413."""
    c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
    start = time.time()
    c.request("GET", "/web/stream", headers={"Host": host})
    r = c.getresponse()
    first = r.read1(100)
    t_first = time.time() - start
    rest = r.read()
    check(first.startswith(b"first") and first + rest == b"firstsecondthird" and t_first < 0.6 <= time.time() - start,
          f"a chunked response streams through (first part after {t_first:.2f} s)")
    data = os.urandom(512 * 1024)
    c.request("POST", "/web/upload", body=data, headers={"Host": host})
    got = json.loads(c.getresponse().read())
    check(got["length"] == len(data) and got["sha"] == hashlib.sha256(data).hexdigest(), "a 512 KiB body passes intact")
    chunks = [os.urandom(70000) for _ in range(3)]
    c.request("POST", "/web/upload", body=iter(chunks), headers={"Host": host}, encode_chunked=True)
    got = json.loads(c.getresponse().read())
    check(got["length"] == 210000 and got["sha"] == hashlib.sha256(b"".join(chunks)).hexdigest(),
          "a chunked request body passes intact")
    c.request("POST", "/web/upload", body=os.urandom(2 << 20), headers={"Host": host})
    check(c.getresponse().status == 413, "a body over proxy-body-size (1m) gets 413")
    c.close()
    with socket.create_connection(("127.0.0.1", HTTP), timeout=10) as ws:
        ws.sendall(f"GET /web/ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += ws.recv(4096)
        echoes = []
        for msg in (b"ping-1", b"ping-2" * 1000):
            ws.sendall(msg)
            got = b""
            while len(got) < len(msg):
                got += ws.recv(65536)
            echoes.append(got == msg)
        check(head.startswith(b"HTTP/1.1 101") and b"upgrade" in head.lower() and all(echoes),
              "an Upgrade (WebSocket) is tunnelled both ways")


def killed_backend_run(kubectl, ns):
    """A load run while one of two backends is killed (kill -9): under 0.1 % errors."""
    victim = subprocess.Popen(["/usr/bin/python3", "-c", VICTIM, str(PORT)])
    host = "kill.example.com"
    run(kubectl, ["apply", "-f", "-"], backend_objects(ns, "pair", [BACKENDS["web"], "127.0.0.6"]))
    run(kubectl, ["-n", ns, "create", "ingress", "pair", f"--rule={host}/*=pair:80"])
    got = until(lambda: len({backend_of(host, "/") for _ in range(8)}), 2)
    check(got == 2, "both backends of the pair answer")
    errors, done, stop = [0], [0], threading.Event()

    def load():
        c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
        while not stop.is_set():
            try:
                if backend_of(host, "/", None, c) not in ("web", "victim"):
                    errors[0] += 1
            except Exception:
                errors[0] += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
            done[0] += 1

    def run_until(requests, at_least, at_most):
        """Lets the load run for at_least seconds and until done reaches
        requests (a loaded machine serves fewer a second), at most at_most s."""
        t0 = time.time()
        while time.time() - t0 < at_most and (time.time() - t0 < at_least or done[0] < requests):
            time.sleep(0.1)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    run_until(300, 1.5, 30)
    victim.kill()
    victim.wait()
    run_until(done[0] + 800, 3, 60)
    stop.set()
    for t in threads:
        t.join()
    check(done[0] > 1000 and errors[0] * 1000 < done[0],
          f"load while a backend is killed: {done[0]} requests, {errors[0]} errors (< 0.1 %)")


for idx, kubectl in enumerate(KUBECTLS):
    ver = json.loads(run(kubectl, ["version", "--client", "-o", "json"]).stdout)["clientVersion"]["gitVersion"]
    print(f"--- kubectl {ver}", flush=True)
    ns = f"e2e-ingress-{idx}"
    host = f"shop-{idx}.example.com"
    run(kubectl, ["create", "namespace", ns])
    for name, ip in BACKENDS.items():
        run(kubectl, ["apply", "-f", "-"], backend_objects(ns, name, [ip]))
    run(kubectl, ["apply", "-f", "-"], backend_objects(ns, "down", ["127.0.0.5"], ready=False))
    out = run(kubectl, ["-n", ns, "create", "ingress", "shop", f"--rule={host}/web*=web:80",
                        f"--rule={host}/api*=api:80", f"--rule={host}/down=down:80"]).stdout
    check("ingress.networking.k8s.io/shop created" in out, "kubectl create ingress")

    check(until(lambda: backend_of(host, "/web/index.html"), "web") == "web", "Prefix /web routes to web")
    check(backend_of(host, "/api/v1/items?x=1") == "api", "Prefix /api routes to api")
    check(backend_of(host.upper() + ":80", "/api") == "api", "Host header case and port ignored")
    check(backend_of(host, "/webshop") == 404, "Prefix matches whole path elements (/webshop is 404)")
    check(backend_of("nobody.example.com", "/web") == 404, "unknown host: 404 default backend")
    check(backend_of(host, "/down") == 503, "a Service without a ready endpoint: 503")
    st, body, _ = get(host, "/web/h", {"X-Forwarded-For": "10.9.9.9"})
    hd = json.loads(body)["headers"]
    check(hd.get("X-Forwarded-For") == "10.9.9.9, 127.0.0.1" and hd.get("X-Real-IP") == "127.0.0.1" and
          hd.get("X-Forwarded-Proto") == "http" and hd.get("X-Forwarded-Host") == host and
          hd.get("X-Forwarded-Port") == str(HTTP) and len(hd.get("X-Request-ID", "")) == 32 and
          hd.get("Host") == host, "forwarded headers, Host passed through")
    streaming_and_bodies(host)
    curl = subprocess.run(["curl", "-s", "--resolve", f"{host}:{HTTP}:127.0.0.1", f"http://{host}:{HTTP}/api/x"],
                          capture_output=True, text=True)
    check('"backend": "api"' in curl.stdout, "curl --resolve reaches the api backend")
    addr = until(lambda: run(kubectl, ["-n", ns, "get", "ingress", "shop"]).stdout.split("\n")[1].split()[3],
                 "127.0.0.1")
    check(addr == "127.0.0.1", "kubectl get ingress shows the ADDRESS")

    # canary: weight 10 over 10,000 requests, header always/never
    run(kubectl, ["-n", ns, "create", "ingress", "shop-canary", f"--rule={host}/web*=canary:80"])
    out = run(kubectl, ["-n", ns, "annotate", "ingress", "shop-canary", "nginx.ingress.kubernetes.io/canary=true",
                        "nginx.ingress.kubernetes.io/canary-weight=10",
                        "nginx.ingress.kubernetes.io/canary-by-header=X-Canary"]).stdout
    check("annotated" in out, "kubectl annotate the canary")
    conn = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
    check(until(lambda: backend_of(host, "/web", {"X-Canary": "always"}, conn), "canary") == "canary",
          "canary-by-header always")
    hits = sum(backend_of(host, "/web", None, conn) == "canary" for _ in range(10000))
    check(900 <= hits <= 1100, f"canary-weight 10: {hits} of 10000 requests (10% +- 1%)")
    check(all(backend_of(host, "/web", {"X-Canary": "never"}, conn) == "web" for _ in range(200)),
          "canary-by-header never overrides the weight")
    check(all(backend_of(host, "/web", {"X-Canary": "always"}, conn) == "canary" for _ in range(200)),
          "canary-by-header always overrides the weight")
    metrics = metrics_text()
    canary_series = [l for l in metrics.splitlines() if l.startswith("ckube_ingress_requests_total{") and
                     f'ingress="{ns}/shop-canary"' in l and 'canary="true"' in l and 'status="2xx"' in l]
    check(canary_series and int(canary_series[0].split()[-1]) >= 1000 and
          f'ckube_ingress_request_duration_seconds_bucket{{ingress="{ns}/shop"' in metrics,
          "/metrics counts the canary's requests and has latency histograms per Ingress")
    check(f'nginx_ingress_controller_request_duration_seconds_count{{namespace="{ns}",ingress="shop",service="' in metrics,
          "/metrics has the latency histogram under ingress-nginx's name and labels")
    run(kubectl, ["-n", ns, "annotate", "--overwrite", "ingress", "shop-canary",
                  "nginx.ingress.kubernetes.io/canary-weight=0"])
    check(until(lambda: sum(backend_of(host, "/web", None, conn) == "canary" for _ in range(100)), 0) == 0,
          "weight 0 takes effect at once: no canary")
    conn.close()

    # TLS from a Secret, by SNI; rotation; redirect; missing Secret
    shost = f"secure-{idx}.example.com"
    key, crt, fp1 = make_cert(shost, f"s{idx}a")
    run(kubectl, ["-n", ns, "create", "secret", "tls", "secure-tls", f"--cert={crt}", f"--key={key}"])
    run(kubectl, ["-n", ns, "create", "ingress", "secure", f"--rule={shost}/*=web:80,tls=secure-tls"])
    check(until(lambda: tls_fingerprint(shost), fp1) == fp1, "HTTPS serves the Secret's certificate (fingerprint)")
    curl = subprocess.run(["curl", "-s", "--cacert", crt, "--resolve", f"{shost}:{HTTPS}:127.0.0.1",
                           f"https://{shost}:{HTTPS}/hello"], capture_output=True, text=True)
    check('"backend": "web"' in curl.stdout and '"X-Forwarded-Proto": "https"' in curl.stdout,
          "curl --resolve over HTTPS verifies the certificate and reaches web")
    st, _, r = get(shost, "/x?y=1")
    check(st == 308 and r.getheader("Location") == f"https://{shost}:{HTTPS}/x?y=1", "HTTP -> HTTPS 308")
    key2, crt2, fp2 = make_cert(shost, f"s{idx}b")
    secret = run(kubectl, ["-n", ns, "create", "secret", "tls", "secure-tls", f"--cert={crt2}", f"--key={key2}",
                           "--dry-run=client", "-o", "yaml"]).stdout
    run(kubectl, ["apply", "-f", "-"], secret)
    check(until(lambda: tls_fingerprint(shost), fp2) == fp2, "a rotated Secret is served on the next handshake")
    mhost = f"missing-{idx}.example.com"
    run(kubectl, ["-n", ns, "create", "ingress", "missing", f"--rule={mhost}/*=web:80,tls=no-such-secret"])
    ev = until(lambda: "SecretNotFound" in run(kubectl, ["-n", ns, "get", "events"]).stdout, True)
    check(ev, "a missing Secret gives a Warning Event on the Ingress")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", HTTPS), timeout=10) as s, ctx.wrap_socket(s, server_hostname=mhost) as t:
        der = t.getpeercert(binary_form=True)
    subj = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                          capture_output=True).stdout.decode()
    check("Kubernetes Ingress Controller Fake Certificate" in subj, "the fake certificate when the Secret is missing")

    # load while things change: 0 errors
    errors, done, stop = [0], [0], threading.Event()

    def load():
        c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
        while not stop.is_set():
            try:
                st = backend_of(host, "/api/load", None, c)
                if st not in ("api", "web"):
                    errors[0] += 1
                done[0] += 1
            except Exception:
                errors[0] += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(6):
        ips = [BACKENDS["api"], BACKENDS["web"]] if i % 2 == 0 else [BACKENDS["api"]]
        run(kubectl, ["apply", "-f", "-"], backend_objects(ns, "api", ips))
        run(kubectl, ["-n", ns, "annotate", "--overwrite", "ingress", "shop", f"ckube.test/round={i}"])
        run(kubectl, ["-n", ns, "create", "ingress", f"extra-{i}", f"--rule=extra-{i}.{host}/*=web:80"])
        run(kubectl, ["apply", "-f", "-"], secret if i % 2 else run(kubectl, [
            "-n", ns, "create", "secret", "tls", "secure-tls", f"--cert={crt}", f"--key={key}", "--dry-run=client",
            "-o", "yaml"]).stdout)
        time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    check(done[0] > 500 and errors[0] == 0, f"load during changes: {done[0]} requests, {errors[0]} errors")
    if idx == 0:
        killed_backend_run(kubectl, ns)
    run(kubectl, ["delete", "namespace", ns, "--wait=false"])
print("all ingress checks passed")
