#!/usr/bin/python3
"""fake-kubelet.py NAMESPACE SECONDS - for SECONDS, marks every pod of
NAMESPACE Running and Ready through the pods/status subresource, as a kubelet
would; pods annotated ckube.io/simulate-ready: "false" stay Running but not
Ready (the simulated nodes' convention). Lets workload cases watch rollouts
progress without nodes."""
import json, os, ssl, sys, time, urllib.request

ctx = ssl._create_unverified_context()
ns, seconds = sys.argv[1], float(sys.argv[2])
base = f"{os.environ['SERVER']}/api/v1/namespaces/{ns}/pods"
auth = {"Authorization": "Bearer " + os.environ["TOKEN"]}


def call(url, method="GET", body=None):
    headers = dict(auth)
    if body is not None:
        headers["Content-Type"] = "application/merge-patch+json"
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                 headers=headers, method=method)
    return json.load(urllib.request.urlopen(req, context=ctx))


end = time.time() + seconds
while time.time() < end:
    for pod in call(base)["items"]:
        md, st = pod["metadata"], pod.get("status", {})
        if md.get("deletionTimestamp"):
            continue
        ready = md.get("annotations", {}).get("ckube.io/simulate-ready") != "false"
        have = {c["type"]: c["status"] for c in st.get("conditions", [])}
        if st.get("phase") == "Running" and have.get("Ready") == ("True" if ready else "False"):
            continue
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        conds = [{"type": t, "status": "True" if t != "Ready" and t != "ContainersReady" or ready else "False",
                  "lastProbeTime": None, "lastTransitionTime": now}
                 for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
        try:
            call(f"{base}/{md['name']}/status", "PATCH",
                 {"status": {"phase": "Running", "conditions": conds, "podIP": "10.244.0.10", "startTime": now}})
        except urllib.error.HTTPError:
            pass
    time.sleep(0.3)
