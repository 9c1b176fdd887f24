/* tunnel_internal.h - shared by the tunnel's request handlers (tunnel.c:
 * logs; tunnel_exec.c: exec): one answer in progress and the way to POST
 * its pieces. */
#ifndef CKUBE_TUNNEL_INTERNAL_H
#define CKUBE_TUNNEL_INTERNAL_H
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
/* Runs an exec request in the container's namespaces (tunnel_exec.c). */
void tunnel_exec(answer *a);

#endif
