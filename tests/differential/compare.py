#!/usr/bin/python3
"""compare.py CKUBE.json REAL.json - compares two rbac_matrix.py recordings
section by section; prints each difference and a count per section; exits 1
when any differs. kube-apiserver visits bindings in its informer's map
order, which changes from run to run, so when several bindings allow a
request the one its reason names, and the order of a rules review's rules,
vary: allowed reviews compare their decision and reason shape, rules
reviews their rules as sets; exact reason matches are counted apart."""
import json, sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])


def norm(section, v):
    if section in ("sar", "nonresource") and isinstance(v, dict) and v.get("allowed"):
        v = dict(v, reason=(v.get("reason") or "").split(" by ")[0])
    if section == "ssrr" and isinstance(v, dict):
        v = dict(v, **{k: sorted(json.dumps(r, sort_keys=True) for r in v.get(k) or [])
                       for k in ("resourceRules", "nonResourceRules")})
    return v


bad = 0
for section in ["sar", "nonresource", "ssrr", "forbidden", "policy"]:
    keys = sorted(set(a[section]) | set(b[section]))
    diff = [k for k in keys if norm(section, a[section].get(k)) != norm(section, b[section].get(k))]
    exact = sum(a[section].get(k) == b[section].get(k) for k in keys)
    print(f"{section}: {len(keys)} compared, {len(diff)} differ ({exact} identical byte for byte)")
    for k in diff[:20]:
        print(f"  {k}\n    ckube: {json.dumps(a[section].get(k))[:600]}\n    real:  {json.dumps(b[section].get(k))[:600]}")
    bad += len(diff)
sys.exit(1 if bad else 0)
