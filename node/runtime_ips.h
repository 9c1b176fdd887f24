/* runtime_ips.h - the real node's pod addresses: 127.<net>.a.b with b in
 * 1..254 handed out lowest first, a pod keeping the address its status
 * shows across an agent restart; hostNetwork pods take the node's address
 * and are not counted. One table per agent, shared by its runner threads. */
#ifndef CKUBE_RUNTIME_IPS_H
#define CKUBE_RUNTIME_IPS_H
#include <pthread.h>
#include <stddef.h>

typedef struct {
  int net;
  pthread_mutex_t mu;              /* guards used */
  unsigned char used[256][256];
} rt_ips;

void rt_ips_init(rt_ips *t, int net);
void rt_ips_destroy(rt_ips *t);
/* An address for a pod whose status shows old (or NULL): old when it is this node's and free, else the lowest
 * free one, into out (>= 16 bytes); "" when none is left. */
void rt_ips_take(rt_ips *t, const char *old, char *out, size_t len);
/* Gives ip back (one not of this table is ignored). */
void rt_ips_release(rt_ips *t, const char *ip);

#endif
