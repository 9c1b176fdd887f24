#!/usr/bin/env python3
"""table_columns.py - the Table column definitions of the built-in kinds
(what `kubectl get` shows), read from kube-apiserver 1.20's own
pkg/printers/internalversion/printers.go: every `xColumnDefinitions :=
[]metav1.TableColumnDefinition{...}` list of AddHandlers, with the appends
that follow it (those behind a feature gate only when the gate is on by
default in 1.20). A Description is a Go string literal or
`alias.Type{}[.Field].SwaggerDoc()["field"]`, resolved through the file's
import aliases to that swagger.json definition's property description (a
field the type lacks is "", as a Go map lookup is). A type 1.20 no longer
serves (extensions/v1beta1's Deployment, ReplicaSet, DaemonSet, NetworkPolicy: printers.go
still quotes them) has no definition there: its text comes from where
SwaggerDoc() itself reads it, the package's types_swagger_doc_generated.go.

Writes table_columns.h and table_columns.c into OUT: one array of struct
table_col (server/views/table_impl.h) per list, named printer_cols_<list>
(podColumnDefinitions -> printer_cols_pod), sized in the header so
TABLE_PRINTER can count it, and ObjectMeta's name and creationTimestamp
descriptions (the Name and Age columns of every other printer).
kube-aggregator's APIService columns (its REST storage's ConvertToTable, not
in printers.go) are read the same way into printer_cols_apiservice.
Usage: table_columns.py --printers printers.go --aggregator etcd.go --swagger swagger.json
                        --go-api DIR (k8s.io/... Go packages) --out DIR"""
import argparse
import json
import os
import re

# The feature gates printers.go asks about, at their Kubernetes 1.20 defaults
# (pkg/features/kube_features.go); an unknown gate stops the build.
GATES_1_20 = {"CSIStorageCapacity": False, "CSIServiceAccountToken": False}

GO_STRING = r'"(?:[^"\\]|\\.)*"|`[^`]*`'
SWAGGER_DOC = r'(\w+)\.(\w+)\{\}((?:\.\w+)*)\.SwaggerDoc\(\)\["(\w*)"\]'
DOC_VAR = r'(\w+)\["(\w*)"\]'  # a key of `var v = alias.Type{}.SwaggerDoc()`
FIELD = re.compile(r'\b(Name|Type|Format|Priority|Description):\s*(' + GO_STRING + r'|-?\d+|' + SWAGGER_DOC + "|" +
                   DOC_VAR + r')')


def go_string(literal):
    """The value of a Go string literal ("interpreted", whose escapes JSON shares, or `raw`)."""
    return literal[1:-1] if literal.startswith("`") else json.loads(literal)


def go_imports(src):
    """alias -> Go import path, from the file's import block."""
    block = re.search(r'^import \((.*?)^\)', src, re.S | re.M).group(1)
    out = {}
    for alias, path in re.findall(r'^\s*(\w+\s+)?"([^"]+)"\s*$', block, re.M):
        out[alias.strip() or path.rsplit("/", 1)[-1]] = path
    return out


def definition_prefix(path):
    """The swagger.json definition prefix of a Go API package, None for internal ones."""
    m = re.fullmatch(r'k8s\.io/api/(\w+)/(\w+)', path)
    if m:
        return f"io.k8s.api.{m.group(1)}.{m.group(2)}"
    if path.startswith("k8s.io/apimachinery/pkg/apis/"):
        return "io.k8s." + path[len("k8s.io/"):].replace("/", ".")
    return None


def go_swagger_docs(path):
    """{Go type: {field: text}} of a types_swagger_doc_generated.go."""
    docs = {}
    for name, body in re.findall(r'^var map_(\w+) = map\[string\]string\{\n(.*?)^\}', open(path).read(), re.S | re.M):
        docs[name] = {k: go_string(v) for k, v in re.findall(r'^\s*"(\w*)":\s*(' + GO_STRING + r'),$', body, re.M)}
    return docs


class Resolver:
    """Descriptions as one Go file's expressions name them (its imports and SwaggerDoc variables)."""

    def __init__(self, src, definitions, go_api):
        self.imports, self.defs, self.go_api = go_imports(src), definitions, go_api
        self.doc_vars = {v: (a, t) for v, a, t in re.findall(r'^var (\w+) = (\w+)\.(\w+)\{\}\.SwaggerDoc\(\)$', src, re.M)}

    def go_doc(self, path, type_name, key):
        """SwaggerDoc()[key] from the Go package itself."""
        docs = go_swagger_docs(os.path.join(self.go_api, path, "types_swagger_doc_generated.go"))
        if type_name not in docs:
            raise SystemExit(f"table_columns: no SwaggerDoc for {path}.{type_name}")
        return docs[type_name].get(key, "")

    def definition(self, name):
        if name not in self.defs:
            raise SystemExit(f"table_columns: no swagger definition {name}")
        return self.defs[name]

    def swagger_doc(self, alias, type_name, fields, key):
        path = self.imports.get(alias, "")
        prefix = definition_prefix(path)
        if not prefix:
            raise SystemExit(f"table_columns: {alias}.{type_name} is not a versioned API type")
        if f"{prefix}.{type_name}" not in self.defs and not fields:
            return self.go_doc(path, type_name, key)
        d = self.definition(f"{prefix}.{type_name}")
        for f in filter(None, fields.split(".")):  # T{}.Field.SwaggerDoc(): the field's own type
            prop = d.get("properties", {}).get(f[0].lower() + f[1:], {})
            ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
            if not ref:
                raise SystemExit(f"table_columns: {alias}.{type_name}.{f} has no definition")
            d = self.definition(ref.rsplit("/", 1)[1])
        return d.get("properties", {}).get(key, {}).get("description", "")

    def value(self, m):
        text = m.group(2)
        if m.group(3):
            return self.swagger_doc(m.group(3), m.group(4), m.group(5), m.group(6))
        if m.group(7):
            if m.group(7) not in self.doc_vars:
                raise SystemExit(f"table_columns: {m.group(7)} is not a SwaggerDoc() variable")
            return self.swagger_doc(*self.doc_vars[m.group(7)], "", m.group(8))
        return int(text) if text[0] not in "\"`" else go_string(text)


def columns(block, resolver):
    """The column definitions written in a list literal's text, in order."""
    cols = []
    for m in FIELD.finditer(block):
        if m.group(1) == "Name":
            cols.append({"Name": "", "Type": "", "Format": "", "Priority": 0, "Description": ""})
        cols[-1][m.group(1)] = resolver.value(m)
    if not cols or any(not c["Type"] for c in cols):
        raise SystemExit(f"table_columns: cannot read the columns of {block.strip()[:80]!r}")
    return cols


def column_lists(src, resolver):
    """{list variable: [column]} in printers.go's order."""
    body = re.search(r'^func AddHandlers\(.*?\n(.*?)^\}', src, re.S | re.M).group(1)
    lists, gates, read = {}, [], 0  # gates: (indent, on) of the open feature-gate blocks
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = re.match(r'\s*', line).group(0)
        gate = re.match(r'\s*if utilfeature\.DefaultFeatureGate\.Enabled\(features\.(\w+)\) \{$', line)
        start = re.match(r'\s*(\w+) (:=|= append\(\1,) (?:\[\])?metav1\.TableColumnDefinition\{', line)
        if gate:
            if gate.group(1) not in GATES_1_20:
                raise SystemExit(f"table_columns: feature gate {gate.group(1)}'s 1.20 default is not known")
            gates.append((indent, GATES_1_20[gate.group(1)]))
        elif gates and line == gates[-1][0] + "}":
            gates.pop()
        elif start:
            if not line.endswith("{"):
                raise SystemExit(f"table_columns: cannot read {line.strip()!r}")
            j = i + 1
            while not lines[j].startswith(indent + "}"):
                j += 1
            block, name = "\n".join(lines[i + 1:j]), start.group(1)
            read += 1
            if start.group(2) == ":=":
                lists[name] = columns(block, resolver)
            elif name not in lists:
                raise SystemExit(f"table_columns: append to unknown list {name}")
            elif all(on for _, on in gates):
                lists[name] += columns(block, resolver)
            i = j
        i += 1
    if read != body.count("TableColumnDefinition{"):  # a list written some other way
        raise SystemExit(f"table_columns: read {read} of {body.count('TableColumnDefinition{')} column lists")
    return lists


def table_literal(src, resolver):
    """The columns of the one `ColumnDefinitions: []metav1.TableColumnDefinition{...}` of a
    ConvertToTable (kube-aggregator's APIService storage)."""
    m = re.search(r'^(\s*)ColumnDefinitions: \[\]metav1\.TableColumnDefinition\{\n(.*?)^\1\}', src, re.S | re.M)
    if not m or src.count("TableColumnDefinition{") != 1:
        raise SystemExit("table_columns: no single ColumnDefinitions literal")
    return columns(m.group(2), resolver)


def c_name(var):
    """podColumnDefinitions -> pod, networkPolicyColumnDefinitioins -> network_policy."""
    stem = re.sub(r'ColumnDefinit\w*$', "", var)
    return re.sub(r'(?<!^)([A-Z])', r'_\1', stem).lower()


def c_string(s):
    return json.dumps(s, ensure_ascii=False)


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def generate(printers, aggregator, swagger, go_api, out):
    src = open(printers).read()
    definitions = json.load(open(swagger))["definitions"]
    lists = {c_name(var): (var, cols) for var, cols in column_lists(src, Resolver(src, definitions, go_api)).items()}
    src = open(aggregator).read()
    lists["apiservice"] = ("kube-aggregator's APIService ConvertToTable", table_literal(src, Resolver(src, definitions, go_api)))
    meta = definitions["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
    head = ["/* table_columns.h - generated by api-spec/table_columns.py from Kubernetes 1.20's",
            " * pkg/printers/internalversion/printers.go, kube-aggregator's APIService storage and",
            " * swagger.json: one Table column list per printers.go list (printer_cols_<list>) and",
            " * printer_cols_apiservice, each sized so TABLE_PRINTER can count it. */",
            "#ifndef CKUBE_TABLE_COLUMNS_H", "#define CKUBE_TABLE_COLUMNS_H", '#include "table_impl.h"', "",
            "/* ObjectMeta's swagger descriptions of name and creationTimestamp. */",
            "extern const char printer_doc_name[], printer_doc_creation_timestamp[];"]
    body = ["/* table_columns.c - generated by api-spec/table_columns.py: see table_columns.h. */",
            '#include "table_columns.h"', "",
            f"const char printer_doc_name[] = {c_string(meta['name']['description'])};",
            f"const char printer_doc_creation_timestamp[] = {c_string(meta['creationTimestamp']['description'])};"]
    for cname, (origin, cols) in lists.items():
        name = f"printer_cols_{cname}[{len(cols)}]"
        head.append(f"extern const struct table_col {name}; /* {origin} */")
        body += ["", f"const struct table_col {name} = {{"]
        for c in cols:
            fields = ", ".join(c_string(c[k]) for k in ("Name", "Type", "Format", "Description"))
            body.append(f"    {{{fields}, {c['Priority']}}},")
        body.append("};")
    head += ["", "#endif"]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "table_columns.h"), "\n".join(head) + "\n")
    write(os.path.join(out, "table_columns.c"), "\n".join(body) + "\n")
    return lists


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--printers", required=True)
    ap.add_argument("--aggregator", required=True, help="kube-aggregator's pkg/registry/apiservice/etcd/etcd.go")
    ap.add_argument("--swagger", required=True)
    ap.add_argument("--go-api", required=True, help="directory holding k8s.io/api/<group>/<version>/")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lists = generate(a.printers, a.aggregator, a.swagger, a.go_api, a.out)
    print(f"table_columns: {len(lists)} column lists, {sum(len(cols) for _, cols in lists.values())} columns")


if __name__ == "__main__":
    main()
