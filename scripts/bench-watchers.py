#!/usr/bin/python3
"""bench-watchers.py URL TOKEN LABEL [N] [PID] - N concurrent watches, each its
own HTTPS connection (spread over 10 namespaces, ConfigMaps and Pods), held
open by one client thread; reports the server's RSS per idle watch (when PID
names the server), whether a GET still answers with all of them open, and
write-to-event latency for 200 ConfigMap creates at a steady rate, measured
on the watches of the created objects' namespace. Loopback only; every
phase bounded in time. Prints TSV rows: label, measure, value, unit."""
import http.client, json, os, selectors, socket, ssl, sys, threading, time, urllib.parse

URL, TOKEN, LABEL = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
PID = sys.argv[5] if len(sys.argv) > 5 else None
NAMESPACES, WRITES, RATE = 10, 200, 50.0
u = urllib.parse.urlparse(URL)
CTX = ssl._create_unverified_context()
H = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}


def row(measure, value, unit):
    print(f"{LABEL}\t{measure}\t{value}\t{unit}", flush=True)


def rss_kb():
    with open(f"/proc/{PID}/status") as f:
        return int(next(l for l in f if l.startswith("VmRSS")).split()[1])


def call(method, path, body=None):
    c = http.client.HTTPSConnection(u.hostname, u.port, context=CTX, timeout=30)
    c.request(method, path, json.dumps(body) if body is not None else None, H)
    r = c.getresponse()
    return r.status, r.read()


def open_watch(path):
    s = CTX.wrap_socket(socket.create_connection((u.hostname, u.port), timeout=30), server_hostname=u.hostname)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {u.hostname}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("closed before the head")
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    s.setblocking(False)
    return s


def main():
    run = f"w{int(time.time())}"
    for i in range(NAMESPACES):
        call("POST", "/api/v1/namespaces", {"metadata": {"name": f"{run}-{i}"}})
    st, body = call("GET", "/api/v1/namespaces/default/configmaps")
    rv = json.loads(body)["metadata"]["resourceVersion"]
    before = rss_kb() if PID else 0
    socks, t0, deadline = [], time.time(), time.time() + 600
    for k in range(N):
        if time.time() > deadline:
            break
        kind = "configmaps" if k % 2 == 0 else "pods"
        socks.append((k % NAMESPACES, kind, open_watch(
            f"/api/v1/namespaces/{run}-{k % NAMESPACES}/{kind}?watch=1&resourceVersion={rv}&timeoutSeconds=900")))
    row("watches open", len(socks), f"(opened in {time.time() - t0:.0f} s)")
    time.sleep(2)
    if PID:
        row("server RSS per idle watch", f"{(rss_kb() - before) / max(1, len(socks)):.1f}", "KiB")
    t = time.perf_counter()
    st, _ = call("GET", "/api/v1/namespaces")
    row("GET with all watches open", f"{(time.perf_counter() - t) * 1000:.0f}", f"ms (status {st})")

    sel = selectors.DefaultSelector()
    for ns, kind, s in socks:
        sel.register(s, selectors.EVENT_READ, (ns, kind))
    sent, lat, lock, stop = {}, [], threading.Lock(), threading.Event()
    want = sum(1 for ns, kind, _ in socks if kind == "configmaps" and ns == 0) * WRITES

    def reader():
        bufs = {}
        while not stop.is_set():
            for key, _ in sel.select(0.5):
                try:
                    data = key.fileobj.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                now = time.perf_counter()
                buf = bufs.get(key.fileobj, b"") + data
                *lines, bufs[key.fileobj] = buf.split(b"\n")
                for line in lines:
                    i = line.find(b'"name":"lat-')
                    if i >= 0:
                        name = line[i + 8:line.index(b'"', i + 8)].decode()
                        with lock:
                            if name in sent:
                                lat.append(now - sent[name])

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    c = http.client.HTTPSConnection(u.hostname, u.port, context=CTX, timeout=30)
    start = time.perf_counter()
    for i in range(WRITES):
        time.sleep(max(0, start + i / RATE - time.perf_counter()))
        with lock:
            sent[f"lat-{i}"] = time.perf_counter()
        c.request("POST", f"/api/v1/namespaces/{run}-0/configmaps", json.dumps({"metadata": {"name": f"lat-{i}"}}), H)
        c.getresponse().read()
    end = time.time() + 60
    while len(lat) < want and time.time() < end:
        time.sleep(0.2)
    stop.set()
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1000 if lat else float("nan")
    row("events delivered", f"{len(lat)}/{want}", f"(write-to-event p50 {p(.5):.1f} ms, p99 {p(.99):.1f} ms, "
        f"{WRITES} creates at {RATE:.0f}/s)")
    for _, _, s in socks:
        s.close()


if __name__ == "__main__":
    main()
