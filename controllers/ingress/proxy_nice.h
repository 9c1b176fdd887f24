/* proxy_nice.h - the proxy workers' CPU weight, adapted to the API's load:
 * a worker runs at the busy nice level (19 by default) only while the API
 * is serving requests, and at nice 0 otherwise, so that the data plane
 * neither starves the control plane nor loses the CPU to other processes
 * (a load generator, nginx beside it) when the API is idle. */
#ifndef CKUBE_INGRESS_PROXY_NICE_H
#define CKUBE_INGRESS_PROXY_NICE_H
#include <stdbool.h>

/* A counter that moves whenever the API starts a request. */
typedef unsigned long (*proxy_activity_fn)(void);

/* How long after the API's last request a worker stays at the busy level. */
#define PROXY_NICE_HOLD_MS 200
/* How often a worker reads the counter. */
#define PROXY_NICE_CHECK_MS 20

typedef struct {
  int busy;                  /* the nice level while the API is busy */
  int current;               /* the thread's level now */
  bool adaptive;             /* the thread may go back to 0 (CAP_SYS_NICE) */
  proxy_activity_fn activity;
  unsigned long last_count;
  long long last_change_ms, next_check_ms;
} proxy_nice;

/* The level a worker wants at now_ms, given the last time the counter moved. */
int proxy_nice_wanted(const proxy_nice *pn, long long now_ms);
/* For the calling thread: sets the busy level, then finds out whether it may
 * lower it again (adaptive only then, and only with an activity counter);
 * an adaptive worker starts at 0 when the API is quiet. */
void proxy_nice_init(proxy_nice *pn, int busy, proxy_activity_fn activity, long long now_ms);
/* Reads the counter at most every PROXY_NICE_CHECK_MS and moves the calling
 * thread's level when the wanted one changed. */
void proxy_nice_update(proxy_nice *pn, long long now_ms);

#endif
