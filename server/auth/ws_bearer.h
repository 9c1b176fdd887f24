/* ws_bearer.h - the bearer token a browser sends in a WebSocket handshake.
 * Browsers cannot set an Authorization header on a WebSocket, so
 * kube-apiserver also reads the token from an offered subprotocol
 * "base64url.bearer.authorization.k8s.io.<token, unpadded base64url>";
 * the console's exec terminal uses it. */
#ifndef CKUBE_WS_BEARER_H
#define CKUBE_WS_BEARER_H
#include <stdbool.h>
#include <stddef.h>

#define WS_BEARER_PREFIX "base64url.bearer.authorization.k8s.io."

/* Finds the token in a Sec-WebSocket-Protocol header value (a comma list,
 * may be NULL). 1: decoded into out; 0: no such protocol; -1: one is there
 * but empty, not base64url, or too long (the request is then refused). */
int ws_bearer_token(const char *protocols, char *out, size_t outlen);

#endif
