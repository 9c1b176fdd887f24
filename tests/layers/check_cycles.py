#!/usr/bin/env python3
"""check_cycles.py - fails on a new dependency between layers that points up,
so no new cycle between server/'s folders, or between server/ and
controllers/, can come in.

The layers, bottom to top: server/'s folders in the order CMakeLists.txt
declares them (ckube_server_layer), then files still flat in server/, then
controllers/. Reads the object files of every ckube_* target (nm: which file
defines and which uses each global symbol) and draws an edge A -> B when A
uses a symbol B defines. An edge from a lower layer to a higher one is a back
edge (with the downward edges, a cycle); every one must be listed in
tests/layers/cycles-allowed.txt with the files it joins (the ones that exist
today, each to be removed), so a new one fails the test run.
Usage: check_cycles.py BUILD_DIR [--update]"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ALLOWED = os.path.join(HERE, "cycles-allowed.txt")


def layer_order():
    """server/'s folders in the order CMakeLists.txt declares them, bottom first."""
    text = open(os.path.join(ROOT, "CMakeLists.txt")).read()
    order = [f"server/{m}" for m in re.findall(r"^ckube_server_layer\((\w+)", text, re.M)]
    if not order:
        sys.exit("no ckube_server_layer(...) in CMakeLists.txt")
    return order + ["server", "controllers"]


def layer_of(name):
    """server/core/api.c -> server/core; server/x.c -> server; controllers/dns/y.c -> controllers."""
    parts = name.split("/")
    if parts[0] == "controllers" or len(parts) == 2:
        return parts[0]
    return "/".join(parts[:2])


def objects(build):
    cmf = os.path.join(build, "CMakeFiles")
    for target in sorted(os.listdir(cmf)):
        if not target.startswith("ckube_") or not target.endswith(".dir"):
            continue
        for top in ("server", "controllers"):
            base = os.path.join(cmf, target)
            for d, _, files in os.walk(os.path.join(base, top)):
                for f in sorted(files):
                    path = os.path.join(d, f)
                    name = os.path.relpath(path, base)[:-2]
                    # a build directory keeps objects of files since moved: only today's sources count
                    if f.endswith(".c.o") and os.path.exists(os.path.join(ROOT, name)):
                        yield name, path


def symbols(path):
    out = subprocess.run(["nm", "-g", path], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRCVW":
            defined.add(parts[2])
    return defined, used


def back_edges(build):
    order = layer_order()
    rank = {l: i for i, l in enumerate(order)}
    files = dict(objects(build))
    unknown = sorted({layer_of(n) for n in files} - set(rank))
    if unknown:
        sys.exit(f"objects outside the declared layers: {unknown}")
    defs, uses = {}, {}
    for name, path in files.items():
        d, u = symbols(path)
        uses[name] = u
        for s in d:
            defs.setdefault(s, name)
    found = set()
    for a in files:
        for s in uses[a]:
            b = defs.get(s)
            if b and rank[layer_of(b)] > rank[layer_of(a)]:
                found.add(f"{a} -> {b}")
    return len(files), sorted(found)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build, update = sys.argv[1], "--update" in sys.argv[2:]
    count, found = back_edges(build)
    if update:
        with open(ALLOWED, "w") as f:
            f.write("# Back edges (a lower layer using a higher one) that exist today, one \"a -> b\"\n"
                    "# per line, each to be removed (check_cycles.py --update rewrites it).\n")
            f.write("".join(e + "\n" for e in found))
        print(f"{len(found)} edges written to {ALLOWED}")
        return
    allowed = {l.strip() for l in open(ALLOWED) if l.strip() and not l.startswith("#")}
    new = [e for e in found if e not in allowed]
    gone = sorted(allowed - set(found))
    print(f"{count} files, {len(found)} back edges ({len(allowed)} allowed)")
    for e in gone:
        print(f"gone (remove it from {os.path.basename(ALLOWED)}): {e}")
    for e in new:
        print(f"NEW back edge (a cycle between layers): {e}")
    sys.exit(1 if new else 0)


if __name__ == "__main__":
    main()
