/* authn_token.h - kube-apiserver 1.20's bearer-token authenticators in its
 * order: the static token file (--token-auth-file), the admin token,
 * bootstrap tokens, ServiceAccount tokens (legacy and bound). Audiences:
 * every token is good for the API's audience (the service-account issuer);
 * a request for other audiences (TokenReview spec.audiences) authenticates
 * only tokens bound to one of them. Every user gets system:authenticated. */
#ifndef CKUBE_AUTHN_TOKEN_H
#define CKUBE_AUTHN_TOKEN_H
#include "token_identity.h"
#include "watch_cache.h"
#include <stdbool.h>
#include <stddef.h>

/* The admin bearer token (kubernetes-admin, system:masters). */
void authn_token_set_admin(const char *token);
/* Loads the static token CSV (token,user,uid,"group1,group2"); 0, or -1 with
 * kube-apiserver's error in err. */
int authn_token_load_file(const char *path, char *err, size_t errlen);
/* Authenticates token for audiences (NULL or empty: the API's); true with
 * *id filled, false with id->why. Either way token_identity_clear(id) after. */
bool authn_token_authenticate(cache *c, const char *token, const json_t *audiences, token_identity *id);
void token_identity_clear(token_identity *id);
/* authentication/v1 UserInfo of id: username, uid (when known), groups, extra (when any). */
json_t *token_identity_user_info(const token_identity *id);
void authn_token_shutdown(void);

#endif
