/* https_client.h - the node agent's way home: one keep-alive HTTPS
 * connection to the API server over mbedTLS (server verified against the
 * cluster CA, client certificate or bearer token from the kubeconfig), and
 * JSON request/response calls on it. Not thread-safe: one per thread. */
#ifndef CKUBE_HTTPS_CLIENT_H
#define CKUBE_HTTPS_CLIENT_H
#include <stddef.h>
#include <jansson.h>

typedef struct https_client https_client;

/* Reads the kubeconfig's current context (server, CA, client cert/key or
 * token) and connects. NULL + err. */
https_client *https_client_open(const char *kubeconfig, char *err, size_t errlen);
void https_client_close(https_client *c);
/* Makes a read blocked in another thread fail at once (shutdown of the
 * socket); used to stop a watch. */
void https_client_interrupt(https_client *c);

/* Sends method path with an optional JSON body (content_type defaults to
 * application/json); returns the HTTP status (0 on transport failure, after
 * which the next call reconnects) and the decoded JSON response in *out
 * (new reference or NULL). */
int https_call(https_client *c, const char *method, const char *path, const json_t *body,
               const char *content_type, json_t **out);

/* Starts a streaming GET (a watch). Returns 200 when the chunked body
 * follows (read it with https_stream_next), otherwise the HTTP status (0 on
 * transport failure) with the decoded error body in *error_body (new
 * reference or NULL) and the connection closed. A stream read that sees no
 * byte for idle_timeout_ms fails. */
int https_stream_open(https_client *c, const char *path, int idle_timeout_ms, json_t **error_body);
/* The next JSON line of the stream (blank keep-alive lines are skipped):
 * 1 with *out (new reference), or 0 when the stream ended or failed (the
 * connection is closed; the next call on c reconnects). */
int https_stream_next(https_client *c, json_t **out);

#endif
