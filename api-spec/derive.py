"""derive.py - applies derived.yaml: copies the definitions and paths of an
older API version of a kind to a newer version that Kubernetes 1.20 does not
have yet (autoscaling/v2, batch/v1 CronJob, discovery/v1, policy/v1), with
$refs, x-kubernetes-group-version-kind and operation ids rewritten."""
import copy
import json
import re


def _rewrite(obj, old_prefix, new_prefix, names, old_version, new_version, group):
    """Deep-rewrites refs to copied definitions and group-version-kind tags."""
    text = json.dumps(obj)
    for n in names:
        text = text.replace(f'"#/definitions/{old_prefix}.{n}"', f'"#/definitions/{new_prefix}.{n}"')
    out = json.loads(text)

    def walk(o):
        if isinstance(o, dict):
            gvks = o.get("x-kubernetes-group-version-kind")
            if isinstance(gvks, list):
                for g in gvks:
                    if g.get("group") == group and g.get("version") == old_version:
                        g["version"] = new_version
            elif isinstance(gvks, dict) and gvks.get("group") == group and gvks.get("version") == old_version:
                gvks["version"] = new_version
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(out)
    return out


def apply(swagger, rules):
    defs = swagger["definitions"]
    for rule in rules:
        src, dst = rule["from"], rule["to"]
        kinds = rule.get("kinds") or sorted(n[len(src) + 1:] for n in defs if n.startswith(src + ".")
                                            and "." not in n[len(src) + 1:])
        for k in kinds:
            d = _rewrite(defs[f"{src}.{k}"], src, dst, kinds, rule["from_version"], rule["version"], rule["group"])
            defs[f"{dst}.{k}"] = d
        for name, props in (rule.get("rename") or {}).items():
            p = defs[name].setdefault("properties", {})
            for old, new in props.items():
                if old in p:
                    p[new] = p.pop(old)
        for name, props in (rule.get("add") or {}).items():
            defs[name].setdefault("properties", {}).update(copy.deepcopy(props))
        # paths: every path of the old group-version whose operations return a copied kind
        old_base = f"/apis/{rule['group']}/{rule['from_version']}/"
        new_base = f"/apis/{rule['group']}/{rule['version']}/"
        kind_names = set(kinds)
        for path, item in list(swagger["paths"].items()):
            if not path.startswith(old_base):
                continue
            gvk_kinds = {op.get("x-kubernetes-group-version-kind", {}).get("kind")
                         for op in item.values() if isinstance(op, dict)}
            if not (gvk_kinds & kind_names) and path != old_base:
                continue
            new_path = new_base + path[len(old_base):]
            if new_path in swagger["paths"]:
                continue
            ni = _rewrite(item, src, dst, kinds, rule["from_version"], rule["version"], rule["group"])
            camel_old = re.sub(r"[^A-Za-z0-9]", "", rule["group"].split(".")[0].title()) + rule["from_version"].title()
            camel_new = re.sub(r"[^A-Za-z0-9]", "", rule["group"].split(".")[0].title()) + rule["version"].title()
            for op in ni.values():
                if isinstance(op, dict) and "operationId" in op:
                    op["operationId"] = op["operationId"].replace(camel_old, camel_new)
                    op["tags"] = [t.replace(rule["from_version"], rule["version"]) for t in op.get("tags", [])]
            swagger["paths"][new_path] = ni
    return swagger
