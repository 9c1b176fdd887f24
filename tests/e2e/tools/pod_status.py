#!/usr/bin/python3
"""pod_status.py NS POD [--phase P] [--ip IP] [--ready true|false] [--node NODE]
Sets a pod's status through the pods/status subresource (what a kubelet
reports), so controller cases can drive pod phases and readiness without a
node agent. Uses $SERVER, $TOKEN and $CACERT like the e2e cases."""
import argparse, json, os, ssl, sys, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("ns")
ap.add_argument("pod")
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
req = urllib.request.Request(
    f"{os.environ['SERVER']}/api/v1/namespaces/{args.ns}/pods/{args.pod}/status",
    data=json.dumps({"status": status}).encode(), method="PATCH",
    headers={"Authorization": "Bearer " + os.environ["TOKEN"], "Content-Type": "application/merge-patch+json"})
try:
    urllib.request.urlopen(req, context=ctx).read()
except urllib.error.HTTPError as e:
    sys.exit(f"{e.code} {e.read().decode()}")
