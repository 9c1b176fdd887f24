/* sa_token.c - see sa_token.h. JWT pieces are base64url without padding;
 * the signature is PKCS#1 v1.5 over SHA-256 (RS256), made and checked with
 * OpenSSL's EVP digest-sign API. */
#include "sa_token.h"
#include "registry.h"
#include "log.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ISSUER "kubernetes/serviceaccount"

static EVP_PKEY *key;
static char *ca_pem;

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s) s[n] = 0;
  fclose(f);
  return s;
}

int sa_token_init(const char *pki_dir, char *err, size_t errlen) {
  char path[600];
  snprintf(path, sizeof path, "%s/sa.key", pki_dir);
  FILE *f = fopen(path, "r");
  if (f) {
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
  } else {
    key = EVP_RSA_gen(2048);
    FILE *w = key ? fopen(path, "w") : NULL;
    if (w) {
      chmod(path, 0600);
      PEM_write_PrivateKey(w, key, NULL, NULL, 0, NULL, NULL);
      fclose(w);
    }
  }
  if (!key) {
    snprintf(err, errlen, "cannot load or create the service account key %s", path);
    return -1;
  }
  return 0;
}

void sa_token_set_ca_file(const char *ca_path) {
  free(ca_pem);
  ca_pem = read_file(ca_path);
}

const char *sa_token_ca_pem(void) { return ca_pem ? ca_pem : ""; }

static char *b64url(const unsigned char *in, size_t n) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char *out = malloc(n * 4 / 3 + 4), *o = out;
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    *o++ = tbl[v >> 18], *o++ = tbl[v >> 12 & 63], *o++ = tbl[v >> 6 & 63], *o++ = tbl[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)in[i] << 16;
    *o++ = tbl[v >> 18], *o++ = tbl[v >> 12 & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
    *o++ = tbl[v >> 18], *o++ = tbl[v >> 12 & 63], *o++ = tbl[v >> 6 & 63];
  }
  *o = 0;
  return out;
}

/* Decodes base64url (no padding) into a malloc'd buffer; NULL on bad input. */
static unsigned char *unb64url(const char *in, size_t n, size_t *outlen) {
  unsigned char *out = malloc(n * 3 / 4 + 3);
  unsigned acc = 0;
  int bits = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int c = in[i], v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
                     : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : c == '_' ? 63 : -1;
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = acc << 6 | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  *outlen = k;
  return out;
}

static char *b64url_json(json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT);
  char *r = b64url((unsigned char *)s, strlen(s));
  free(s);
  json_decref(j);
  return r;
}

char *sa_token_issue(const char *ns, const char *sa_name, const char *sa_uid, const char *secret_name) {
  if (!key) return NULL;
  char sub[600];
  snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", ns, sa_name);
  char *h = b64url_json(json_pack("{s:s,s:s}", "alg", "RS256", "kid", ""));
  char *p = b64url_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "iss", ISSUER,
                                  "kubernetes.io/serviceaccount/namespace", ns,
                                  "kubernetes.io/serviceaccount/secret.name", secret_name,
                                  "kubernetes.io/serviceaccount/service-account.name", sa_name,
                                  "kubernetes.io/serviceaccount/service-account.uid", sa_uid, "sub", sub));
  size_t n = strlen(h) + strlen(p) + 2;
  char *signing = malloc(n);
  snprintf(signing, n, "%s.%s", h, p);
  free(h);
  free(p);
  unsigned char sig[1024];
  size_t siglen = sizeof sig;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
            EVP_DigestSign(md, sig, &siglen, (unsigned char *)signing, strlen(signing)) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) {
    free(signing);
    return NULL;
  }
  char *s = b64url(sig, siglen);
  size_t tn = strlen(signing) + strlen(s) + 2;
  char *tok = malloc(tn);
  snprintf(tok, tn, "%s.%s", signing, s);
  free(signing);
  free(s);
  return tok;
}

bool sa_token_verify(cache *c, const char *jwt, char *user, size_t userlen) {
  const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!key || !d1 || !d2 || strchr(d2 + 1, '.')) return false;
  size_t siglen, plen;
  unsigned char *sig = unb64url(d2 + 1, strlen(d2 + 1), &siglen);
  unsigned char *payload = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), &plen);
  bool ok = false;
  json_t *claims = NULL;
  if (sig && payload) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
         EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;
    EVP_MD_CTX_free(md);
    if (ok) claims = json_loadb((const char *)payload, plen, 0, NULL);
  }
  free(sig);
  free(payload);
  const char *iss = json_string_value(json_object_get(claims, "iss"));
  const char *ns = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/namespace"));
  const char *sec = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/secret.name"));
  const char *sa = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/service-account.name"));
  ok = ok && iss && !strcmp(iss, ISSUER) && ns && sec && sa;
  if (ok) { /* revoked when its Secret is gone or now names another account */
    const resource *sr = registry_find("", "v1", "secrets");
    cobj *s = sr && c ? cache_get(c, sr->bucket, ns, sec) : NULL;
    const char *owner = s ? json_string_value(json_object_get(
                                json_object_get(json_object_get(s->obj, "metadata"), "annotations"),
                                "kubernetes.io/service-account.name"))
                          : NULL;
    ok = owner && !strcmp(owner, sa);
    cobj_unref(s);
  }
  if (ok) snprintf(user, userlen, "system:serviceaccount:%s:%s", ns, sa);
  json_decref(claims);
  return ok;
}

void sa_token_shutdown(void) {
  EVP_PKEY_free(key);
  key = NULL;
  free(ca_pem);
  ca_pem = NULL;
}
