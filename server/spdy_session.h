/* spdy_session.h - pods/exec, pods/attach and pods/portforward over
 * SPDY/3.1 (what kubectl 1.20 speaks for all three, and the newest
 * kubectl for port-forward once its WebSocket attempt is refused): the
 * server answers the upgrade itself, then plays kubelet's part of the
 * stream protocols (remotecommand v1-v4, portforward.k8s.io), relaying each
 * stream to the pod's node through its call-home tunnel (node_tunnel.h). */
#ifndef CKUBE_SPDY_SESSION_H
#define CKUBE_SPDY_SESSION_H
#include <stdbool.h>
#include "http.h"

/* Serves rq when it asks for "Upgrade: SPDY/3.1" on a stream subresource
 * (holding the worker thread until the session ends); false otherwise. */
bool spdy_session_handle(http_req *rq);

#endif
