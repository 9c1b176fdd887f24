#!/usr/bin/python3
"""bench-rbac.py [ckube-server] - the cost of authorization on GET: a fresh
ckube-server (loopback, no node), one keep-alive HTTPS connection per
identity, N GETs of one ConfigMap each as the admin certificate
(system:masters: allowed before RBAC runs, i.e. RBAC off) and as a
certificate user allowed by a RoleBinding to view (the full RBAC walk over
the bootstrap policy's ~60 ClusterRoleBindings), alternating rounds; prints
requests per second and the server's CPU time per request for each."""
import http.client, json, os, shutil, ssl, subprocess, sys, tempfile, time

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build", "bin",
                                                              "ckube-server")
N, ROUNDS = 3000, 3


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def main():
    work = tempfile.mkdtemp(prefix="bench-rbac-")
    import socket
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    srv = subprocess.Popen([BIN, "--data-dir", work, "--listen", f"127.0.0.1:{port}", "--no-local-node"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        kc = os.path.join(work, "admin.kubeconfig")
        run = lambda *a, **k: subprocess.run(["kubectl", "--kubeconfig", kc, *a], check=True,
                                            stdout=subprocess.DEVNULL, **k)
        run("create", "configmap", "bench", "-n", "default", "--from-literal=a=b")
        run("create", "rolebinding", "bench-view", "-n", "default", "--clusterrole=view", "--user=bench-user")
        pki = os.path.join(work, "pki")
        subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{work}/u.key",
                        "-out", f"{work}/u.csr", "-subj", "/CN=bench-user"], check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", f"{work}/u.csr", "-CA", f"{pki}/ca.crt", "-CAkey",
                        f"{pki}/ca.key", "-CAcreateserial", "-out", f"{work}/u.crt", "-days", "1"], check=True,
                       capture_output=True)
        ids = {"system:masters (RBAC not consulted)": (f"{pki}/admin.crt", f"{pki}/admin.key"),
               "RBAC user (RoleBinding to view)": (f"{work}/u.crt", f"{work}/u.key")}
        conns = {}
        for name, (crt, key) in ids.items():
            ctx = ssl.create_default_context(cafile=f"{pki}/ca.crt")
            ctx.check_hostname = False
            ctx.load_cert_chain(crt, key)
            conns[name] = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        res = {n: [0.0, 0.0] for n in ids}
        for _ in range(ROUNDS):
            for name, c in conns.items():
                c0, t0 = cpu(srv.pid), time.monotonic()
                for _ in range(N):
                    c.request("GET", "/api/v1/namespaces/default/configmaps/bench")
                    r = c.getresponse()
                    r.read()
                    assert r.status == 200, (name, r.status)
                res[name][0] += time.monotonic() - t0
                res[name][1] += cpu(srv.pid) - c0
        for name, (secs, cpus) in res.items():
            total = N * ROUNDS
            print(f"{name:40s} {total / secs:8.0f} req/s  {cpus / total * 1e6:7.1f} us server CPU/request")
    finally:
        srv.kill()
        srv.wait()
        shutil.rmtree(work, ignore_errors=True)


main()
