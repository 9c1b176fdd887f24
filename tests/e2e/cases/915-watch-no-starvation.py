#!/usr/bin/python3
"""Open watches hold no server thread: with --http-threads 8, 40 watches
(each its own HTTPS connection, on ConfigMaps and Pods) stay open and a GET
still answers at once; a ConfigMap create reaches every ConfigMap watch and
no Pod watch (events go to their resource's watches only); a watch with
timeoutSeconds ends with its last chunk and closes its connection. Starts
its own server (binary from $CKUBE_SERVER_BIN) on a free loopback port."""
import http.client, json, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import server  # noqa: E402

THREADS, WATCHES = 8, 40


def main():
    work = tempfile.mkdtemp(prefix="ckube-starve-")
    port = server.free_port()
    srv = server.start(work, port, ["--http-threads", str(THREADS)])
    conns = []
    try:
        tok = open(os.path.join(work, "pki", "admin.token")).read().strip()
        h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

        def conn(timeout=10):
            return http.client.HTTPSConnection("127.0.0.1", port, context=server.CTX, timeout=timeout)

        def call(method, path, body=None):
            c = conn()
            c.request(method, path, json.dumps(body) if body is not None else None, h)
            r = c.getresponse()
            return r.status, r.read().decode()

        st, _ = call("POST", "/api/v1/namespaces", {"metadata": {"name": "starve"}})
        assert st == 201, st
        watches = []
        for i in range(WATCHES):
            kind = "configmaps" if i % 2 == 0 else "pods"
            c = conn()
            c.request("GET", f"/api/v1/namespaces/starve/{kind}?watch=1&timeoutSeconds=120", headers=h)
            r = c.getresponse()
            assert r.status == 200, (i, r.status)
            assert r.getheader("Connection", "").lower() == "close", r.getheaders()
            conns.append(c)
            watches.append((kind, r))
        t = time.time()
        st, body = call("GET", "/api/v1/namespaces")
        took = time.time() - t
        assert st == 200 and '"starve"' in body, st
        assert took < 10, f"GET with {WATCHES} watches open took {took:.1f} s"

        st, _ = call("POST", "/api/v1/namespaces/starve/configmaps", {"metadata": {"name": "seen"}})
        assert st == 201, st
        for i, (kind, r) in enumerate(watches):
            if kind != "configmaps":
                continue
            buf, deadline = b"", time.time() + 30
            while b'"name":"seen"' not in buf and time.time() < deadline:
                chunk = r.read1(65536)
                if not chunk:
                    break
                buf += chunk
            line = next((l for l in buf.split(b"\n") if b'"name":"seen"' in l), None)
            assert line is not None, f"watch {i} got no event: {buf[:200]!r}"
            ev = json.loads(line)
            assert ev["type"] == "ADDED" and ev["object"]["kind"] == "ConfigMap", ev
        # a pod watch saw nothing but keep-alive newlines
        for kind, r in watches:
            if kind == "pods":
                r.fp.raw._sock.settimeout(0.5)
                try:
                    got = r.read1(65536)
                except OSError:
                    got = b""
                assert not got.strip(), got[:200]

        c = conn(30)
        c.request("GET", "/api/v1/namespaces/starve/configmaps?watch=1&resourceVersion=0&timeoutSeconds=2", headers=h)
        r = c.getresponse()
        body = r.read()  # returns once the last chunk came
        assert b'"name":"seen"' in body, body[:200]
        print(f"ok: {WATCHES} watches on {THREADS} threads, GET in {took * 1000:.0f} ms")
    finally:
        for c in conns:
            c.close()
        srv.terminate()
        srv.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
