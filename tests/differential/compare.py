#!/usr/bin/python3
"""compare.py CKUBE.json REAL.json - compares two rbac_matrix.py recordings
section by section; prints each difference and a count per section; exits 1
when any differs."""
import json, sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = 0
for section in ["sar", "nonresource", "ssrr", "forbidden", "policy"]:
    keys = sorted(set(a[section]) | set(b[section]))
    diff = [k for k in keys if a[section].get(k) != b[section].get(k)]
    print(f"{section}: {len(keys)} compared, {len(diff)} differ")
    for k in diff[:20]:
        print(f"  {k}\n    ckube: {json.dumps(a[section].get(k))[:600]}\n    real:  {json.dumps(b[section].get(k))[:600]}")
    bad += len(diff)
sys.exit(1 if bad else 0)
