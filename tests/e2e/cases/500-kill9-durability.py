#!/usr/bin/python3
"""Durability under SIGKILL: starts its own ckube-server ($CKUBE_SERVER_BIN) on a
fresh data dir and a free loopback port, has 8 threads create configmaps over
HTTPS with the admin token, SIGKILLs the server after ~2 s of load, restarts it
on the same data dir and checks that every create answered 201 is still there.
Reports acknowledged writes per second. Bounded in time; loopback only."""
import http.client, json, os, signal, socket, ssl, subprocess, sys, tempfile, threading, time, shutil

BIN = os.environ.get("CKUBE_SERVER_BIN") or sys.exit("CKUBE_SERVER_BIN not set")
NS = "kill9"
THREADS, LOAD_SECONDS, DEADLINE = 8, 2.0, time.time() + 120


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def start(data, port, log):
    proc = subprocess.Popen([BIN, "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    limit = time.time() + 30
    while time.time() < limit:
        if proc.poll() is not None:
            sys.exit(f"FAIL server exited with {proc.returncode} while starting")
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx(), timeout=2)
            c.request("GET", "/readyz")
            r = c.getresponse()
            if r.status == 200 and r.read() == b"ok":
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    sys.exit("FAIL server not ready within 30 s")


def request(conn, token, method, path, body=None):
    headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def main():
    work = tempfile.mkdtemp(prefix="ckube-kill9-")
    data = os.path.join(work, "data")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "w")
    proc = start(data, port, log)
    token = open(os.path.join(data, "pki", "admin.token")).read().strip()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx(), timeout=10)
    st, _ = request(conn, token, "POST", "/api/v1/namespaces",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    if st != 201:
        sys.exit(f"FAIL creating namespace: {st}")

    acked, lock, stop = [], threading.Lock(), threading.Event()

    def writer(tid):
        c = None
        i = 0
        while not stop.is_set() and time.time() < DEADLINE:
            name = f"w{tid}-{i}"
            i += 1
            try:
                if c is None:
                    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx(), timeout=5)
                st, _ = request(c, token, "POST", f"/api/v1/namespaces/{NS}/configmaps",
                                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                                 "data": {"writer": str(tid), "seq": str(i)}})
                if st == 201:
                    with lock:
                        acked.append(name)
            except (OSError, http.client.HTTPException):
                c = None  # the server is gone (or the connection broke): stop counting this write
                if stop.is_set():
                    return
                time.sleep(0.01)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    t0 = time.time()
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    with lock:
        acked_before_kill = len(acked)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = time.time()
    stop.set()
    for t in threads:
        t.join(10)
    elapsed = killed_at - t0
    with lock:
        names = list(acked)
    print(f"acknowledged {len(names)} creates in {elapsed:.2f} s "
          f"({len(names) / elapsed:.0f}/s, {acked_before_kill} before the kill signal)", flush=True)
    if not names:
        sys.exit("FAIL no write was acknowledged")

    proc = start(data, port, log)
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx(), timeout=10)
        present, cont = set(), ""
        while time.time() < DEADLINE:
            path = f"/api/v1/namespaces/{NS}/configmaps?limit=500" + (f"&continue={cont}" if cont else "")
            st, body = request(conn, token, "GET", path)
            if st != 200:
                sys.exit(f"FAIL listing after restart: {st} {body[:300]!r}")
            doc = json.loads(body)
            present.update(item["metadata"]["name"] for item in doc["items"])
            cont = doc["metadata"].get("continue", "")
            if not cont:
                break
        lost = [n for n in names if n not in present]
        print(f"after restart: {len(present)} configmaps present, {len(lost)} acknowledged ones lost", flush=True)
        if lost:
            sys.exit(f"FAIL lost acknowledged writes, e.g. {lost[:10]}")
        # spot-check single reads too
        for n in names[:: max(1, len(names) // 20)]:
            st, body = request(conn, token, "GET", f"/api/v1/namespaces/{NS}/configmaps/{n}")
            if st != 200:
                sys.exit(f"FAIL GET {n} after restart: {st}")
        # the restarted server accepts writes and resourceVersions keep growing
        st, body = request(conn, token, "POST", f"/api/v1/namespaces/{NS}/configmaps",
                           {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after-restart"}})
        if st != 201:
            sys.exit(f"FAIL create after restart: {st} {body[:300]!r}")
        print("ok   every acknowledged create survived SIGKILL", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
