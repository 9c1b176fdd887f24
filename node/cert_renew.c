/* cert_renew.c - see cert_renew.h. Messages go to stderr for the
 * operator running join; the files are replaced atomically. */
#include "cert_renew.h"
#include "csr.h"
#include "go_errors.h"
#include <openssl/evp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CSR_PATH "/apis/certificates.k8s.io/v1/certificatesigningrequests"

static void fail(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "error: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
}

char *cert_request(https_client *c, const char *node, const char *key_pem, int timeout) {
  char *req = csr_new_request(key_pem, node);
  if (!req) {
    fail("cannot create a certificate request for %s%s", node, "");
    return NULL;
  }
  char *req64 = go_base64_encode(req, strlen(req));
  free(req);
  json_t *csr = json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:[s,s,s],s:s}}", "apiVersion", "certificates.k8s.io/v1", "kind",
                          "CertificateSigningRequest", "metadata", "generateName", "node-csr-", "spec", "signerName",
                          "kubernetes.io/kube-apiserver-client-kubelet", "usages", "digital signature",
                          "key encipherment", "client auth", "request", req64);
  free(req64);
  json_t *out = NULL;
  int code = https_call(c, "POST", CSR_PATH, csr, NULL, &out);
  json_decref(csr);
  if (code != 201) {
    const char *msg = json_string_value(json_object_get(out, "message"));
    fail(code == 401 ? "the API server refused the credentials (%s): the token is unknown or expired%s"
                     : "cannot create the certificate signing request: %s%s",
         msg ? msg : "no answer", "");
    json_decref(out);
    return NULL;
  }
  char name[300], path[400];
  snprintf(name, sizeof name, "%s", json_string_value(json_object_get(json_object_get(out, "metadata"), "name")));
  json_decref(out);
  snprintf(path, sizeof path, CSR_PATH "/%s", name);
  fprintf(stderr, "[join] certificate signing request %s sent, waiting for its approval\n", name);
  char *cert = NULL;
  for (int waited = 0; waited < timeout * 4 && !cert; waited++) {
    out = NULL;
    code = https_call(c, "GET", path, NULL, NULL, &out);
    const json_t *st = json_object_get(out, "status");
    size_t i;
    json_t *cond;
    json_array_foreach(json_object_get(st, "conditions"), i, cond) {
      const char *t = json_string_value(json_object_get(cond, "type"));
      if (t && (!strcmp(t, "Denied") || !strcmp(t, "Failed"))) {
        const char *msg = json_string_value(json_object_get(cond, "message"));
        fail(!strcmp(t, "Denied") ? "the certificate signing request %s was denied: %s"
                                  : "the certificate signing request %s failed: %s",
             name, msg ? msg : "");
        json_decref(out);
        return NULL;
      }
    }
    const char *crt = json_string_value(json_object_get(st, "certificate"));
    if (code == 200 && crt && *crt) {
      size_t n = strlen(crt);
      cert = malloc(n + 1);
      int m = EVP_DecodeBlock((unsigned char *)cert, (const unsigned char *)crt, (int)n);
      while (m > 0 && n > 0 && crt[n - 1] == '=') m--, n--;
      cert[m > 0 ? m : 0] = 0;
    }
    json_decref(out);
    if (!cert) usleep(250000);
  }
  if (!cert) {
    fail("timed out waiting for the certificate signing request %s to be signed%s", name, "");
    https_call(c, "DELETE", path, NULL, NULL, NULL);
  }
  return cert;
}

int cert_save(const char *dir, const char *server, const char *ca, const char *cert, const char *key) {
  char kc[1100], p[1100];
  snprintf(p, sizeof p, "%s/kubelet-client.crt", dir);
  FILE *f = fopen(p, "w");
  if (f) fputs(cert, f), fclose(f);
  snprintf(kc, sizeof kc, "%s/kubelet.kubeconfig", dir);
  return write_node_kubeconfig(kc, server, ca, cert, key, NULL);
}

/* 80% into the certificate's lifetime. */
static time_t renewal_due(time_t not_before, time_t not_after) { return not_before + (not_after - not_before) / 10 * 8; }

/* The due time of the certificate in kubeconfig; -1 if unreadable. */
static time_t due_time(const char *kubeconfig, time_t *not_after) {
  kubeconfig_creds k;
  char err[300];
  time_t nb, na, due = -1;
  if (read_kubeconfig(kubeconfig, &k, err, sizeof err) == 0 && k.cert_pem && k.key_pem &&
      csr_cert_validity(k.cert_pem, &nb, &na) == 0) {
    due = renewal_due(nb, na);
    *not_after = na;
  }
  kubeconfig_creds_free(&k);
  return due;
}

long cert_seconds_until_due(const char *data_dir) {
  char kubeconfig[1100];
  snprintf(kubeconfig, sizeof kubeconfig, "%s/kubelet.kubeconfig", data_dir);
  time_t na, due = due_time(kubeconfig, &na);
  return due < 0 ? LONG_MAX : (long)(due - time(NULL));
}

int cert_renew_if_due(const char *data_dir, const char *node, bool force, int csr_timeout) {
  char kubeconfig[1100];
  snprintf(kubeconfig, sizeof kubeconfig, "%s/kubelet.kubeconfig", data_dir);
  kubeconfig_creds k;
  char err[300];
  int rc = 1;
  time_t nb, na, now = time(NULL);
  if (read_kubeconfig(kubeconfig, &k, err, sizeof err) != 0 || !k.cert_pem || !k.key_pem ||
      csr_cert_validity(k.cert_pem, &nb, &na) != 0) {
    fprintf(stderr, "error: %s holds no usable client certificate\n", kubeconfig);
    goto done;
  }
  if (na <= now) {
    fprintf(stderr, "error: the client certificate in %s expired: remove it and join again with a new token\n",
            kubeconfig);
    goto done;
  }
  if (!force && now < renewal_due(nb, na)) {
    rc = 0;
    goto done;
  }
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    fprintf(stderr, "error: cannot renew the client certificate: %s\n", err);
    goto done;
  }
  char *nkey = csr_new_key(), *ncert = nkey ? cert_request(c, node, nkey, csr_timeout) : NULL;
  https_client_close(c);
  if (ncert && cert_save(data_dir, k.server, k.ca_pem, ncert, nkey) == 0) {
    fprintf(stderr, "[ckube-node] client certificate of node %s renewed\n", node);
    rc = 0;
  }
  free(nkey);
  free(ncert);
done:
  kubeconfig_creds_free(&k);
  return rc;
}

