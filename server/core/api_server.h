/* api_server.h - one API server's state, made by main.c and passed down:
 * the store of record and the watch cache over it. The front (http.c) keeps
 * it as its CivetWeb context's user data and hands it to every request
 * (http_req.srv); the layers below the core are given the part they read
 * (the cache) as a parameter, never a global. The core itself still serves
 * one server per process (api_init, api_cache() for the controllers). */
#ifndef CKUBE_API_SERVER_H
#define CKUBE_API_SERVER_H
#include "store.h"
#include "watch_cache.h"

typedef struct api_server {
  store *store; /* the backend of record (store_sqlite.c today) */
  cache *cache; /* every object in memory, over store */
} api_server;

#endif
