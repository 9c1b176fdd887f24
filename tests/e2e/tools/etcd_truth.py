"""etcd_truth.py - what the etcd cases compare ckube with: etcd's own view of a
namespace's ConfigMaps through its JSON gateway (keys with their mod
revisions, the history of changes read through etcd's watch), and a ckube
watch collecting its events."""
import base64, http.client, json, ssl, threading, time


class Watcher(threading.Thread):
    """One watch on path from start_rv, its events collected (or the error that ended it)."""

    def __init__(self, client, path, start_rv, seconds=240):
        super().__init__(daemon=True)
        self.stream = client.watch(f"{path}?resourceVersion={start_rv}", seconds)
        self.events = []  # (type, name, resourceVersion)
        self.error = None

    def run(self):
        try:
            while True:
                line = self.stream.readline()
                if not line:
                    return
                if not line.strip():
                    continue  # the server's keep-alive
                ev = json.loads(line)
                if ev["type"] == "ERROR":
                    self.error = ev["object"]
                    return
                md = ev["object"]["metadata"]
                self.events.append((ev["type"], md["name"], int(md["resourceVersion"])))
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.error = str(e)

    def check_history(self, who, last, truth, acked, wait):
        """Asserts that this watch, up to revision last, equals etcd's history
        (truth: EtcdGateway.history) event for event, with resourceVersions
        never decreasing (equal ones are legal: one transaction's writes
        share a revision), and saw every acknowledged write ({name: (rv, _)})."""
        wait(f"{who}'s watch to deliver revision {last}",
             lambda: self.error or (self.events and self.events[-1][2] >= last), 20)
        assert self.error is None, (who, self.error)
        seen = [e for e in self.events if e[2] <= last]
        revs = [e[2] for e in seen]
        assert all(x <= y for x, y in zip(revs, revs[1:])), (who, "resourceVersions decreasing")
        assert [(nm, r) for _, nm, r in seen] == [(nm, r) for _, nm, r in truth], \
            (who, "watch differs from etcd's history", len(seen), len(truth),
             sorted(set((nm, r) for _, nm, r in seen) ^ set((nm, r) for _, nm, r in truth))[:10])
        watched = {(nm, r) for _, nm, r in seen}
        for name, (rv, _) in acked.items():
            assert (name, int(rv)) in watched, (who, "watch missed", name, rv)


class EtcdGateway:
    """etcd's JSON gateway with the cluster's client certificate (the truth to compare with)."""

    def __init__(self, flags, ns):
        self.ns = ns
        f = dict(zip(flags[2::2], flags[3::2]))
        self.endpoints = [e.split("//")[1] for e in f["--etcd-servers"].split(",")]
        self.ctx = ssl.create_default_context(cafile=f["--etcd-cafile"])
        self.ctx.load_cert_chain(f["--etcd-certfile"], f["--etcd-keyfile"])

    def conn(self, timeout=10):
        for ep in self.endpoints:
            host, port = ep.rsplit(":", 1)
            c = http.client.HTTPSConnection(host, int(port), context=self.ctx, timeout=timeout)
            try:
                c.connect()
                return c
            except OSError:
                continue
        raise RuntimeError("no etcd member answers")

    def post(self, path, body):
        c = self.conn()
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        return json.loads(r.read())

    def prefix(self):
        p = f"/registry/core/configmaps/{self.ns}/".encode()
        return base64.b64encode(p).decode(), base64.b64encode(p[:-1] + b"0").decode()

    def keys(self):
        """{name: mod_revision} of the namespace's ConfigMaps."""
        k, end = self.prefix()
        out = self.post("/v3/kv/range", {"key": k, "range_end": end, "keys_only": True})
        return {base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1]: int(kv["mod_revision"])
                for kv in out.get("kvs", [])}

    def history(self, after, last):
        """Every event (type, name, revision) on the ConfigMaps after revision `after` up to `last`."""
        k, end = self.prefix()
        c = self.conn(timeout=30)
        c.request("POST", "/v3/watch", json.dumps({"create_request": {"key": k, "range_end": end,
                                                                         "start_revision": after + 1}}))
        r = c.getresponse()
        evs, deadline = [], time.time() + 30
        while (not evs or evs[-1][2] < last) and time.time() < deadline:
            msg = json.loads(r.readline())["result"]
            for e in msg.get("events", []):
                kv = e["kv"]
                name = base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1]
                evs.append((e.get("type", "PUT"), name, int(kv["mod_revision"])))
        c.close()
        return evs
