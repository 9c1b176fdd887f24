#!/usr/bin/python3
"""The proxy subresources through a real node's call-home tunnel, as
kube-apiserver serves them (conformance: the DNS tests read their probes'
results through pods/NAME/proxy; Proxy version v1): pods/NAME/proxy/PATH
to the first container port, NAME:PORT and http:NAME:PORT to another,
the backend's 404 passed on, services/NAME:PORTNAME and NAME:NUMBER to a
ready endpoint's targetPort, the https scheme to a plain port, an unknown pod and a pod
port without a listener refused with a Status; the Update Demo's kitten
image (a built-in program) read through the proxy. Bounded: about 40 s."""
import json, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from real_node import RealNode, kubectl, pod_net, wait_for  # noqa: E402

NS = os.environ["NS"]
NODE = "real-771"


def raw(path):
    """(ok, stdout or stderr) of kubectl get --raw for the namespace's path."""
    p = subprocess.run(["kubectl", "get", "--raw", f"/api/v1/namespaces/{NS}/{path}"], capture_output=True, text=True,
                       timeout=30)
    return (p.returncode == 0, p.stdout if p.returncode == 0 else p.stderr)


def main():
    kubectl("create", "namespace", NS)
    with RealNode(NODE, pod_net()) as node:
        tunnel = subprocess.Popen([os.environ["CKUBE_NODE_BIN"], "tunnel", "--kubeconfig", os.environ["KUBECONFIG"],
                                   "--name", NODE, "--data-dir", node.data()], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            web = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
                   "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1,
                            "volumes": [{"name": "srv", "emptyDir": {}}],
                            "containers": [{"name": "web", "image": "busybox",
                                            "ports": [{"containerPort": 8080, "name": "http"}],
                                            "readinessProbe": {"tcpSocket": {"port": 8081}, "periodSeconds": 1},
                                            "volumeMounts": [{"name": "srv", "mountPath": "/srv"}],
                                            "command": ["sh", "-c",
                                                        "mkdir -p /srv/a /srv/b && echo A > /srv/a/index.html && "
                                                        "echo B > /srv/b/index.html && httpd -p 8080 -h /srv/a && "
                                                        "exec httpd -f -p 8081 -h /srv/b"]}]}}
            svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-svc"},
                   "spec": {"selector": {"app": "web"},
                            "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                                      {"name": "other", "port": 81, "targetPort": 8081}]}}
            kitten = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kitten"},
                      "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
                          {"name": "c", "image": "gcr.io/kubernetes-e2e-test-images/kitten:1.0",
                           "ports": [{"containerPort": 80}]}]}}
            for doc in (web, svc, kitten):
                kubectl("apply", "-n", NS, "-f", "-", input=json.dumps(doc))
            wait_for("the first port answers", lambda: raw("pods/web/proxy/index.html") == (True, "A\n"), 30)
            assert raw("pods/web:8081/proxy/") == (True, "B\n")
            assert raw("pods/http:web:8080/proxy/index.html") == (True, "A\n")
            ok, err = raw("pods/web:8080/proxy/missing.html")
            assert not ok and "(NotFound)" in err, err  # the backend's 404 (its body is no Status: kubectl's words)
            wait_for("service by port name", lambda: raw("services/web-svc:http/proxy/index.html") == (True, "A\n"), 20)
            assert raw("services/web-svc:81/proxy/") == (True, "B\n")
            ok, err = raw("pods/https:web:8080/proxy/")
            assert not ok and "TLS handshake failed" in err, err  # https to a plain port (TLS: e2e 784)
            ok, err = raw("pods/nope/proxy/")
            assert not ok and 'pods "nope" not found' in err, err
            ok, err = raw("pods/web:9999/proxy/")
            assert not ok and "error trying to reach service" in err, err
            # the kubectl Update Demo's image (built in): its data.json read as the test reads it
            wait_for("kitten's data.json", lambda: raw("pods/kitten/proxy/data.json") == (True, '{"image": "kitten.jpg"}\n'), 30)
            kubectl("delete", "pod", "-n", NS, "--all", "--grace-period=1")
        finally:
            tunnel.kill()  # it notices SIGTERM only at its stream's next keep-alive
            tunnel.wait(10)
    kubectl("delete", "namespace", NS, "--wait=false", check=False)
    print("ok")


main()
