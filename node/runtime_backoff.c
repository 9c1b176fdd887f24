/* runtime_backoff.c - see runtime_backoff.h. Mirrors IsInBackOffSince
 * (now - finishedAt < delay) and Next (10 s, then doubling to the cap;
 * reset when the last update is older than twice the cap). */
#include "runtime_backoff.h"

bool rt_backoff_try(rt_backoff *b, long long finished_ms, long long now_ms, long long *wait_ms,
                    long long *delay_ms) {
  if (b->delay_ms && finished_ms - b->last_update_ms > 2 * BACKOFF_MAX_MS) b->delay_ms = 0; /* expired */
  if (b->delay_ms && now_ms - finished_ms < b->delay_ms) {
    *wait_ms = b->delay_ms - (now_ms - finished_ms);
    *delay_ms = b->delay_ms;
    return false;
  }
  b->delay_ms = !b->delay_ms ? BACKOFF_INITIAL_MS : b->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->delay_ms * 2;
  b->last_update_ms = now_ms;
  *wait_ms = 0;
  *delay_ms = 0;
  return true;
}
