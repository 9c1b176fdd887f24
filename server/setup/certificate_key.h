/* certificate_key.h - kubeadm's certificate key: a random AES-256 key (64 hex
 * characters) that encrypts the control plane's shared certificates and keys
 * while they travel through the kubeadm-certs Secret (AES-256-GCM, a random
 * 12-byte nonce per value, stored as base64 of nonce || ciphertext || tag). */
#ifndef CKUBE_CERTIFICATE_KEY_H
#define CKUBE_CERTIFICATE_KEY_H
#include <stddef.h>

/* A new random key as 64 lowercase hex characters into out (>= 65 bytes). */
void certificate_key_new(char *out);

/* Encrypts len bytes of plain with the hex key; the base64 text (malloc'd),
 * or NULL when the key is not 64 hex characters. */
char *certificate_key_seal(const char *hex_key, const void *plain, size_t len);

/* Decrypts a sealed base64 text; the plaintext (malloc'd, NUL-terminated,
 * length in *len), or NULL when the key is wrong or the text was altered. */
char *certificate_key_open(const char *hex_key, const char *sealed, size_t *len);

#endif
