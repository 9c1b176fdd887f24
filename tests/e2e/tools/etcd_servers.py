"""etcd_servers.py - several ckube-servers on one etcd cluster for the 8xx e2e
cases: a small JSON client per server (kept-alive HTTPS, Bearer token),
starting the servers (the first makes the cluster's certificates, the others
join with them through `ckube-server join-control-plane` when join=True), a
bounded wait, the Lease holder's name, and a case's main beside its own etcd
cluster (main_on_etcd)."""
import http.client, json, os, subprocess, sys, tempfile, time

import etcd
from server import BIN, CTX, free_port, start

LEASE_FLAGS = ["--leader-elect-lease-duration", "10s", "--leader-elect-renew-deadline", "6s",
               "--leader-elect-retry-period", "1s", "--no-dns"]


class Client:
    """One kept-alive connection to a server; call() reconnects after an error."""

    def __init__(self, port, token, timeout=30):
        self.port, self.token, self.timeout, self.conn = port, token, timeout, None

    def call(self, method, path, body=None):
        """(status, decoded JSON or None); raises OSError/HTTPException when the server is unreachable."""
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=CTX, timeout=self.timeout)
        try:
            self.conn.request(method, path, json.dumps(body) if body is not None else None,
                              {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        return r.status, (json.loads(data) if data else None)

    def watch(self, path, timeout_seconds):
        """An open watch stream (an HTTPResponse to readline()) on path."""
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=CTX, timeout=timeout_seconds + 30)
        sep = "&" if "?" in path else "?"
        c.request("GET", f"{path}{sep}watch=1&timeoutSeconds={timeout_seconds}",
                  headers={"Authorization": "Bearer " + self.token})
        r = c.getresponse()
        if r.status != 200:
            raise RuntimeError(f"watch {path}: {r.status} {r.read()[:300]}")
        return r


def wait(what, fn, seconds, step=0.2):
    """fn()'s first true value within seconds, or the case fails."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            v = fn()
        except (OSError, http.client.HTTPException):
            v = None
        if v:
            return v
        time.sleep(step)
    sys.exit(f"timed out ({seconds} s) waiting for {what}")


def cli(*args, check=True):
    """ckube-server ARGS...: its stdout (the case fails on a non-zero exit when check)."""
    out = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    if check and out.returncode != 0:
        sys.exit(f"ckube-server {args[0]} failed: {out.stderr.strip()}")
    return out if not check else out.stdout.strip()


def join_material(first_data):
    """(URL, bootstrap token, CA pin, certificate key) for joining the first
    server's cluster: `token create --print-join-command` and `upload-certs`."""
    join = cli("token", "create", "--print-join-command", "--data-dir", first_data).split()
    url, token, pin = join[2], join[join.index("--token") + 1], join[join.index("--discovery-token-ca-cert-hash") + 1]
    return url, token, pin, cli("upload-certs", "--data-dir", first_data)


def join_control_plane(first_data, data):
    """kubeadm's flow: the first server's certificates sealed into the
    kubeadm-certs Secret, opened by `join-control-plane` into data; tokens and
    certificates of one are then accepted by all."""
    url, token, pin, key = join_material(first_data)
    cli("join-control-plane", url, "--token", token, "--discovery-token-ca-cert-hash", pin, "--certificate-key", key,
        "--data-dir", data)


def start_servers(base, names, flags, procs, join=True, extra=()):
    """Starts one server per name on one etcd cluster (flags from etcd.start);
    returns {name: (Client, Popen, port)}; procs collects the Popens."""
    servers = {}
    first = None
    for name in names:
        port = free_port()
        data = os.path.join(base, name)
        if join and first is not None:
            join_control_plane(first, data)
        log = open(os.path.join(base, name + ".log"), "w")
        procs.append(start(data, port, [*flags, *LEASE_FLAGS, *extra], log))
        first = first or data
        token = open(os.path.join(data, "pki", "admin.token")).read().strip()
        servers[name] = (Client(port, token), procs[-1], port)
    return servers


def lease_holder(client, identities, lease="kube-controller-manager"):
    """The name (a key of identities: name -> leader-identity) holding the Lease, or None."""
    st, l = client.call("GET", f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}")
    h = l["spec"].get("holderIdentity", "") if st == 200 else ""
    return next((n for n, i in identities.items() if i and i in h), None) if h else None


def main_on_etcd(run):
    """A case's main: run(base, edir, flags, procs) beside a fresh 3-member etcd cluster (flags: the
    servers' --store etcd flags); the servers it put in procs are killed and the cluster stopped
    afterwards, whatever happened; "ok" when run returned."""
    base = os.environ.get("CASE_DIR") or tempfile.mkdtemp()
    edir = os.path.join(base, "etcd")
    flags = etcd.start(edir)
    procs = []
    try:
        run(base, edir, flags, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        etcd.stop(edir)
    print("ok")
