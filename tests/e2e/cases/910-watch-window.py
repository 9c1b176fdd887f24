#!/usr/bin/python3
"""Watch resumption against a small event window: a watch from a
resourceVersion inside the window replays exactly the later events; one from
before the window gets an ERROR event with a 410 Expired Status, as
kube-apiserver answers after compaction; a consistent LIST at that old
revision is refused with 410 too. Starts its own server with
--watch-window 16 (binary from $CKUBE_SERVER_BIN) on a free loopback port."""
import http.client, json, os, shutil, socket, ssl, subprocess, sys, tempfile, time

BIN = os.environ["CKUBE_SERVER_BIN"]
CTX = ssl._create_unverified_context()


def main():
    work = tempfile.mkdtemp(prefix="ckube-window-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = subprocess.Popen([BIN, "--data-dir", work, "--listen", f"127.0.0.1:{port}", "--watch-window", "16", "--no-local-node"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().read() == b"ok":
                    break
            except OSError:
                time.sleep(0.1)
        tok = open(os.path.join(work, "pki", "admin.token")).read().strip()
        h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

        def call(method, path, body=None):
            c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=10)
            c.request(method, path, json.dumps(body) if body is not None else None, h)
            r = c.getresponse()
            return r.status, r.read().decode()

        # a fresh server still writes its first objects for a moment (controllers taking their Leases and
        # making their defaults): wait until the revision stays put for a second (20 s at most)
        last, since, deadline = None, time.time(), time.time() + 20
        while time.time() < deadline:
            st, body = call("GET", "/api/v1/namespaces/default/configmaps")
            first_rv = int(json.loads(body)["metadata"]["resourceVersion"])
            if first_rv != last:
                last, since = first_rv, time.time()
            elif time.time() - since >= 1:
                break
            time.sleep(0.1)
        for i in range(20):
            st, body = call("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": f"c{i}"}})
            assert st == 201, body
            if i == 16:  # resume from c16's own revision: other writes (Lease renewals) share the counter
                rv16 = json.loads(body)["metadata"]["resourceVersion"]
        st, body = call("GET", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv16}&timeoutSeconds=1")
        events = [json.loads(l) for l in body.splitlines() if l.strip()]
        names = [e["object"].get("metadata", {}).get("name") or e["object"].get("message") for e in events]
        print("resumed inside the window:", [e["type"] for e in events], names)
        assert names == ["c17", "c18", "c19"] and all(e["type"] == "ADDED" for e in events), names
        st, body = call("GET", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={first_rv}&timeoutSeconds=1")
        events = [json.loads(l) for l in body.splitlines() if l.strip()]
        print("resumed before the window:", events)
        assert len(events) == 1 and events[0]["type"] == "ERROR", events
        assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired", events
        st, body = call("GET", f"/api/v1/namespaces/default/configmaps?resourceVersion={first_rv}&resourceVersionMatch=Exact")
        print("exact list before the window:", st)
        assert st == 410, body
    finally:
        srv.terminate()
        srv.wait(10)
        shutil.rmtree(work, ignore_errors=True)


main()
