/* bootstrap_token.h - the pure parts of Kubernetes' bootstrap tokens, shared
 * by the server (authentication, the cluster-info signatures, the token
 * command) and the node agent (join): the token format, the detached JWS
 * that signs the cluster-info kubeconfig with a token, the CA public-key
 * hash kubeadm pins, and Go-style durations for --ttl. */
#ifndef CKUBE_BOOTSTRAP_TOKEN_H
#define CKUBE_BOOTSTRAP_TOKEN_H
#include <stdbool.h>
#include <stddef.h>

#define BT_ID_LEN 6
#define BT_SECRET_LEN 16
#define BT_SECRET_PREFIX "bootstrap-token-"
#define BT_SECRET_TYPE "bootstrap.kubernetes.io/token"
#define BT_JWS_PREFIX "jws-kubeconfig-"

/* Splits "[a-z0-9]{6}.[a-z0-9]{16}" into id and secret; false if it is not one. */
bool bt_parse(const char *token, char id[BT_ID_LEN + 1], char secret[BT_SECRET_LEN + 1]);
/* true when s is a token id ("[a-z0-9]{6}"). */
bool bt_is_id(const char *s);
/* A fresh random token id and secret. */
void bt_generate(char id[BT_ID_LEN + 1], char secret[BT_SECRET_LEN + 1]);

/* The detached JWS (header..signature, HS256, kid = id) of content signed
 * with the token "id.secret", as kubeadm's bootstrapsigner computes it.
 * Returns a malloc'd string. */
char *bt_jws_sign(const char *content, const char *id, const char *secret);
/* true when jws is a valid detached HS256 signature of content by the token. */
bool bt_jws_verify(const char *content, const char *jws, const char *id, const char *secret);

/* "sha256:<hex>" of the DER SubjectPublicKeyInfo of the first certificate in
 * pem (kubeadm's discovery-token-ca-cert-hash) into out (>= 72 bytes).
 * 0, or -1 when pem holds no certificate. */
int bt_ca_hash(const char *pem, size_t len, char *out, size_t outlen);

/* Seconds of a Go duration ("24h", "1h30m", "90s", "0"); -1 when invalid. */
long long bt_parse_duration(const char *s);
/* kubeadm's short TTL form (duration.ShortHumanDuration): "59s", "23h", "6d", "1y";
 * "<invalid>" below -1 s. */
void bt_short_duration(long long seconds, char *out, size_t outlen);

#endif
