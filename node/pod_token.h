/* pod_token.h - the projected serviceAccountToken source on a real node, as
 * kubelet 1.20's token manager serves it: a TokenRequest for the pod's
 * ServiceAccount bound to the pod (name + uid), with the source's audience
 * and expirationSeconds (default 3600), kept per pod and reused until it
 * needs refreshing: past 80% of its life or 24 hours old (less a jitter of
 * up to 10 s), then requested again so the volume's file rotates. */
#ifndef CKUBE_POD_TOKEN_H
#define CKUBE_POD_TOKEN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Asks the API: POST path with body; the HTTP status and the answer (new reference). */
typedef int (*pod_token_post_fn)(void *ctx, const char *path, const json_t *body, json_t **out);

/* The token for source src (a projected serviceAccountToken) of pod: from
 * cache (an object the caller keeps per pod) while fresh, else requested
 * through post (ctx). 0 with *token (malloc'd), or -1 with kubelet's
 * message in why. now is unix seconds. */
int pod_token_get(pod_token_post_fn post, void *ctx, json_t *cache, const json_t *pod, const json_t *src,
                  long long now, char **token, char *why, size_t wlen);

/* Kubelet's requiresRefresh: a token valid until exp for expiration_seconds
 * needs a new one at now (jitter: seconds taken off both limits). */
bool pod_token_requires_refresh(long long now, long long exp, long long expiration_seconds, long long jitter);

#endif
