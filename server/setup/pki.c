/* pki.c - certificate authority and credentials with OpenSSL 3 (see pki.h).
 * Keys are ECDSA P-256; certificates last ten years (CA) and one year
 * (leaf) from creation, like kubeadm's defaults order of magnitude. */
#include "pki.h"
#include "service_alloc.h"
#include "go_errors.h"
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char ca_key_path[600], ca_cert_path[600]; /* set by pki_ensure */

static int exists(const char *p) { return access(p, R_OK) == 0; }

static EVP_PKEY *load_key(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  return k;
}

static X509 *load_cert(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  return c;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *cert) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) return -1;
  int ok = (!key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)) && (!cert || PEM_write_X509(f, cert));
  if (fclose(f) != 0) ok = 0;
  return ok ? 0 : -1;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

/* A v3 certificate for key with a random serial, valid from an hour ago for seconds. */
static X509 *new_cert(EVP_PKEY *key, long seconds) {
  X509 *c = X509_new();
  X509_set_version(c, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), seconds);
  X509_set_pubkey(c, key);
  return c;
}

/* Issues a certificate for key; self-signed when ca is NULL. */
static X509 *issue(EVP_PKEY *key, const char *cn, const char *org, X509 *ca, EVP_PKEY *ca_key, long days,
                   int is_ca, const char *sans, int client) {
  X509 *c = new_cert(key, days * 86400L);
  X509_NAME *name = X509_get_subject_name(c);
  if (org) X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(c, ca ? X509_get_subject_name(ca) : name);
  X509 *issuer = ca ? ca : c;
  if (is_ca) {
    add_ext(c, issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign");
    add_ext(c, issuer, NID_subject_key_identifier, "hash");
  } else {
    add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(c, issuer, NID_ext_key_usage, client ? "clientAuth" : "serverAuth");
    add_ext(c, issuer, NID_authority_key_identifier, "keyid:always");
    if (sans) add_ext(c, issuer, NID_subject_alt_name, sans);
  }
  if (!X509_sign(c, ca_key ? ca_key : key, EVP_sha256())) {
    X509_free(c);
    return NULL;
  }
  return c;
}

static char *b64_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char buf[16384];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return go_base64_encode(buf, n);
}

static int write_kubeconfig(const char *path, const char *url, const char *ca, const char *crt, const char *key,
                            const char *user) {
  char *ca64 = b64_file(ca), *crt64 = b64_file(crt), *key64 = b64_file(key);
  int rc = -1;
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f && ca64 && crt64 && key64) {
    fprintf(f,
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: %s\n"
            "    server: %s\n  name: ckube\ncontexts:\n- context:\n    cluster: ckube\n    user: %s\n"
            "  name: ckube\ncurrent-context: ckube\npreferences: {}\nusers:\n- name: %s\n  user:\n"
            "    client-certificate-data: %s\n    client-key-data: %s\n",
            ca64, url, user, user, crt64, key64);
    rc = fclose(f) == 0 && rename(tmp, path) == 0 ? 0 : -1;
  } else if (f) {
    fclose(f);
  }
  free(ca64);
  free(crt64);
  free(key64);
  return rc;
}

int pki_ensure_client_ca(const char *dir, const char *ca_name, const char *client_name, const char *client_cn,
                         char *err, size_t errlen) {
  char ca_key_p[700], ca_crt_p[700], key_p[700], crt_p[700];
  snprintf(ca_key_p, sizeof ca_key_p, "%s/%s.key", dir, ca_name);
  snprintf(ca_crt_p, sizeof ca_crt_p, "%s/%s.crt", dir, ca_name);
  snprintf(key_p, sizeof key_p, "%s/%s.key", dir, client_name);
  snprintf(crt_p, sizeof crt_p, "%s/%s.crt", dir, client_name);
  if (exists(ca_crt_p) && exists(key_p) && exists(crt_p)) return 0;
  EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *k = EVP_EC_gen("P-256");
  X509 *ca = ca_key ? issue(ca_key, ca_name, NULL, NULL, NULL, 3650, 1, NULL, 0) : NULL;
  X509 *c = ca && k ? issue(k, client_cn, NULL, ca, ca_key, 365, 0, NULL, 1) : NULL;
  int rc = c && !write_pem(ca_key_p, ca_key, NULL) && !write_pem(ca_crt_p, NULL, ca) && !write_pem(key_p, k, NULL) &&
                   !write_pem(crt_p, NULL, c)
               ? 0
               : -1;
  if (rc) snprintf(err, errlen, "cannot create %s and %s in %s", ca_name, client_name, dir);
  X509_free(c);
  X509_free(ca);
  EVP_PKEY_free(k);
  EVP_PKEY_free(ca_key);
  return rc;
}

int pki_ensure(const char *dir, const char *url, pki_paths *out, char *err, size_t errlen) {
  char pki[512], ca_key_p[600], ca_crt_p[600], adm_key_p[600], adm_crt_p[600], tok_p[600];
  snprintf(pki, sizeof pki, "%s/pki", dir);
  if (mkdir(pki, 0700) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "mkdir %s: %s", pki, strerror(errno));
    return -1;
  }
  snprintf(ca_key_p, sizeof ca_key_p, "%s/ca.key", pki);
  snprintf(ca_crt_p, sizeof ca_crt_p, "%s/ca.crt", pki);
  snprintf(adm_key_p, sizeof adm_key_p, "%s/admin.key", pki);
  snprintf(adm_crt_p, sizeof adm_crt_p, "%s/admin.crt", pki);
  snprintf(tok_p, sizeof tok_p, "%s/admin.token", pki);
  snprintf(out->ca_cert, sizeof out->ca_cert, "%s", ca_crt_p);
  snprintf(ca_key_path, sizeof ca_key_path, "%s", ca_key_p);
  snprintf(ca_cert_path, sizeof ca_cert_path, "%s", ca_crt_p);
  snprintf(out->server_pem, sizeof out->server_pem, "%s/server.pem", pki);
  snprintf(out->kubeconfig, sizeof out->kubeconfig, "%s/admin.kubeconfig", dir);

  EVP_PKEY *ca_key = NULL;
  X509 *ca = NULL;
  int rc = -1;
  if (!exists(ca_key_p) || !exists(ca_crt_p)) {
    ca_key = EVP_EC_gen("P-256");
    ca = ca_key ? issue(ca_key, "ckube-ca", NULL, NULL, NULL, 3650, 1, NULL, 0) : NULL;
    if (!ca || write_pem(ca_key_p, ca_key, NULL) || write_pem(ca_crt_p, NULL, ca)) {
      snprintf(err, errlen, "cannot create the cluster CA in %s", pki);
      goto done;
    }
  } else if (!(ca_key = load_key(ca_key_p)) || !(ca = load_cert(ca_crt_p))) {
    snprintf(err, errlen, "cannot read the cluster CA in %s", pki);
    goto done;
  }
  if (!exists(out->server_pem)) {
    char host[256] = "localhost", sans[700], kubernetes_ip[64];
    gethostname(host, sizeof host - 1);
    service_cidr_first_ip(kubernetes_ip, sizeof kubernetes_ip);
    snprintf(sans, sizeof sans,
             "DNS:localhost,DNS:%s,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
             "DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:::1,IP:%s",
             host, kubernetes_ip);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *c = k ? issue(k, "kube-apiserver", NULL, ca, ca_key, 365, 0, sans, 0) : NULL;
    int bad = !c || write_pem(out->server_pem, k, c);
    X509_free(c);
    EVP_PKEY_free(k);
    if (bad) {
      snprintf(err, errlen, "cannot create the serving certificate");
      goto done;
    }
  }
  if (!exists(adm_key_p) || !exists(adm_crt_p)) {
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *c = k ? issue(k, "kubernetes-admin", "system:masters", ca, ca_key, 365, 0, NULL, 1) : NULL;
    int bad = !c || write_pem(adm_key_p, k, NULL) || write_pem(adm_crt_p, NULL, c);
    X509_free(c);
    EVP_PKEY_free(k);
    if (bad) {
      snprintf(err, errlen, "cannot create the admin certificate");
      goto done;
    }
  }
  if (!exists(tok_p)) {
    unsigned char r[24];
    RAND_bytes(r, sizeof r);
    char hex[49];
    for (int i = 0; i < 24; i++) sprintf(hex + 2 * i, "%02x", r[i]);
    FILE *f = fopen(tok_p, "w");
    if (!f || fprintf(f, "%s\n", hex) < 0 || fclose(f) != 0) {
      snprintf(err, errlen, "cannot write %s", tok_p);
      goto done;
    }
    chmod(tok_p, 0600);
  }
  FILE *f = fopen(tok_p, "r");
  if (!f || !fgets(out->admin_token, sizeof out->admin_token, f)) {
    if (f) fclose(f);
    snprintf(err, errlen, "cannot read %s", tok_p);
    goto done;
  }
  fclose(f);
  out->admin_token[strcspn(out->admin_token, "\r\n")] = 0;
  if (write_kubeconfig(out->kubeconfig, url, ca_crt_p, adm_crt_p, adm_key_p, "admin") != 0) {
    snprintf(err, errlen, "cannot write %s", out->kubeconfig);
    goto done;
  }
  rc = 0;
done:
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return rc;
}

/* The extension text of a CSR usage list: "critical,digitalSignature,..." (key
 * usages) and "clientAuth,..." (extended); unknown usages are left out. */
static void usage_exts(const json_t *usages, char *ku, size_t kul, char *eku, size_t ekul) {
  static const char *const map[][3] = {{"digital signature", "digitalSignature", ""},
                                       {"key encipherment", "keyEncipherment", ""},
                                       {"content commitment", "nonRepudiation", ""},
                                       {"data encipherment", "dataEncipherment", ""},
                                       {"key agreement", "keyAgreement", ""},
                                       {"client auth", "", "clientAuth"},
                                       {"server auth", "", "serverAuth"},
                                       {"code signing", "", "codeSigning"},
                                       {"email protection", "", "emailProtection"}};
  snprintf(ku, kul, "critical");
  eku[0] = 0;
  size_t i;
  json_t *u;
  json_array_foreach(usages, i, u) {
    const char *s = json_string_value(u);
    for (size_t k = 0; s && k < sizeof map / sizeof map[0]; k++) {
      if (strcmp(s, map[k][0])) continue;
      char *dst = *map[k][1] ? ku : eku;
      size_t len = *map[k][1] ? kul : ekul, n = strlen(dst);
      snprintf(dst + n, len - n, "%s%s", n ? "," : "", *map[k][1] ? map[k][1] : map[k][2]);
    }
  }
}

char *pki_sign_request(const char *pem, size_t len, const json_t *usages, long seconds, char *err, size_t errlen) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  EVP_PKEY *pub = req ? X509_REQ_get_pubkey(req) : NULL;
  EVP_PKEY *ca_key = load_key(ca_key_path);
  X509 *ca = load_cert(ca_cert_path), *c = NULL;
  char *out = NULL;
  if (!req || !pub || X509_REQ_verify(req, pub) != 1) {
    snprintf(err, errlen, "the request is not a signed PEM certificate request");
    goto done;
  }
  if (!ca || !ca_key) {
    snprintf(err, errlen, "cannot read the cluster CA");
    goto done;
  }
  /* never past the CA's own expiry */
  time_t limit = time(NULL) + seconds;
  if (X509_cmp_time(X509_get0_notAfter(ca), &limit) < 0) {
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(ca));
    seconds = days * 86400L + secs;
  }
  c = new_cert(pub, seconds);
  X509_set_subject_name(c, X509_REQ_get_subject_name(req));
  X509_set_issuer_name(c, X509_get_subject_name(ca));
  char ku[200], eku[200];
  usage_exts(usages, ku, sizeof ku, eku, sizeof eku);
  add_ext(c, ca, NID_basic_constraints, "critical,CA:FALSE");
  if (strcmp(ku, "critical")) add_ext(c, ca, NID_key_usage, ku);
  if (*eku) add_ext(c, ca, NID_ext_key_usage, eku);
  add_ext(c, ca, NID_authority_key_identifier, "keyid:always");
  STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
    X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name) X509_add_ext(c, e, -1);
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  if (!X509_sign(c, ca_key, EVP_sha256())) {
    snprintf(err, errlen, "signing failed");
    goto done;
  }
  BIO *mem = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(mem, c);
  char *p;
  long n = BIO_get_mem_data(mem, &p);
  out = malloc((size_t)n + 1);
  memcpy(out, p, (size_t)n);
  out[n] = 0;
  BIO_free(mem);
done:
  X509_free(c);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(pub);
  X509_REQ_free(req);
  return out;
}

int pki_node_kubeconfig(const char *url, const char *node, const char *dir, char *path, size_t pathlen) {
  char key_p[700], crt_p[700];
  snprintf(key_p, sizeof key_p, "%s/kubelet-client.key", dir);
  snprintf(crt_p, sizeof crt_p, "%s/kubelet-client.crt", dir);
  snprintf(path, pathlen, "%s/kubelet.kubeconfig", dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
  EVP_PKEY *ca_key = load_key(ca_key_path), *k = EVP_EC_gen("P-256");
  X509 *ca = load_cert(ca_cert_path), *c = NULL;
  char cn[300];
  snprintf(cn, sizeof cn, "system:node:%s", node);
  int rc = -1;
  if (ca && ca_key && k && (c = issue(k, cn, "system:nodes", ca, ca_key, 365, 0, NULL, 1)) &&
      !write_pem(key_p, k, NULL) && !write_pem(crt_p, NULL, c))
    rc = write_kubeconfig(path, url, ca_cert_path, crt_p, key_p, cn);
  X509_free(c);
  X509_free(ca);
  EVP_PKEY_free(k);
  EVP_PKEY_free(ca_key);
  return rc;
}
