"""openapi.py - the OpenAPI documents the server serves: /openapi/v2 as JSON
and as gnostic's OpenAPIv2 protobuf (what kubectl 1.20 downloads for explain
and validation), and /openapi/v3 (an index plus one OpenAPI 3.0 document per
group-version, what newer kubectl reads)."""
import copy
import hashlib
import json
import re

import yaml


def served_paths(swagger, registry):
    """Paths of the served group-versions and resources (plus their watch paths)."""
    prefixes = set()
    for r in registry["resources"]:
        base = "/api/v1" if not r["group"] else f"/apis/{r['group']}/{r['version']}"
        prefixes.add((base, r["plural"]))
    out = {}
    for path, item in swagger["paths"].items():
        for base, plural in prefixes:
            if not path.startswith(base + "/"):
                continue
            rest = path[len(base) + 1:].split("/")
            rest = [p for p in rest if p not in ("watch",)]
            if rest[:1] == ["namespaces"] and len(rest) >= 3 and rest[1] == "{namespace}":
                rest = rest[2:]
            if rest[:1] == [plural] or (plural == "namespaces" and rest[:1] == ["namespaces"]):
                out[path] = item
                break
    return dict(sorted(out.items()))


def referenced(defs, roots):
    seen, todo = set(), list(roots)
    while todo:
        n = todo.pop()
        if n in seen or n not in defs:
            continue
        seen.add(n)
        for ref in re.findall(r'"#/definitions/([^"]+)"', json.dumps(defs[n])):
            todo.append(ref)
    return seen


def v2_document(swagger, registry):
    paths = served_paths(swagger, registry)
    roots = set(re.findall(r'"#/definitions/([^"]+)"', json.dumps(paths)))
    roots |= {n for n in swagger["definitions"] if n.startswith("io.k8s.apimachinery.pkg.apis.meta.v1.")}
    roots |= {r["definition"] for r in registry["resources"]}
    names = referenced(swagger["definitions"], roots)
    doc = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.20.2"}, "paths": paths,
           "definitions": {n: swagger["definitions"][n] for n in sorted(names)}}
    for k in ("securityDefinitions", "security"):
        if k in swagger:
            doc[k] = swagger[k]
    return doc


# ---- gnostic protobuf ---------------------------------------------------

def _yaml(v):
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=False)


def to_proto(pb, v2):
    """Builds openapi.v2.Document from the JSON document the way gnostic's
    compiler reads one (x-* keys become vendor extensions holding YAML)."""
    M = pb

    def any_(v):
        return M.Any(yaml=_yaml(v))

    def ext(msg, obj):
        for k, v in obj.items():
            if k.startswith("x-"):
                msg.vendor_extension.add(name=k, value=any_(v))

    def schema(s):
        m = M.Schema()
        for k, v in s.items():
            if k == "$ref":
                m._ref = v
            elif k in ("format", "title", "description", "pattern", "discriminator"):
                setattr(m, k, v)
            elif k == "type":
                m.type.value.extend(v if isinstance(v, list) else [v])
            elif k == "items":
                for it in (v if isinstance(v, list) else [v]):
                    m.items.schema.append(schema(it))
            elif k == "properties":
                for pn, ps in v.items():
                    m.properties.additional_properties.add(name=pn, value=schema(ps))
            elif k == "additionalProperties":
                if isinstance(v, bool):
                    m.additional_properties.boolean = v
                else:
                    m.additional_properties.schema.CopyFrom(schema(v))
            elif k == "allOf":
                for a in v:
                    m.all_of.append(schema(a))
            elif k == "required":
                m.required.extend(v)
            elif k == "enum":
                for e in v:
                    m.enum.append(any_(e))
            elif k in ("default", "example"):
                getattr(m, k).CopyFrom(any_(v))
            elif k in ("readOnly", "uniqueItems", "exclusiveMaximum", "exclusiveMinimum"):
                setattr(m, re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), k), bool(v))
            elif k in ("maximum", "minimum", "multipleOf"):
                setattr(m, re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), k), float(v))
            elif k in ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"):
                setattr(m, re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), k), int(v))
        ext(m, s)
        return m

    def primitive_fields(m, p):
        for k, v in p.items():
            if k in ("type", "format", "collectionFormat", "pattern", "description", "name", "in"):
                f = re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), k)
                if hasattr(m, f):
                    setattr(m, f, v)
            elif k in ("required", "uniqueItems", "allowEmptyValue") and hasattr(m, re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), k)):
                setattr(m, re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), k), bool(v))
            elif k == "default":
                m.default.CopyFrom(any_(v))
            elif k == "enum":
                for e in v:
                    m.enum.append(any_(e))
            elif k == "items" and hasattr(m, "items"):
                primitive_fields(m.items, v)
        ext(m, p)

    def parameter(p):
        item = M.ParametersItem()
        if "$ref" in p:
            item.json_reference._ref = p["$ref"]
            return item
        if p.get("in") == "body":
            b = item.parameter.body_parameter
            for k in ("description", "name", "in"):
                if k in p:
                    setattr(b, k, p[k])
            b.required = bool(p.get("required", False))
            if "schema" in p:
                b.schema.CopyFrom(schema(p["schema"]))
            ext(b, p)
            return item
        sub = {"query": "query_parameter_sub_schema", "path": "path_parameter_sub_schema",
               "header": "header_parameter_sub_schema", "formData": "form_data_parameter_sub_schema"}[p["in"]]
        primitive_fields(getattr(item.parameter.non_body_parameter, sub), p)
        return item

    def operation(o):
        m = M.Operation()
        for k in ("summary", "description"):
            if k in o:
                setattr(m, k, o[k])
        if "operationId" in o:
            m.operation_id = o["operationId"]
        m.tags.extend(o.get("tags", []))
        m.produces.extend(o.get("produces", []))
        m.consumes.extend(o.get("consumes", []))
        m.schemes.extend(o.get("schemes", []))
        for p in o.get("parameters", []):
            m.parameters.append(parameter(p))
        for code, r in o.get("responses", {}).items():
            rv = M.ResponseValue()
            if "$ref" in r:
                rv.json_reference._ref = r["$ref"]
            else:
                rv.response.description = r.get("description", "")
                if "schema" in r:
                    rv.response.schema.schema.CopyFrom(schema(r["schema"]))
            m.responses.response_code.add(name=code, value=rv)
        ext(m, o)
        return m

    d = M.Document(swagger="2.0")
    d.info.title = v2["info"]["title"]
    d.info.version = v2["info"]["version"]
    for path, item in v2["paths"].items():
        pi = M.PathItem()
        for verb in ("get", "put", "post", "delete", "options", "head", "patch"):
            if verb in item:
                getattr(pi, verb).CopyFrom(operation(item[verb]))
        for p in item.get("parameters", []):
            pi.parameters.append(parameter(p))
        ext(pi, item)
        d.paths.path.add(name=path, value=pi)
    for name, s in v2["definitions"].items():
        d.definitions.additional_properties.add(name=name, value=schema(s))
    for name, sd in v2.get("securityDefinitions", {}).items():
        item = M.SecurityDefinitionsItem()
        if sd.get("type") == "apiKey":
            for k in ("type", "name", "in", "description"):
                if k in sd:
                    setattr(item.api_key_security, k, sd[k])
        d.security_definitions.additional_properties.add(name=name, value=item)
    for req in v2.get("security", []):
        sr = d.security.add()
        for name, scopes in req.items():
            sr.additional_properties.add(name=name, value=M.StringArray(value=scopes))
    return d


# ---- OpenAPI v3 ---------------------------------------------------------

def _v3_refs(o):
    """References point to components; a reference with siblings (a field's
    description, default) becomes {"allOf": [{"$ref": ...}], ...}, as OpenAPI
    3.0 ignores the siblings of $ref."""
    def wrap(v):
        if isinstance(v, list):
            return [wrap(e) for e in v]
        if not isinstance(v, dict):
            return v
        out = {k: wrap(e) for k, e in v.items()}
        if "$ref" in out and len(out) > 1:
            out["allOf"] = [{"$ref": out.pop("$ref")}]
        return out
    return wrap(json.loads(json.dumps(o).replace('"#/definitions/', '"#/components/schemas/')))


def v3_documents(v2):
    """{"api/v1": doc, "apis/apps/v1": doc, ...} and the index document."""
    by_gv = {}
    for path, item in v2["paths"].items():
        parts = path.strip("/").split("/")
        gv = "/".join(parts[:2]) if parts[0] == "api" else "/".join(parts[:3])
        by_gv.setdefault(gv, {})[path] = item
    docs = {}
    for gv, paths in sorted(by_gv.items()):
        out_paths = {}
        for path, item in paths.items():
            ni = {}
            shared = [p for p in item.get("parameters", [])]
            for verb, op in item.items():
                if verb == "parameters":
                    continue
                if not isinstance(op, dict):
                    ni[verb] = op
                    continue
                o = {k: v for k, v in op.items() if k not in ("parameters", "responses", "consumes", "produces", "schemes")}
                params, body = [], None
                for p in shared + op.get("parameters", []):
                    if p.get("in") == "body":
                        body = p
                        continue
                    q = {k: p[k] for k in ("name", "in", "description", "required") if k in p}
                    q["schema"] = {k: p[k] for k in ("type", "format", "enum", "default", "items") if k in p}
                    if "uniqueItems" in p:
                        q["schema"]["uniqueItems"] = p["uniqueItems"]
                    params.append(q)
                if params:
                    o["parameters"] = params
                if body is not None:
                    media = {ct: {"schema": body.get("schema", {})} for ct in op.get("consumes", ["application/json"])}
                    o["requestBody"] = {"content": media, "required": bool(body.get("required"))}
                resp = {}
                for code, r in op.get("responses", {}).items():
                    rr = {"description": r.get("description", "")}
                    if "schema" in r:
                        rr["content"] = {ct: {"schema": r["schema"]} for ct in op.get("produces", ["application/json"])}
                    resp[code] = rr
                o["responses"] = resp
                ni[verb] = o
            out_paths[path] = ni
        names = referenced(v2["definitions"], set(re.findall(r'"#/definitions/([^"]+)"', json.dumps(out_paths))))
        schemas = {n: v2["definitions"][n] for n in sorted(names)}
        doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.20.2"},
               "paths": _v3_refs(out_paths), "components": {"schemas": _v3_refs(schemas)}}
        docs[gv] = doc
    index = {"paths": {}}
    blobs = {}
    for gv, doc in docs.items():
        data = json.dumps(doc, separators=(",", ":")).encode()
        h = hashlib.sha512(data).hexdigest().upper()
        index["paths"][gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={h}"}
        blobs[gv] = data
    return index, blobs
