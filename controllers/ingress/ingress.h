/* ingress.h - the Ingress proxy as the server starts and stops it: the
 * controller that compiles the route table (ingress_controller.c) and the
 * data plane that serves it (proxy.c). Off unless an address is given. */
#ifndef CKUBE_INGRESS_H
#define CKUBE_INGRESS_H
#include "controller.h"
#include <stddef.h>

/* The data plane's threads yield the CPU to the API's (proxy.c says why). */
#define INGRESS_DEFAULT_NICE 19

typedef struct {
  const char *http_addr, *https_addr; /* "HOST:PORT", NULL = off */
  const char *access_log;             /* a file, "-" for stderr, NULL = off */
  int nice;                           /* the proxy workers' nice level while the API is busy, 0-19 */
  unsigned long (*api_activity)(void); /* moves on each API request (NULL: nice always) */
  const ctrl_context *cc;              /* what the controller reads and writes through (kept until stop) */
} ingress_config;

/* Serves Ingress traffic on the configured addresses; call after the API
 * core is up. -1 with err when a port or the log cannot be opened. */
int ingress_start(const ingress_config *cfg, char *err, size_t errlen);
/* Stops the controller and closes every proxied connection. */
void ingress_stop(void);

#endif
