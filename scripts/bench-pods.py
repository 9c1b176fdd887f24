#!/usr/bin/python3
"""bench-pods.py URL TOKEN N - creates N pods (8 concurrent HTTPS clients)
in a fresh namespace and prints "created seconds" when all are acknowledged.
Used by bench-api.sh to measure memory at a known object count."""
import http.client, json, ssl, sys, threading, time, urllib.parse

url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
ctx = ssl._create_unverified_context()
hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
ns = f"pods-{int(time.time())}"


def conn():
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)


c = conn()
c.request("POST", "/api/v1/namespaces", json.dumps({"metadata": {"name": ns}}), hdr)
c.getresponse().read()
ok = [0] * 8


def worker(k):
    c = conn()
    for i in range(k, n, 8):
        body = {"metadata": {"name": f"p-{i}", "labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}
        c.request("POST", f"/api/v1/namespaces/{ns}/pods", json.dumps(body), hdr)
        r = c.getresponse()
        r.read()
        ok[k] += r.status == 201


t0 = time.time()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print(sum(ok), f"{time.time() - t0:.1f}")
