/* sa_token_bound.h - bound ServiceAccount tokens (TokenRequest), as
 * kube-apiserver 1.20 makes them (pkg/serviceaccount/claims.go): claims
 * iss, sub, aud, iat, nbf, exp and "kubernetes.io" (namespace, serviceaccount
 * and the bound pod or secret, name + uid, warnafter for an extended
 * token), and as its authenticator accepts them: signature ours, issuer ours,
 * an audience in common, not expired (one minute of leeway), the
 * ServiceAccount and the bound object still there with the same uid and not
 * deleted more than a minute ago. */
#ifndef CKUBE_SA_TOKEN_BOUND_H
#define CKUBE_SA_TOKEN_BOUND_H
#include <jansson.h>
#include "token_identity.h"
#include "watch_cache.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct {
  const char *ns, *sa_name, *sa_uid;
  const char *pod_name, *pod_uid;       /* NULL unless bound to a pod */
  const char *secret_name, *secret_uid; /* NULL unless bound to a secret */
  const json_t *audiences;              /* array of strings */
  long long expiration_seconds;         /* the token's life (exp - iat) */
  long long warn_after_seconds;         /* 0, or the warnafter claim of an extended token */
  long long now;                        /* unix seconds */
} sa_bound_claims;

/* A signed bound token for c; malloc'd, NULL on failure. */
char *sa_token_issue_bound(const sa_bound_claims *c);
/* Whether verified claims (signature and issuer already checked) make a
 * valid token for one of audiences (NULL or empty: the issuer, the API's
 * audience); id as sa_token_verify fills it. */
bool sa_token_bound_valid(cache *c, const json_t *claims, const json_t *audiences, token_identity *id);

#endif
