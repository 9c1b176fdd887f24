/* kinds_csr.c - CertificateSigningRequest defaults of certificates.k8s.io/
 * v1beta1 (1.20's pkg/apis/certificates/v1beta1/defaults.go; v1 defaults
 * nothing, its signerName is required): usages [digital signature, key
 * encipherment], a condition's status True, and the signerName
 * DefaultSignerNameFromSpec picks by reading the PEM request with OpenSSL:
 * kube-apiserver-client-kubelet for a kubelet client CSR (organization
 * exactly system:nodes, common name system:node:..., no SANs, usages digital
 * signature + key encipherment + client auth), kubelet-serving for a kubelet
 * serving CSR (DNS or IP SANs only, server auth), legacy-unknown otherwise,
 * also when the request does not parse. */
#include "csr_request.h"
#include "go_errors.h"
#include "kinds_util.h"
#include "timestamp.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void read_subject(X509_NAME *subj, csr_facts *f) {
  int orgs = 0, last_cn = -1;
  bool nodes = false;
  for (int i = 0; i < X509_NAME_entry_count(subj); i++) {
    X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
    if (nid == NID_organizationName) {
      orgs++;
      nodes = ASN1_STRING_length(v) == 12 && !memcmp(ASN1_STRING_get0_data(v), "system:nodes", 12);
    } else if (nid == NID_commonName) {
      last_cn = i; /* Go keeps the last one */
    }
  }
  f->org_is_nodes = orgs == 1 && nodes;
  if (last_cn >= 0) {
    const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last_cn));
    f->cn_is_node = ASN1_STRING_length(cn) >= 12 && !memcmp(ASN1_STRING_get0_data(cn), "system:node:", 12);
    snprintf(f->cn, sizeof f->cn, "%.*s", ASN1_STRING_length(cn), (const char *)ASN1_STRING_get0_data(cn));
  }
}

static void read_sans(X509_REQ *req, csr_facts *f) {
  STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
  GENERAL_NAMES *names = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
    int type = sk_GENERAL_NAME_value(names, i)->type;
    f->dns += type == GEN_DNS;
    f->ip += type == GEN_IPADD;
    f->email += type == GEN_EMAIL;
    f->uri += type == GEN_URI;
  }
  GENERAL_NAMES_free(names);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

int csr_parse_request(const char *b64, csr_facts *f) {
  size_t len;
  unsigned char *pem = go_base64_decode(b64, strlen(b64), &len);
  if (!pem) return -1;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  char *name = NULL, *header = NULL;
  unsigned char *der = NULL;
  long derlen = 0;
  int rc = -1;
  if (PEM_read_bio(bio, &name, &header, &der, &derlen) == 1 && !strcmp(name, "CERTIFICATE REQUEST")) {
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, derlen);
    if (req) {
      read_subject(X509_REQ_get_subject_name(req), f);
      read_sans(req, f);
      X509_REQ_free(req);
      rc = 0;
    }
  }
  ERR_clear_error();
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(der);
  BIO_free(bio);
  free(pem);
  return rc;
}

bool csr_usages_are(const json_t *usages, const char *third) {
  const char *const want[] = {"digital signature", "key encipherment", third, NULL};
  bool seen[3] = {false, false, false};
  size_t i;
  json_t *u;
  json_array_foreach(usages, i, u) {
    const char *s = json_string_value(u);
    int k = 0;
    while (want[k] && (!s || strcmp(s, want[k]))) k++;
    if (!want[k]) return false;
    seen[k] = true;
  }
  return seen[0] && seen[1] && seen[2];
}

static const char *default_signer(const json_t *spec) {
  csr_facts f = {0};
  const char *request = kstr(spec, "request");
  if (!request || csr_parse_request(request, &f) != 0 || !f.org_is_nodes || !f.cn_is_node || f.email || f.uri)
    return "kubernetes.io/legacy-unknown";
  const json_t *usages = json_object_get(spec, "usages");
  if (!f.dns && !f.ip && csr_usages_are(usages, "client auth")) return "kubernetes.io/kube-apiserver-client-kubelet";
  if ((f.dns || f.ip) && csr_usages_are(usages, "server auth")) return "kubernetes.io/kubelet-serving";
  return "kubernetes.io/legacy-unknown";
}

static bool unset(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  return !v || json_is_null(v);
}

void csr_default(const kind_ref *k, json_t *obj) {
  if (strcmp(k->version, "v1beta1")) return;
  json_t *spec = kobj(obj, "spec");
  if (unset(spec, "usages"))
    json_object_set_new(spec, "usages", json_pack("[s,s]", "digital signature", "key encipherment"));
  if (unset(spec, "signerName")) json_object_set_new(spec, "signerName", json_string(default_signer(spec)));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c) {
    const char *st = kstr(c, "status");
    if (json_is_object(c) && (!st || !*st)) json_object_set_new(c, "status", json_string("True"));
  }
}

void csr_prepare_create(const kind_ref *k, json_t *obj, const json_t *user) {
  if (!kis(k, "certificates.k8s.io", "CertificateSigningRequest")) return;
  json_t *spec = kobj(obj, "spec");
  static const char *const keys[] = {"username", "uid", "groups", "extra"};
  for (size_t i = 0; i < 4; i++) {
    const json_t *v = json_object_get(user, keys[i]);
    if (v && !(json_is_string(v) && !*json_string_value(v))) json_object_set(spec, keys[i], (json_t *)v);
    else json_object_del(spec, keys[i]);
  }
}

static bool zero_time(const json_t *c, const char *key) {
  const char *v = json_string_value(json_object_get(c, key));
  return !v || !*v;
}

void csr_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  if (!sub || (strcmp(sub, "status") && strcmp(sub, "approval"))) return;
  char now[32];
  rfc3339_now(now, sizeof now);
  size_t i, j;
  json_t *c, *oc;
  json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c) {
    if (!json_is_object(c)) continue;
    if (zero_time(c, "lastUpdateTime")) json_object_set_new(c, "lastUpdateTime", json_string(now));
    if (!zero_time(c, "lastTransitionTime")) continue;
    const char *when = now;
    json_array_foreach(json_object_get(json_object_get(old, "status"), "conditions"), j, oc) {
      if (json_equal(json_object_get(oc, "type"), json_object_get(c, "type")) &&
          json_equal(json_object_get(oc, "status"), json_object_get(c, "status")) && !zero_time(oc, "lastTransitionTime")) {
        when = kstr(oc, "lastTransitionTime");
        break;
      }
    }
    json_object_set_new(c, "lastTransitionTime", json_string(when));
  }
}
