/* rate_limiter.c - see rate_limiter.h. Failures per key live in a strmap
 * (the count as a pointer-sized integer, so a forgotten key costs nothing);
 * the bucket is golang.org/x/time/rate's reservation arithmetic: tokens
 * refill at qps up to burst, a reservation takes one token and may drive the
 * count below zero, and the wait is the time until it is back at zero.
 * mu guards failures and the bucket. */
#include "rate_limiter.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct rate_limiter {
  long base_ms, cap_ms;
  double qps;
  int burst;
  pthread_mutex_t mu;
  strmap *failures;  /* key -> (void *)(intptr_t)count */
  double tokens;     /* may go negative: reservations waiting */
  long long last_ms; /* when tokens was last brought up to date */
};

rate_limiter *rate_limiter_new(long base_ms, long cap_ms, double qps, int burst) {
  rate_limiter *rl = calloc(1, sizeof *rl);
  rl->base_ms = base_ms > 0 ? base_ms : 1;
  rl->cap_ms = cap_ms > rl->base_ms ? cap_ms : rl->base_ms;
  rl->qps = qps;
  rl->burst = burst;
  rl->tokens = burst;
  rl->last_ms = mono_ms();
  pthread_mutex_init(&rl->mu, NULL);
  rl->failures = strmap_new();
  return rl;
}

rate_limiter *rate_limiter_default(void) { return rate_limiter_new(5, 1000L * 1000, 10, 100); }

void rate_limiter_free(rate_limiter *rl) {
  if (!rl) return;
  strmap_free(rl->failures, NULL);
  pthread_mutex_destroy(&rl->mu);
  free(rl);
}

/* base * 2^(n-1) for the n-th failure, capped; doubling stops at the cap so
 * it cannot overflow. */
static long backoff_ms(const rate_limiter *rl, int n) {
  long d = rl->base_ms;
  for (int i = 1; i < n && d < rl->cap_ms; i++) d *= 2;
  return d < rl->cap_ms ? d : rl->cap_ms;
}

/* One token reserved now; the ms until it is ours. mu held. */
static long bucket_wait_ms(rate_limiter *rl) {
  if (rl->qps <= 0) return 0;
  long long now = mono_ms();
  rl->tokens += (now - rl->last_ms) * rl->qps / 1000.0;
  if (rl->tokens > rl->burst) rl->tokens = rl->burst;
  rl->last_ms = now;
  rl->tokens -= 1;
  return rl->tokens >= 0 ? 0 : (long)(-rl->tokens * 1000.0 / rl->qps + 0.999);
}

long rate_limiter_when(rate_limiter *rl, const char *key) {
  pthread_mutex_lock(&rl->mu);
  int n = (int)(intptr_t)strmap_get(rl->failures, key) + 1;
  strmap_put(rl->failures, key, (void *)(intptr_t)n);
  long d = backoff_ms(rl, n), b = bucket_wait_ms(rl);
  pthread_mutex_unlock(&rl->mu);
  return d > b ? d : b;
}

void rate_limiter_forget(rate_limiter *rl, const char *key) {
  pthread_mutex_lock(&rl->mu);
  strmap_remove(rl->failures, key);
  pthread_mutex_unlock(&rl->mu);
}

int rate_limiter_failures(rate_limiter *rl, const char *key) {
  pthread_mutex_lock(&rl->mu);
  int n = (int)(intptr_t)strmap_get(rl->failures, key);
  pthread_mutex_unlock(&rl->mu);
  return n;
}
