/* sa_token.h - ServiceAccount tokens, as kube-apiserver 1.20 signs and
 * checks them: JWTs signed RS256 with the cluster's service-account key
 * (DIR/pki/sa.key, created on first start), the header's kid the key's
 * SHA-256 id. Legacy tokens (kube-controller-manager's token controller,
 * issuer "kubernetes/serviceaccount") are valid while their Secret exists and
 * names the same ServiceAccount; bound tokens (TokenRequest, issuer
 * --service-account-issuer) are checked by sa_token_bound.c. Thread-safe
 * after sa_token_init. */
#ifndef CKUBE_SA_TOKEN_H
#define CKUBE_SA_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "token_identity.h"
#include "watch_cache.h"

/* kubeadm 1.20's --service-account-issuer, also the API's audience. */
#define SA_TOKEN_DEFAULT_ISSUER "https://kubernetes.default.svc.cluster.local"

/* Loads or creates the signing key under pki_dir. 0, or -1 with err. */
int sa_token_init(const char *pki_dir, char *err, size_t errlen);
/* The PEM of the cluster CA, handed out in token Secrets (ca.crt). */
const char *sa_token_ca_pem(void);
void sa_token_set_ca_file(const char *ca_path);

/* A signed token for the ServiceAccount ns/sa_name (uid) whose Secret is
 * secret_name; malloc'd, NULL on failure. */
char *sa_token_issue(const char *ns, const char *sa_name, const char *sa_uid, const char *secret_name);
/* Signs claims (stolen) as an RS256 JWT; malloc'd, NULL on failure. */
char *sa_token_sign(json_t *claims);
/* The claims of jwt when its signature is ours (new reference), else NULL. */
json_t *sa_token_verified_claims(const char *jwt);
/* True when jwt is a token we signed that is still valid for audiences
 * (NULL or empty: the API's own, the issuer) - legacy: its Secret exists and
 * it is good for the issuer only; bound: see sa_token_bound_valid. Fills
 * id's user ("system:serviceaccount:NS:NAME"), uid, extra and audiences, or
 * id->why. */
bool sa_token_verify(cache *c, const char *jwt, const json_t *audiences, token_identity *id);
/* The audiences of a token whose aud claim is aud (a string or a list) for
 * those asked (NULL/empty: the issuer): the ones in common (new reference),
 * or NULL with the authenticator's message in id->why. */
json_t *sa_token_audiences(const json_t *aud, const json_t *asked, token_identity *id);
/* Into buf: Go's %q of a string list, `["a" "b"]`. */
void sa_token_quote_list(const json_t *list, char *buf, size_t len);
/* The issuer of bound tokens (--service-account-issuer). */
void sa_token_set_issuer(const char *iss);
const char *sa_token_issuer(void);

void sa_token_shutdown(void);

#endif
