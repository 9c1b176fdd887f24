#!/usr/bin/python3
"""The cluster DNS's opt-in forwarding (--dns-forward=ADDR:PORT), against a
made-up upstream on loopback that answers every A question with 127.0.0.42
(and never answers names starting with "silent"): names outside
cluster.local come back from the upstream over UDP and over TCP with RA
set, cluster names are still answered by ckube itself, a silent upstream
gives SERVFAIL within the forwarder's 3 s. Starts its own ckube-server
(binary from $CKUBE_SERVER_BIN). Bounded: about 15 s."""
import os, shutil, socket, struct, subprocess, sys, tempfile, threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from server import free_port, start  # noqa: E402


def reply(q):
    """An answer to query bytes q: its question and one A record 127.0.0.42, or None to stay silent."""
    off, labels = 12, []
    while q[off]:
        labels.append(q[off + 1:off + 1 + q[off]].decode(errors="replace"))
        off += 1 + q[off]
    question = q[12:off + 5]
    if labels and labels[0].startswith("silent"):
        return None
    head = q[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
    return head + question + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 42])


def upstream_sockets():
    """A UDP and a TCP socket on one loopback port, the port picked by the kernel for UDP (a port free for
    TCP may be another worker's DNS port over UDP); tried again when TCP has that port taken."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        t = socket.socket()
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", u.getsockname()[1]))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(4)
        return u, t
    raise AssertionError("no loopback port free for both UDP and TCP")


def upstream(u, t, stop):
    u.settimeout(0.2)
    t.settimeout(0.2)
    while not stop.is_set():
        try:
            q, peer = u.recvfrom(4096)
            r = reply(q)
            if r:
                u.sendto(r, peer)
        except socket.timeout:
            pass
        try:
            c, _ = t.accept()
            c.settimeout(2)
            n = struct.unpack(">H", c.recv(2))[0]
            r = reply(c.recv(n))
            if r:
                c.sendall(struct.pack(">H", len(r)) + r)
            c.close()
        except socket.timeout:
            pass
    u.close()
    t.close()


def dig(port, *args):
    p = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+time=5", *args],
                       capture_output=True, text=True, timeout=20)
    return p.stdout


def main():
    work = tempfile.mkdtemp(prefix="ckube-723-")
    u, t = upstream_sockets()
    up, dns, api = u.getsockname()[1], free_port(), free_port()
    stop = threading.Event()
    th = threading.Thread(target=upstream, args=(u, t, stop), daemon=True)
    th.start()
    srv = start(os.path.join(work, "data"), api, ["--dns-listen", f"127.0.0.1:{dns}", f"--dns-forward=127.0.0.1:{up}"],
                open(os.path.join(work, "server.log"), "w"))
    try:
        out = dig(dns, "www.example.com")
        assert "status: NOERROR" in out and "127.0.0.42" in out and " ra" in out, out
        out = dig(dns, "+tcp", "+short", "tcp.example.org")
        assert out == "127.0.0.42\n", out
        out = dig(dns, "+short", "kubernetes.default.svc.cluster.local")
        assert out.strip() and out.strip() != "127.0.0.42", out
        out = dig(dns, "silent.example.com")
        assert "status: SERVFAIL" in out, out
    finally:
        srv.terminate()
        srv.wait(20)
        stop.set()
        th.join(5)
        shutil.rmtree(work, ignore_errors=True)
    print("ok")


main()
