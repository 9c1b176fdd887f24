/* spdy_session.h - pods/exec, pods/attach and pods/portforward over
 * SPDY/3.1 (what kubectl 1.20 speaks for all three, and the newest
 * kubectl for port-forward once its WebSocket attempt is refused): the
 * server answers the upgrade itself, then plays kubelet's part of the
 * stream protocols (remotecommand v1-v4, portforward.k8s.io), relaying each
 * stream to the pod's node through its call-home tunnel (node_tunnel.h). */
#ifndef CKUBE_SPDY_SESSION_H
#define CKUBE_SPDY_SESSION_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "http.h"

struct mg_connection;
typedef struct spdy_session spdy_session;

/* Serves rq when it asks for "Upgrade: SPDY/3.1" on a stream subresource
 * (holding the worker thread until the session ends); false otherwise. */
bool spdy_session_handle(http_req *rq);

/* Port-forward tunnelled in WebSocket binary messages (subprotocol
 * SPDY/3.1+portforward.k8s.io, KEP 4006: the newest kubectl's first try),
 * driven by CivetWeb's WebSocket callbacks (exec_ws.c). Open: NULL with
 * *status when refused before the upgrade (CONNECT admission for user
 * included). */
spdy_session *spdy_ws_open(struct mg_connection *conn, const json_t *user, const char *ns, const char *pod,
                           const char *query, json_t **status);
/* A message's bytes (any split of the frames); false: close the connection. */
bool spdy_ws_data(spdy_session *s, const char *data, size_t len);
/* The connection closed: relays ended, session freed. */
void spdy_ws_close(spdy_session *s);

#endif
