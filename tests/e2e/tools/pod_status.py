#!/usr/bin/python3
"""pod_status.py NS POD|-l SELECTOR [--phase P] [--ip IP] [--ready true|false] [--exit-code N]
Sets a pod's status through the pods/status subresource (what a kubelet
reports), so controller cases can drive pod phases and readiness without a
node agent. With -l, every pod matching the label selector that has not
finished (phase Succeeded or Failed) gets the status. Uses $SERVER, $TOKEN and $CACERT like the e2e cases."""
import argparse, json, os, ssl, sys, time, urllib.parse, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("ns")
ap.add_argument("pod", nargs="?")
ap.add_argument("-l", dest="selector")
ap.add_argument("--phase")
ap.add_argument("--ip")
ap.add_argument("--ready")
ap.add_argument("--exit-code", type=int)
args = ap.parse_args()

ctx = ssl.create_default_context(cafile=os.environ["CACERT"])
ctx.check_hostname = False
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
status = {}
if args.phase:
    status["phase"] = args.phase
    status.setdefault("startTime", now)
if args.ip:
    status["podIP"] = args.ip
    status["podIPs"] = [{"ip": args.ip}]
if args.ready is not None:
    v = "True" if args.ready == "true" else "False"
    status["conditions"] = [{"type": "Ready", "status": v, "lastTransitionTime": now},
                            {"type": "ContainersReady", "status": v, "lastTransitionTime": now}]
if args.exit_code is not None:
    status["containerStatuses"] = [{"name": "c", "ready": False, "restartCount": 0, "image": "busybox",
                                    "imageID": "", "state": {"terminated": {"exitCode": args.exit_code,
                                    "reason": "Completed" if args.exit_code == 0 else "Error",
                                    "startedAt": now, "finishedAt": now}}}]
base = f"{os.environ['SERVER']}/api/v1/namespaces/{args.ns}/pods"
auth = {"Authorization": "Bearer " + os.environ["TOKEN"]}


def call(url, body=None):
    headers = dict(auth, **({"Content-Type": "application/merge-patch+json"} if body else {}))
    req = urllib.request.Request(url, data=body, method="PATCH" if body else "GET", headers=headers)
    try:
        return json.loads(urllib.request.urlopen(req, context=ctx).read())
    except urllib.error.HTTPError as e:
        sys.exit(f"{e.code} {e.read().decode()}")


if args.selector:
    pods = call(base + "?labelSelector=" + urllib.parse.quote(args.selector))["items"]
    names = [p["metadata"]["name"] for p in pods
             if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
else:
    names = [args.pod]
for name in names:
    call(f"{base}/{name}/status", json.dumps({"status": status}).encode())
