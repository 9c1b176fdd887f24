/* http_auth.c - who a request is: a client certificate signed by the
 * cluster CA (verified by the TLS layer), the admin bearer token, a
 * ServiceAccount token (sa_token.c), a bootstrap token (bootstrap_auth.c) or,
 * for the one object they may read, anonymous; then impersonation
 * (impersonate.c) and the authorizers (authz.c) over the request's
 * attributes, with kube-apiserver's 403 text when they say no. */
#include "http_auth.h"
#include "http_front.h"
#include "authz.h"
#include "bootstrap_auth.h"
#include "cert_user.h"
#include "impersonate.h"
#include "rbac_rules.h"
#include "sa_token.h"
#include "ws_bearer.h"
#include <civetweb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static char admin_token[128]; /* set once by http_auth_set_admin_token before serving */

void http_auth_set_admin_token(const char *token) { snprintf(admin_token, sizeof admin_token, "%s", token ? token : ""); }

bool http_authenticate_token(api_server *srv, const char *t, char *user, size_t len, json_t *groups) {
  if (admin_token[0] && !strcmp(t, admin_token)) {
    snprintf(user, len, "kubernetes-admin");
    if (groups) json_array_append_new(groups, json_string("system:masters"));
  } else if (bootstrap_token_shaped(t)) {
    if (!bootstrap_token_authenticate(srv->cache, t, user, len, groups)) return false;
  } else if (sa_token_verify(srv->cache, t, user, len)) {
    if (groups) {
      char g[600];
      snprintf(g, sizeof g, "system:serviceaccounts:%s", user + strlen("system:serviceaccount:"));
      *strrchr(g, ':') = 0;
      json_array_append_new(groups, json_string("system:serviceaccounts"));
      json_array_append_new(groups, json_string(g));
    }
  } else {
    return false;
  }
  if (groups) json_array_append_new(groups, json_string("system:authenticated"));
  return true;
}


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
    char name[600];
    json_t *groups = json_array();
    if (!http_authenticate_token(http_server_of(conn), t, name, sizeof name, groups)) {
      json_decref(groups);
      return false;
    }
    *user = json_pack("{s:s,s:o}", "username", name, "groups", groups);
    return true;
  }
  return false;
}

#define CLUSTER_INFO_PATH "/api/v1/namespaces/kube-public/configmaps/cluster-info"

bool http_anonymous_allowed(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user) {
  if (ri->client_cert || mg_get_header(conn, "Authorization") || strcmp(ri->request_method, "GET") ||
      strcmp(ri->local_uri, CLUSTER_INFO_PATH))
    return false;
  *user = json_pack("{s:s,s:[s]}", "username", "system:anonymous", "groups", "system:unauthenticated");
  return true;
}

json_t *http_authorize(cache *c, const struct mg_request_info *ri, json_t **user) {
  json_t *st = impersonate_apply(c, ri, user);
  if (st) return st;
  authz_attrs a = {0};
  a.user = json_string_value(json_object_get(*user, "username"));
  a.groups = json_object_get(*user, "groups");
  rbac_request_info(ri->request_method, ri->local_uri, ri->query_string, &a);
  char reason[2048];
  if (authz_allowed(c, &a, reason, sizeof reason)) return NULL;
  return rbac_forbidden_status(&a, reason);
}

json_t *http_connection_user(struct mg_connection *conn) {
  json_t *user = NULL;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  if (!http_authenticated(conn, ri, &user)) return NULL;
  json_t *deny = http_authorize(http_server_of(conn)->cache, ri, &user);
  if (!deny) return user;
  json_decref(deny);
  json_decref(user);
  return NULL;
}
