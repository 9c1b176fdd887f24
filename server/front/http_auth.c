/* http_auth.c - who a request is: a client certificate signed by the
 * cluster CA (verified by the TLS layer), a bearer token (authn_token.c:
 * static token file, admin, bootstrap, ServiceAccount legacy and bound) or,
 * without credentials, system:anonymous (--anonymous-auth; by default only
 * for kube-public/cluster-info); then impersonation
 * (impersonate.c) and the authorizers (authz.c) over the request's
 * attributes, with kube-apiserver's 403 text when they say no. */
#include "http_auth.h"
#include "http_front.h"
#include "authn_token.h"
#include "authz.h"
#include "bootstrap_auth.h"
#include "cert_user.h"
#include "impersonate.h"
#include "rbac_rules.h"
#include "ws_bearer.h"
#include <civetweb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void http_auth_set_admin_token(const char *token) { authn_token_set_admin(token); }

bool http_authenticated(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user) {
  if (ri->client_cert) { /* verified against the cluster CA by the TLS layer */
    *user = cert_user_from_x509(ri->client_cert->peer_cert);
    return *user != NULL;
  }
  const char *auth = mg_get_header(conn, "Authorization"), *t = NULL;
  char ws_token[1024];
  if (auth && !strncasecmp(auth, "Bearer ", 7)) {
    t = auth + 7;
    while (*t == ' ') t++;
  } else if (!auth) { /* a browser's WebSocket: the token rides in a subprotocol */
    int r = ws_bearer_token(mg_get_header(conn, "Sec-WebSocket-Protocol"), ws_token, sizeof ws_token);
    if (r < 0) return false;
    if (r > 0) t = ws_token;
  }
  if (t) {
    token_identity id;
    bool ok = authn_token_authenticate(http_server_of(conn)->cache, t, NULL, &id);
    if (ok) *user = token_identity_user_info(&id);
    token_identity_clear(&id);
    return ok;
  }
  return false;
}

#define CLUSTER_INFO_PATH "/api/v1/namespaces/kube-public/configmaps/cluster-info"

static bool anonymous_auth = false; /* off by default as k3s ships it (kube-apiserver: on) */

void http_set_anonymous_auth(bool on) { anonymous_auth = on; }

bool http_anonymous_auth(void) { return anonymous_auth; }

/* Whether the request presents credentials (a certificate, an Authorization
 * header, a WebSocket bearer subprotocol): when they fail, it is 401, never anonymous. */
static bool credentials_presented(struct mg_connection *conn, const struct mg_request_info *ri) {
  char t[16];
  return ri->client_cert || mg_get_header(conn, "Authorization") ||
         ws_bearer_token(mg_get_header(conn, "Sec-WebSocket-Protocol"), t, sizeof t) != 0;
}

bool http_anonymous_allowed(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user) {
  if (credentials_presented(conn, ri)) return false;
  if (!anonymous_auth && (strcmp(ri->request_method, "GET") || strcmp(ri->local_uri, CLUSTER_INFO_PATH)))
    return false;
  *user = json_pack("{s:s,s:[s]}", "username", "system:anonymous", "groups", "system:unauthenticated");
  return true;
}

json_t *http_authorize(cache *c, const struct mg_request_info *ri, json_t **user, char *reason, size_t len) {
  reason[0] = 0;
  json_t *st = impersonate_apply(c, ri, user);
  if (st) return st;
  authz_attrs a = {0};
  a.user = json_string_value(json_object_get(*user, "username"));
  a.groups = json_object_get(*user, "groups");
  rbac_request_info(ri->request_method, ri->local_uri, ri->query_string, &a);
  if (authz_allowed(c, &a, reason, len)) return NULL;
  return rbac_forbidden_status(&a, reason);
}

json_t *http_connection_user(struct mg_connection *conn) {
  json_t *user = NULL;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  if (!http_authenticated(conn, ri, &user)) return NULL;
  char reason[2048];
  json_t *deny = http_authorize(http_server_of(conn)->cache, ri, &user, reason, sizeof reason);
  if (!deny) return user;
  json_decref(deny);
  json_decref(user);
  return NULL;
}
