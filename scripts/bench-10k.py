#!/usr/bin/python3
"""bench-10k.py - the same 10,000-object workload, with the same client,
against a Kubernetes API server or against etcd alone, so the rows compare:

    bench-10k.py k8s URL TOKEN LABEL     pods in a fresh namespace (HTTPS)
    bench-10k.py etcd URL LABEL          keys under one prefix (etcd's JSON gateway)

Measures, with 8 concurrent keep-alive clients (Python threads):
  create  10,000 objects (a pod, or a pod-sized value): rate, p50, p99
  get     10,000 reads of random single objects: rate, p50, p99
  list    all 10,000 objects, 20 times one after another: p50, p99 (time to
          the last byte of the response; the client's parsing not included);
          API servers also as kubectl asks (Table, whole and in pages of 500
          following continue), indented (curl's user agent), and the
          server's peak RSS growth over the lists when BENCH_PID names it
  watch   one watcher while 8 writers update 3,000 objects: events delivered,
          delivery rate, and write-to-event latency p50/p99
Prints TSV rows: label, measure, value, unit. Every phase is bounded in time."""
import base64, http.client, json, os, random, re, ssl, sys, threading, time, urllib.parse

N, CLIENTS, LISTS, WATCHED = 10000, 8, 20, 3000
DEADLINE = 240  # seconds per phase at most


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def row(label, measure, value, unit):
    print(f"{label}\t{measure}\t{value}\t{unit}", flush=True)


class K8s:
    """Pods in one namespace of a Kubernetes API server."""

    def __init__(self, url, token):
        self.u = urllib.parse.urlparse(url)
        self.ctx = ssl._create_unverified_context()
        self.hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        self.ns = f"bench10k-{int(time.time())}"
        self.call(self.conn(), "POST", "/api/v1/namespaces", {"metadata": {"name": self.ns}})

    def conn(self):
        return http.client.HTTPSConnection(self.u.hostname, self.u.port, context=self.ctx, timeout=60)

    def call(self, c, method, path, body=None):
        c.request(method, path, json.dumps(body) if body is not None else None, self.hdr)
        r = c.getresponse()
        return r.status, r.read()

    def pod(self, i, gen=0):
        return {"metadata": {"name": f"p-{i}", "labels": {"app": "bench", "gen": str(gen)}},
                "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}

    def create(self, c, i):
        return self.call(c, "POST", f"/api/v1/namespaces/{self.ns}/pods", self.pod(i))[0] == 201

    def get(self, c, i):
        return self.call(c, "GET", f"/api/v1/namespaces/{self.ns}/pods/p-{i}")[0] == 200

    def list(self, c):
        return self.call(c, "GET", f"/api/v1/namespaces/{self.ns}/pods")[1]

    @staticmethod
    def count(body):
        return len(json.loads(body)["items"])

    TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

    def list_table(self, c):
        c.request("GET", f"/api/v1/namespaces/{self.ns}/pods", headers=dict(self.hdr, Accept=self.TABLE))
        return c.getresponse().read()

    def list_pretty(self, c):
        c.request("GET", f"/api/v1/namespaces/{self.ns}/pods", headers=dict(self.hdr, **{"User-Agent": "curl/7.88"}))
        return c.getresponse().read()

    def list_pages(self, c):
        """kubectl get pods: Table pages of 500 following continue (read from the bytes, not parsed)."""
        cont, rows = "", 0
        while True:
            q = "?limit=500" + (f"&continue={urllib.parse.quote(cont)}" if cont else "")
            c.request("GET", f"/api/v1/namespaces/{self.ns}/pods{q}", headers=dict(self.hdr, Accept=self.TABLE))
            body = c.getresponse().read()
            rows += body.count(b'{"cells":')
            m = re.search(rb'"continue":"([^"]*)"', body[:4096])
            if not m:
                return rows
            cont = m.group(1).decode()

    def update(self, c, i, gen):
        patch = json.dumps({"metadata": {"labels": {"gen": str(gen)}}})
        c.request("PATCH", f"/api/v1/namespaces/{self.ns}/pods/p-{i}", patch,
                  dict(self.hdr, **{"Content-Type": "application/merge-patch+json"}))
        r = c.getresponse()
        r.read()
        return r.status == 200

    def watch(self, ready, on_event, stop):
        c = self.conn()
        st, body = self.call(c, "GET", f"/api/v1/namespaces/{self.ns}/pods?limit=1")
        rv = json.loads(body)["metadata"]["resourceVersion"]
        c.request("GET", f"/api/v1/namespaces/{self.ns}/pods?watch=1&resourceVersion={rv}&timeoutSeconds={DEADLINE}",
                  headers=self.hdr)
        r = c.getresponse()
        ready.set()
        buf = b""
        while not stop.is_set():
            chunk = r.read1(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    o = json.loads(line)["object"]["metadata"]
                    on_event(o["name"], o["labels"].get("gen"))


class Etcd:
    """Keys under one prefix in etcd, through its v3 JSON gateway."""

    def __init__(self, url):
        self.u = urllib.parse.urlparse(url)
        self.prefix = f"/registry/pods/bench10k-{int(time.time())}/"
        # a value the size of the pod ckube stores for K8s.pod (about 1 KiB with defaults and status)
        self.value = json.dumps({"kind": "Pod", "pad": "x" * 1000})

    def conn(self):
        return http.client.HTTPConnection(self.u.hostname, self.u.port, timeout=60)

    @staticmethod
    def b64(s):
        return base64.b64encode(s.encode()).decode()

    def call(self, c, path, body):
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()

    def put(self, c, i, value):
        return self.call(c, "/v3/kv/put", {"key": self.b64(f"{self.prefix}p-{i}"), "value": self.b64(value)})[0] == 200

    def create(self, c, i):
        return self.put(c, i, self.value)

    def get(self, c, i):
        st, body = self.call(c, "/v3/kv/range", {"key": self.b64(f"{self.prefix}p-{i}")})
        return st == 200 and json.loads(body).get("kvs")

    def list(self, c):
        end = self.prefix[:-1] + chr(ord(self.prefix[-1]) + 1)
        return self.call(c, "/v3/kv/range", {"key": self.b64(self.prefix), "range_end": self.b64(end)})[1]

    @staticmethod
    def count(body):
        return len(json.loads(body).get("kvs", []))

    def update(self, c, i, gen):
        return self.put(c, i, json.dumps({"gen": str(gen), "pad": "x" * 1000}))

    def watch(self, ready, on_event, stop):
        c = self.conn()
        end = self.prefix[:-1] + chr(ord(self.prefix[-1]) + 1)
        c.request("POST", "/v3/watch",
                  json.dumps({"create_request": {"key": self.b64(self.prefix), "range_end": self.b64(end)}}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        buf = b""
        while not stop.is_set():
            chunk = r.read1(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                res = json.loads(line).get("result", {})
                if res.get("created"):
                    ready.set()
                for ev in res.get("events", []):
                    name = base64.b64decode(ev["kv"]["key"]).decode().rsplit("/", 1)[1]
                    gen = json.loads(base64.b64decode(ev["kv"]["value"])).get("gen")
                    on_event(name, gen)


def parallel(target, op, indices):
    """Runs op(conn, i) for every i over CLIENTS connections; returns (seconds, latencies, failures)."""
    lat, fails, lock = [], [0], threading.Lock()
    deadline = time.time() + DEADLINE

    def worker(k):
        c, mine, bad = target.conn(), [], 0
        for i in indices[k::CLIENTS]:
            if time.time() > deadline:
                break
            t = time.perf_counter()
            ok = op(c, i)
            mine.append(time.perf_counter() - t)
            bad += not ok
        with lock:
            lat.extend(mine)
            fails[0] += bad

    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    return time.time() - t0, lat, fails[0]


def report(label, what, secs, lat, fails):
    row(label, f"{what} rate", f"{len(lat) / secs:.0f}",
        f"ops/s (p50 {pct(lat, .5) * 1000:.2f} ms, p99 {pct(lat, .99) * 1000:.2f} ms, {len(lat)} ops, {fails} failed)")


def main():
    kind, label = sys.argv[1], sys.argv[-1]
    target = K8s(sys.argv[2], sys.argv[3]) if kind == "k8s" else Etcd(sys.argv[2])

    secs, lat, fails = parallel(target, target.create, list(range(N)))
    report(label, f"create {N}", secs, lat, fails)

    rnd = random.Random(1)
    secs, lat, fails = parallel(target, target.get, [rnd.randrange(N) for _ in range(N)])
    report(label, "get", secs, lat, fails)

    c, times, body = target.conn(), [], b""
    for _ in range(LISTS):  # timed until the last byte arrives; parsed once afterwards
        t = time.perf_counter()
        body = target.list(c)
        times.append(time.perf_counter() - t)
    count = target.count(body)
    row(label, f"list {count} objects", f"{pct(times, .5) * 1000:.0f}",
        f"ms p50 (p99 {pct(times, .99) * 1000:.0f} ms, {LISTS} lists, {len(body) / 1e6:.1f} MB)")
    if kind == "k8s":
        for what, fn in (("list as Table", target.list_table), ("list as Table in pages of 500", target.list_pages),
                         ("list indented (curl)", target.list_pretty)):
            times = []
            for _ in range(LISTS // 2):
                t = time.perf_counter()
                fn(c)
                times.append(time.perf_counter() - t)
            row(label, what, f"{pct(times, .5) * 1000:.0f}", f"ms p50 (p99 {pct(times, .99) * 1000:.0f} ms, {LISTS // 2} lists)")
        pid = os.environ.get("BENCH_PID")
        if pid:
            with open(f"/proc/{pid}/status") as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
            row(label, "server RSS after the lists", st["VmRSS"].strip(), f"(peak {st['VmHWM'].strip()})")

    sent, got, lock = {}, [], threading.Lock()
    ready, stop, done = threading.Event(), threading.Event(), threading.Event()

    def on_event(name, gen):
        if gen != "1":
            return
        now = time.perf_counter()
        with lock:
            if name in sent:
                got.append(now - sent[name])
            if len(got) >= WATCHED:
                done.set()

    def update(c, i):
        with lock:
            sent[f"p-{i}"] = time.perf_counter()
        return target.update(c, i, 1)

    w = threading.Thread(target=target.watch, args=(ready, on_event, stop), daemon=True)
    w.start()
    ready.wait(30)
    t0 = time.time()
    parallel(target, update, list(range(WATCHED)))
    done.wait(60)
    secs = time.time() - t0
    stop.set()
    row(label, "watch events delivered", f"{len(got)}/{WATCHED}",
        f"events ({len(got) / secs:.0f}/s; write-to-event p50 {pct(got, .5) * 1000:.1f} ms, "
        f"p99 {pct(got, .99) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
