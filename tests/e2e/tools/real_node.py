"""real_node.py - a real node agent (`ckube-node` without --simulate) for
e2e cases: started against the run's server with its admin kubeconfig (or
joined by token: `join` is the words after `ckube-node` of the command
`ckube-server token create --print-join-command` printed), a data dir of
its own and a pod range on loopback; stopped (SIGTERM, then
SIGKILL), its Node object deleted and its processes checked gone when the
case ends, so later cases only see the simulated nodes."""
import json, os, shutil, signal, subprocess, tempfile, time


def pod_net(i=0):
    """The i-th (0-4) pod network N of this case's worker: $POD_NET_BASE + i
    (the runner gives every concurrent worker its own five)."""
    assert 0 <= i < 5, i
    return int(os.environ.get("POD_NET_BASE", "100")) + i


def kubectl(*args, check=True, input=None):
    p = subprocess.run(["kubectl", *args], capture_output=True, text=True, input=input, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def wait_for(what, fn, secs):
    deadline = time.time() + secs
    last = None
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except (AssertionError, KeyError, IndexError, ValueError, TypeError, OSError) as e:
            last = e
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} ({last})")


class RealNode:
    def __init__(self, name, net, extra=(), join=None):
        self.name, self.net, self.extra, self.join = name, net, list(extra), join
        self.dir = tempfile.mkdtemp(prefix=f"ckube-{name}-")
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "agent.log"), "a")
        creds = list(self.join) if self.join else ["--kubeconfig", os.environ["KUBECONFIG"]]
        self.proc = subprocess.Popen([os.environ["CKUBE_NODE_BIN"], *creds,
                                      "--name", self.name, "--data-dir", os.path.join(self.dir, "data"),
                                      "--pod-cidr", f"127.{self.net}.0.0/16", "--heartbeat-seconds", "1", *self.extra],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(f"node {self.name} Ready", lambda: self.ready(), 20)
        return self

    def ready(self):
        node = json.loads(kubectl("get", "node", self.name, "-o", "json"))
        return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])

    def data(self, *parts):
        return os.path.join(self.dir, "data", *parts)

    def pids(self):
        """The recorded container pids (data/pods/*/containers/*/pid)."""
        out = []
        pods = self.data("pods")
        for uid in os.listdir(pods) if os.path.isdir(pods) else []:
            cdir = os.path.join(pods, uid, "containers")
            for c in os.listdir(cdir) if os.path.isdir(cdir) else []:
                f = os.path.join(cdir, c, "pid")
                if os.path.exists(f):
                    out.append(int(open(f).read()))
        return out

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.dump_stacks()
                self.proc.kill()
                self.proc.wait()

    def dump_stacks(self):
        """An agent that did not stop: its threads' stacks into agent-stacks.txt (when gdb is there), kept with its log."""
        if shutil.which("gdb"):
            with open(os.path.join(self.dir, "agent-stacks.txt"), "w") as out:
                subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex", "thread apply all bt"],
                               stdout=out, stderr=subprocess.STDOUT, timeout=60, check=False)
            print(f"the agent did not stop within 10 s: its stacks are in {self.dir}/agent-stacks.txt")

    def log_text(self):
        return open(os.path.join(self.dir, "agent.log"), errors="replace").read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        pids = self.pids()
        self.stop()
        kubectl("delete", "node", self.name, "--ignore-not-found", check=False)
        kubectl("delete", "lease", "-n", "kube-node-lease", self.name, "--ignore-not-found", check=False)
        left = [p for p in pids if alive(p)]
        netns = [n for n in (os.listdir("/run/netns") if os.path.isdir("/run/netns") else [])
                 if n.startswith(f"ck-127-{self.net}-")]
        bridge = os.path.exists(f"/sys/class/net/ckbr{self.net}")
        if exc[0] is not None:
            print(self.log_text()[-3000:])
            print(f"agent data kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        assert not left, f"processes left after the agent stopped: {left}"
        assert not netns and not bridge, f"network left after the agent stopped: {netns}, bridge {bridge}"


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie nobody reaped yet is dead too
        return open(f"/proc/{pid}/stat").read().split(") ")[1][0] != "Z"
    except OSError:
        return False
