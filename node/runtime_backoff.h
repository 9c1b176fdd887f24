/* runtime_backoff.h - kubelet's container restart back-off
 * (flowcontrol.Backoff with 10 s initial, 5 min cap): the first restart is
 * immediate, each later one waits the current delay after the container
 * finished, the delay doubling per restart; an entry not updated for twice
 * the cap (10 min of running) is forgotten, so the next crash restarts at
 * once again. Pure: the caller passes the times. */
#ifndef CKUBE_RUNTIME_BACKOFF_H
#define CKUBE_RUNTIME_BACKOFF_H
#include <stdbool.h>

#define BACKOFF_INITIAL_MS 10000LL
#define BACKOFF_MAX_MS 300000LL

typedef struct {
  long long delay_ms;       /* 0: no entry */
  long long last_update_ms; /* when the delay was last advanced (a restart) */
} rt_backoff;

/* May a container that finished at finished_ms restart now? If not, *wait_ms
 * is the time left and *delay_ms the delay shown in the CrashLoopBackOff
 * message. If so, the entry advances (the caller restarts). */
bool rt_backoff_try(rt_backoff *b, long long finished_ms, long long now_ms, long long *wait_ms,
                    long long *delay_ms);

#endif
