/* http_auth.h - a request's identity and permission (http_auth.c):
 * authentication by client certificate or bearer token, impersonation, the
 * authorizers. */
#ifndef CKUBE_HTTP_AUTH_H
#define CKUBE_HTTP_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "api_server.h"
struct mg_connection;
struct mg_request_info;

/* The admin bearer token (kubernetes-admin in system:masters); set before serving. */
void http_auth_set_admin_token(const char *token);
/* Checks a bearer token (the admin token, a ServiceAccount or bootstrap token
 * whose Secret is in srv's cache): user name into user and, when groups is an
 * array, the user's groups appended. */
bool http_authenticate_token(api_server *srv, const char *token, char *user, size_t len, json_t *groups);
/* Authenticates the request (client certificate, Bearer header, or a browser
 * WebSocket's bearer subprotocol); *user gets the UserInfo (new reference). */
bool http_authenticated(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user);
/* A request without credentials for the one object anonymous users may read
 * (kube-public/cluster-info): *user becomes system:anonymous. */
bool http_anonymous_allowed(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user);
/* Impersonation, then the authorizers (authz.h) over the request's
 * attributes, reading RBAC from c: NULL when allowed (*user may now be the
 * impersonated one), else the Status to answer. */
json_t *http_authorize(cache *c, const struct mg_request_info *ri, json_t **user);
/* The authenticated and authorized user of a connection (client certificate
 * or bearer token, impersonation applied; new reference), or NULL. */
json_t *http_connection_user(struct mg_connection *conn);

#endif
