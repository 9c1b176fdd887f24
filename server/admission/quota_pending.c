/* quota_pending.c - see quota_pending.h. One ledger per namespace that has
 * a quota check or an in-flight charged write, found in a map under a
 * process-wide lock that is held only to find, count users of, and retire
 * ledgers; each ledger's own lock serializes the quota checks of its
 * namespace. A ledger goes away when nobody holds it and no charge is left,
 * so the map holds only the namespaces being written right now. Lock order:
 * a ledger's lock, then the map's lock. */
#include "quota_pending.h"
#include "quota_eval.h"
#include "strmap.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct quota_charge {
  quota_ns *q;
  cache_bucket *bucket;
  char *name;
  json_t *by_quota;  /* quota uid -> {resource name: quantity} of the version being written */
  quota_charge *next;
};

struct quota_ns {
  char *ns;
  pthread_mutex_t mu;    /* serializes this namespace's quota checks; guards charges */
  quota_charge *charges; /* in-flight admitted writes */
  int users;             /* holders + charges; guarded by map_mu */
};

static pthread_mutex_t map_mu = PTHREAD_MUTEX_INITIALIZER; /* guards ledgers and every users count */
static strmap *ledgers;                                    /* namespace -> quota_ns */

quota_ns *quota_ns_lock(const char *ns) {
  pthread_mutex_lock(&map_mu);
  if (!ledgers) ledgers = strmap_new();
  quota_ns *q = strmap_get(ledgers, ns);
  if (!q) {
    q = calloc(1, sizeof *q);
    q->ns = strdup(ns);
    pthread_mutex_init(&q->mu, NULL);
    strmap_put(ledgers, ns, q);
  }
  q->users++;
  pthread_mutex_unlock(&map_mu);
  pthread_mutex_lock(&q->mu);
  return q;
}

/* One user fewer; the last one retires the ledger (its lock is free then:
 * every holder is a user). */
static void ledger_release(quota_ns *q) {
  pthread_mutex_lock(&map_mu);
  bool last = --q->users == 0;
  if (last) strmap_remove(ledgers, q->ns);
  pthread_mutex_unlock(&map_mu);
  if (!last) return;
  pthread_mutex_destroy(&q->mu);
  free(q->ns);
  free(q);
}

void quota_ns_unlock(quota_ns *q) {
  pthread_mutex_unlock(&q->mu);
  ledger_release(q);
}

json_t *quota_pending_sum(quota_ns *q, const char *quota_uid, const json_t *hard) {
  json_t *sum = json_object();
  for (const quota_charge *ch = q->charges; ch; ch = ch->next) {
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(ch->by_quota, quota_uid), k, v) {
      if (!json_object_get(hard, k)) continue;
      const char *had = json_string_value(json_object_get(sum, k));
      char total[64];
      quota_add(had ? had : "0", json_string_value(v), total, sizeof total);
      json_object_set_new(sum, k, json_string(total));
    }
  }
  return sum;
}

bool quota_pending_has(quota_ns *q, const cache_bucket *b, const char *name) {
  for (const quota_charge *ch = q ? q->charges : NULL; ch; ch = ch->next)
    if (ch->bucket == b && !strcmp(ch->name, name)) return true;
  return false;
}

quota_charge *quota_charge_add(quota_ns *q, cache_bucket *b, const char *name, json_t *by_quota) {
  quota_charge *ch = calloc(1, sizeof *ch);
  *ch = (quota_charge){q, b, strdup(name), by_quota, q->charges};
  q->charges = ch;
  pthread_mutex_lock(&map_mu);
  q->users++;
  pthread_mutex_unlock(&map_mu);
  return ch;
}

void quota_charge_drop(quota_charge *ch) {
  if (!ch) return;
  quota_ns *q = ch->q;
  pthread_mutex_lock(&q->mu);
  for (quota_charge **p = &q->charges; *p; p = &(*p)->next)
    if (*p == ch) {
      *p = ch->next;
      break;
    }
  pthread_mutex_unlock(&q->mu);
  json_decref(ch->by_quota);
  free(ch->name);
  free(ch);
  ledger_release(q);
}
