/* proxy.h - the Ingress data plane: HTTP and HTTPS listeners serving the
 * current route table (route.h) from epoll worker threads of their own. */
#ifndef CKUBE_INGRESS_PROXY_H
#define CKUBE_INGRESS_PROXY_H
#include <stddef.h>
#include <sys/socket.h>
#include "proxy_nice.h"

typedef struct {
  const char *http_addr, *https_addr; /* "HOST:PORT" or NULL (off) */
  int workers;                        /* 0: one per core */
  int nice;                           /* the workers' nice level (0: as the server) */
  proxy_activity_fn api_activity;     /* moves on each API request: the workers are at
                                         nice only while it does (proxy_nice.h); NULL: always */
} proxy_config;

/* Opens the listeners and starts the workers; -1 with err on failure
 * (nothing left open). Both addresses NULL: does nothing. */
int proxy_start(const proxy_config *cfg, char *err, size_t errlen);
/* Stops the workers, closing every connection. */
void proxy_stop(void);
/* Parses "HOST:PORT" / "[v6]:PORT" / ":PORT"; returns the port or -1. */
int proxy_split_addr(const char *addr, struct sockaddr_storage *out, socklen_t *len);

#endif
