#!/usr/bin/python3
"""End-to-end runner: starts a fresh ckube-server on loopback and runs every
case in tests/e2e/cases against it with each kubectl given (kubectl 1.20 and
the newest one), curl and the Python client.

A case is data: a `.case` file of shell steps and expectations.
    $ kubectl create namespace $NS          a command (bash); kubectl is the one under test
    > namespace/e2e-x created               expected stdout, line by line, exactly
    >~ READY +UP-TO-DATE                    stdout must match this regex somewhere
    2> (NotFound): deployments.apps         stderr must contain this text (command must fail)
    exit 1                                  expected exit status
    retry 20                                the next command is retried until its expectations hold (<= 20 s)
Variables: $NS (a namespace unique to the case and kubectl), $M (the manifests
folder), $SERVER, $TOKEN, $CACERT, $KUBECONFIG, $DATA (the server's data dir),
$CKUBE_SERVER_BIN and $CKUBE_NODE_BIN (the binaries under test), $INGRESS_HTTP
and $INGRESS_HTTPS (the server's Ingress proxy ports on 127.0.0.1), $DNS_PORT (its
cluster DNS, UDP and TCP on 127.0.0.1).
Three simulated nodes (`ckube-node --simulate 3`, named sim-0..sim-2) run for
the whole run, so pods get scheduled and run; $NODES names them. The server
runs with --node-monitor-grace-period 8, so a node silent for 8 s is lost.
A `.py` case is run with /usr/bin/python3 (once, with the first kubectl on
$PATH; $KUBECTLS lists every kubectl given, ':'-separated) and must exit 0.
Prints one line per case and a final "N passed, N failed"."""
import argparse, json, os, re, shutil, signal, socket, ssl, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


NODE_GRACE_SECONDS = 8


def start_server(binary, data, port, log, ingress_ports, dns_port):
    proc = subprocess.Popen([binary, "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--no-local-node",
                             "--node-monitor-grace-period", str(NODE_GRACE_SECONDS),
                             "--ingress-http", f"127.0.0.1:{ingress_ports[0]}",
                             "--ingress-https", f"127.0.0.1:{ingress_ports[1]}",
                             "--dns-listen", f"127.0.0.1:{dns_port}"],
                            stdout=log, stderr=subprocess.STDOUT,
                            # every request proves it changed no published object (the server aborts if one did)
                            env=dict(os.environ, CKUBE_CHECK_PUBLISHED="1"))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ckube-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", context=ctx, timeout=2) as r:
                if r.read() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("ckube-server did not become ready in 30 s")


SIM_NODES = 3


def start_nodes(binary, kubeconfig, log):
    """Simulated nodes for every case: they register, renew their Leases
    every second (the server declares a node lost after 8 s) and play the
    kubelet for the pods bound to them."""
    proc = subprocess.Popen([binary, "--simulate", str(SIM_NODES), "--kubeconfig", kubeconfig, "--name-prefix", "sim",
                             "--heartbeat-seconds", "1"], stdout=log, stderr=subprocess.STDOUT)
    return proc


def wait_nodes(port, token, want, timeout=20):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(f"https://127.0.0.1:{port}/api/v1/nodes?labelSelector=type%3Dckube-simulated",
                                 headers={"Authorization": "Bearer " + token})
    deadline = time.time() + timeout
    while time.time() < deadline:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
            if len(json.load(r)["items"]) >= want:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the {want} simulated nodes did not register in {timeout} s")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def parse_case(path):
    steps, cur, retry = [], None, 0
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("$ "):
            cur = {"cmd": line[2:], "out": [], "re": [], "err": [], "exit": None, "retry": retry}
            retry = 0
            steps.append(cur)
        elif line.startswith("retry "):
            retry = int(line.split()[1])
        elif cur is None:
            raise ValueError(f"{path}: expectation before any command: {line}")
        elif line.startswith(">~ "):
            cur["re"].append(line[3:])
        elif line.startswith("> ") or line == ">":
            cur["out"].append(line[2:])
        elif line.startswith("2> "):
            cur["err"].append(line[3:])
        elif line.startswith("exit "):
            cur["exit"] = int(line.split()[1])
        else:
            raise ValueError(f"{path}: cannot read line: {line}")
    return steps


def check(step, rc, out, err):
    problems = []
    want_exit = step["exit"]
    if want_exit is None:
        if step["err"]:
            if rc == 0:
                problems.append("expected failure, got exit 0")
        elif rc != 0:
            problems.append(f"exit {rc}")
    elif rc != want_exit:
        problems.append(f"exit {rc}, want {want_exit}")
    if step["out"]:
        got = out.rstrip("\n").split("\n") if out.strip() else []
        if got != step["out"]:
            problems.append("stdout differs:\n    want: " + "\n          ".join(step["out"]) +
                            "\n    got:  " + "\n          ".join(got))
    for rx in step["re"]:
        if not re.search(rx, out, re.M):
            problems.append(f"stdout does not match /{rx}/")
    for e in step["err"]:
        if e not in err:
            problems.append(f"stderr lacks {e!r}")
    if problems:
        problems.append("stdout: " + out[-1500:] + "\n    stderr: " + err[-1500:])
    return problems


def run_case(path, env, timeout=120):
    steps = parse_case(path)
    start = time.time()
    for step in steps:
        deadline = time.time() + step["retry"]
        while True:
            try:
                p = subprocess.run(["bash", "-c", step["cmd"]], env=env, capture_output=True, text=True,
                                   timeout=60)
                rc, out, err = p.returncode, p.stdout, p.stderr
            except subprocess.TimeoutExpired as e:
                rc, out, err = -1, (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), "timeout"
            problems = check(step, rc, out, err)
            if not problems or time.time() >= deadline:
                break
            time.sleep(0.5)
        if problems:
            return f"step `{step['cmd']}`:\n    " + "\n    ".join(problems)
        if time.time() - start > timeout:
            return "case took too long"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--kubectl", action="append", default=[])
    ap.add_argument("--filter", default="", help="run only cases whose file name matches this regex")
    ap.add_argument("--keep", action="store_true", help="keep the data dir and server log")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ckube-e2e-")
    data = os.path.join(work, "data")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "w")
    ingress_ports = (free_port(), free_port())
    dns_port = free_port()
    proc = start_server(args.server, data, port, log, ingress_ports, dns_port)
    token = open(os.path.join(data, "pki", "admin.token")).read().strip()
    node_bin = os.path.join(os.path.dirname(os.path.abspath(args.server)), "ckube-node")
    kubeconfig = os.path.join(data, "admin.kubeconfig")
    node_log = open(os.path.join(work, "nodes.log"), "w")
    nodes = start_nodes(node_bin, kubeconfig, node_log)
    wait_nodes(port, token, SIM_NODES)
    base_env = dict(os.environ, SERVER=f"https://127.0.0.1:{port}", TOKEN=token, DATA=data,
                    CACERT=os.path.join(data, "pki", "ca.crt"), KUBECONFIG=kubeconfig,
                    M=os.path.join(HERE, "manifests"), CKUBE_SERVER_BIN=os.path.abspath(args.server),
                    CKUBE_NODE_BIN=node_bin, NODES=" ".join(f"sim-{i}" for i in range(SIM_NODES)),
                    INGRESS_HTTP=str(ingress_ports[0]), INGRESS_HTTPS=str(ingress_ports[1]),
                    DNS_PORT=str(dns_port),
                    KUBECTLS=os.pathsep.join(os.path.abspath(k) for k in args.kubectl))
    cases = sorted(f for f in os.listdir(os.path.join(HERE, "cases")) if f.endswith((".case", ".py")))
    cases = [c for c in cases if re.search(args.filter, c)]
    passed = failed = 0
    try:
        for kubectl in args.kubectl or [shutil.which("kubectl")]:
            ver = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True)
            m = re.search(r'"gitVersion":\s*"v(\d+\.\d+)', ver.stdout)
            kv = m.group(1) if m else "unknown"
            bindir = os.path.join(work, "bin-" + kv)
            os.makedirs(bindir, exist_ok=True)
            link = os.path.join(bindir, "kubectl")
            if not os.path.exists(link):
                os.symlink(kubectl, link)
            for case in cases:
                if case.endswith(".py") and kubectl != (args.kubectl or [None])[0]:
                    continue  # client-independent cases run once
                name = case.rsplit(".", 1)[0]
                ns = re.sub(r"[^a-z0-9-]", "-", f"e2e-{name}-{kv}".lower())[:63].strip("-")
                env = dict(base_env, NS=ns, PATH=bindir + os.pathsep + base_env.get("PATH", ""), KUBECTL_VERSION=kv)
                t0 = time.time()
                path = os.path.join(HERE, "cases", case)
                if case.endswith(".py"):
                    p = subprocess.run(["/usr/bin/python3", path], env=env, capture_output=True, text=True,
                                       timeout=300)
                    problem = None if p.returncode == 0 else (p.stdout[-3000:] + p.stderr[-3000:])
                else:
                    problem = run_case(path, env)
                label = f"{name} [kubectl {kv}]" if case.endswith(".case") else name
                if problem:
                    failed += 1
                    print(f"FAIL {label} ({time.time() - t0:.1f}s)\n    {problem}", flush=True)
                else:
                    passed += 1
                    print(f"ok   {label} ({time.time() - t0:.1f}s)", flush=True)
    finally:
        nodes_died = nodes.poll() is not None
        stop(nodes)
        node_log.close()
        if nodes_died:
            failed += 1
            print("FAIL ckube-node --simulate died:\n" + open(os.path.join(work, "nodes.log"), errors="replace").read()[-4000:])
        died = proc.poll() is not None
        stop(proc)
        log.close()
        if died or proc.returncode != 0:
            failed += 1
            tail = open(os.path.join(work, "server.log"), errors="replace").read()[-4000:]
            print(f"FAIL ckube-server {'died' if died else 'exited with ' + str(proc.returncode)}:\n{tail}")
        if failed or args.keep:
            print(f"server log and data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
