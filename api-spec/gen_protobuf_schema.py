#!/usr/bin/env python3
"""gen_protobuf_schema.py OUT.json - the table lib/k8s_protobuf.c decodes
Kubernetes protobuf request bodies with (embedded as "protobuf-schema.json").

Inputs ($CKUBE_K8S_API, default ~/.cache/ckube/k8s-api): proto/k8s.io/**/
generated.proto (compiled with protoc into a FileDescriptorSet, read here by a
small wire-format reader so no Python protobuf package is needed), the Go
types.go next to them (json tags: omitempty, pointers, inline members, Go
field order) and swagger.json (x-kubernetes-group-version-kind).

Output: {"kinds": {"apps/v1/Deployment": "k8s.io.api.apps.v1.Deployment",
"DeleteOptions": <meta message, any apiVersion>, ...}, "lists": [messages
whose Go type is a slice, e.g. ExtraValue], "msgs": {FQN: [[number,
jsonName, type, flags(, goName(, goSliceType))], ...]}} where type is a scalar name
("string", "int64", ...), a message FQN, or [keyType, valueType] for maps;
flags: 1 omitempty, 2 Go pointer, 4 inline, 8 json:"-", 16 repeated.
goName is present only when it is not jsonName with its first letter
upper-cased (it appears in decode errors, like Go's generated code), or
null when only goSliceType follows: the name reflect gives a slice field's
Go type ("[]v1.Container"), which json-iterator's decode errors print."""
import json
import os
import re
import subprocess
import sys
import tempfile

F_OMITEMPTY, F_POINTER, F_INLINE, F_SKIP, F_REPEATED = 1, 2, 4, 8, 16

SCALARS = {1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32",
           6: "fixed64", 7: "fixed32", 8: "bool", 9: "string", 12: "bytes",
           13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32",
           18: "sint64", 14: "int32"}  # 14: enum, decoded as its number
TYPE_MESSAGE = 11

GROUPS = {"core": "", "apps": "apps", "rbac": "rbac.authorization.k8s.io",
          "networking": "networking.k8s.io", "storage": "storage.k8s.io",
          "coordination": "coordination.k8s.io",
          "certificates": "certificates.k8s.io",
          "discovery": "discovery.k8s.io", "events": "events.k8s.io",
          "scheduling": "scheduling.k8s.io", "node": "node.k8s.io",
          "policy": "policy", "batch": "batch", "autoscaling": "autoscaling",
          "extensions": "extensions",
          "admissionregistration": "admissionregistration.k8s.io",
          "admission": "admission.k8s.io",
          "authentication": "authentication.k8s.io",
          "authorization": "authorization.k8s.io",
          "flowcontrol": "flowcontrol.apiserver.k8s.io",
          "apiserverinternal": "internal.apiserver.k8s.io",
          "imagepolicy": "imagepolicy.k8s.io"}


# ---- a minimal protobuf wire reader, enough for descriptor.proto ----------

def read_varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7


def fields_of(b):
    """Yields (number, value) for a message; value is int or bytes."""
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, v


def parse_field(b):
    f = {"label": 1, "type_name": ""}
    for num, v in fields_of(b):
        if num == 1:
            f["name"] = v.decode()
        elif num == 3:
            f["number"] = v
        elif num == 4:
            f["label"] = v
        elif num == 5:
            f["type"] = v
        elif num == 6:
            f["type_name"] = v.decode().lstrip(".")
    return f


def parse_message(b, prefix, out):
    name, fields, nested, map_entry = None, [], [], False
    for num, v in fields_of(b):
        if num == 1:
            name = v.decode()
        elif num == 2:
            fields.append(parse_field(v))
        elif num == 3:
            nested.append(v)
        elif num == 7:
            for onum, ov in fields_of(v):
                if onum == 7:
                    map_entry = bool(ov)
    fqn = prefix + "." + name
    out[fqn] = {"fields": fields, "map_entry": map_entry}
    for n in nested:
        parse_message(n, fqn, out)


def load_descriptors(proto_root):
    files = []
    for d, _, names in os.walk(proto_root):
        for n in names:
            if n == "generated.proto" and "testapigroup" not in d:
                files.append(os.path.relpath(os.path.join(d, n), proto_root))
    files.sort()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        subprocess.run(["protoc", "-I", proto_root, "--include_imports",
                        "--descriptor_set_out=" + out] + files, check=True,
                       stderr=subprocess.DEVNULL)
        with open(out, "rb") as f:
            data = f.read()
    msgs, pkg_dirs = {}, {}
    for num, fb in fields_of(data):
        if num != 1:
            continue
        fname = pkg = ""
        raw_msgs = []
        for fnum, v in fields_of(fb):
            if fnum == 1:
                fname = v.decode()
            elif fnum == 2:
                pkg = v.decode()
            elif fnum == 4:
                raw_msgs.append(v)
        pkg_dirs[pkg] = os.path.dirname(fname)
        for m in raw_msgs:
            parse_message(m, pkg, msgs)
    return msgs, pkg_dirs


# ---- Go types.go: struct tags ------------------------------------------------

FIELD_RE = re.compile(r'^\s*(?:([A-Za-z_]\w*)\s+)?([\w\.\*\[\]]+)\s+`([^`]*)`')
TAG_RE = re.compile(r'(\w+):"([^"]*)"')
OBJECT_MARKER = "+k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object"


def parse_go(path):
    """Returns (structs, slice_types, object_types): structs maps a Go type
    name to a list of field dicts in declaration order."""
    structs, slices, objects = {}, set(), set()
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError:
        return structs, slices, objects
    comment = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^type (\w+) struct \{', line)
        if m:
            name, fields = m.group(1), []
            if any(OBJECT_MARKER in c for c in comment):
                objects.add(name)
            i += 1
            while i < len(lines) and not lines[i].startswith("}"):
                fm = FIELD_RE.match(lines[i])
                if fm:
                    tags = dict(TAG_RE.findall(fm.group(3)))
                    gotype = fm.group(2)
                    goname = fm.group(1) or gotype.lstrip("*").split(".")[-1]
                    fields.append({"go": goname, "type": gotype,
                                   "json": tags.get("json"),
                                   "pb": tags.get("protobuf")})
                i += 1
            structs[name] = fields
            comment = []
        elif re.match(r'^type (\w+) \[\]', line):
            slices.add(re.match(r'^type (\w+)', line).group(1))
            comment = []
        elif line.startswith("//"):
            comment.append(line)
        elif not line.strip():
            pass
        else:
            comment = []
        i += 1
    return structs, slices, objects


GO_BUILTINS = {"string", "bool", "byte", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
               "uint32", "uint64", "float32", "float64"}


def go_imports(path):
    """Maps each import name of a Go file to its package's name (the last
    path element): metav1 -> v1, resource -> resource."""
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return out
    for alias, imp in re.findall(r'^\s*(?:import\s+)?(\w+\s+)?"([\w\./-]+)"\s*$', text, re.M):
        last = imp.rsplit("/", 1)[-1]
        out[(alias.strip() or last)] = last
    return out


def go_slice_type(gotype, own_pkg, imports):
    """The name reflect gives a Go slice type ("[]Container" in package v1 ->
    "[]v1.Container"), as json-iterator's errors print it; None for
    non-slices and []byte."""
    if not gotype.startswith("[]") or gotype == "[]byte":
        return None
    elem = gotype[2:]
    star = "*" if elem.startswith("*") else ""
    elem = elem.lstrip("*")
    if "." in elem:
        alias, name = elem.split(".", 1)
        elem = imports.get(alias, alias) + "." + name
    elif elem not in GO_BUILTINS:
        elem = own_pkg + "." + elem
    return "[]" + star + elem


def pb_number(tag):
    parts = tag.split(",")
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


def scalar_or_msg(f):
    if f["type"] == TYPE_MESSAGE:
        return f["type_name"]
    return SCALARS.get(f["type"], "int32")


def build(api_root):
    proto_root = os.path.join(api_root, "proto")
    msgs, pkg_dirs = load_descriptors(proto_root)
    go, go_pkg = {}, {}
    for pkg, d in pkg_dirs.items():
        structs, slices, objects, imports = {}, set(), set(), {}
        for gofile in ("types.go", "time.go", "micro_time.go"):
            s, sl, ob = parse_go(os.path.join(proto_root, d, gofile))
            structs.update(s)
            slices |= sl
            objects |= ob
            imports.update(go_imports(os.path.join(proto_root, d, gofile)))
        go[pkg] = (structs, slices, objects)
        go_pkg[pkg] = (d.rstrip("/").rsplit("/", 1)[-1], imports)

    out_msgs, lists = {}, []
    for fqn, m in sorted(msgs.items()):
        if m["map_entry"]:
            continue
        pkg, _, name = fqn.rpartition(".")
        structs, slices, _ = go.get(pkg, ({}, set(), set()))
        if name in slices and [f["name"] for f in m["fields"]] == ["items"]:
            lists.append(fqn)
        gofields = {}
        order = {}
        for idx, gf in enumerate(structs.get(name, [])):
            if gf["pb"]:
                n = pb_number(gf["pb"])
                if n is not None:
                    gofields[n] = gf
                    order[n] = idx
        rows = []
        for f in m["fields"]:
            flags = 0
            typ = scalar_or_msg(f)
            entry = msgs.get(f["type_name"]) if f["type"] == TYPE_MESSAGE else None
            if entry and entry["map_entry"]:
                kv = {x["number"]: scalar_or_msg(x) for x in entry["fields"]}
                typ = [kv.get(1, "string"), kv.get(2, "string")]
            elif f["label"] == 3:
                flags |= F_REPEATED
            jname, goname, slicetype = f["name"], None, None
            gf = gofields.get(f["number"])
            if gf is not None:
                goname = gf["go"]
                jtag = gf["json"]
                if jtag is None:
                    jname = goname  # Go's default: the field name
                elif jtag == "-":
                    flags |= F_SKIP
                else:
                    parts = jtag.split(",")
                    if parts[0]:
                        jname = parts[0]
                    if "omitempty" in parts[1:]:
                        flags |= F_OMITEMPTY
                    if "inline" in parts[1:] and not parts[0]:
                        flags |= F_INLINE
                if gf["type"].startswith("*"):
                    flags |= F_POINTER
                own, imports = go_pkg.get(pkg, ("", {}))
                slicetype = go_slice_type(gf["type"], own, imports)
            else:
                # No Go struct seen (e.g. meta/v1 types outside types.go):
                # the generated Go code of those all uses omitempty.
                flags |= F_OMITEMPTY
                goname = f["name"][:1].upper() + f["name"][1:]
            row = [f["number"], jname, typ, flags]
            if goname and goname != jname[:1].upper() + jname[1:]:
                row.append(goname)
            if slicetype:
                row += [None] * (5 - len(row)) + [slicetype]
            rows.append((order.get(f["number"], 1000 + len(rows)), row))
        rows.sort(key=lambda r: r[0])
        out_msgs[fqn] = [r for _, r in rows]

    kinds = {}
    with open(os.path.join(api_root, "swagger.json"), encoding="utf-8") as f:
        swagger = json.load(f)
    for dname, d in swagger.get("definitions", {}).items():
        if not dname.startswith("io.k8s."):
            continue
        fqn = "k8s.io." + dname[len("io.k8s."):]
        if fqn not in out_msgs:
            continue
        gvks = d.get("x-kubernetes-group-version-kind", [])
        for gvk in gvks:
            gv = (gvk["group"] + "/" if gvk["group"] else "") + gvk["version"]
            kinds[gv + "/" + gvk["kind"]] = fqn
        if fqn.startswith("k8s.io.apimachinery.pkg.apis.meta.v1.") and len(gvks) > 1:
            kinds[gvks[0]["kind"]] = fqn  # e.g. DeleteOptions: any apiVersion
    # Kinds swagger does not list (review types, alpha groups): runtime.Object
    # structs of k8s.io.api.<group>.<version>.
    for pkg, (_, _, objects) in go.items():
        p = pkg.split(".")
        if len(p) != 5 or p[:3] != ["k8s", "io", "api"] or p[3] not in GROUPS:
            continue
        group = GROUPS[p[3]]
        gv = (group + "/" if group else "") + p[4]
        for kind in objects:
            if pkg + "." + kind in out_msgs:
                kinds.setdefault(gv + "/" + kind, pkg + "." + kind)
    return {"kinds": dict(sorted(kinds.items())), "lists": sorted(lists),
            "msgs": out_msgs}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_protobuf_schema.py OUT.json\n")
        return 2
    api_root = os.environ.get("CKUBE_K8S_API",
                              os.path.expanduser("~/.cache/ckube/k8s-api"))
    schema = build(api_root)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(schema, f, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    os.replace(tmp, sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
