#!/usr/bin/python3
"""The Ingress proxy in front of real pods while things change: HTTPS from a
kubernetes.io/tls Secret rotated with `kubectl apply` (the new certificate,
checked by fingerprint, on the next handshake; a connection opened before
keeps working); a load run (4 keep-alive clients) while the Deployment
scales 2 -> 4 (new endpoints), the Ingress gets a second rule and an
annotation and the Secret rotates again loses no request; a load run while
backends die, one pod's container killed with kill -9 (the agent restarts
it) and the Deployment scaled 4 -> 2, has under 0.1 % errors (a request
in flight to a pod at the moment it dies may fail, as with ingress-nginx;
a client waits up to 30 s, since a retry that meets a second removed pod
waits for its connect timeout). kubectl 1.20 and the newest kubectl take turns. Bounded: about 90 s."""
import hashlib, http.client, json, os, socket, ssl, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-751"
HTTP, HTTPS = int(os.environ["INGRESS_HTTP"]), int(os.environ["INGRESS_HTTPS"])
KUBECTLS = [k for k in os.environ.get("KUBECTLS", "").split(os.pathsep) if k] or ["kubectl"]
HOST = f"{NS}.churn.local"
TMP = tempfile.mkdtemp(prefix="ingress-751-")


def run(kctl, *args, input=None):
    p = subprocess.run([kctl, *args], capture_output=True, text=True, input=input, timeout=60)
    assert p.returncode == 0, f"{kctl} {' '.join(args)}: {p.stderr}"
    return p.stdout


def pod_names():
    pods = json.loads(kubectl("get", "pods", "-n", NS, "-l", "app=shop", "-o", "json"))["items"]
    return {p["metadata"]["name"] for p in pods if p["status"].get("phase") == "Running"
            and "deletionTimestamp" not in p["metadata"]
            and all(c.get("ready") for c in p["status"].get("containerStatuses", []))}


def make_cert(name):
    key, crt = os.path.join(TMP, f"{name}.key"), os.path.join(TMP, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return key, crt, hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(crt).read())).hexdigest()


def apply_secret(kctl, key, crt):
    yaml = run(kctl, "create", "secret", "tls", "shop-tls", "-n", NS, f"--cert={crt}", f"--key={key}",
               "--dry-run=client", "-o", "yaml")
    run(kctl, "apply", "-n", NS, "-f", "-", input=yaml)


def tls_conn():
    ctx = ssl._create_unverified_context()
    return http.client.HTTPSConnection("127.0.0.1", HTTPS, context=ctx, timeout=5)


def fingerprint():
    ctx = ssl._create_unverified_context()
    with socket.create_connection(("127.0.0.1", HTTPS), 5) as raw, ctx.wrap_socket(raw, server_hostname=HOST) as s:
        return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def get(c, path="/"):
    c.request("GET", path, headers={"Host": HOST})
    r = c.getresponse()
    return r.status, r.read().decode(errors="replace").strip()


class Load:
    """n keep-alive clients over HTTP until stop(); counts requests and failures
    (a status other than 200 or a broken connection; the client reconnects)."""

    def __init__(self, n=4):
        self.done, self.errors, self.samples, self.halt = 0, 0, [], threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(n)]
        for t in self.threads:
            t.start()

    def loop(self):
        c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=30)
        while not self.halt.is_set():
            try:
                status, body = get(c)
                ok = status == 200
            except (OSError, http.client.HTTPException) as e:
                ok, status, body = False, type(e).__name__, ""
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=30)
            with self.lock:
                self.done += 1
                if not ok:
                    self.errors += 1
                    if len(self.samples) < 5:
                        self.samples.append(f"{status} {body[:80]}")

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(40)
        return self.done, self.errors


def main():
    kubectl("create", "namespace", NS)
    first, newest = KUBECTLS[0], KUBECTLS[-1]
    try:
        with RealNode(NODE, pod_net()) as node:
            run(first, "create", "deployment", "shop", "-n", NS, "--image=sysnet4admin/echo-hname", "--replicas=2")
            kubectl("patch", "deployment", "shop", "-n", NS, "--type=merge", "-p", json.dumps(
                {"spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/hostname": NODE}}}}}))
            run(first, "expose", "deployment", "shop", "-n", NS, "--port=80")
            wait_for("2 shop pods ready", lambda: len(pod_names()) == 2, 40)
            key1, crt1, fp1 = make_cert("one")
            apply_secret(first, key1, crt1)
            run(newest, "create", "ingress", "shop", "-n", NS, f"--rule={HOST}/*=shop:80,tls=shop-tls",
                "--annotation=nginx.ingress.kubernetes.io/ssl-redirect=false")
            wait_for("HTTP through the proxy", lambda: get(http.client.HTTPConnection("127.0.0.1", HTTP, timeout=5))[1]
                     in pod_names(), 30)
            wait_for("HTTPS with the first certificate", lambda: fingerprint() == fp1, 20)
            print("ok   HTTPS from the Secret (fingerprint)")

            # rotation: the next handshake gets the new certificate, an open connection keeps working
            kept = tls_conn()
            assert get(kept)[0] == 200
            key2, crt2, fp2 = make_cert("two")
            apply_secret(newest, key2, crt2)
            wait_for("the rotated certificate on the next handshake", lambda: fingerprint() == fp2, 20)
            assert get(kept)[0] == 200, "the connection opened before the rotation broke"
            print("ok   Secret rotated without restart; the open connection kept")

            # a load run while endpoints, the Ingress and the Secret change: no request lost
            load = Load()
            time.sleep(1)
            run(first, "scale", "deployment", "shop", "-n", NS, "--replicas=4")
            wait_for("4 shop pods ready", lambda: len(pod_names()) == 4, 40)
            ing = json.loads(run(newest, "get", "ingress", "shop", "-n", NS, "-o", "json"))
            ing["spec"]["rules"].append({"host": f"other.{HOST}", "http": {"paths": [{
                "path": "/", "pathType": "Prefix", "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}})
            run(newest, "apply", "-n", NS, "-f", "-", input=json.dumps(ing))
            run(first, "annotate", "ingress", "shop", "-n", NS, "nginx.ingress.kubernetes.io/proxy-read-timeout=30")
            key3, crt3, fp3 = make_cert("three")
            apply_secret(first, key3, crt3)
            wait_for("the third certificate", lambda: fingerprint() == fp3, 20)
            served = set()
            c = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=5)
            wait_for("all 4 pods serve", lambda: (served.add(get(c)[1]), len(served & pod_names()) == 4)[1], 20)
            time.sleep(1)
            done, errors = load.stop()
            assert done > 200 and errors == 0, f"{done} requests, {errors} errors: {load.samples}"
            print(f"ok   load while scaling 2->4, a new rule, an annotation and a rotation: {done} requests, 0 errors")

            # a load run while backends die: one container killed with kill -9, then two pods scaled away
            running = sorted(p for p in node.pids() if os.path.exists(f"/proc/{p}"))
            assert running, "no container process recorded by the agent"
            load = Load()
            time.sleep(2)
            os.kill(running[0], 9)
            pods = json.loads(kubectl("get", "pods", "-n", NS, "-l", "app=shop", "-o", "json"))["items"]
            wait_for("the killed container restarted", lambda: any(
                cs.get("restartCount", 0) >= 1 for p in json.loads(kubectl(
                    "get", "pods", "-n", NS, "-l", "app=shop", "-o", "json"))["items"]
                for cs in p["status"].get("containerStatuses", [])), 30)
            wait_for("4 pods ready again", lambda: len(pod_names()) == 4, 30)
            run(newest, "scale", "deployment", "shop", "-n", NS, "--replicas=2")
            wait_for("back to 2 shop pods", lambda: len(pod_names()) == 2 and len(json.loads(kubectl(
                "get", "pods", "-n", NS, "-l", "app=shop", "-o", "json"))["items"]) == 2, 60)
            time.sleep(1)
            done, errors = load.stop()
            assert done > 200 and errors * 1000 < done, f"{done} requests, {errors} errors: {load.samples}"
            print(f"ok   load while a container is killed and 2 of {len(pods)} pods scaled away: {done} requests, "
                  f"{errors} errors (< 0.1 %)")
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        subprocess.run(["rm", "-rf", TMP])
    print("ok")


main()
