/* bootstrap_auth.h - the bootstrap-token authenticator of kube-apiserver
 * (--enable-bootstrap-token-auth): a bearer token "id.secret" is the
 * kube-system Secret bootstrap-token-<id> of type bootstrap.kubernetes.io/
 * token, unexpired, with usage-bootstrap-authentication "true". */
#ifndef CKUBE_BOOTSTRAP_AUTH_H
#define CKUBE_BOOTSTRAP_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "watch_cache.h"

/* true when t has the bootstrap token's shape (the authenticator owns it then). */
bool bootstrap_token_shaped(const char *t);
/* Authenticates t against its Secret in c: user system:bootstrap:<id>, groups system:bootstrappers and
 * the Secret's auth-extra-groups appended to groups (may be NULL). */
bool bootstrap_token_authenticate(cache *c, const char *t, char *user, size_t len, json_t *groups);
/* The Secret's data[key] decoded (malloc'd) or NULL; secret is a stored object. */
char *bootstrap_secret_value(const json_t *secret, const char *key);
/* true when the stored Secret is a bootstrap token usable for usage
 * ("usage-bootstrap-authentication" or "usage-bootstrap-signing") at now;
 * id/secret get its token. */
bool bootstrap_secret_usable(const json_t *secret, const char *usage, long long now, char *id, char *tsecret);

#endif
