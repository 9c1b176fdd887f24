/* proxy_nice.c - the proxy workers' nice level, raised while the API is busy
 * (proxy_nice.h). Measured on two cores (docs/BENCHMARKS.md): at equal
 * weight the API's request rate fell by 40 % under full proxy load, and at
 * nice 19 the proxy lost to the load generator when the API was idle; so a
 * worker is at the busy level for PROXY_NICE_HOLD_MS after any API request
 * and at 0 otherwise. The default busy level, 19, is the idle class. Lowering a nice level again needs CAP_SYS_NICE (or
 * RLIMIT_NICE): without it the worker keeps the busy level, as before. */
#include "proxy_nice.h"
#include "log.h"
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Moves this thread to level: nice 0-18 in the normal class; 19 is the idle
 * class (SCHED_IDLE, at nice 19), which gets only CPU time no normal thread
 * wants. Measured in session 12 (docs/BENCHMARKS.md): under full proxy load
 * the API kept a median 0.96 of its rate with the workers at plain nice 19,
 * 1.02 with them in the idle class. */
static int set_level(int level) {
  struct sched_param sp = {0};
  id_t tid = (id_t)gettid(); /* this thread only */
  /* going down, the nice level first: without the right to lower it the class stays too */
  if (level < 19 && setpriority(PRIO_PROCESS, tid, level) != 0) return -1;
  if (sched_setscheduler((pid_t)tid, level >= 19 ? SCHED_IDLE : SCHED_OTHER, &sp) != 0) return -1;
  return level >= 19 ? setpriority(PRIO_PROCESS, tid, level) : 0;
}

int proxy_nice_wanted(const proxy_nice *pn, long long now_ms) {
  if (!pn->adaptive) return pn->busy;
  return now_ms - pn->last_change_ms < PROXY_NICE_HOLD_MS ? pn->busy : 0;
}

void proxy_nice_init(proxy_nice *pn, int busy, proxy_activity_fn activity, long long now_ms) {
  memset(pn, 0, sizeof *pn);
  pn->busy = busy < 0 ? 0 : busy > 19 ? 19 : busy;
  pn->activity = activity;
  pn->last_change_ms = now_ms - PROXY_NICE_HOLD_MS;
  pn->next_check_ms = now_ms + PROXY_NICE_CHECK_MS;
  if (pn->busy == 0) return;
  if (set_level(pn->busy) != 0) {
    LOGW("ingress proxy: cannot set a worker's nice level to %d: %s", pn->busy, strerror(errno));
    return;
  }
  pn->current = pn->busy;
  if (!activity || set_level(0) != 0) return; /* EACCES: the level can only go up */
  pn->current = 0;
  pn->adaptive = true;
  pn->last_count = activity();
}

void proxy_nice_update(proxy_nice *pn, long long now_ms) {
  if (!pn->adaptive || now_ms < pn->next_check_ms) return;
  pn->next_check_ms = now_ms + PROXY_NICE_CHECK_MS;
  unsigned long count = pn->activity();
  if (count != pn->last_count) pn->last_count = count, pn->last_change_ms = now_ms;
  int want = proxy_nice_wanted(pn, now_ms);
  if (want == pn->current) return;
  if (set_level(want) == 0) pn->current = want;
}
