/* exec_ws.h - pods/exec and pods/attach over WebSocket (v5.channel.k8s.io
 * and v4.channel.k8s.io, what kubectl 1.30+ tries first), relayed to the
 * pod's node through its call-home tunnel (node_tunnel.h); attach shows the
 * container's output from now on and feeds its stdin. pods/portforward
 * with the SPDY/3.1+portforward.k8s.io subprotocol is handed to
 * spdy_session.h; any other upgrade is refused with an HTTP Status (so that
 * kubectl falls back to SPDY/3.1, spdy_session.h). */
#ifndef CKUBE_EXEC_WS_H
#define CKUBE_EXEC_WS_H

struct mg_context;

/* Registers the WebSocket handlers on ctx (after mg_start). */
void exec_ws_register(struct mg_context *ctx);

#endif
