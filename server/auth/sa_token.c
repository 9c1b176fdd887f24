/* sa_token.c - see sa_token.h. JWT pieces are base64url without padding;
 * the signature is PKCS#1 v1.5 over SHA-256 (RS256), made and checked with
 * OpenSSL's EVP digest-sign API. */
#include "sa_token.h"
#include "file_read.h"
#include "sa_token_bound.h"
#include "registry.h"
#include "log.h"
#include "go_errors.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ISSUER "kubernetes/serviceaccount"

static EVP_PKEY *key;
static char *ca_pem;
static char kid[64];
static char issuer[512] = SA_TOKEN_DEFAULT_ISSUER;

static void compute_kid(void);


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
  compute_kid();
  return 0;
}

void sa_token_set_ca_file(const char *ca_path) {
  free(ca_pem);
  ca_pem = file_read(ca_path, NULL);
}

const char *sa_token_ca_pem(void) { return ca_pem ? ca_pem : ""; }

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
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  char *r = go_base64url_encode(s, strlen(s));
  free(s);
  json_decref(j);
  return r;
}

/* The key id kube-apiserver puts in the header: base64url of the SHA-256 of
 * the public key's DER SubjectPublicKeyInfo. */
static void compute_kid(void) {
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(key, &der);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1) {
    char *k = go_base64url_encode(md, mdlen);
    snprintf(kid, sizeof kid, "%s", k);
    free(k);
  }
  OPENSSL_free(der);
}

char *sa_token_sign(json_t *claims) {
  if (!key || !claims) {
    json_decref(claims);
    return NULL;
  }
  char *h = b64url_json(json_pack("{s:s,s:s}", "alg", "RS256", "kid", kid));
  char *p = b64url_json(claims);
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
  char *s = go_base64url_encode(sig, siglen);
  size_t tn = strlen(signing) + strlen(s) + 2;
  char *tok = malloc(tn);
  snprintf(tok, tn, "%s.%s", signing, s);
  free(signing);
  free(s);
  return tok;
}

char *sa_token_issue(const char *ns, const char *sa_name, const char *sa_uid, const char *secret_name) {
  char sub[600];
  snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", ns, sa_name);
  return sa_token_sign(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "iss", ISSUER, "kubernetes.io/serviceaccount/namespace",
                                 ns, "kubernetes.io/serviceaccount/secret.name", secret_name,
                                 "kubernetes.io/serviceaccount/service-account.name", sa_name,
                                 "kubernetes.io/serviceaccount/service-account.uid", sa_uid, "sub", sub));
}

json_t *sa_token_verified_claims(const char *jwt) {
  const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!key || !d1 || !d2 || strchr(d2 + 1, '.')) return NULL;
  size_t siglen, plen;
  unsigned char *sig = unb64url(d2 + 1, strlen(d2 + 1), &siglen);
  unsigned char *payload = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), &plen);
  json_t *claims = NULL;
  if (sig && payload) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;
    EVP_MD_CTX_free(md);
    if (ok) claims = json_loadb((const char *)payload, plen, 0, NULL);
  }
  free(sig);
  free(payload);
  if (claims && !json_is_object(claims)) {
    json_decref(claims);
    claims = NULL;
  }
  return claims;
}

void sa_token_quote_list(const json_t *list, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  size_t i;
  const json_t *v;
  json_array_foreach(list, i, v) {
    if (n < len) n += (size_t)snprintf(buf + n, len - n, "%s\"%s\"", i ? " " : "", json_string_value(v));
  }
  if (n < len) snprintf(buf + n, len - n, "]");
}

/* The audiences of a token with aud for those asked (NULL/empty: the issuer):
 * the ones in common (new reference), or NULL with id->why. */
json_t *sa_token_audiences(const json_t *aud, const json_t *asked, token_identity *id) {
  json_t *want = json_array_size(asked) ? json_incref((json_t *)asked) : json_pack("[s]", issuer);
  json_t *have = json_is_string(aud) ? json_pack("[O]", aud) : json_incref((json_t *)aud);
  json_t *common = json_array();
  size_t i, k;
  const json_t *w, *h;
  json_array_foreach(want, i, w) json_array_foreach(have, k, h) {
    if (json_is_string(w) && json_is_string(h) && !strcmp(json_string_value(w), json_string_value(h)))
      json_array_append(common, (json_t *)w);
  }
  if (!json_array_size(common)) {
    char hs[200], ws[200];
    sa_token_quote_list(have, hs, sizeof hs);
    sa_token_quote_list(want, ws, sizeof ws);
    snprintf(id->why, sizeof id->why, "token audiences %s is invalid for the target audiences %s", hs, ws);
    json_decref(common);
    common = NULL;
  }
  json_decref(want);
  json_decref(have);
  return common;
}

/* A legacy (Secret-based) token's claims: valid while its Secret exists and names the account. */
static bool legacy_valid(cache *c, const json_t *claims, const json_t *audiences, token_identity *id) {
  const char *ns = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/namespace"));
  const char *sec = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/secret.name"));
  const char *sa = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/service-account.name"));
  const char *uid = json_string_value(json_object_get(claims, "kubernetes.io/serviceaccount/service-account.uid"));
  if (!ns || !sec || !sa) return false;
  json_t *implicit = json_pack("[s]", issuer);
  id->audiences = sa_token_audiences(implicit, audiences, id);
  json_decref(implicit);
  if (!id->audiences) return false;
  const resource *sr = registry_find("", "v1", "secrets");
  cobj *s = sr ? c ? cache_get(c, sr->bucket, ns, sec) : NULL : NULL;
  const char *owner = s ? json_string_value(json_object_get(
                              json_object_get(json_object_get(s->obj, "metadata"), "annotations"),
                              "kubernetes.io/service-account.name"))
                        : NULL;
  bool ok = owner && !strcmp(owner, sa);
  cobj_unref(s);
  if (ok) {
    snprintf(id->user, sizeof id->user, "system:serviceaccount:%s:%s", ns, sa);
    snprintf(id->uid, sizeof id->uid, "%s", uid ? uid : "");
  }
  return ok;
}

bool sa_token_verify(cache *c, const char *jwt, const json_t *audiences, token_identity *id) {
  json_t *claims = sa_token_verified_claims(jwt);
  const char *iss = json_string_value(json_object_get(claims, "iss"));
  bool ok = false;
  if (iss && !strcmp(iss, ISSUER)) ok = legacy_valid(c, claims, audiences, id);
  else if (iss && !strcmp(iss, sa_token_issuer())) ok = sa_token_bound_valid(c, claims, audiences, id);
  json_decref(claims);
  return ok;
}

void sa_token_set_issuer(const char *iss) { snprintf(issuer, sizeof issuer, "%s", iss); }

const char *sa_token_issuer(void) { return issuer; }

void sa_token_shutdown(void) {
  EVP_PKEY_free(key);
  key = NULL;
  free(ca_pem);
  ca_pem = NULL;
}
