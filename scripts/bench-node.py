#!/usr/bin/python3
"""bench-node.py [--agents N] [--replicas R] - pod startup on real node agents.

Starts a fresh ckube-server (no local node) and N real agents joined by
token (`ckube-server token create`, `ckube-node join`, pod ranges
127.6x.0.0/16), then `kubectl apply` of an R-replica Deployment of busybox
`sleep 3600`. A watch records when each pod is first seen and when it is
first seen Ready; the per-pod startup latency is the difference (the
Kubernetes pod startup SLI, no image pull here). Prints time to all Ready,
p50/p99, the agents' RSS idle and with the pods, their CPU per pod
(utime+stime, and with their reaped helpers such as `ip`), and the load.
Everything runs on loopback. Bounded: about 2 minutes. Not a test."""
import argparse, http.client, json, os, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12]), int(f[13]) + int(f[14])  # own, reaped children


def agent_pid(launcher):
    """join execs the agent in place, so the launcher's pid is the agent's."""
    return launcher.pid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1)
    ap.add_argument("--replicas", type=int, default=100)
    ap.add_argument("--server", default=os.path.join(ROOT, "build/bin/ckube-server"))
    ap.add_argument("--node", default=os.path.join(ROOT, "build/bin/ckube-node"))
    ap.add_argument("--kubectl", default="kubectl")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ckube-bench-node-")
    port = free_port()
    procs = []
    try:
        log = open(os.path.join(work, "server.log"), "w")
        server = subprocess.Popen([a.server, "--data-dir", os.path.join(work, "server"), "--listen",
                                   f"127.0.0.1:{port}", "--no-local-node", "--node-monitor-grace-period", "8"],
                                  stdout=log, stderr=subprocess.STDOUT)
        procs.append(server)
        ctx = ssl._create_unverified_context()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        if server.poll() is not None:
            sys.exit("ckube-server exited:\n" + open(os.path.join(work, "server.log")).read()[-2000:])
        env = dict(os.environ, KUBECONFIG=os.path.join(work, "server", "admin.kubeconfig"))
        token = open(os.path.join(work, "server", "pki", "admin.token")).read().strip()
        join = subprocess.run([a.server, "token", "create", "--data-dir", os.path.join(work, "server"),
                               "--print-join-command"], capture_output=True, text=True, check=True).stdout.split()
        agents = []
        for i in range(a.agents):
            alog = open(os.path.join(work, f"agent-{i}.log"), "w")
            p = subprocess.Popen([a.node, *join[1:], "--name", f"bench-{i}", "--data-dir", os.path.join(work, f"agent-{i}"),
                                  "--pod-cidr", f"127.{60 + i}.0.0/16"], stdout=alog, stderr=subprocess.STDOUT)
            procs.append(p)
            agents.append(p)
        kubectl = lambda *args, **kw: subprocess.run([a.kubectl, *args], env=env, capture_output=True, text=True, **kw)
        deadline = time.time() + 60
        while time.time() < deadline:
            out = kubectl("get", "nodes", "--no-headers").stdout
            if out.count(" Ready ") == a.agents:
                break
            time.sleep(0.5)
        else:
            sys.exit("agents did not become Ready:\n" + out)
        time.sleep(5)  # idle: registered, lease and metrics loops running
        for i, p in enumerate(agents):
            if p.poll() is not None:
                sys.exit(f"agent {i} exited:\n" + open(os.path.join(work, f"agent-{i}.log")).read()[-2000:])
        idle_rss = [rss_kib(agent_pid(p)) for p in agents]
        cpu0 = [cpu_ticks(agent_pid(p)) for p in agents]

        seen, ready = {}, {}
        done = threading.Event()

        def watch():
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)
            c.request("GET", "/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dbench",
                      headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            while not done.is_set():
                line = r.readline()
                if not line:
                    return
                if not line.strip():
                    continue
                ev = json.loads(line)
                pod = ev["object"]
                name, now = pod["metadata"]["name"], time.time()
                seen.setdefault(name, now)
                if any(x["type"] == "Ready" and x["status"] == "True" for x in pod.get("status", {}).get("conditions", [])):
                    ready.setdefault(name, now)
                if len(ready) >= a.replicas:
                    done.set()

        threading.Thread(target=watch, daemon=True).start()
        time.sleep(0.5)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
               "spec": {"replicas": a.replicas, "selector": {"matchLabels": {"app": "bench"}},
                        "template": {"metadata": {"labels": {"app": "bench"}},
                                     "spec": {"terminationGracePeriodSeconds": 1, "containers": [
                                         {"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}}}
        t0 = time.time()
        kubectl("apply", "-f", "-", input=json.dumps(dep), check=True)
        done.wait(120)
        total = time.time() - t0
        lat = sorted(ready[n] - seen[n] for n in ready)
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
        time.sleep(1)
        busy_rss = [rss_kib(agent_pid(p)) for p in agents]
        cpu1 = [cpu_ticks(agent_pid(p)) for p in agents]
        hz = os.sysconf("SC_CLK_TCK")
        own = sum(c1[0] - c0[0] for c0, c1 in zip(cpu0, cpu1)) / hz
        helpers = sum(c1[1] - c0[1] for c0, c1 in zip(cpu0, cpu1)) / hz
        n = max(len(ready), 1)
        print(f"bench-node {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, load average "
              f"{' '.join(open('/proc/loadavg').read().split()[:3])}, {os.cpu_count()} CPUs")
        print(f"agents {a.agents}, replicas {a.replicas}: {len(ready)} Ready in {total:.1f} s after the apply")
        print(f"pod startup (first seen -> Ready): p50 {pct(0.5):.2f} s, p99 {pct(0.99):.2f} s, max {lat[-1] if lat else 0:.2f} s")
        print(f"agent RSS idle {', '.join(f'{k / 1024:.1f}' for k in idle_rss)} MB; with pods "
              f"{', '.join(f'{k / 1024:.1f}' for k in busy_rss)} MB")
        print(f"agent CPU per pod: {own / n * 1000:.1f} ms own, {(own + helpers) / n * 1000:.1f} ms with reaped helpers")
        done.set()
        kubectl("delete", "deployment", "bench", "--wait=false")
        deadline = time.time() + 60
        while time.time() < deadline and kubectl("get", "pods", "--no-headers", "-l", "app=bench").stdout.strip():
            time.sleep(1)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if os.environ.get("KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


main()
