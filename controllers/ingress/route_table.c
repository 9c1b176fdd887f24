/* route_table.c - lifetime of route tables: reference counts, the process's
 * current table and its atomic replacement. The controller's thread swaps;
 * data-plane workers notice the new generation number and take a reference
 * to the new table for the requests they route from then on, while
 * requests already routed keep theirs. */
#include "route.h"
#include <string.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static route_table *current; /* guarded by current_lock */
static atomic_ulong generation;

route_table *route_ref(route_table *t) {
  if (t) atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
  return t;
}

static void free_backend(route_backend *b) {
  free(b->name);
  free(b->eps);
  free(b->state);
  free(b);
}

static void free_opts(route_opts *o) {
  free(o->ingress);
  free(o->rewrite_target);
  free(o->app_root);
  free(o->permanent_redirect);
  free(o->affinity_cookie);
  free(o->allow);
  free(o);
}

static void free_canary(route_canary *c) {
  if (!c) return;
  free(c->header);
  free(c->header_value);
  free(c->cookie);
  if (c->header_pattern) regfree(c->header_pattern);
  free(c->header_pattern);
  free(c);
}

static void free_host(route_host *h) {
  for (size_t i = 0; i < h->n_paths; i++) {
    route_path *p = &h->paths[i];
    free(p->path);
    if (p->re) regfree(p->re);
    free(p->re);
    free_canary(p->canary);
  }
  free(h->paths);
  free(h->name);
}

const route_backend *route_find_backend(const route_table *t, const char *name) {
  for (size_t i = 0; i < t->n_backends; i++) /* a table has tens of backends: a scan on a retry is cheap */
    if (!strcmp(t->backends[i]->name, name)) return t->backends[i];
  return NULL;
}

void route_unref(route_table *t) {
  if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
  for (size_t i = 0; i < t->n_hosts; i++) free_host(&t->hosts[i]);
  free(t->hosts);
  free_host(&t->catch_all);
  for (size_t i = 0; i < t->n_backends; i++) free_backend(t->backends[i]);
  free(t->backends);
  for (size_t i = 0; i < t->n_opts; i++) free_opts(t->opts[i]);
  free(t->opts);
  for (size_t i = 0; i < t->n_certs; i++) {
    free(t->certs[i].host);
    SSL_CTX_free(t->certs[i].ssl_ctx);
  }
  free(t->certs);
  free(t);
}

route_table *route_empty(void) {
  route_table *t = calloc(1, sizeof *t);
  if (!t) abort();
  atomic_init(&t->refs, 1);
  t->catch_all.name = calloc(1, 1);
  return t;
}

route_table *route_current(void) {
  pthread_mutex_lock(&current_lock);
  if (!current) current = route_empty();
  route_table *t = route_ref(current);
  pthread_mutex_unlock(&current_lock);
  return t;
}

void route_swap(route_table *t) {
  pthread_mutex_lock(&current_lock);
  route_table *old = current;
  t->generation = atomic_load(&generation) + 1;
  current = t;
  atomic_store(&generation, t->generation);
  pthread_mutex_unlock(&current_lock);
  route_unref(old);
}

unsigned long route_generation(void) { return atomic_load_explicit(&generation, memory_order_acquire); }
