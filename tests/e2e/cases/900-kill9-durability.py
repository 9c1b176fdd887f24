#!/usr/bin/python3
"""kill -9 under write load loses no acknowledged write.

Starts its own ckube-server (binary from $CKUBE_SERVER_BIN) on a fresh data
dir and a free loopback port, runs 8 writer threads creating ConfigMaps over
HTTPS with the admin token, SIGKILLs the server after ~2 s of load, restarts
it on the same data dir and checks that every ConfigMap whose create was
answered 201 exists. Bounded: the whole test stops within ~60 s."""
import http.client, json, os, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import CTX, free_port, start  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix="ckube-kill9-")
    data = os.path.join(work, "data")
    port = free_port()
    srv = start(data, port)
    token = open(os.path.join(data, "pki", "admin.token")).read().strip()
    hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=10)
    c.request("POST", "/api/v1/namespaces", json.dumps({"metadata": {"name": "durable"}}), hdr)
    assert c.getresponse().status == 201
    acked, lock, stop = [], threading.Lock(), threading.Event()

    def writer(tid):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=5)
        i = 0
        while not stop.is_set():
            name = f"cm-{tid}-{i}"
            i += 1
            try:
                conn.request("POST", "/api/v1/namespaces/durable/configmaps",
                             json.dumps({"metadata": {"name": name}, "data": {"i": str(i)}}), hdr)
                r = conn.getresponse()
                r.read()
                if r.status == 201:
                    with lock:
                        acked.append(name)
            except (OSError, http.client.HTTPException):
                return  # the server is gone

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    t0 = time.time()
    for t in threads:
        t.start()
    time.sleep(2)
    srv.send_signal(signal.SIGKILL)
    srv.wait()
    elapsed = time.time() - t0
    stop.set()
    for t in threads:
        t.join(10)
    print(f"{len(acked)} creates acknowledged in {elapsed:.1f} s ({len(acked) / elapsed:.0f}/s) before kill -9")
    srv = start(data, port)
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=10)
        c.request("GET", "/api/v1/namespaces/durable/configmaps", headers=hdr)
        have = {i["metadata"]["name"] for i in json.load(c.getresponse())["items"]}
        lost = [n for n in acked if n not in have]
        print(f"after restart: {len(have)} configmaps, {len(lost)} acknowledged writes lost")
        if lost or not acked:
            sys.exit(f"FAIL: lost {lost[:10]}" if lost else "FAIL: no write was acknowledged")
    finally:
        srv.terminate()
        srv.wait(10)
        shutil.rmtree(work, ignore_errors=True)


main()
