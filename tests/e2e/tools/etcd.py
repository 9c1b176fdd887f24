"""etcd.py - a 3-member etcd cluster on loopback for e2e cases and the runner
(scripts/etcd-cluster.sh: TLS, data in the given directory): start() returns
ckube-server's --store etcd flags, stop() kills the members, ctl() runs
etcdctl against the cluster. $CKUBE_E2E_ETCD_TRANSPORT (grpc or json), when
set, adds --etcd-transport to the flags: the runner's environment reaches
every case, so one run tests the transport that is not the default."""
import os, random, socket, subprocess

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts", "etcd-cluster.sh")


def free_port_run(n):
    """The first of n consecutive free loopback ports (members' client and peer
    ports), below the NodePort range (30000-32767) that real agents' service
    proxies listen on and above nothing else's (ephemeral ports start at 32768)."""
    for _ in range(200):
        base = random.randrange(20000, 30000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def start(dir):
    """Starts the cluster in dir (once a leader is elected); returns the flags."""
    out = subprocess.run(["bash", SCRIPT, "start", dir, str(free_port_run(6))], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"etcd cluster did not start: {out.stderr.strip()}")
    transport = os.environ.get("CKUBE_E2E_ETCD_TRANSPORT")
    return ["--store", "etcd", *out.stdout.split(), *(["--etcd-transport", transport] if transport else [])]


def stop(dir):
    subprocess.run(["bash", SCRIPT, "stop", dir], timeout=30)


def ctl(flags, *args):
    """etcdctl with the cluster's endpoints and client certificate (flags from start); its stdout."""
    f = dict(zip(flags[2::2], flags[3::2]))
    cmd = ["etcdctl", "--endpoints", f["--etcd-servers"], "--cacert", f["--etcd-cafile"], "--cert",
           f["--etcd-certfile"], "--key", f["--etcd-keyfile"], *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=dict(os.environ, ETCDCTL_API="3"),
                          check=True).stdout
