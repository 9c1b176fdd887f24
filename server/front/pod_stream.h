/* pod_stream.h - what the stream subresources (pods/exec, pods/attach,
 * pods/portforward) share whatever their wire protocol (WebSocket:
 * exec_ws.c; SPDY/3.1: spdy_session.c): the request for the pod's node,
 * built from the query as kubelet reads it, and the metav1.Status values
 * that end a stream. */
#ifndef CKUBE_POD_STREAM_H
#define CKUBE_POD_STREAM_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "watch_cache.h"

/* /api/v1/namespaces/NS/pods/NAME/KIND with KIND exec, attach or
 * portforward -> ns, pod, kind (each 256 bytes, kind 16); false otherwise. */
bool pod_stream_path(const char *uri, char *ns, char *pod, char *kind);

/* The node request for kind on ns/pod with the query's command, container,
 * stdin/stdout/stderr/tty (exec, attach): {"kind","namespace","pod",
 * "podUID","podIP","container","command",...}; the pod's node into node.
 * NULL with *status set (a Status: NotFound, BadRequest) when the pod is
 * missing, unscheduled or the container is ambiguous. */
json_t *pod_stream_request(cache *c, const char *ns, const char *pod, const char *kind, const char *query, char *node,
                           size_t node_len, json_t **status);

/* CONNECT admission of kind on ns/pod for user (the query's options
 * object through the webhooks, webhook_connect): NULL when admitted, else
 * the Status to answer before anything is dialed (new reference). */
json_t *pod_stream_admit(cache *c, const json_t *user, const char *ns, const char *pod, const char *kind,
                         const char *query);

/* A Failure Status with reason, code and message. */
json_t *pod_stream_failure(const char *reason, int code, const char *message);
/* The Status that ends an exec: Success for 0, else kubelet's
 * NonZeroExitCode with the ExitCode cause (command from line). */
json_t *pod_stream_exit_status(const json_t *line, int code);
/* The Status when the pod's node has no tunnel open. */
json_t *pod_stream_no_tunnel(const char *node);
/* The Status for a node's refusal (status 400/404: BadRequest) or failure. */
json_t *pod_stream_node_failure(int status, const char *message);

#endif
