#!/usr/bin/python3
"""The watch loop offers an event only to the watches of its namespace and
to those of every namespace: a ConfigMap created in "idx" reaches the
"idx" watch and the all-namespaces watch, not the "idx-b" watch (a name
that "idx" is a prefix of), and the other way round; a cluster-scoped
watch (Namespaces) sees a new namespace; after the "idx" watch's client
leaves, the remaining watches still get their events. Starts its own
server (binary from $CKUBE_SERVER_BIN) on a free loopback port."""
import http.client, json, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import server  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix="ckube-wnsidx-")
    port = server.free_port()
    srv = server.start(work, port, [])
    conns = []
    try:
        tok = open(os.path.join(work, "pki", "admin.token")).read().strip()
        h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

        def conn():
            return http.client.HTTPSConnection("127.0.0.1", port, context=server.CTX, timeout=10)

        def call(method, path, body=None):
            c = conn()
            c.request(method, path, json.dumps(body) if body is not None else None, h)
            r = c.getresponse()
            return r.status, r.read().decode()

        for ns in ("idx", "idx-b"):
            assert call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})[0] == 201
        _, body = call("GET", "/api/v1/configmaps")
        rv = json.loads(body)["metadata"]["resourceVersion"]
        paths = {"idx": "/api/v1/namespaces/idx/configmaps", "idx-b": "/api/v1/namespaces/idx-b/configmaps",
                 "all": "/api/v1/configmaps", "namespaces": "/api/v1/namespaces"}
        watches = {}
        for key, path in paths.items():
            c = conn()
            c.request("GET", f"{path}?watch=1&resourceVersion={rv}&timeoutSeconds=60", headers=h)
            r = c.getresponse()
            assert r.status == 200, (key, r.status)
            conns.append(c)
            watches[key] = (c, r, [b""])

        def names(key, want, wait=10.0):
            """The object names the watch has shown, reading until every name in want came or wait passed."""
            _, r, buf = watches[key]
            deadline = time.time() + wait
            r.fp.raw._sock.settimeout(0.3)
            while time.time() < deadline and not all(f'"name":"{w}"'.encode() in buf[0] for w in want):
                try:
                    chunk = r.read1(65536)
                except OSError:
                    continue
                if not chunk:
                    break
                buf[0] += chunk
            return {json.loads(l)["object"]["metadata"]["name"] for l in buf[0].split(b"\n") if l.strip()}

        assert call("POST", "/api/v1/namespaces/idx/configmaps", {"metadata": {"name": "a1"}})[0] == 201
        assert call("POST", "/api/v1/namespaces/idx-b/configmaps", {"metadata": {"name": "b1"}})[0] == 201
        assert call("POST", "/api/v1/namespaces", {"metadata": {"name": "idx-c"}})[0] == 201
        assert {"a1", "b1"} <= names("all", ["a1", "b1"]), names("all", [])
        got = names("idx", ["a1"], 3)
        assert "a1" in got and "b1" not in got, got
        got = names("idx-b", ["b1"], 3)
        assert "b1" in got and "a1" not in got, got
        assert "idx-c" in names("namespaces", ["idx-c"]), names("namespaces", [])

        watches.pop("idx")[0].close()  # its stream leaves the index with its client
        time.sleep(1)
        assert call("POST", "/api/v1/namespaces/idx/configmaps", {"metadata": {"name": "a2"}})[0] == 201
        assert call("POST", "/api/v1/namespaces/idx-b/configmaps", {"metadata": {"name": "b2"}})[0] == 201
        assert {"a2", "b2"} <= names("all", ["a2", "b2"]), names("all", [])
        got = names("idx-b", ["b2"], 3)
        assert "b2" in got and "a2" not in got, got
        print("ok: events reach the watches of their namespace and of all namespaces only")
    finally:
        for c in conns:
            c.close()
        srv.terminate()
        srv.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
