/* rate_limiter.h - how long a controller waits before it looks at a failed
 * key again, as client-go's workqueue.DefaultControllerRateLimiter: the
 * larger of a per-key exponential back-off (base * 2^failures, capped; 5 ms
 * and 1000 s by default) and an overall token bucket (10 per second, burst
 * 100) so many failing keys together cannot hammer the API. Thread-safe. */
#ifndef CKUBE_RATE_LIMITER_H
#define CKUBE_RATE_LIMITER_H
#include <stddef.h>

typedef struct rate_limiter rate_limiter;

/* base_ms/cap_ms: the per-key back-off; qps/burst: the bucket (qps <= 0: no
 * bucket). */
rate_limiter *rate_limiter_new(long base_ms, long cap_ms, double qps, int burst);
/* client-go's defaults: 5 ms, 1000 s, 10 qps, burst 100. */
rate_limiter *rate_limiter_default(void);
void rate_limiter_free(rate_limiter *rl);

/* Counts one more failure of key and returns the delay in ms before it may be
 * retried (the larger of its back-off and the bucket's wait). */
long rate_limiter_when(rate_limiter *rl, const char *key);
/* Forgets key's failures (it succeeded): the next back-off starts at base. */
void rate_limiter_forget(rate_limiter *rl, const char *key);
/* Failures counted for key since it was last forgotten. */
int rate_limiter_failures(rate_limiter *rl, const char *key);

#endif
