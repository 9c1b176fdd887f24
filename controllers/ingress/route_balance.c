/* route_balance.c - which endpoint of a backend serves the next request,
 * by the load-balance annotation's algorithm as ingress-nginx's balancer
 * does it: round_robin (the default), least_conn (fewest requests in
 * flight, ties in round-robin order) and ewma (two random endpoints, the
 * one whose decayed response time times (in flight + 1) is lower; an
 * endpoint without samples scores 0, so new endpoints get tried at once).
 * Passive health applies to all three: an endpoint that failed is skipped
 * for a while unless every endpoint is down. The per-endpoint counters are
 * atomics in the table, updated by the proxy's workers without locks. */
#include "route.h"
#include <math.h>
#include <string.h>
#include <time.h>

#define EWMA_DECAY_MS 10000.0 /* ingress-nginx's decay time */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static long long index_of(const route_backend *b, const route_endpoint *e) {
  if (!b || !b->state || !e || e < b->eps || e >= b->eps + b->n_eps) return -1;
  return e - b->eps;
}

int route_parse_lb(const char *v) {
  if (!v || !strcmp(v, "round_robin")) return LB_ROUND_ROBIN;
  if (!strcmp(v, "ewma")) return LB_EWMA;
  if (!strcmp(v, "least_conn")) return LB_LEAST_CONN;
  return -1;
}

void route_mark_down(const route_backend *b, const route_endpoint *e, long long ms) {
  long long i = index_of(b, e);
  if (i >= 0) atomic_store_explicit(&b->state[i].down_until, now_ms() + ms, memory_order_relaxed);
}

void route_endpoint_begin(const route_backend *b, const route_endpoint *e) {
  long long i = index_of(b, e);
  if (i >= 0) atomic_fetch_add_explicit(&b->state[i].inflight, 1, memory_order_relaxed);
}

void route_endpoint_end(const route_backend *b, const route_endpoint *e, long long rtt_us) {
  long long i = index_of(b, e);
  if (i < 0) return;
  route_ep_state *st = &b->state[i];
  atomic_fetch_sub_explicit(&st->inflight, 1, memory_order_relaxed);
  if (rtt_us < 0 || b->lb != LB_EWMA) return;
  /* A lost race between two workers drops one sample: good enough for a score. */
  long long now = now_ms(), at = atomic_load_explicit(&st->ewma_at, memory_order_relaxed);
  long long old = atomic_load_explicit(&st->ewma_us, memory_order_relaxed);
  double w = at ? exp(-(double)(now - at) / EWMA_DECAY_MS) : 0.0;
  atomic_store_explicit(&st->ewma_us, (long long)(old * w + (double)rtt_us * (1.0 - w)), memory_order_relaxed);
  atomic_store_explicit(&st->ewma_at, now, memory_order_relaxed);
}

static bool usable(const route_backend *b, size_t i, const route_endpoint *avoid, long long now) {
  if (&b->eps[i] == avoid && b->n_eps > 1) return false;
  return !b->state || atomic_load_explicit(&b->state[i].down_until, memory_order_relaxed) <= now;
}

static long long inflight(const route_backend *b, size_t i) {
  return b->state ? atomic_load_explicit(&b->state[i].inflight, memory_order_relaxed) : 0;
}

static double ewma_score(const route_backend *b, size_t i) {
  return (double)atomic_load_explicit(&b->state[i].ewma_us, memory_order_relaxed) * (double)(inflight(b, i) + 1);
}

/* The usable endpoint with the lowest score, scanning from start. */
static long long least_conn(const route_backend *b, size_t start, const route_endpoint *avoid, long long now) {
  long long best = -1;
  for (size_t k = 0; k < b->n_eps; k++) {
    size_t i = (start + k) % b->n_eps;
    if (usable(b, i, avoid, now) && (best < 0 || inflight(b, i) < inflight(b, (size_t)best))) best = (long long)i;
  }
  return best;
}

/* Power of two choices on the EWMA score. */
static long long ewma_pick(const route_backend *b, unsigned r, const route_endpoint *avoid, long long now) {
  size_t n = b->n_eps, i = r % n, j = (i + 1 + (r / n) % (n > 1 ? n - 1 : 1)) % n;
  bool ui = usable(b, i, avoid, now), uj = n > 1 && usable(b, j, avoid, now);
  if (ui && uj) return ewma_score(b, j) < ewma_score(b, i) ? (long long)j : (long long)i;
  if (ui) return (long long)i;
  if (uj) return (long long)j;
  return least_conn(b, i, avoid, now); /* both down: any usable one */
}

static long long round_robin(const route_backend *b, const route_endpoint *avoid, long long now) {
  route_backend *mb = (route_backend *)b;
  for (size_t tries = 0; tries < b->n_eps + 1; tries++) {
    size_t i = atomic_fetch_add_explicit(&mb->rr, 1, memory_order_relaxed) % b->n_eps;
    if (usable(b, i, avoid, now)) return (long long)i;
  }
  return -1;
}

const route_endpoint *route_next_endpoint(const route_backend *b, const route_endpoint *avoid) {
  if (!b || !b->n_eps) return NULL;
  long long now = b->state ? now_ms() : 0, i;
  if (b->lb == LB_ROUND_ROBIN || !b->state) {
    i = round_robin(b, avoid, now);
  } else {
    unsigned r = atomic_fetch_add_explicit(&((route_backend *)b)->rr, 1, memory_order_relaxed);
    if (b->lb == LB_LEAST_CONN) i = least_conn(b, r % b->n_eps, avoid, now);
    else i = ewma_pick(b, r * 2654435761u, avoid, now);
  }
  if (i >= 0) return &b->eps[i];
  /* every endpoint down (or only avoid): try one anyway, in turn, avoid last */
  size_t start = atomic_fetch_add_explicit(&((route_backend *)b)->rr, 1, memory_order_relaxed);
  for (size_t k = 0; k < b->n_eps; k++)
    if (&b->eps[(start + k) % b->n_eps] != avoid) return &b->eps[(start + k) % b->n_eps];
  return &b->eps[0];
}
