/* front_proxy.c - the aggregator's identity towards extension API servers
 * (kube-apiserver's --proxy-client-cert-file and the requestheader
 * options): a client certificate CN=front-proxy-client signed by the
 * cluster CA, made once under DIR/pki, and the kube-system ConfigMap
 * extension-apiserver-authentication that tells extension servers whom to
 * trust (client-ca-file for client certificates, requestheader-* for the
 * proxied requests' X-Remote-* headers), written at every start as
 * kube-apiserver's ClusterAuthenticationTrustController keeps it. */
#include "front_proxy.h"
#include "api.h"
#include "log.h"
#include "pki.h"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FRONT_PROXY_CN "front-proxy-client"
#define ONE_YEAR (365L * 24 * 3600)

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = 0;
  fclose(f);
  return buf;
}

/* A PEM certificate request for CN=front-proxy-client signed by key (malloc'd). */
static char *request_pem(EVP_PKEY *key) {
  X509_REQ *req = X509_REQ_new();
  X509_NAME *name = X509_REQ_get_subject_name(req);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)FRONT_PROXY_CN, -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  char *pem = NULL;
  if (X509_REQ_sign(req, key, EVP_sha256()) > 0) {
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(b, req);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    pem = strndup(data, (size_t)n);
    BIO_free(b);
  }
  X509_REQ_free(req);
  return pem;
}

static int write_key(const char *path, EVP_PKEY *key) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  chmod(path, 0600);
  int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

int front_proxy_ensure(const char *data_dir, char *cert, size_t cert_len, char *key, size_t key_len, char *err,
                       size_t errlen) {
  snprintf(cert, cert_len, "%s/pki/front-proxy-client.crt", data_dir);
  snprintf(key, key_len, "%s/pki/front-proxy-client.key", data_dir);
  struct stat st;
  if (stat(cert, &st) == 0 && stat(key, &st) == 0) return 0;
  EVP_PKEY *k = EVP_EC_gen("P-256");
  char *csr = k ? request_pem(k) : NULL;
  json_t *usages = json_pack("[sss]", "digital signature", "key encipherment", "client auth");
  char *pem = csr ? pki_sign_request(csr, strlen(csr), usages, ONE_YEAR, err, errlen) : NULL;
  int rc = pem && write_key(key, k) == 0 && write_text(cert, pem) == 0 ? 0 : -1;
  if (rc && !pem && !csr) snprintf(err, errlen, "cannot make the front-proxy client key");
  else if (rc && pem) snprintf(err, errlen, "cannot write %s", cert);
  json_decref(usages);
  free(pem);
  free(csr);
  EVP_PKEY_free(k);
  return rc;
}

int front_proxy_publish(const char *ca_cert_file) {
  const resource *r = registry_find("", "v1", "configmaps");
  char *ca = read_file(ca_cert_file);
  if (!r || !ca) {
    free(ca);
    return -1;
  }
  json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                         "metadata", "name", "extension-apiserver-authentication", "namespace", "kube-system", "data",
                         "client-ca-file", ca, "requestheader-allowed-names", "[\"" FRONT_PROXY_CN "\"]",
                         "requestheader-client-ca-file", ca, "requestheader-extra-headers-prefix",
                         "[\"X-Remote-Extra-\"]", "requestheader-group-headers", "[\"X-Remote-Group\"]",
                         "requestheader-username-headers", "[\"X-Remote-User\"]");
  free(ca);
  api_opts o = {0};
  api_result cur = api_get(r, "kube-system", "extension-apiserver-authentication");
  api_result res = cur.code == 200 ? api_update(r, "kube-system", "extension-apiserver-authentication", NULL, cm, &o)
                                   : api_create(r, "kube-system", cm, &o);
  int rc = res.code < 300 ? 0 : -1;
  if (rc) LOGW("extension-apiserver-authentication: code %d", res.code);
  api_result_clear(&cur);
  api_result_clear(&res);
  return rc;
}
