/* csr.c - see csr.h. Keys and requests come from mbedTLS (the agent's TLS
 * library); the kubeconfig is the YAML clientcmd reads, with the PEMs
 * base64-encoded in the *-data fields. */
#include "csr.h"
#include "yaml_json.h"
#include "go_errors.h"
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEM_MAX 8192

typedef struct {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
} rng;

static int rng_init(rng *r) {
  mbedtls_entropy_init(&r->entropy);
  mbedtls_ctr_drbg_init(&r->drbg);
  return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, (const unsigned char *)"csr", 3);
}

static void rng_free(rng *r) {
  mbedtls_ctr_drbg_free(&r->drbg);
  mbedtls_entropy_free(&r->entropy);
}

char *csr_new_key(void) {
  rng r;
  mbedtls_pk_context key;
  mbedtls_pk_init(&key);
  char *out = NULL;
  if (rng_init(&r) == 0 && mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), mbedtls_ctr_drbg_random, &r.drbg) == 0) {
    out = malloc(PEM_MAX);
    if (mbedtls_pk_write_key_pem(&key, (unsigned char *)out, PEM_MAX) != 0) {
      free(out);
      out = NULL;
    }
  }
  mbedtls_pk_free(&key);
  rng_free(&r);
  return out;
}

char *csr_new_request(const char *key_pem, const char *node) {
  rng r;
  mbedtls_pk_context key;
  mbedtls_x509write_csr req;
  mbedtls_pk_init(&key);
  mbedtls_x509write_csr_init(&req);
  char subject[400], *out = NULL;
  snprintf(subject, sizeof subject, "O=system:nodes,CN=system:node:%s", node);
  if (rng_init(&r) == 0 &&
      mbedtls_pk_parse_key(&key, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL, 0) == 0 &&
      mbedtls_x509write_csr_set_subject_name(&req, subject) == 0) {
    mbedtls_x509write_csr_set_md_alg(&req, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&req, &key);
    out = malloc(PEM_MAX);
    if (mbedtls_x509write_csr_pem(&req, (unsigned char *)out, PEM_MAX, mbedtls_ctr_drbg_random, &r.drbg) != 0) {
      free(out);
      out = NULL;
    }
  }
  mbedtls_x509write_csr_free(&req);
  mbedtls_pk_free(&key);
  rng_free(&r);
  return out;
}

static time_t x509_time(const mbedtls_x509_time *t) {
  struct tm tm = {0};
  tm.tm_year = t->year - 1900;
  tm.tm_mon = t->mon - 1;
  tm.tm_mday = t->day;
  tm.tm_hour = t->hour;
  tm.tm_min = t->min;
  tm.tm_sec = t->sec;
  return timegm(&tm);
}

int csr_cert_validity(const char *cert_pem, time_t *not_before, time_t *not_after) {
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  int rc = -1;
  if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem, strlen(cert_pem) + 1) == 0) {
    *not_before = x509_time(&crt.valid_from);
    *not_after = x509_time(&crt.valid_to);
    rc = 0;
  }
  mbedtls_x509_crt_free(&crt);
  return rc;
}

static char *unb64(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  int m = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  if (m < 0) {
    free(out);
    return NULL;
  }
  while (m > 0 && n > 0 && s[n - 1] == '=') m--, n--;
  out[m] = 0;
  return out;
}

int write_node_kubeconfig(const char *path, const char *server, const char *ca_pem, const char *cert_pem,
                          const char *key_pem, const char *token) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) return -1;
  char *ca = go_base64_encode(ca_pem, strlen(ca_pem));
  fprintf(f,
          "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
          "  name: ckube\ncontexts:\n- context:\n    cluster: ckube\n    user: node\n  name: ckube\n"
          "current-context: ckube\npreferences: {}\nusers:\n- name: node\n  user:\n",
          ca, server);
  free(ca);
  if (token) {
    fprintf(f, "    token: %s\n", token);
  } else {
    char *crt = go_base64_encode(cert_pem, strlen(cert_pem)), *key = go_base64_encode(key_pem, strlen(key_pem));
    fprintf(f, "    client-certificate-data: %s\n    client-key-data: %s\n", crt, key);
    free(crt);
    free(key);
  }
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* The list entry named name, else the list's first. */
static const json_t *named(const json_t *list, const char *name) {
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e) {
    const char *n = json_string_value(json_object_get(e, "name"));
    if (n && name && !strcmp(n, name)) return e;
  }
  return json_array_get(list, 0);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int read_kubeconfig(const char *path, kubeconfig_creds *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot read %s", path);
    return -1;
  }
  char *buf = malloc(1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  json_t *kc = yaml_to_json(buf, n, err, errlen);
  free(buf);
  if (!kc) return -1;
  const char *cur = json_string_value(json_object_get(kc, "current-context"));
  const json_t *ctx = json_object_get(named(json_object_get(kc, "contexts"), cur), "context");
  const json_t *cl = json_object_get(
      named(json_object_get(kc, "clusters"), json_string_value(json_object_get(ctx, "cluster"))), "cluster");
  const json_t *us = json_object_get(
      named(json_object_get(kc, "users"), json_string_value(json_object_get(ctx, "user"))), "user");
  out->server = dup_or_null(json_string_value(json_object_get(cl, "server")));
  out->ca_pem = unb64(json_string_value(json_object_get(cl, "certificate-authority-data")));
  out->cert_pem = unb64(json_string_value(json_object_get(us, "client-certificate-data")));
  out->key_pem = unb64(json_string_value(json_object_get(us, "client-key-data")));
  out->token = dup_or_null(json_string_value(json_object_get(us, "token")));
  json_decref(kc);
  if (!out->server || strncmp(out->server, "https://", 8)) snprintf(err, errlen, "%s: the cluster server must be an https:// URL", path);
  else if (!out->ca_pem || !*out->ca_pem) snprintf(err, errlen, "%s: no usable certificate-authority-data", path);
  else return 0;
  kubeconfig_creds_free(out);
  return -1;
}

void kubeconfig_creds_free(kubeconfig_creds *k) {
  free(k->server);
  free(k->ca_pem);
  free(k->cert_pem);
  free(k->key_pem);
  free(k->token);
  memset(k, 0, sizeof *k);
}
