/* csr_signer.c - kube-controller-manager's csrapproving and csrsigning
 * controllers for CertificateSigningRequests (1.20):
 * - approving: a kubernetes.io/kube-apiserver-client-kubelet CSR that is a
 *   kubelet client request (O system:nodes, CN system:node:NAME, no SANs,
 *   usages digital signature + key encipherment + client auth) is approved
 *   (reason AutoApproved) when it renews the requester's own certificate
 *   (username == CN, group system:nodes: "selfnodeclient") or comes from a
 *   bootstrap token (system:bootstrappers) or an admin (system:masters):
 *   "nodeclient", the permissions kubeadm's bindings grant;
 * - signing: an Approved, not Failed CSR without a certificate of signer
 *   kube-apiserver-client-kubelet, kube-apiserver-client or kubelet-serving
 *   is checked against its signer's rules (Failed, SignerValidationFailure,
 *   when it breaks them) and signed by the cluster CA for a year
 *   (--cluster-signing-duration's default) into status.certificate. */
#include "timestamp.h"
#include "controllers.h"
#include "csr_request.h"
#include "ctrl.h"
#include "go_errors.h"
#include "log.h"
#include "pki.h"
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define GROUP "certificates.k8s.io"
#define SIGNING_SECONDS (8760L * 3600)
#define KUBELET_CLIENT "kubernetes.io/kube-apiserver-client-kubelet"
#define APISERVER_CLIENT "kubernetes.io/kube-apiserver-client"
#define KUBELET_SERVING "kubernetes.io/kubelet-serving"

static ctrl *c;

static bool has_condition(const json_t *csr, const char *type) {
  size_t i;
  json_t *cond;
  json_array_foreach(json_object_get(json_object_get(csr, "status"), "conditions"), i, cond) {
    const char *t = json_string_value(json_object_get(cond, "type"));
    const char *st = json_string_value(json_object_get(cond, "status"));
    if (t && !strcmp(t, type) && (!st || !strcmp(st, "True"))) return true;
  }
  return false;
}

static bool in_group(const json_t *spec, const char *group) {
  size_t i;
  json_t *g;
  json_array_foreach(json_object_get(spec, "groups"), i, g)
    if (json_string_value(g) && !strcmp(json_string_value(g), group)) return true;
  return false;
}

/* Why the request breaks its signer's rules ("" when it does not). */
static void signer_violation(const char *signer, const json_t *spec, const csr_facts *f, char *why, size_t len) {
  const json_t *usages = json_object_get(spec, "usages");
  why[0] = 0;
  if (!strcmp(signer, APISERVER_CLIENT)) {
    size_t i;
    json_t *u;
    json_array_foreach(usages, i, u) {
      const char *s = json_string_value(u);
      if (s && strcmp(s, "digital signature") && strcmp(s, "key encipherment") && strcmp(s, "client auth"))
        snprintf(why, len, "invalid usage for client certificate: %s", s);
    }
    return;
  }
  bool serving = !strcmp(signer, KUBELET_SERVING);
  if (!f->org_is_nodes) snprintf(why, len, "subject organization is not system:nodes");
  else if (!f->cn_is_node) snprintf(why, len, "subject common name does not begin with system:node:");
  else if (f->email || f->uri) snprintf(why, len, "%s not allowed", f->email ? "email subjectAltNames are" : "URI subjectAltNames are");
  else if (!serving && (f->dns || f->ip)) snprintf(why, len, "%s subjectAltNames are not allowed", f->dns ? "DNS" : "IP");
  else if (serving && !f->dns && !f->ip) snprintf(why, len, "DNS or IP subjectAltName is required");
  else if (!csr_usages_are(usages, serving ? "server auth" : "client auth"))
    snprintf(why, len, "usages did not match [digital signature key encipherment %s]", serving ? "server auth" : "client auth");
}

static json_t *condition(const char *type, const char *reason, const char *message) {
  char now[32];
  rfc3339_format(time(NULL), now, sizeof now);
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "status", "True", "reason", reason, "message",
                   message, "lastUpdateTime", now, "lastTransitionTime", now);
}

static void append_condition(json_t *csr, json_t *cond) {
  json_t *st = json_object_get(csr, "status");
  if (!json_is_object(st)) json_object_set_new(csr, "status", st = json_object());
  json_t *conds = json_object_get(st, "conditions");
  if (!json_is_array(conds)) json_object_set_new(st, "conditions", conds = json_array());
  json_array_append_new(conds, cond);
}

/* csrapproving: the CSR (a copy) gets Approved when a recognizer allows it; true if it did. */
static bool approve(json_t *csr, const json_t *spec, const char *signer, const csr_facts *f) {
  if (strcmp(signer, KUBELET_CLIENT)) return false;
  char why[200];
  signer_violation(signer, spec, f, why, sizeof why);
  if (*why) return false;
  const char *user = json_string_value(json_object_get(spec, "username"));
  bool self = user && !strcmp(user, f->cn) && in_group(spec, "system:nodes");
  bool bootstrap = in_group(spec, "system:bootstrappers") || in_group(spec, "system:masters");
  if (!self && !bootstrap) return false;
  append_condition(csr, condition("Approved", "AutoApproved",
                                  "Auto approving kubelet client certificate after SubjectAccessReview."));
  return true;
}

static ctrl_result sync(void *ctx, const char *name) {
  cobj *o = ctrl_get(cctx, GROUP, "v1", "certificatesigningrequests", "", name);
  if (!o) return ctrl_done();
  json_t *csr = json_deep_copy(o->obj);
  cobj_unref(o);
  const json_t *spec = json_object_get(csr, "spec");
  const char *signer = json_string_value(json_object_get(spec, "signerName"));
  const char *request = json_string_value(json_object_get(spec, "request"));
  csr_facts f = {0};
  ctrl_result rc = ctrl_done();
  if (!signer || !request || csr_parse_request(request, &f) != 0 || has_condition(csr, "Denied") ||
      has_condition(csr, "Failed") || json_object_get(json_object_get(csr, "status"), "certificate")) {
    json_decref(csr);
    return ctrl_done();
  }
  if (!has_condition(csr, "Approved")) {
    if (!approve(csr, spec, signer, &f)) {
      json_decref(csr);
      return ctrl_done();
    }
    int code = ctrl_update(cctx, GROUP, "v1", "certificatesigningrequests", "", "approval", csr);
    return code >= 300 && code != 404 ? ctrl_retry() : ctrl_done(); /* the update's event brings the signing */
  }
  if (strcmp(signer, KUBELET_CLIENT) && strcmp(signer, APISERVER_CLIENT) && strcmp(signer, KUBELET_SERVING)) {
    json_decref(csr);
    return ctrl_done();
  }
  char why[200];
  signer_violation(signer, spec, &f, why, sizeof why);
  if (*why) {
    append_condition(csr, condition("Failed", "SignerValidationFailure", why));
  } else {
    size_t len;
    char *pem = (char *)go_base64_decode(request, strlen(request), &len);
    char err[200];
    char *cert = pem ? pki_sign_request(pem, len, json_object_get(spec, "usages"), SIGNING_SECONDS, err, sizeof err) : NULL;
    free(pem);
    if (!cert) {
      LOGW("csr-signer: %s: %s", name, pem ? err : "bad request encoding");
      json_decref(csr);
      return ctrl_done();
    }
    char *b64 = go_base64_encode(cert, strlen(cert));
    free(cert);
    json_object_set_new(json_object_get(csr, "status"), "certificate", json_string(b64));
    free(b64);
  }
  int code = ctrl_update(cctx, GROUP, "v1", "certificatesigningrequests", "", "status", csr);
  rc = code >= 300 && code != 404 ? ctrl_retry() : ctrl_done();
  return rc;
}

void csr_signer_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, "csr-signer", sync, NULL);
  ctrl_follow(c, GROUP, "v1", "certificatesigningrequests", ctrl_enqueue_self);
}

void csr_signer_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
