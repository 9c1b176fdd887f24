/* published_check.c - CKUBE_CHECK_PUBLISHED: no request may change a
 * published object (the watch cache's versions are shared by reference with
 * every reader and watcher; a change must copy what it touches). The proof
 * is cache_check_published over the whole cache after requests (throttled,
 * see published_check.h); the environment is read once, at the first
 * request. */
#include "published_check.h"
#include "watch_cache.h"
#include "log.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MIN_INTERVAL_MS 250

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool enabled;               /* written once under `once`, read-only afterwards */
static atomic_bool running;        /* one check at a time */
static _Atomic long long last_ms;  /* when the last check ended (monotonic) */

static void read_env(void) {
  const char *v = getenv("CKUBE_CHECK_PUBLISHED");
  enabled = v && *v && strcmp(v, "0") != 0;
  if (enabled) LOGI("CKUBE_CHECK_PUBLISHED: every request checks that no published object changed");
}

void published_check_after_request(cache *c) {
  pthread_once(&once, read_env);
  if (!enabled || !c) return;
  /* A change to a published object stays until that version is replaced,
   * so a check that skips while another runs, or within MIN_INTERVAL_MS of
   * the last, still sees it at the next one; a whole-cache pass after every
   * request would slow a long e2e run (the cache only grows) enough to fail
   * its timing. */
  if (mono_ms() - atomic_load(&last_ms) < MIN_INTERVAL_MS || atomic_exchange(&running, true)) return;
  size_t changed = cache_check_published(c);
  atomic_store(&last_ms, mono_ms());
  atomic_store(&running, false);
  if (!changed) return;
  LOGE("%zu published object(s) changed after publication: aborting (CKUBE_CHECK_PUBLISHED)", changed);
  abort();
}
