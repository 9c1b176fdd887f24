#!/usr/bin/python3
"""conformance-report.py RESULTS... > docs/CONFORMANCE.md

Turns the output of scripts/conformance.sh (lines "PASSED <test>" and
"FAILED <test>") into the conformance report: every one of Kubernetes
1.20's 311 [Conformance] tests (../shared/conformance/conformance-1.20.txt)
with its result on ckube, the real control plane's result where
../shared/conformance/baseline-api-machinery.txt has one, and for each
failure the reason from docs/conformance-reasons.tsv (regex TAB reason; the
first regex that matches the test name wins). Tests absent from every
results file are listed as "not run". Several results files may be given
(later ones win), so a report can be assembled from focused runs."""
import os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED", os.path.join(ROOT, "..", "shared"))


def results(paths):
    out = {}
    for p in paths:
        for line in open(p, encoding="utf-8", errors="replace"):
            m = re.match(r"^(PASSED|FAILED) (.*\S)\s*$", line)
            if m:  # names come from the suite's JSON log: \" stands for "
                out[m.group(2).replace('\\"', '"')] = m.group(1).lower()
    return out


def main():
    tests = [t.strip() for t in open(os.path.join(SHARED, "conformance", "conformance-1.20.txt")) if t.strip()]
    got = results(sys.argv[1:])
    base = results([os.path.join(SHARED, "conformance", "baseline-api-machinery.txt")])
    reasons = []
    for line in open(os.path.join(ROOT, "docs", "conformance-reasons.tsv"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            rx, why = line.rstrip("\n").split("\t", 1)
            reasons.append((re.compile(rx), why))

    def reason(t):
        return next((why for rx, why in reasons if rx.search(t)), "not analysed yet")

    groups = {}
    for t in tests:
        groups.setdefault(t.split("]", 1)[0] + "]", []).append(t)
    tot = {"passed": 0, "failed": 0, "not run": 0}
    rows = []
    for g in sorted(groups):
        c = {"passed": 0, "failed": 0, "not run": 0}
        body = []
        for t in groups[g]:
            r = got.get(t, "not run")
            c[r] += 1
            b = base.get(t, "")
            why = reason(t) if r != "passed" else ""
            body.append(f"| {t.replace('|', '/')} | {r} | {b} | {why} |")
        for k in tot:
            tot[k] += c[k]
        rows.append((g, c, body))

    print("# Conformance\n")
    print("Kubernetes 1.20's own conformance suite (e2e.test built from Debian's")
    print("source package) against a fresh ckube with two simulated nodes")
    print("(`ckube-node --simulate 2`) or, with `CONF_REAL_NODES=N`, N real node agents joined by")
    print("token (pods run as processes); the note below says which, on this project's CI machine kind.")
    print("Regenerate: `scripts/conformance-full.sh` (all 311 tests in 5 shards side by side, about")
    print("20 minutes on 2 cores with three real agents per shard; it writes build/conf/full-*.txt and this file). Focused runs")
    print("(`scripts/conformance.sh FOCUS > build/conf/x.txt`) can be combined:")
    print("`scripts/conformance-report.py FILES... > docs/CONFORMANCE.md`, later files winning.")
    print("Failure reasons come from `docs/conformance-reasons.tsv`. The \"real\" column is")
    print("a real Kubernetes 1.20 control plane with the same simulated nodes")
    print("(`../shared/conformance/baseline-api-machinery.txt`, API machinery only).")
    note = os.environ.get("CONF_NOTE")
    if note:
        print("\n" + note)
    print("\nResults files, later ones winning: " + ", ".join(f"`{os.path.basename(p)}`" for p in sys.argv[1:]) + ".\n")
    print(f"**{tot['passed']} passed, {tot['failed']} failed, {tot['not run']} not run** of {len(tests)}.\n")
    print("| group | passed | failed | not run |\n|---|---|---|---|")
    for g, c, _ in rows:
        print(f"| {g} | {c['passed']} | {c['failed']} | {c['not run']} |")
    for g, c, body in rows:
        print(f"\n## {g}\n\n| test | ckube | real | reason when not passed |\n|---|---|---|---|")
        print("\n".join(body))


if __name__ == "__main__":
    main()
