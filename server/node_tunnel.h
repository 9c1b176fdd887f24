/* node_tunnel.h - streams to real nodes through connections the nodes open
 * (the server never dials a node). A node keeps
 *   GET /ckube/v1/tunnel/NODE/requests
 * open: a chunked stream of JSON lines, one per request for it ({"id",
 * "kind":"log", "namespace", "pod", "podUID", "container", "follow",
 * "previous", "timestamps", "tailLines", "limitBytes", "sinceSeconds",
 * "sinceTime"}), blank lines as keep-alives. It answers each with
 *   POST /ckube/v1/tunnel/NODE/responses/ID  {"status", "message", "data"
 *   (base64), "end"}
 * as many times as needed (410 once the client went away). Only the node
 * itself (user system:node:NODE) or an admin (system:masters) may use
 * either path. */
#ifndef CKUBE_NODE_TUNNEL_H
#define CKUBE_NODE_TUNNEL_H
#include <stdbool.h>
#include "http.h"

/* Answers /ckube/v1/tunnel/... requests; false when the path is another. */
bool node_tunnel_handle(http_req *rq);

/* true when node has a tunnel open. */
bool node_tunnel_connected(const char *node);

/* Streams container c's log of pod (on node) to rq through the node's
 * tunnel, with the PodLogOptions of rq's query. false (nothing sent) when
 * the node has no tunnel. */
bool node_tunnel_pod_log(http_req *rq, const char *node, const json_t *pod, const char *container);

/* Ends every open tunnel stream (server shutdown). */
void node_tunnel_shutdown(void);

#endif
