/* runtime_ips.c - see runtime_ips.h. The table is a bitmap of the /16 by
 * its last two octets; a lookup for a free address walks it in order. */
#include "runtime_ips.h"
#include <stdio.h>
#include <string.h>

void rt_ips_init(rt_ips *t, int net) {
  memset(t->used, 0, sizeof t->used);
  t->net = net;
  pthread_mutex_init(&t->mu, NULL);
}

void rt_ips_destroy(rt_ips *t) { pthread_mutex_destroy(&t->mu); }

/* The last two octets of ip when it is in this table's /16 (b in 1..254). */
static int ours(const rt_ips *t, const char *ip, int *a, int *b) {
  int net;
  return ip && sscanf(ip, "127.%d.%d.%d", &net, a, b) == 3 && net == t->net && *a >= 0 && *a < 256 && *b > 0 &&
         *b < 255;
}

void rt_ips_take(rt_ips *t, const char *old, char *out, size_t len) {
  int a, b;
  out[0] = 0;
  pthread_mutex_lock(&t->mu);
  if (ours(t, old, &a, &b) && !t->used[a][b]) { /* keep the address across an agent restart */
    t->used[a][b] = 1;
    snprintf(out, len, "%s", old);
  } else {
    for (int i = 1; i < 256 * 254; i++) {
      a = i / 254, b = i % 254 + 1;
      if (t->used[a][b]) continue;
      t->used[a][b] = 1;
      snprintf(out, len, "127.%d.%d.%d", t->net, a, b);
      break;
    }
  }
  pthread_mutex_unlock(&t->mu);
}

void rt_ips_release(rt_ips *t, const char *ip) {
  int a, b;
  pthread_mutex_lock(&t->mu);
  if (ours(t, ip, &a, &b)) t->used[a][b] = 0;
  pthread_mutex_unlock(&t->mu);
}
