#!/usr/bin/python3
"""gen_fixtures.py SCHEMA.json - regenerates the protobuf request bodies the
unit test tests/unit/test_k8s_protobuf.c decodes (NAME.pb) and schema-min.json
(the part of the full schema those bodies need). Run once by hand; the outputs
are committed. The expected JSON (NAME.json) is written by hand, from what Go
prints, and is never generated.

Bodies are encoded with python3-protobuf (Debian's, hence /usr/bin/python3)
from the same generated.proto files, the way kubectl (gogo-protobuf) does:
"k8s\\0" + runtime.Unknown{typeMeta, raw}, and every non-pointer field of a
present struct written even when zero, as the generated Marshal code does."""
import json
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.expanduser(os.environ.get("CKUBE_K8S_API", "~/.cache/ckube/k8s-api")) + "/proto"
META = "k8s.io.apimachinery.pkg.apis.meta.v1."
SPECIAL_EMPTY = {META + "Time", META + "MicroTime"}  # zero: written as empty


def load_pool():
    files = []
    for d, _, names in os.walk(PROTO):
        files += [os.path.relpath(os.path.join(d, n), PROTO)
                  for n in names if n == "generated.proto"]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        subprocess.run(["protoc", "-I", PROTO, "--include_imports",
                        "--descriptor_set_out=" + out] + sorted(files),
                       check=True, stderr=subprocess.DEVNULL)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return pool


def msg_class(pool, name):
    return message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName(name))


def go_fill(msg, schema):
    """Writes the zero values Go's generated Marshal writes for non-pointer
    fields, recursively into present structs."""
    name = msg.DESCRIPTOR.full_name
    if name in SPECIAL_EMPTY:
        return
    if name == "k8s.io.apimachinery.pkg.api.resource.Quantity":
        if not msg.HasField("string"):
            msg.string = "0"
        return
    rows = {r[0]: r for r in schema["msgs"].get(name, [])}
    for fd in msg.DESCRIPTOR.fields:
        row = rows.get(fd.number)
        flags = row[3] if row else 1
        if fd.label == fd.LABEL_REPEATED:
            if fd.message_type and fd.message_type.GetOptions().map_entry:
                vt = fd.message_type.fields_by_name["value"]
                if vt.message_type:
                    for k in getattr(msg, fd.name):
                        go_fill(getattr(msg, fd.name)[k], schema)
            elif fd.message_type:
                for m in getattr(msg, fd.name):
                    go_fill(m, schema)
            continue
        if flags & 2:  # a pointer: nil stays absent
            if fd.message_type and msg.HasField(fd.name):
                go_fill(getattr(msg, fd.name), schema)
            continue
        if fd.message_type:
            if fd.message_type.full_name in schema.get("lists", []):
                continue
            sub = getattr(msg, fd.name)
            sub.SetInParent()
            go_fill(sub, schema)
        elif fd.type == fd.TYPE_BYTES:
            continue  # a nil []byte is not written
        elif not msg.HasField(fd.name):
            setattr(msg, fd.name, fd.default_value)


def body(pool, schema, api_version, kind, message, obj):
    m = msg_class(pool, message)()
    json_format.ParseDict(obj, m)
    go_fill(m, schema)
    unk = msg_class(pool, "k8s.io.apimachinery.pkg.runtime.Unknown")()
    unk.typeMeta.apiVersion = api_version
    unk.typeMeta.kind = kind
    unk.raw = m.SerializeToString()
    unk.contentEncoding = ""
    unk.contentType = ""
    return b"k8s\x00" + unk.SerializeToString()


POD_TEMPLATE = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{
        "name": "nginx", "image": "nginx:1.19",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "resources": {"limits": {"cpu": {"string": "500m"},
                                 "memory": {"string": "128Mi"}},
                      "requests": {"cpu": {"string": "1000m"}}},
        "readinessProbe": {"handler": {"httpGet": {
            "path": "/", "port": {"type": 0, "intVal": 80}}},
            "periodSeconds": 5},
        "env": [{"name": "A", "value": "1"}],
    }]},
}

FIXTURES = [
    ("namespace", "v1", "Namespace", "k8s.io.api.core.v1.Namespace",
     {"metadata": {"name": "demo", "labels": {"b": "2", "a": "1"},
                   "annotations": {"note": "caf\u00e9"}}}),
    ("deployment", "apps/v1", "Deployment", "k8s.io.api.apps.v1.Deployment",
     {"metadata": {"name": "web", "labels": {"app": "web"}},
      "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
               "template": POD_TEMPLATE}}),
    ("secret", "v1", "Secret", "k8s.io.api.core.v1.Secret",
     {"metadata": {"name": "creds", "namespace": "default"},
      "data": {"password": "AP9oaQ==", "empty": ""}, "type": "Opaque"}),
    ("configmap", "v1", "ConfigMap", "k8s.io.api.core.v1.ConfigMap",
     {"metadata": {"name": "cfg", "creationTimestamp": {"seconds": 1600000000, "nanos": 5}},
      "data": {"k2": "v2", "k1": "line1\nline2"}, "binaryData": {"bin": "AQID"}}),
    ("service", "v1", "Service", "k8s.io.api.core.v1.Service",
     {"metadata": {"name": "web"},
      "spec": {"ports": [{"name": "http", "port": 80,
                          "targetPort": {"type": 1, "strVal": "http"}},
                         {"name": "metrics", "port": 9090}],
               "selector": {"app": "web"}, "type": "ClusterIP"}}),
    ("scale", "autoscaling/v1", "Scale", "k8s.io.api.autoscaling.v1.Scale",
     {"metadata": {"name": "web", "namespace": "default", "resourceVersion": "42"},
      "spec": {"replicas": 3}}),
    ("lease", "coordination.k8s.io/v1", "Lease", "k8s.io.api.coordination.v1.Lease",
     {"metadata": {"name": "node-1", "namespace": "kube-node-lease"},
      "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40,
               "renewTime": {"seconds": 1600000000, "nanos": 123456789}}}),
    ("deleteoptions", "v1", "DeleteOptions",
     "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions",
     {"gracePeriodSeconds": "0", "propagationPolicy": "Foreground", "dryRun": ["All"]}),
    ("rolebinding", "rbac.authorization.k8s.io/v1", "RoleBinding",
     "k8s.io.api.rbac.v1.RoleBinding",
     {"metadata": {"name": "rb", "namespace": "default"},
      "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}],
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}}),
]


def closure(schema, names):
    seen, todo = set(), list(names)
    while todo:
        n = todo.pop()
        if n in seen or n not in schema["msgs"]:
            continue
        seen.add(n)
        for row in schema["msgs"][n]:
            t = row[2]
            for x in (t if isinstance(t, list) else [t]):
                if "." in x:
                    todo.append(x)
    return seen


def main():
    schema = json.load(open(sys.argv[1]))
    pool = load_pool()
    for name, av, kind, message, obj in FIXTURES:
        with open(os.path.join(HERE, name + ".pb"), "wb") as f:
            f.write(body(pool, schema, av, kind, message, obj))
    msgs = closure(schema, [f[3] for f in FIXTURES])
    mini = {"kinds": {k: v for k, v in schema["kinds"].items() if v in msgs},
            "lists": [x for x in schema["lists"] if x in msgs],
            "msgs": {k: v for k, v in sorted(schema["msgs"].items()) if k in msgs}}
    with open(os.path.join(HERE, "schema-min.json"), "w") as f:
        json.dump(mini, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
