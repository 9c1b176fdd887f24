/* leader_election.h - client-go's leaderelection over a coordination.k8s.io/v1
 * Lease, as kube-controller-manager and kube-scheduler run it: a candidate
 * retries every retry period (with jitter) until the Lease is free or
 * expired, then leads and renews every retry period; a leader that cannot
 * renew within the renew deadline stops leading and becomes a candidate
 * again. The decision itself (lease_decide) is a pure function. */
#ifndef CKUBE_LEADER_ELECTION_H
#define CKUBE_LEADER_ELECTION_H
#include "controller.h"
#include <stdbool.h>
#include <stddef.h>

/* The Lease spec fields the election reads and writes. Times are MicroTime
 * strings ("2006-01-02T15:04:05.000000Z"). */
typedef struct {
  char holder[256];
  int duration; /* leaseDurationSeconds */
  char acquire[40], renew[40];
  int transitions;
} lease_record;

/* What a candidate last saw: client-go's observedRecord/observedTime. A
 * lease held by someone else expires `duration` seconds after the record
 * last changed in our eyes (our clock, not its renewTime: no clock skew). */
typedef struct {
  lease_record seen;
  bool have_seen;
  double seen_at; /* monotonic seconds */
} lease_observer;

typedef enum {
  LEASE_WAIT,    /* held by another identity and not expired: do not write */
  LEASE_CREATE,  /* there is no Lease: create it with *out */
  LEASE_ACQUIRE, /* take it over: *out has a new acquireTime and leaseTransitions + 1 */
  LEASE_RENEW,   /* ours already: *out keeps acquireTime and leaseTransitions */
} lease_decision;

/* client-go's tryAcquireOrRenew without the I/O. cur: the stored record,
 * NULL when there is no Lease. me: our identity; duration: our
 * leaseDurationSeconds; now: monotonic seconds; wall: the MicroTime of now.
 * Updates ob with cur (when it changed); fills *out unless LEASE_WAIT. */
lease_decision lease_decide(lease_observer *ob, const lease_record *cur, const char *me, int duration, double now,
                            const char *wall, lease_record *out);
/* After a successful write of rec: it is what we see now. */
void lease_observe(lease_observer *ob, const lease_record *rec, double now);
/* Whether the record we last saw names me. */
bool lease_is_leader(const lease_observer *ob, const char *me);

typedef struct {
  bool enabled;       /* false: run at once, without a Lease (--leader-elect=false) */
  int lease_duration; /* seconds (15) */
  int renew_deadline; /* seconds (10) */
  int retry_period;   /* seconds (2) */
  char identity[320]; /* "hostname_uuid" */
} leader_config;

/* Fills cfg with client-go's defaults and this server's identity: the host
 * name and a uuid kept in <data_dir>/leader-identity, so a restarted server
 * takes its own Lease back at once (see ARCHITECTURE.md). 0 or -1. */
int leader_config_init(leader_config *cfg, const char *data_dir);
/* Checks client-go's rule duration > deadline > 1.2 * retry > 0; writes why not into err. */
int leader_config_check(const leader_config *cfg, char *err, size_t len);

typedef struct leader_elector leader_elector;

/* Runs on_started while this process holds kube-system/<name> and
 * on_stopped when it loses it (then campaigns again), on a thread of its
 * own, reading and writing the Lease through cc's server. Without
 * cfg->enabled, on_started runs at once. Events "<identity> became leader" /
 * "stopped leading" (reason LeaderElection) go on the Lease. */
leader_elector *leader_elector_start(const ctrl_context *cc, const leader_config *cfg, const char *name,
                                     void (*on_started)(void), void (*on_stopped)(void));
/* Stops campaigning; runs on_stopped when leading. Frees le (NULL is fine). */
void leader_elector_stop(leader_elector *le);

#endif
