/* certificate_key.c - see certificate_key.h. GCM's tag authenticates each
 * value, so a joining server that decrypts with the right key also knows the
 * material is the one the first server sealed (kubeadm's copycerts uses the
 * same construction). */
#include "certificate_key.h"
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEY_LEN = 32, NONCE_LEN = 12, TAG_LEN = 16 };

void certificate_key_new(char *out) {
  unsigned char k[KEY_LEN];
  RAND_bytes(k, sizeof k);
  for (int i = 0; i < KEY_LEN; i++) sprintf(out + 2 * i, "%02x", k[i]);
}

static bool parse_key(const char *hex, unsigned char *k) {
  if (!hex || strlen(hex) != 2 * KEY_LEN) return false;
  for (int i = 0; i < KEY_LEN; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return false;
    k[i] = (unsigned char)v;
  }
  return true;
}

char *certificate_key_seal(const char *hex_key, const void *plain, size_t len) {
  unsigned char k[KEY_LEN];
  if (!parse_key(hex_key, k) || len > (1u << 24)) return NULL;
  unsigned char *buf = malloc(NONCE_LEN + len + TAG_LEN);
  RAND_bytes(buf, NONCE_LEN);
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, fin = 0;
  bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k, buf) == 1 &&
            EVP_EncryptUpdate(c, buf + NONCE_LEN, &n, plain, (int)len) == 1 &&
            EVP_EncryptFinal_ex(c, buf + NONCE_LEN + n, &fin) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + len) == 1;
  EVP_CIPHER_CTX_free(c);
  char *out = NULL;
  if (ok) {
    size_t total = NONCE_LEN + len + TAG_LEN;
    out = malloc(4 * ((total + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, buf, (int)total);
  }
  free(buf);
  return out;
}

char *certificate_key_open(const char *hex_key, const char *sealed, size_t *len) {
  unsigned char k[KEY_LEN];
  size_t slen = sealed ? strlen(sealed) : 0;
  if (!parse_key(hex_key, k) || slen < 4 || slen % 4) return NULL;
  unsigned char *raw = malloc(slen / 4 * 3 + 1);
  int m = EVP_DecodeBlock(raw, (const unsigned char *)sealed, (int)slen);
  for (size_t i = slen; m > 0 && i > 0 && sealed[i - 1] == '='; i--) m--; /* padding decodes as zeros */
  if (m < NONCE_LEN + TAG_LEN) {
    free(raw);
    return NULL;
  }
  size_t clen = (size_t)m - NONCE_LEN - TAG_LEN;
  char *out = malloc(clen + 1);
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, fin = 0;
  bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k, raw) == 1 &&
            EVP_DecryptUpdate(c, (unsigned char *)out, &n, raw + NONCE_LEN, (int)clen) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + clen) == 1 &&
            EVP_DecryptFinal_ex(c, (unsigned char *)out + n, &fin) == 1;
  EVP_CIPHER_CTX_free(c);
  free(raw);
  if (!ok) {
    free(out);
    return NULL;
  }
  out[clen] = 0;
  *len = clen;
  return out;
}
