/* node_tunnel.h - streams to real nodes through connections the nodes open
 * (the server never dials a node). A node keeps
 *   GET /ckube/v1/tunnel/NODE/requests
 * open: a chunked stream of JSON lines, one per request for it ({"id",
 * "kind":"log", "namespace", "pod", "podUID", "container", "follow",
 * "previous", "timestamps", "tailLines", "limitBytes", "sinceSeconds",
 * "sinceTime"}), blank lines as keep-alives. It answers each with
 *   POST /ckube/v1/tunnel/NODE/responses/ID  {"status", "message", "data"
 *   (base64), "end"}
 * as many times as needed (410 once the client went away), and fetches
 * what the client sends (exec stdin, resize) with
 *   GET /ckube/v1/tunnel/NODE/input/ID -> {"items":[{"channel","data"}],
 *   "closed", "gone"} (waits up to 10 s). Only the node
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

/* A request handed to a node (the building block of the streams). */
typedef struct treq treq;
/* Queues line (stolen; "id" is added) for node: NULL when it has no tunnel. */
treq *node_tunnel_request(const char *node, json_t *line);
/* Waits for the node's next piece: 1 with *channel, *data (malloc'd), *len;
 * 0 when the answer is over, with the node's *status (200, 400, 404; 503
 * tunnel closed, 504 no answer in 30 s) and *message (malloc'd or NULL). */
int node_tunnel_next(treq *r, int *channel, char **data, size_t *len, int *status, char **message);
/* Input for the node (stdin, resize): data on channel; close ends stdin. */
void node_tunnel_input(treq *r, int channel, const char *data, size_t len, bool close);
/* The client is gone: node_tunnel_next returns 0, the node's answers get 410. */
void node_tunnel_cancel(treq *r);
/* Ends the request (the node's further answers get 410) and frees it. */
void node_tunnel_release(treq *r);

/* Ends every open tunnel stream (server shutdown). */
void node_tunnel_shutdown(void);

#endif
