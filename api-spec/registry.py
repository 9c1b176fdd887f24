"""registry.py - builds registry.json, the server's resource table, from the
swagger paths (kind, scope, verbs, subresource kinds and verbs) and our
resources.yaml (served set, short names, categories, storage sharing)."""

ACTIONS = {"get": "get", "list": "list", "watch": "watch", "watchlist": "watch", "post": "create",
           "put": "update", "patch": "patch", "delete": "delete", "deletecollection": "deletecollection"}


def _gvk_of(item):
    for op in item.values():
        if isinstance(op, dict) and "x-kubernetes-group-version-kind" in op:
            return op["x-kubernetes-group-version-kind"]
    return None


def _actions(item):
    return {ACTIONS[op["x-kubernetes-action"]] for op in item.values()
            if isinstance(op, dict) and op.get("x-kubernetes-action") in ACTIONS}


def _definition_for(defs, gvk):
    for name, d in defs.items():
        for g in d.get("x-kubernetes-group-version-kind", []):
            if g == gvk:
                return name
    raise KeyError(f"no definition for {gvk}")


def build(swagger, spec):
    paths, defs = swagger["paths"], swagger["definitions"]
    groups, resources = [], []
    for g in spec["groups"]:
        name = g["name"]
        versions = list(g["versions"].keys())
        groups.append({"name": name, "versions": versions, "preferredVersion": versions[0]})
        for version, plurals in g["versions"].items():
            base = "/api/v1" if not name else f"/apis/{name}/{version}"
            for plural in sorted(plurals):
                extra = plurals[plural] or {}
                ns_path, cl_path = f"{base}/namespaces/{{namespace}}/{plural}", f"{base}/{plural}"
                namespaced = ns_path in paths or f"{ns_path}/{{name}}" in paths
                own = ns_path if namespaced else cl_path
                items = [paths[p] for p in (own, own + "/{name}") if p in paths]
                if namespaced and cl_path in paths:
                    items.append(paths[cl_path])  # the all-namespaces list/watch
                watch_paths = [f"{base}/watch/{plural}", f"{base}/watch/namespaces/{{namespace}}/{plural}"]
                items += [paths[p] for p in watch_paths if p in paths]
                if not items:
                    raise KeyError(f"{base}/{plural} is not in swagger.json")
                gvk = next(filter(None, (_gvk_of(i) for i in items)))
                verbs = set()
                for i in items:
                    verbs |= _actions(i)
                subs = []
                for sub in sorted(extra.get("sub", [])):
                    sp = paths.get(f"{own}/{{name}}/{sub}")
                    if sp is None:
                        continue
                    sg = _gvk_of(sp) or gvk
                    subs.append({"name": sub, "group": sg["group"], "version": sg["version"], "kind": sg["kind"],
                                 "verbs": sorted(_actions(sp))})
                kind = gvk["kind"]
                resources.append({
                    "group": name, "version": version, "kind": kind, "listKind": kind + "List",
                    "plural": plural, "singular": kind.lower(), "namespaced": namespaced,
                    "verbs": sorted(verbs), "shortNames": extra.get("short", []),
                    "categories": extra.get("cat", []), "definition": _definition_for(defs, gvk),
                    "storage": extra.get("storage", f"{name or 'core'}/{plural}"),
                    "storageVersion": extra.get("storage_gv") or
                    ((name + "/" if name else "") + extra.get("storage_version", version)),
                    "subresources": subs})
                if "hash_version" in extra:
                    resources[-1]["hashVersion"] = extra["hash_version"]
    return {"groups": groups, "resources": resources}
