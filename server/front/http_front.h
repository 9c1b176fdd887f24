/* http_front.h - the HTTPS front: one CivetWeb context serving one API
 * server (http.c: TLS, request intake, negotiation, routing). */
#ifndef CKUBE_HTTP_FRONT_H
#define CKUBE_HTTP_FRONT_H
#include <stdbool.h>
#include "http.h"

typedef struct {
  const char *listen;   /* "127.0.0.1:6443" */
  const char *cert_pem; /* key + certificate */
  const char *ca_file;  /* client CA */
  const char *token;    /* admin bearer token */
  int threads;
  api_server *srv;      /* what the requests are served from */
} http_config;

/* Starts serving; 0 or -1 + err. */
int http_start(const http_config *cfg, char *err, size_t errlen);
void http_stop(void);
/* The server whose front accepted conn (http_config.srv). */
api_server *http_server_of(const struct mg_connection *conn);
/* True once http_start returned 0 and until http_stop. */
bool http_ready(void);
/* How many requests the front has begun serving (a counter that only grows). */
unsigned long http_requests_begun(void);

#endif
