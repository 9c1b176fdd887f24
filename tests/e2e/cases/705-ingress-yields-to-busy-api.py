#!/usr/bin/python3
"""The Ingress proxy's workers yield the CPU to the API only while it is
busy: on a server with the default --ingress-nice (19), the ingress-N
threads' nice level and scheduling class (read from /proc/PID/task/TID/stat)
are 0 in the normal class while the API is quiet, 19 in the idle class
(SCHED_IDLE) while a client sends it requests, and 0 again once it stops.
Without root (no CAP_SYS_NICE) a level cannot go down again, so the workers
keep 19 throughout. The proxy serves all along (its 404 default backend).
Starts its own server (binary from $CKUBE_SERVER_BIN) on free loopback ports."""
import http.client, os, shutil, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import server  # noqa: E402


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        raise SystemExit(1)


def worker_levels(pid):
    """{thread name: "nice/class"} for the server's ingress-N threads ("0/normal", "19/idle")."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue  # a thread that just ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if name.startswith("ingress-"):
            fields = stat[stat.rindex(")") + 2:].split()  # fields 3 on
            policy = {"0": "normal", "5": "idle"}.get(fields[38], fields[38])  # field 41: SCHED_OTHER 0, SCHED_IDLE 5
            out[f"{name}/{tid}"] = f"{fields[16]}/{policy}"  # field 19: nice
    return out


def wait_levels(pid, want, seconds):
    """Polls until every worker is at want (seconds at most); the last reading."""
    deadline = time.time() + seconds
    levels = worker_levels(pid)
    while time.time() < deadline and (not levels or set(levels.values()) != {want}):
        time.sleep(0.05)
        levels = worker_levels(pid)
    return levels


def main():
    work = tempfile.mkdtemp(prefix="ckube-nice-")
    port, ingress = server.free_port(), server.free_port()
    srv = server.start(work, port, ["--ingress-http", f"127.0.0.1:{ingress}"])
    root = os.geteuid() == 0
    quiet_level = "0/normal" if root else "19/idle"
    busy_level = "19/idle"
    try:
        tok = open(os.path.join(work, "pki", "admin.token")).read().strip()
        levels = wait_levels(srv.pid, quiet_level, 10)
        check(levels and set(levels.values()) == {quiet_level},
              f"API quiet: the proxy's workers at {quiet_level} ({levels})")

        busy = threading.Event()
        busy.set()
        sent = [0]

        def hammer():  # GETs back to back on one keep-alive connection
            c = http.client.HTTPSConnection("127.0.0.1", port, context=server.CTX, timeout=10)
            while busy.is_set():
                c.request("GET", "/api/v1/namespaces/default", headers={"Authorization": "Bearer " + tok})
                r = c.getresponse()
                r.read()
                sent[0] += 1

        t = threading.Thread(target=hammer, daemon=True)
        t.start()
        try:
            levels = wait_levels(srv.pid, busy_level, 10)
            check(set(levels.values()) == {busy_level},
                  f"API busy ({sent[0]} GETs so far): the workers at nice 19 in the idle class ({levels})")
            time.sleep(1)  # still busy: they stay there
            levels = worker_levels(srv.pid)
            check(set(levels.values()) == {busy_level}, f"still busy after 1 s ({sent[0]} GETs): still there ({levels})")
            c = http.client.HTTPConnection("127.0.0.1", ingress, timeout=10)
            c.request("GET", "/nothing-here", headers={"Host": "nowhere.example"})
            check(c.getresponse().status == 404, "the proxy answers meanwhile (404 default backend)")
        finally:
            busy.clear()
            t.join(15)
        levels = wait_levels(srv.pid, quiet_level, 10)
        check(set(levels.values()) == {quiet_level}, f"API quiet again: back to {quiet_level} ({levels})")
    finally:
        srv.terminate()
        try:
            srv.wait(30)
        except Exception:
            srv.kill()
        shutil.rmtree(work, ignore_errors=True)


main()
