/* token_request.h - the serviceaccounts/token subresource (TokenRequest,
 * authentication.k8s.io/v1), as kube-apiserver 1.20 answers it: defaults,
 * validation, the bound Pod or Secret, NodeRestriction for node callers,
 * 201 with status.token and status.expirationTimestamp. */
#ifndef CKUBE_TOKEN_REQUEST_H
#define CKUBE_TOKEN_REQUEST_H
#include "http.h"
#include <stdbool.h>

/* --service-account-max-token-expiration: longer requests are shortened to
 * it (0: no limit, the default). */
void token_request_set_max_expiration(long long seconds);
/* Answers POST .../serviceaccounts/NAME/token; false (nothing sent) for any
 * other request. */
bool token_request_handle(http_req *rq);

#endif
