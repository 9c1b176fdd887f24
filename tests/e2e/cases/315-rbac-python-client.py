#!/usr/bin/python3
"""RBAC through the Python kubernetes client: the CSR route to a user (a key
and request made here, `certificates.k8s.io/v1` with the
kubernetes.io/kube-apiserver-client signer, approved through the approval
subresource as `kubectl certificate approve` does), that user's
certificate then used by a second client: 403 ApiException with 1.20's
Forbidden body until a RoleBinding grants edit, then allowed; the
RbacAuthorizationV1Api objects and a SelfSubjectAccessReview."""
import base64
import json
import os
import subprocess
import tempfile
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException

config.load_kube_config(os.environ["KUBECONFIG"])
core, rbac, certs, authz = client.CoreV1Api(), client.RbacAuthorizationV1Api(), client.CertificatesV1Api(), \
    client.AuthorizationV1Api()
ns, user = "e2e-py-rbac", "py-rbac-user"
work = tempfile.mkdtemp(prefix="py-rbac-", dir=os.environ["DATA"])


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        raise SystemExit(1)


core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
key, csr = os.path.join(work, "u.key"), os.path.join(work, "u.csr")
subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj",
                f"/CN={user}/O=py-devs"], check=True, capture_output=True)
certs.create_certificate_signing_request(client.V1CertificateSigningRequest(
    metadata=client.V1ObjectMeta(name=user),
    spec=client.V1CertificateSigningRequestSpec(request=base64.b64encode(open(csr, "rb").read()).decode(),
                                                signer_name="kubernetes.io/kube-apiserver-client",
                                                usages=["client auth"])))
cur = certs.read_certificate_signing_request(user)
cur.status.conditions = [client.V1CertificateSigningRequestCondition(type="Approved", status="True",
                                                                      reason="PythonApprove", message="ok")]
certs.replace_certificate_signing_request_approval(user, cur)
pem = None
for _ in range(50):
    pem = certs.read_certificate_signing_request(user).status.certificate
    if pem:
        break
    time.sleep(0.2)
check(pem is not None, "kube-apiserver-client signer issued the certificate")
crt = os.path.join(work, "u.crt")
open(crt, "wb").write(base64.b64decode(pem))

conf = client.Configuration()
conf.host = os.environ["SERVER"]
conf.ssl_ca_cert = os.environ["CACERT"]
conf.cert_file, conf.key_file = crt, key
conf.assert_hostname = False
mine = client.CoreV1Api(client.ApiClient(conf))
try:
    mine.list_namespaced_config_map(ns)
    check(False, "the new user is forbidden")
except ApiException as e:
    body = json.loads(e.body)
    check(e.status == 403 and body["reason"] == "Forbidden" and body["message"] ==
          f'configmaps is forbidden: User "{user}" cannot list resource "configmaps" in API group "" in the '
          f'namespace "{ns}"', "403 with 1.20's Forbidden message")

rbac.create_namespaced_role_binding(ns, client.V1RoleBinding(
    metadata=client.V1ObjectMeta(name="py-devs-edit"),
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="edit"),
    subjects=[client.V1Subject(kind="Group", name="py-devs", api_group="rbac.authorization.k8s.io")]))
mine.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"a": "b"}))
check([c.metadata.name for c in mine.list_namespaced_config_map(ns).items].count("c") == 1,
      "the group O=py-devs bound to edit may write ConfigMaps")
review = client.AuthorizationV1Api(client.ApiClient(conf)).create_self_subject_access_review(
    client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace=ns, verb="create", resource="rolebindings",
                                                        group="rbac.authorization.k8s.io"))))
check(review.status.allowed is False, "edit may not create RoleBindings (SelfSubjectAccessReview)")
names = [r.metadata.name for r in rbac.list_cluster_role().items]
check(all(n in names for n in ("cluster-admin", "admin", "edit", "view", "system:basic-user")),
      "the bootstrap ClusterRoles are listed")
certs.delete_certificate_signing_request(user)
core.delete_namespace(ns)
