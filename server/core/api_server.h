/* api_server.h - one API server's state, made by main.c and passed down:
 * the store of record and the watch cache over it. The front (http.c) keeps
 * it as its CivetWeb context's user data and hands it to every request
 * (http_req.srv); the core's verbs (api.h) take it from their caller, the
 * request's or, for in-process callers, the one main.c gave them (the
 * controllers get it in their ctrl_context); the layers below the core are
 * given the part they read (the cache) as a parameter. Nothing keeps it in a
 * global. */
#ifndef CKUBE_API_SERVER_H
#define CKUBE_API_SERVER_H
#include "store.h"
#include "watch_cache.h"

typedef struct api_server {
  store *store; /* the backend of record (store_sqlite.c today) */
  cache *cache; /* every object in memory, over store */
} api_server;

#endif
