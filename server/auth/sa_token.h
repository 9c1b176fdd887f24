/* sa_token.h - ServiceAccount tokens, as kube-apiserver's legacy token
 * authenticator and kube-controller-manager's token controller use them: JWTs
 * signed RS256 with the cluster's service-account key (DIR/pki/sa.key,
 * created on first start), issuer "kubernetes/serviceaccount". Verification
 * also requires the token's Secret to still exist and name the same
 * ServiceAccount, so deleting the Secret revokes the token. Thread-safe after
 * sa_token_init. */
#ifndef CKUBE_SA_TOKEN_H
#define CKUBE_SA_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include "watch_cache.h"

/* Loads or creates the signing key under pki_dir. 0, or -1 with err. */
int sa_token_init(const char *pki_dir, char *err, size_t errlen);
/* The PEM of the cluster CA, handed out in token Secrets (ca.crt). */
const char *sa_token_ca_pem(void);
void sa_token_set_ca_file(const char *ca_path);

/* A signed token for the ServiceAccount ns/sa_name (uid) whose Secret is
 * secret_name; malloc'd, NULL on failure. */
char *sa_token_issue(const char *ns, const char *sa_name, const char *sa_uid, const char *secret_name);
/* True when jwt is a token we signed whose Secret still exists in c (NULL:
 * none can be found); user gets "system:serviceaccount:NS:NAME". */
bool sa_token_verify(cache *c, const char *jwt, char *user, size_t userlen);

void sa_token_shutdown(void);

#endif
