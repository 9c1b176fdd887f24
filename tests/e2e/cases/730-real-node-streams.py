#!/usr/bin/python3
"""Streams to a real node through its call-home tunnel, with every kubectl
given (kubectl 1.20 speaks SPDY/3.1 for all of them; the newest kubectl
WebSocket for exec, and SPDY/3.1 tunnelled in WebSocket for port-forward,
or plain SPDY with PORT_FORWARD_WEBSOCKETS=false): exec with stdout, stderr and exit codes; exec -i (stdin to EOF);
exec -it on a pseudo-terminal with the terminal's size; kubectl run -i
(attach with stdin into the container's stdin) and run -it --rm (a tty
container, resized and typed into through attach); kubectl cp both
ways (exec + tar); port-forward of two ports of one pod, sequential and
concurrent connections, then the error kubectl prints for a port nothing
listens on. Only 127.0.0.1 is contacted (kubectl's local ports).
Bounded: about 60 s."""
import json, os, pty, random, select, socket, struct, subprocess, sys, tempfile, time, urllib.request
import fcntl, termios
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-730"
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def run(k, *args, input=None, timeout=60):
    return subprocess.run([k, "-n", NS, *args], capture_output=True, text=input is None or isinstance(input, str),
                          input=input, timeout=timeout)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def on_terminal(argv, keys, rows=33, cols=101, secs=20, wait_for=None):
    """Runs argv on a pseudo-terminal of rows x cols, types keys (after 1.5 s, or once wait_for was
    printed); (output, exit code)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out, typed, t0 = b"", False, time.time()
    while time.time() - t0 < secs:
        if not typed and (wait_for in out if wait_for else time.time() - t0 > 1.5):
            time.sleep(1 if wait_for else 0)  # kubectl prints that line just before it attaches
            os.write(fd, keys)
            typed = True
        r, _, _ = select.select([fd], [], [], 0.3)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
    else:
        os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(st)


def get(port):
    with DIRECT.open(f"http://127.0.0.1:{port}/", timeout=10) as r:
        return r.read().decode().strip()


class PortForward:
    """kubectl port-forward in the background, ready once it printed its ports."""

    def __init__(self, k, target, *pairs, env=None):
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen([k, "-n", NS, "port-forward", target, *pairs], stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, env=dict(os.environ, **(env or {})))
        want = len(pairs)
        seen = 0
        deadline = time.time() + 20
        while seen < want and time.time() < deadline:
            line = self.p.stdout.readline()
            if not line:
                break
            seen += line.startswith("Forwarding from 127.0.0.1:")
        assert seen == want, f"port-forward did not start: {self.stderr()}"

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def close(self):
        if self.p.poll() is None:
            self.p.terminate()
        self.p.wait(10)


def check_exec(k, kv):
    r = run(k, "exec", "web", "--", "sh", "-c", "echo out-$((2+3)); echo err-line >&2; exit 3")
    assert r.stdout == "out-5\n", (kv, r.stdout, r.stderr)
    assert "err-line" in r.stderr and "command terminated with exit code 3" in r.stderr, (kv, r.stderr)
    assert r.returncode == 3, (kv, r.returncode)
    lines = "".join(f"line {i}\n" for i in range(2000))
    r = run(k, "exec", "-i", "web", "--", "wc", "-l", input=lines)
    assert r.stdout.strip() == "2000" and r.returncode == 0, (kv, r.stdout, r.stderr)
    out, code = on_terminal([k, "-n", NS, "exec", "-it", "web", "--", "sh"],
                            b"stty size; echo typed-$((6*7)); exit 5\r")
    assert "33 101" in out and "typed-42" in out and code == 5, (kv, out, code)


def check_attach_stdin(k, kv, n):
    """kubectl run -i: the pod gets spec.stdin, kubectl attaches and sends its stdin into the container."""
    name = f"reader-{n}"
    r = run(k, "run", name, "-i", "--image=busybox", "--restart=Never",
            f'--overrides={{"apiVersion":"v1","spec":{{"nodeName":"{NODE}"}}}}', "--", "sh", "-c",
            "read l; echo got-$l", input="world\n")
    assert "got-world" in r.stdout and r.returncode == 0, (kv, r.stdout, r.stderr)


def check_run_tty(k, kv, n):
    """kubectl run -it --rm: a tty container (a pseudo-terminal sized by the client) driven by attach."""
    out, code = on_terminal([k, "-n", NS, "run", f"tty-{n}", "-it", "--rm", "--restart=Never", "--image=busybox",
                             f'--overrides={{"apiVersion":"v1","spec":{{"nodeName":"{NODE}"}}}}', "--", "sh"],
                            b"stty size; echo typed-$((6*7)); exit 5\r", secs=30, wait_for=b"If you don't see a command prompt")
    assert "33 101" in out and "typed-42" in out and code == 5, (kv, out, code)


def check_cp(k, kv, tmp):
    data = bytes(random.getrandbits(8) for _ in range(300_000))
    src, back = os.path.join(tmp, f"src-{kv}.bin"), os.path.join(tmp, f"back-{kv}.bin")
    open(src, "wb").write(data)
    r = run(k, "cp", src, f"web:/srv/cp-{kv}.bin")
    assert r.returncode == 0, (kv, r.stderr)
    r = run(k, "exec", "web", "--", "wc", "-c", f"/srv/cp-{kv}.bin")
    assert r.stdout.split()[0] == "300000", (kv, r.stdout, r.stderr)
    r = run(k, "cp", f"web:/srv/cp-{kv}.bin", back)
    assert r.returncode == 0 and open(back, "rb").read() == data, (kv, r.stderr)


def check_port_forward(k, kv, echo_pod):
    # the newest kubectl: SPDY tunnelled in WebSocket first, then plain SPDY as kubectl 1.20 speaks it
    for env in ({}, {"PORT_FORWARD_WEBSOCKETS": "false"}) if not kv.startswith("v1.20.") else ({},):
        a, b = free_port(), free_port()
        pf = PortForward(k, "pod/web", f"{a}:8080", f"{b}:8081", env=env)
        try:
            for _ in range(5):
                assert get(a) == "A" and get(b) == "B", (kv, env)
            with ThreadPoolExecutor(8) as ex:
                got = list(ex.map(get, [a, b] * 8))
            assert got == ["A", "B"] * 8, (kv, env, got)
        finally:
            pf.close()
    c, d = free_port(), free_port()
    pf = PortForward(k, f"pod/{echo_pod}", f"{c}:80", f"{d}:81")
    try:
        assert get(c) == echo_pod, kv
        try:
            get(d)
            raise AssertionError(f"{kv}: port 81 answered")
        except OSError:
            pass
        want = f"an error occurred forwarding {d} -> 81: error forwarding port 81 to pod "
        text = wait_for("kubectl's error", lambda: (lambda t: t if want in t else None)(pf.stderr()), 10)
        assert "connect: connection refused" in text, (kv, text)
    finally:
        pf.close()


def main():
    kubectl("create", "namespace", NS)
    tmp = tempfile.mkdtemp(prefix="ckube-730-")
    try:
        with RealNode(NODE, pod_net()) as node:
            # the call-home tunnel, as `ckube-node join` starts it beside the agent
            tunnel = subprocess.Popen([os.environ["CKUBE_NODE_BIN"], "tunnel", "--kubeconfig", os.environ["KUBECONFIG"],
                                       "--name", NODE, "--data-dir", node.data()], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            try:
                web = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                       "spec": {"nodeName": NODE, "volumes": [{"name": "srv", "emptyDir": {}}],
                                "containers": [{"name": "web", "image": "busybox",
                                                "volumeMounts": [{"name": "srv", "mountPath": "/srv"}],
                                                "command": ["sh", "-c",
                                                            "mkdir -p /srv/a /srv/b && echo A > /srv/a/index.html && "
                                                            "echo B > /srv/b/index.html && httpd -p 8080 -h /srv/a && "
                                                            "exec httpd -f -p 8081 -h /srv/b"]}]}}
                echo = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "echo"},
                        "spec": {"nodeName": NODE, "containers": [{"name": "echo", "image": "sysnet4admin/echo-hname"}]}}
                for doc in (web, echo):
                    kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))
                wait_for("pods Running", lambda: all(
                    json.loads(kubectl("get", "pod", "-n", NS, n, "-o", "json"))["status"].get("phase") == "Running"
                    for n in ("web", "echo")), 30)
                for k in os.environ.get("KUBECTLS", "kubectl").split(os.pathsep):
                    ver = json.loads(subprocess.run([k, "version", "--client", "-o", "json"], capture_output=True,
                                                    text=True).stdout)["clientVersion"]["gitVersion"]
                    check_exec(k, ver)
                    check_attach_stdin(k, ver, ver.split(".")[1])
                    check_run_tty(k, ver, ver.split(".")[1])
                    check_cp(k, ver, tmp)
                    check_port_forward(k, ver, "echo")
            finally:
                tunnel.kill()  # it notices SIGTERM only at its stream's next keep-alive
                tunnel.wait(10)
    finally:
        kubectl("delete", "namespace", NS, "--wait=false", check=False)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
