#!/usr/bin/env python3
"""check_cycles.py - fails on a new file-level dependency cycle between
server/, controller_runtime/ and controllers/.

Reads the object files of ckube_server, ckube_crd_controller (server/crd_controller.c, built
apart), ckube_controller_runtime and ckube_controllers (nm: which file defines and which
uses each global symbol), draws an edge A -> B when A uses a symbol B
defines, and finds the strongly connected components (files that reach each
other). An edge between a server/ file and a controllers/ file inside such a
component (two different folders) is a cross-layer cycle; every one must be listed in
tests/layers/cycles-allowed.txt (the ones that exist today, to be removed as
the controller runtime moves controllers onto the API core), so a new one
fails the test run. Usage: check_cycles.py BUILD_DIR [--update]"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALLOWED = os.path.join(HERE, "cycles-allowed.txt")


def objects(build):
    for layer, target in (("server", "ckube_server"), ("server", "ckube_crd_controller"),
                          ("controller_runtime", "ckube_controller_runtime"), ("controllers", "ckube_controllers")):
        d = os.path.join(build, "CMakeFiles", f"{target}.dir", layer)
        for f in sorted(os.listdir(d)):
            if f.endswith(".c.o"):
                yield f"{layer}/{f[:-2]}", os.path.join(d, f)


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


def components(nodes, edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                comps.append(comp)
    return comps


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build, update = sys.argv[1], "--update" in sys.argv[2:]
    files = dict(objects(build))
    defs, uses = {}, {}
    for name, path in files.items():
        d, u = symbols(path)
        uses[name] = u
        for s in d:
            defs.setdefault(s, name)
    edges = {n: {defs[s] for s in uses[n] if s in defs and defs[s] != n} for n in files}
    comp_of = {}
    for c in components(sorted(files), edges):
        for n in c:
            comp_of[n] = id(c)
    layer = lambda n: n.split("/", 1)[0]
    found = sorted(f"{a} -> {b}" for a in files for b in edges[a]
                   if layer(a) != layer(b) and comp_of[a] == comp_of[b])
    if update:
        with open(ALLOWED, "w") as f:
            f.write("# cross-layer edges inside today's server/<->controllers/ cycles (check_cycles.py --update)\n")
            f.write("".join(e + "\n" for e in found))
        print(f"{len(found)} edges written to {ALLOWED}")
        return
    allowed = {l.strip() for l in open(ALLOWED) if l.strip() and not l.startswith("#")}
    new = [e for e in found if e not in allowed]
    gone = sorted(allowed - set(found))
    print(f"{len(files)} files, {len(found)} cross-layer edges in cycles ({len(allowed)} allowed)")
    for e in gone:
        print(f"gone (remove it from {os.path.basename(ALLOWED)}): {e}")
    for e in new:
        print(f"NEW cross-layer cycle edge: {e}")
    sys.exit(1 if new else 0)


if __name__ == "__main__":
    main()
