/* tunnel_internal.h - shared by the tunnel's request handlers (tunnel.c:
 * logs; tunnel_exec.c: exec; tunnel_attach.c: attach;
 * tunnel_forward.c: port-forward; tunnel_tls.c: its TLS form): one answer in progress and the way to POST
 * its pieces. */
#ifndef CKUBE_TUNNEL_INTERNAL_H
#define CKUBE_TUNNEL_INTERNAL_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "https_client.h"
#include "tunnel.h"

typedef struct {
  const tunnel_opts *o;
  json_t *req;
  https_client *c;
  char path[400];
  bool sent_status, gone;
  int channel;   /* of the next POST's data (1 stdout by default) */
  bool split_streams; /* log output on channel 1/2 by stream (attach) */
  int exit_code; /* sent with the last POST when >= 0 */
  char *buf;     /* output not yet posted */
  size_t len;
} answer;

/* POSTs one piece of the answer (the first carries status and message);
 * false once the server no longer wants it (a->gone). */
bool tunnel_post(answer *a, int status, const char *message, const char *data, size_t len, bool end);
/* A string member of o, "" when absent. */
const char *jstr(const json_t *o, const char *k);
/* One piece of the client's input: data on channel (0 stdin/data, 4 resize). */
typedef void (*tunnel_input_fn)(void *ctx, int channel, const char *data, size_t len);
/* Fetches the client's input for a's request until *done or the client
 * leaves: each piece to on_item, the client's close of its input once to
 * on_close. true when the client left before *done (tunnel_input.c). */
bool tunnel_fetch_input(answer *a, atomic_bool *done, tunnel_input_fn on_item, void (*on_close)(void *ctx), void *ctx);
/* Serves a log request: the container's log file with kubelet's options (tunnel.c). */
void tunnel_log(answer *a);
/* Serves an attach: the log from now on, stdin into the container's FIFO (tunnel_attach.c). */
void tunnel_attach(answer *a);
/* Relays a port-forward connection to the pod's IP and port (tunnel_forward.c). */
void tunnel_forward(answer *a);
/* The same over TLS to the pod, once connected on fd (tunnel_tls.c; the caller closes fd). */
void tunnel_forward_tls(answer *a, int fd);
/* Runs an exec request in the container's namespaces (tunnel_exec.c). */
void tunnel_exec(answer *a);

#endif
