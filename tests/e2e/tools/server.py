"""server.py - starts and waits for a ckube-server of the binary under test
($CKUBE_SERVER_BIN), for e2e cases that stop and restart servers themselves."""
import http.client, os, socket, ssl, subprocess, sys, time

BIN = os.environ.get("CKUBE_SERVER_BIN", "")
CTX = ssl._create_unverified_context()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(data, port, args=(), log=None):
    """A server on 127.0.0.1:port over data (more command-line args in args,
    output to the file log), once /readyz answers ok (90 s at most). Its
    cluster DNS gets a free port unless args say otherwise, so that servers
    running side by side do not compete for the default one."""
    out = log or subprocess.DEVNULL
    if not any(a.startswith(("--dns-listen", "--no-dns")) for a in args):
        args = [*args, "--dns-listen", f"127.0.0.1:{free_port()}"]
    p = subprocess.Popen([BIN, "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--no-local-node", *args],
                         stdout=out, stderr=out)
    deadline = time.time() + 90  # generous: a loaded machine starts slowly
    while time.time() < deadline:
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().read() == b"ok":
                return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    sys.exit("server did not start")
