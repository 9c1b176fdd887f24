/* published_check.c - CKUBE_CHECK_PUBLISHED: no request may change a
 * published object (the watch cache's versions are shared by reference with
 * every reader and watcher; a change must copy what it touches). The proof
 * is cache_check_published over the whole cache after each request; the
 * environment is read once, at the first request. */
#include "published_check.h"
#include "api.h"
#include "log.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool enabled; /* written once under `once`, read-only afterwards */

static void read_env(void) {
  const char *v = getenv("CKUBE_CHECK_PUBLISHED");
  enabled = v && *v && strcmp(v, "0") != 0;
  if (enabled) LOGI("CKUBE_CHECK_PUBLISHED: every request checks that no published object changed");
}

void published_check_after_request(void) {
  pthread_once(&once, read_env);
  if (!enabled || !api_cache()) return;
  size_t changed = cache_check_published(api_cache());
  if (!changed) return;
  LOGE("%zu published object(s) changed after publication: aborting (CKUBE_CHECK_PUBLISHED)", changed);
  abort();
}
