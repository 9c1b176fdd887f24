/* bootstrap_token.c - see bootstrap_token.h. The JWS is RFC 7515 compact
 * serialization with the payload left out (kubeadm's "detached" form): the
 * header is base64url of {"alg":"HS256","kid":"<id>"}, the signature
 * HMAC-SHA256 over header "." base64url(content) with key "id.secret".
 * Crypto is OpenSSL's, which both binaries link. */
#include "bootstrap_token.h"
#include "go_errors.h"
#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool token_chars(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) return false;
  return true;
}

bool bt_is_id(const char *s) { return s && strlen(s) == BT_ID_LEN && token_chars(s, BT_ID_LEN); }

bool bt_parse(const char *t, char id[BT_ID_LEN + 1], char secret[BT_SECRET_LEN + 1]) {
  if (!t || strlen(t) != BT_ID_LEN + 1 + BT_SECRET_LEN || t[BT_ID_LEN] != '.') return false;
  if (!token_chars(t, BT_ID_LEN) || !token_chars(t + BT_ID_LEN + 1, BT_SECRET_LEN)) return false;
  memcpy(id, t, BT_ID_LEN);
  id[BT_ID_LEN] = 0;
  memcpy(secret, t + BT_ID_LEN + 1, BT_SECRET_LEN);
  secret[BT_SECRET_LEN] = 0;
  return true;
}

static void random_chars(char *out, size_t n) {
  static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  size_t i = 0;
  while (i < n) {
    unsigned char b[32];
    RAND_bytes(b, sizeof b);
    for (size_t k = 0; k < sizeof b && i < n; k++)
      if (b[k] < 252) out[i++] = alphabet[b[k] % 36]; /* 252 = 7 * 36: no bias */
  }
  out[n] = 0;
}

void bt_generate(char id[BT_ID_LEN + 1], char secret[BT_SECRET_LEN + 1]) {
  random_chars(id, BT_ID_LEN);
  random_chars(secret, BT_SECRET_LEN);
}

/* base64url (padding optional) -> bytes, NUL-terminated; malloc'd or NULL. */
static unsigned char *unb64url(const char *in, size_t n, size_t *outlen) {
  char *s = malloc(n + 4);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    if (c == '=') break;
    if (!(isalnum((unsigned char)c) || c == '-' || c == '_')) {
      free(s);
      return NULL;
    }
    s[k++] = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  if (k % 4 == 1) {
    free(s);
    return NULL;
  }
  int pads = 0;
  while (k % 4) s[k++] = '=', pads++;
  unsigned char *out = malloc(k + 1);
  int m = EVP_DecodeBlock(out, (unsigned char *)s, (int)k);
  if (m < 0) {
    free(s);
    free(out);
    return NULL;
  }
  m -= pads;
  free(s);
  out[m] = 0;
  *outlen = (size_t)m;
  return out;
}

/* base64url(HMAC-SHA256(key "id.secret", header_b64 "." base64url(content))); malloc'd. */
static char *signature(const char *header_b64, size_t hlen, const char *content, const char *id,
                       const char *secret) {
  char key[BT_ID_LEN + BT_SECRET_LEN + 2];
  snprintf(key, sizeof key, "%s.%s", id, secret);
  char *payload = go_base64url_encode(content, strlen(content));
  size_t plen = strlen(payload);
  char *input = malloc(hlen + 1 + plen + 1);
  memcpy(input, header_b64, hlen);
  input[hlen] = '.';
  memcpy(input + hlen + 1, payload, plen + 1);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)input, hlen + 1 + plen, mac, &maclen);
  free(payload);
  free(input);
  return go_base64url_encode(mac, maclen);
}

char *bt_jws_sign(const char *content, const char *id, const char *secret) {
  char header[64];
  snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"kid\":\"%s\"}", id);
  char *h = go_base64url_encode(header, strlen(header));
  char *sig = signature(h, strlen(h), content, id, secret);
  size_t n = strlen(h) + strlen(sig) + 3;
  char *out = malloc(n);
  snprintf(out, n, "%s..%s", h, sig);
  free(h);
  free(sig);
  return out;
}

bool bt_jws_verify(const char *content, const char *jws, const char *id, const char *secret) {
  const char *dots = jws ? strstr(jws, "..") : NULL;
  if (!dots || strchr(dots + 2, '.')) return false;
  size_t hlen = (size_t)(dots - jws), len;
  unsigned char *hdr = unb64url(jws, hlen, &len);
  json_t *h = hdr ? json_loadb((char *)hdr, len, 0, NULL) : NULL;
  free(hdr);
  const char *alg = json_string_value(json_object_get(h, "alg"));
  const char *kid = json_string_value(json_object_get(h, "kid"));
  bool ok = alg && !strcmp(alg, "HS256") && (!kid || !strcmp(kid, id));
  json_decref(h);
  if (!ok) return false;
  char *want = signature(jws, hlen, content, id, secret);
  const char *got = dots + 2;
  ok = strlen(got) == strlen(want) && CRYPTO_memcmp(got, want, strlen(want)) == 0;
  free(want);
  return ok;
}

int bt_ca_hash(const char *pem, size_t len, char *out, size_t outlen) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  if (!cert) return -1;
  unsigned char *der = NULL;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  X509_free(cert);
  if (n <= 0) return -1;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  if (outlen < 7 + 2 * SHA256_DIGEST_LENGTH + 1) return -1;
  strcpy(out, "sha256:");
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) sprintf(out + 7 + 2 * i, "%02x", md[i]);
  return 0;
}

long long bt_parse_duration(const char *s) {
  if (!s || !*s) return -1;
  if (!strcmp(s, "0")) return 0;
  double total = 0;
  const char *p = s;
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0) return -1;
    p = end;
    double unit;
    if (!strncmp(p, "h", 1)) unit = 3600, p += 1;
    else if (!strncmp(p, "ms", 2)) unit = 0.001, p += 2;
    else if (!strncmp(p, "m", 1)) unit = 60, p += 1;
    else if (!strncmp(p, "s", 1)) unit = 1, p += 1;
    else return -1;
    total += v * unit;
  }
  return total > 1e15 ? -1 : (long long)total;
}

void bt_short_duration(long long s, char *out, size_t outlen) {
  if (s < -1) snprintf(out, outlen, "<invalid>");
  else if (s < 0) snprintf(out, outlen, "0s");
  else if (s < 60) snprintf(out, outlen, "%llds", s);
  else if (s < 3600) snprintf(out, outlen, "%lldm", s / 60);
  else if (s < 86400) snprintf(out, outlen, "%lldh", s / 3600);
  else if (s < 86400LL * 365) snprintf(out, outlen, "%lldd", s / 86400);
  else snprintf(out, outlen, "%lldy", s / (86400LL * 365));
}
