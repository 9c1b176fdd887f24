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
/* --anonymous-auth: requests without credentials are system:anonymous
 * (system:unauthenticated), authorized like any other (kube-apiserver
 * 1.20's default); off (ckube's default, as k3s ships it): 401, except
 * /healthz, /livez, /readyz, /version and GET of kube-public/cluster-info. */
void http_set_anonymous_auth(bool on);
bool http_anonymous_auth(void);
/* Authenticates the request (client certificate, Bearer header, or a browser
 * WebSocket's bearer subprotocol); *user gets the UserInfo (new reference). */
bool http_authenticated(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user);
/* A request without credentials that may go on as system:anonymous (every
 * one with --anonymous-auth, else GET of kube-public/cluster-info): *user set. */
bool http_anonymous_allowed(struct mg_connection *conn, const struct mg_request_info *ri, json_t **user);
/* Impersonation, then the authorizers (authz.h) over the request's
 * attributes, reading RBAC from c: NULL when allowed (*user may now be the
 * impersonated one), else the Status to answer; reason gets the authorizer's. */
json_t *http_authorize(cache *c, const struct mg_request_info *ri, json_t **user, char *reason, size_t len);
/* The authenticated and authorized user of a connection (client certificate
 * or bearer token, impersonation applied; new reference), or NULL. */
json_t *http_connection_user(struct mg_connection *conn);

#endif
