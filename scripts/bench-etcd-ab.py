#!/usr/bin/python3
"""bench-etcd-ab.py - creates/s of API servers on one 3-member etcd cluster,
in alternating rounds so that their ratio holds on a noisy machine.

  scripts/bench-etcd-ab.py [--rounds N] [--seconds S] [--conns 1,16,64] SYSTEM...

SYSTEM is LABEL=ckube:BINARY[:ARG,ARG...] (a ckube-server with --store
etcd and the extra flags; an ARG NAME=VALUE is set in its environment) or LABEL=kube-apiserver (K8S_BIN, default
/tmp/k8s-e2e/bin, as ../shared/conformance/build.sh builds it). Each round
starts every system afresh under its own --etcd-prefix, lets wrk POST unique
ConfigMaps for S seconds at each connection count, and reads the CPU time
the server and each etcd member spent. Prints one TSV row per measurement
(round, system, conns, creates/s, p50 ms, p99 ms, non-2xx, server CPU ms per
create, members' CPU ms per create: the busiest first) and, at the end, the
medians per system and the ratio of each system to the last one named.
Loopback only; every wait is bounded."""
import argparse, json, os, re, shutil, signal, ssl, statistics, subprocess, sys, tempfile, time
import urllib.request

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "tests", "e2e", "tools"))
import etcd  # noqa: E402
from server import free_port as port  # noqa: E402

LUA = """local n, count = 0, 0
function setup(thread) count = count + 1; thread:set("tid", RUN .. "-" .. count) end
function request()
  n = n + 1
  local body = string.format('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ab-%s-%d"},"data":{"k":"v"}}', tid, n)
  return wrk.format("POST", wrk.path, nil, body)
end
"""


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call(url, token, method="GET", body=None, timeout=5):
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    req = urllib.request.Request(url, method=method, data=body and json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=timeout) as r:
        return r.read()


def wait_ready(url, token, proc, seconds=90):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode})")
        try:
            if b"ok" in call(url + "/readyz", token, timeout=2):
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


class Ckube:
    def __init__(self, binary, args, efl, tmp, prefix):
        is_env = re.compile(r"[A-Z_][A-Z0-9_]*=").match
        flags = [x for x in args if not is_env(x)]
        env = dict(os.environ, **dict(x.split("=", 1) for x in args if is_env(x)))
        self.data = os.path.join(tmp, prefix.strip("/"))
        p = port()
        self.url = f"https://127.0.0.1:{p}"
        self.proc = subprocess.Popen([binary, "--data-dir", self.data, "--listen", f"127.0.0.1:{p}", "--no-local-node",
                                      "--store", "etcd", *efl, "--etcd-prefix", prefix, *flags],
                                     stdout=subprocess.DEVNULL, stderr=open(self.data + ".log", "w"), env=env)
        end = time.time() + 30
        while not os.path.exists(os.path.join(self.data, "pki", "admin.token")) and time.time() < end:
            time.sleep(0.1)
        self.token = open(os.path.join(self.data, "pki", "admin.token")).read().strip()
        wait_ready(self.url, self.token, self.proc)


class KubeApiserver:
    def __init__(self, efl, tmp, prefix):
        d = os.path.join(tmp, prefix.strip("/"))
        os.makedirs(d)
        subprocess.run(f"cd {d} && openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub",
                       shell=True, check=True, capture_output=True)
        open(os.path.join(d, "tokens.csv"), "w").write("ab-token,admin,admin,system:masters\n")
        p = port()
        self.url, self.token = f"https://127.0.0.1:{p}", "ab-token"
        binary = os.path.join(os.environ.get("K8S_BIN", "/tmp/k8s-e2e/bin"), "kube-apiserver")
        self.proc = subprocess.Popen([binary, *efl, "--etcd-prefix", prefix, "--bind-address", "127.0.0.1",
                                      "--secure-port", str(p), "--insecure-port", "0", "--cert-dir", d + "/certs",
                                      "--token-auth-file", d + "/tokens.csv", "--authorization-mode", "RBAC",
                                      "--service-account-issuer", "https://kubernetes.default.svc",
                                      "--service-account-key-file", d + "/sa.pub",
                                      "--service-account-signing-key-file", d + "/sa.key",
                                      "--service-cluster-ip-range", "10.96.0.0/12"],
                                     stdout=subprocess.DEVNULL, stderr=open(d + ".log", "w"))
        wait_ready(self.url, self.token, self.proc)


def wrk(url, token, conns, seconds, lua, run):
    script = f"{lua}.{run}"
    with open(script, "w") as f:
        f.write(f'RUN = "{run}"\n' + open(lua).read())
    out = subprocess.run(["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", script,
                          "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    def ms(pct):
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return reqs, ms(50), ms(99), int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--conns", default="1,16,64")
    ap.add_argument("--out", help="also write the rows and the medians to this file")
    ap.add_argument("systems", nargs="+")
    a = ap.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    systems = []
    for s in a.systems:
        label, spec = s.split("=", 1)
        kind, _, rest = spec.partition(":")
        binary, _, flags = rest.partition(":")
        systems.append((label, kind, binary, [f for f in flags.split(",") if f]))
    conns = [int(c) for c in a.conns.split(",")]
    tmp = tempfile.mkdtemp(prefix="bench-etcd-ab-")
    lua = os.path.join(tmp, "post.lua")
    open(lua, "w").write(LUA)
    cluster = os.path.join(tmp, "etcd")
    efl = etcd.start(cluster)[2:]  # --etcd-servers, CA, client cert: the same flags for both kinds
    members = [int(open(os.path.join(cluster, f)).read()) for f in sorted(os.listdir(cluster)) if f.endswith(".pid")]
    rows, lines = [], []
    def say(line=""):
        print(line, flush=True)
        lines.append(line)
    say("round\tsystem\tconns\tcreates/s\tp50 ms\tp99 ms\tnon-2xx\tserver CPU ms/create\tmembers CPU ms/create")
    try:
        for r in range(1, a.rounds + 1):
            for label, kind, binary, flags in systems:
                prefix = f"/ab-{label}-{r}"
                srv = Ckube(binary, flags, efl, tmp, prefix) if kind == "ckube" else KubeApiserver(efl, tmp, prefix)
                try:
                    ns = f"ab-{r}"
                    call(srv.url + "/api/v1/namespaces", srv.token, "POST", {"metadata": {"name": ns}})
                    time.sleep(1)
                    for c in conns:
                        pids = [srv.proc.pid, *members]
                        before = [cpu_seconds(p) for p in pids]
                        t0 = time.time()
                        reqs, p50, p99, bad = wrk(f"{srv.url}/api/v1/namespaces/{ns}/configmaps", srv.token, c,
                                                  a.seconds, lua, f"{r}-{c}")
                        el = time.time() - t0
                        spent = [(cpu_seconds(p) - b) * 1000 / max(reqs - bad, 1) for p, b in zip(pids, before)]
                        m = sorted(spent[1:], reverse=True)
                        row = (r, label, c, (reqs - bad) / el, p50, p99, bad, spent[0], m)
                        rows.append(row)
                        say(f"{r}\t{label}\t{c}\t{row[3]:.0f}\t{p50:.2f}\t{p99:.2f}\t{bad}\t{spent[0]:.3f}\t"
                              + " ".join(f"{x:.3f}" for x in m))
                finally:
                    srv.proc.send_signal(signal.SIGTERM)
                    try:
                        srv.proc.wait(20)
                    except subprocess.TimeoutExpired:
                        srv.proc.kill()
                        srv.proc.wait()
    finally:
        etcd.stop(cluster)
    say()
    say("medians over rounds (creates/s; server and busiest member CPU ms per create)")
    last = systems[-1][0]
    for c in conns:
        med = {}
        for label, *_ in systems:
            mine = [x for x in rows if x[1] == label and x[2] == c]
            if mine:
                med[label] = statistics.median(x[3] for x in mine)
                say(f"c={c}\t{label}\t{med[label]:.0f}/s\t(range {min(x[3] for x in mine):.0f}-"
                      f"{max(x[3] for x in mine):.0f})\tserver {statistics.median(x[7] for x in mine):.3f}\t"
                      f"member {statistics.median(x[8][0] for x in mine):.3f}")
        for label in med:
            if label != last and med.get(last):
                say(f"c={c}\t{label} / {last} = {med[label] / med[last]:.2f}x")
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
