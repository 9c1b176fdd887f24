#!/usr/bin/python3
"""End-to-end runner: runs every case in tests/e2e/cases with each kubectl
given (kubectl 1.20 and the newest one), curl and the Python client, against
fresh ckube-servers on loopback.

A case is data: a `.case` file of shell steps and expectations.
    $ kubectl create namespace $NS          a command (bash); kubectl is the one under test
    > namespace/e2e-x created               expected stdout, line by line, exactly
    >~ READY +UP-TO-DATE                    stdout must match this regex somewhere
    2> (NotFound): deployments.apps         stderr must contain this text (command must fail)
    exit 1                                  expected exit status
    retry 20                                the next command is retried until its expectations hold (<= 20 s)
A `.py` case is run with /usr/bin/python3 (once, with the first kubectl on
$PATH; $KUBECTLS lists every kubectl given, ':'-separated) and must exit 0.

Cases run concurrently on --jobs workers (default 4: most of a case's time
is waiting). Each worker has its own server (--no-local-node,
--node-monitor-grace-period 8, so a node silent for 8 s is lost) and its own
three simulated nodes (`ckube-node --simulate 3`, sim-0..sim-2, $NODES), and
runs its cases one at a time, so a case sees exactly those three nodes plus
what it starts itself. A case whose first lines hold a comment
`# serial: <why>` runs after all others, alone on the machine (for cases
that need the machine's CPU to themselves; use sparingly).
Variables: $NS (a namespace unique to the case and kubectl), $M (the manifests
folder), $SERVER, $TOKEN, $CACERT, $KUBECONFIG, $DATA (the worker's server's
data dir), $CKUBE_SERVER_BIN and $CKUBE_NODE_BIN (the binaries under test),
$INGRESS_HTTP and $INGRESS_HTTPS (the server's Ingress proxy ports on
127.0.0.1; its access log is $DATA/ingress-access.log), $DNS_PORT (its
cluster DNS, UDP and TCP on 127.0.0.1), $CASE_DIR (an empty directory of the case's own, removed after
it), $POD_NET_BASE: real node agents a case starts take their pod ranges
127.N.0.0/16 (and bridge ckbrN) with N from $POD_NET_BASE to
$POD_NET_BASE+4; the runner gives each worker its own five within
127.100-199, held with a lock in /tmp so that concurrent runs on one machine
never share one (tests/e2e/tools/real_node.py's pod_net(i) reads it; a
.case writes $((POD_NET_BASE + i))). The same block gives the worker's server
its Service range $SERVICE_CIDR (127.1.8b.0/21; $SERVICE_PREFIX is its first
three octets, the `kubernetes` Service is $SERVICE_PREFIX.1) and LoadBalancer
pool $LB_POOL (127.255.8b.0/21): node agents of clusters running side by side
bind their ClusterIPs with SO_REUSEPORT, so clusters must not share one.
Every process a step starts (in the background too) is killed when its case
ends. Prints one line per case, in file order (each as soon as the cases
before it are done; on a terminal a count of finished cases meanwhile), the
slowest cases, and a final "N passed, N failed".

--store etcd: each worker's server keeps its objects in a 3-member etcd
cluster of its own (scripts/etcd-cluster.sh: TLS, loopback ports, data in
the worker's directory, killed with the worker). Cases that start servers
of their own ($CKUBE_SERVER_BIN: restarts, kill -9, several servers) are
left out in that mode. CKUBE_E2E_ETCD_TRANSPORT=json runs the servers over
etcd's JSON gateway instead of gRPC (tests/e2e/tools/etcd.py)."""
import argparse, fcntl, json, os, re, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "tools"))
import etcd  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


NODE_GRACE_SECONDS = 8


def start_server(binary, data, port, log, ingress_ports, dns_port, ranges, extra=()):
    proc = subprocess.Popen([binary, "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--no-local-node", *extra,
                             "--node-monitor-grace-period", str(NODE_GRACE_SECONDS),
                             "--ingress-http", f"127.0.0.1:{ingress_ports[0]}",
                             "--ingress-https", f"127.0.0.1:{ingress_ports[1]}",
                             "--ingress-access-log", os.path.join(data, "ingress-access.log"),
                             # equal CPU weight: at the default nice 19 the proxy starved behind
                             # four ASan workers (case 700 hit its 300 s limit in CI)
                             "--ingress-nice", "0",
                             "--dns-listen", f"127.0.0.1:{dns_port}",
                             "--service-cluster-ip-range", ranges[0], "--loadbalancer-pool", ranges[1]],
                            stdout=log, stderr=subprocess.STDOUT,
                            # every request proves it changed no published object (the server aborts if one did)
                            env=dict(os.environ, CKUBE_CHECK_PUBLISHED="1"))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.time() + 90  # generous: a loaded machine starts slowly
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
    raise RuntimeError("ckube-server did not become ready in 90 s")


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


def run_step(argv, env, timeout, groups):
    """Runs argv in a session of its own (its process group id is added to
    groups); returns (exit status, stdout, stderr); -1 and "timeout" when it
    takes longer than timeout seconds."""
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    groups.append(p.pid)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        kill_sessions([p.pid])
        out, _ = p.communicate()
        return -1, out or "", "timeout"


def kill_sessions(sessions):
    """SIGKILL to every process left in these sessions (a step's session id
    is its shell's pid). By session, not process group: `timeout` puts its
    command in a group of its own."""
    sessions = set(sessions)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            # fields after "(comm) ": state ppid pgrp session ...
            sid = int(open(f"/proc/{pid}/stat").read().rsplit(") ", 1)[1].split()[3])
            if sid in sessions:
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            pass


def run_case(path, env, groups, timeout=120):
    steps = parse_case(path)
    start = time.time()
    for step in steps:
        deadline = time.time() + step["retry"]
        while True:
            rc, out, err = run_step(["bash", "-c", step["cmd"]], env, 60, groups)
            problems = check(step, rc, out, err)
            if not problems or time.time() >= deadline:
                break
            time.sleep(0.5)
        if problems:
            return f"step `{step['cmd']}`:\n    " + "\n    ".join(problems)
        if time.time() - start > timeout:
            return "case took too long"
    return None


def is_serial(path):
    """True when the case's leading comment lines hold `# serial: <why>`."""
    for line in open(path, encoding="utf-8"):
        if line.startswith("#!"):
            continue
        if not line.startswith("#"):
            return False
        if re.match(r"#\s*serial:", line):
            return True
    return False


NET_FIRST, NET_BLOCK, NET_LAST = 100, 5, 199  # real agents without --pod-cidr take 200-254


def claim_net_block(wait=120):
    """A block of five pod networks (127.N.0.0/16) that no other worker of
    any run on this machine holds: an flock on /tmp/ckube-e2e-net-N.lock,
    released when the returned file closes (or the process dies); waits up
    to wait seconds for one. Returns (N, file)."""
    deadline = time.time() + wait
    while True:
        for base in range(NET_FIRST, NET_LAST - NET_BLOCK + 2, NET_BLOCK):
            f = open(f"/tmp/ckube-e2e-net-{base}.lock", "w")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return base, f
            except OSError:
                f.close()
        if time.time() > deadline:
            raise RuntimeError(f"every pod network block 127.{NET_FIRST}-{NET_LAST} is held by other e2e workers")
        time.sleep(1)


class Worker:
    """One server with its simulated nodes, in a directory of its own under
    work, and the environment its cases run with."""

    def __init__(self, index, work):
        self.index, self.dir = index, os.path.join(work, f"w{index}")
        self.proc = self.nodes = self.log = self.node_log = self.net_lock = self.etcd_dir = None
        self.ready = False

    def start(self, args, kubectls):
        self.net_base, self.net_lock = claim_net_block()
        data = os.path.join(self.dir, "data")
        os.makedirs(self.dir)
        port = free_port()
        ingress_ports = (free_port(), free_port())
        dns_port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.node_log = open(os.path.join(self.dir, "nodes.log"), "w")
        # the block's own Service range and LoadBalancer pool: every real agent binds its cluster's
        # ClusterIPs with SO_REUSEPORT, so two clusters on one machine must never share an address
        block = (self.net_base - NET_FIRST) // NET_BLOCK
        ranges = (f"127.1.{8 * block}.0/21", f"127.255.{8 * block}.0/21")
        extra = []
        if args.store == "etcd":
            self.etcd_dir = os.path.join(self.dir, "etcd")
            extra = etcd.start(self.etcd_dir)
        self.proc = start_server(args.server, data, port, self.log, ingress_ports, dns_port, ranges, extra)
        token = open(os.path.join(data, "pki", "admin.token")).read().strip()
        node_bin = os.path.join(os.path.dirname(os.path.abspath(args.server)), "ckube-node")
        kubeconfig = os.path.join(data, "admin.kubeconfig")
        self.nodes = start_nodes(node_bin, kubeconfig, self.node_log)
        wait_nodes(port, token, SIM_NODES)
        self.env = dict(os.environ, SERVER=f"https://127.0.0.1:{port}", TOKEN=token, DATA=data,
                        CACERT=os.path.join(data, "pki", "ca.crt"), KUBECONFIG=kubeconfig,
                        M=os.path.join(HERE, "manifests"), CKUBE_SERVER_BIN=os.path.abspath(args.server),
                        CKUBE_NODE_BIN=node_bin, NODES=" ".join(f"sim-{i}" for i in range(SIM_NODES)),
                        INGRESS_HTTP=str(ingress_ports[0]), INGRESS_HTTPS=str(ingress_ports[1]),
                        DNS_PORT=str(dns_port),
                        POD_NET_BASE=str(self.net_base), SERVICE_CIDR=ranges[0], LB_POOL=ranges[1], STORE=args.store,
                        SERVICE_PREFIX=f"127.1.{8 * block}",
                        KUBECTLS=os.pathsep.join(os.path.abspath(k) for k in kubectls))
        self.ready = True

    def run(self, job):
        """Runs one job; returns its problem (None when it passed)."""
        env = dict(self.env, NS=job["ns"], PATH=job["bindir"] + os.pathsep + self.env.get("PATH", ""),
                   KUBECTL_VERSION=job["kv"], CASE_DIR=tempfile.mkdtemp(prefix=job["ns"] + "-", dir=self.dir))
        groups = []
        try:
            if job["path"].endswith(".py"):
                rc, out, err = run_step(["/usr/bin/python3", job["path"]], env, 300, groups)
                return None if rc == 0 else (out[-3000:] + err[-3000:])
            return run_case(job["path"], env, groups)
        finally:
            kill_sessions(groups)
            shutil.rmtree(env["CASE_DIR"], ignore_errors=True)
            self.forget_nodes(env)

    def forget_nodes(self, env):
        """Deletes the Nodes a case left behind (a failed case never reaches
        its cleanup step): the next case on this worker must see exactly
        sim-0..sim-N, or its `0/3 nodes are available` messages change."""
        keep = set(self.env["NODES"].split())
        p = subprocess.run(["kubectl", "get", "nodes", "-o", "name"], env=env, capture_output=True, text=True,
                           timeout=60)
        left = [n for n in p.stdout.split() if n.split("/", 1)[-1] not in keep]
        if left:
            subprocess.run(["kubectl", "delete", "--wait=false", *left], env=env, capture_output=True, timeout=60)

    def close(self):
        """Stops the nodes and the server; returns FAIL lines when either died or
        the server exited badly (a sanitizer report, say)."""
        fails = []
        if self.nodes:
            died = self.nodes.poll() is not None
            stop(self.nodes)
            if died or self.nodes.returncode != 0:
                fails.append(f"FAIL worker {self.index}: ckube-node --simulate "
                             f"{'died' if died else 'exited with ' + str(self.nodes.returncode)}:\n" +
                             open(os.path.join(self.dir, "nodes.log"), errors="replace").read()[-4000:])
        if self.proc:
            died = self.proc.poll() is not None
            stop(self.proc)
            if died or self.proc.returncode != 0:
                tail = open(os.path.join(self.dir, "server.log"), errors="replace").read()[-4000:]
                fails.append(f"FAIL worker {self.index}: ckube-server "
                             f"{'died' if died else 'exited with ' + str(self.proc.returncode)}:\n{tail}")
        if self.etcd_dir:
            etcd.stop(self.etcd_dir)
        for f in (self.log, self.node_log, self.net_lock):
            if f:
                f.close()
        return fails


def make_jobs(args, work):
    """Every (kubectl, case) pair to run, in the order results are printed."""
    cases = sorted(f for f in os.listdir(os.path.join(HERE, "cases")) if f.endswith((".case", ".py")))
    cases = [c for c in cases if re.search(args.filter, c)]
    if args.store == "etcd":
        # cases that start (and restart) servers of their own run on SQLite anyway
        cases = [c for c in cases if not re.search(r"CKUBE_SERVER_BIN|from server import",
                                                   open(os.path.join(HERE, "cases", c)).read())]
    jobs = []
    kubectls = args.kubectl or [shutil.which("kubectl")]
    for kubectl in kubectls:
        ver = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True)
        m = re.search(r'"gitVersion":\s*"v(\d+\.\d+)', ver.stdout)
        kv = m.group(1) if m else "unknown"
        bindir = os.path.join(work, "bin-" + kv)
        os.makedirs(bindir, exist_ok=True)
        link = os.path.join(bindir, "kubectl")
        if not os.path.exists(link):
            os.symlink(kubectl, link)
        for case in cases:
            if case.endswith(".py") and kubectl != kubectls[0]:
                continue  # client-independent cases run once
            name = case.rsplit(".", 1)[0]
            path = os.path.join(HERE, "cases", case)
            jobs.append({"path": path, "kv": kv, "bindir": bindir, "serial": is_serial(path),
                         "ns": re.sub(r"[^a-z0-9-]", "-", f"e2e-{name}-{kv}".lower())[:63].strip("-"),
                         "label": f"{name} [kubectl {kv}]" if case.endswith(".case") else name})
    return jobs


class Board:
    """The jobs' results, printed in job order as soon as every earlier job
    has one; jobs handed out longest first by an earlier run's times, and
    without those the .py cases (most of the long ones) first."""

    def __init__(self, jobs, times):
        self.jobs, self.results, self.printed, self.counted = jobs, [None] * len(jobs), 0, time.time()
        self.lock = threading.Lock()
        order = sorted(range(len(jobs)), key=lambda i: (jobs[i]["serial"], -times.get(jobs[i]["label"], 0),
                                                        not jobs[i]["path"].endswith(".py")))
        self.parallel = [i for i in order if not jobs[i]["serial"]]
        self.serial = [i for i in order if jobs[i]["serial"]]

    def take(self, serial):
        with self.lock:
            queue = self.serial if serial else self.parallel
            return queue.pop(0) if queue else None

    def done(self, i, problem, secs):
        with self.lock:
            self.results[i] = (problem, secs)
            while self.printed < len(self.jobs) and self.results[self.printed]:
                problem, secs = self.results[self.printed]
                label = self.jobs[self.printed]["label"]
                if problem:
                    print(f"FAIL {label} ({secs:.1f}s)\n    {problem}", flush=True)
                else:
                    print(f"ok   {label} ({secs:.1f}s)", flush=True)
                self.printed += 1
            # the slowest cases start first, so file order can lag: on a terminal, a count every 15 s
            if sys.stderr.isatty() and time.time() - self.counted > 15:
                self.counted = time.time()
                n = sum(1 for r in self.results if r)
                bad = sum(1 for r in self.results if r and r[0])
                print(f"[{n}/{len(self.jobs)} cases done, {bad} failed]", file=sys.stderr, flush=True)


def work_loop(worker, board, serial, retries=0):
    while True:
        i = board.take(serial)
        if i is None:
            return
        t0 = time.time()
        first = None
        for attempt in range(retries + 1):
            job = board.jobs[i] if not attempt else dict(board.jobs[i], ns=f"{board.jobs[i]['ns']}-r{attempt}")
            try:
                problem = worker.run(job)
            except Exception as e:  # a runner error fails the case, not the run
                problem = f"runner error: {e!r}"
            if not problem:
                break
            first = first or problem
        if not problem and first:  # said, not hidden: the first attempt's failure is printed with the pass
            print(f"RETRY {board.jobs[i]['label']} passed on a later attempt; the first failed:\n    "
                  + first[-1500:].replace("\n", "\n    "), flush=True)
        board.done(i, problem, time.time() - t0)


def load_times(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--kubectl", action="append", default=[])
    ap.add_argument("--filter", default="", help="run only cases whose file name matches this regex")
    ap.add_argument("--jobs", "-j", type=int, default=4, help="workers, each with its own server (default 4)")
    ap.add_argument("--retries", type=int, default=0,
                    help="run a failed case again up to N times (its own namespace each time); a pass after a "
                         "failure prints RETRY with the first failure")
    ap.add_argument("--times", default="",
                    help="JSON file of case times: read to start the slowest cases first, rewritten after the run "
                         "(default: e2e-times.json beside the server's bin/ directory)")
    ap.add_argument("--keep", action="store_true", help="keep the data dirs and server logs")
    ap.add_argument("--store", choices=("sqlite", "etcd"), default="sqlite",
                    help="the workers' servers' store (etcd: a 3-member cluster per worker)")
    args = ap.parse_args()
    times_file = args.times or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.server))),
                                            "e2e-times.json")

    work = tempfile.mkdtemp(prefix="ckube-e2e-")
    jobs = make_jobs(args, work)
    board = Board(jobs, load_times(times_file))
    nworkers = max(1, min(args.jobs, len(board.parallel) or 1))
    workers, fails = [None] * nworkers, []

    def start_and_work(w):
        workers[w] = Worker(w, work)
        try:
            workers[w].start(args, args.kubectl or [shutil.which("kubectl")])
        except Exception as e:  # a worker that cannot start leaves its jobs to the others
            fails.append(f"FAIL worker {w} did not start: {e}")
            return
        work_loop(workers[w], board, False, args.retries)

    t0 = time.time()
    try:
        threads = [threading.Thread(target=start_and_work, args=(w,)) for w in range(nworkers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        live = [w for w in workers if w and w.ready and w.proc.poll() is None]
        if live:
            work_loop(live[0], board, True, args.retries)
    finally:
        for w in workers:
            if w:
                fails += w.close()
    for f in fails:
        print(f)
    ran = [(j["label"], r[1], r[0]) for j, r in zip(jobs, board.results) if r]
    missing = len(jobs) - len(ran)
    passed = sum(1 for _, _, p in ran if not p)
    failed = len(ran) - passed + len(fails) + missing
    if missing:
        print(f"FAIL {missing} cases did not run (no worker started)")
    slow = sorted(ran, key=lambda r: -r[1])[:8]
    print(f"{nworkers} workers, {time.time() - t0:.0f} s; slowest: " +
          ", ".join(f"{label} {secs:.0f}s" for label, secs, _ in slow))
    if ran and not args.filter and args.store == "sqlite":
        try:
            json.dump({label: round(secs, 1) for label, secs, _ in ran}, open(times_file, "w"), indent=0)
        except OSError:
            pass
    if failed or args.keep:
        print(f"server logs and data kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
