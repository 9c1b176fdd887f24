/* test_leader_election.c - the acquire/renew decision of client-go's
 * tryAcquireOrRenew (controllers/leader_election.c): create when there is
 * no Lease, wait while another holder's record keeps changing or has not
 * been still for a lease duration by our clock, take over with
 * leaseTransitions + 1 and a new acquireTime, renew our own keeping both;
 * and the duration > deadline > 1.2 x retry rule. */
#include "leader_election.h"
#include "test.h"

static lease_record rec(const char *holder, const char *renew, int transitions) {
  lease_record r = {0};
  snprintf(r.holder, sizeof r.holder, "%s", holder);
  r.duration = 15;
  snprintf(r.acquire, sizeof r.acquire, "2026-01-01T00:00:00.000000Z");
  snprintf(r.renew, sizeof r.renew, "%s", renew);
  r.transitions = transitions;
  return r;
}

static void test_create(void) {
  lease_observer ob = {0};
  lease_record out;
  CHECK(lease_decide(&ob, NULL, "me_1", 15, 100, "2026-01-01T00:01:40.000000Z", &out) == LEASE_CREATE);
  CHECK_STR(out.holder, "me_1");
  CHECK(out.duration == 15 && out.transitions == 0);
  CHECK_STR(out.acquire, "2026-01-01T00:01:40.000000Z");
  CHECK_STR(out.renew, "2026-01-01T00:01:40.000000Z");
  lease_observe(&ob, &out, 100);
  CHECK(lease_is_leader(&ob, "me_1"));
  CHECK(!lease_is_leader(&ob, "other_2"));
}

static void test_held_by_other(void) {
  lease_observer ob = {0};
  lease_record out, cur = rec("other_2", "2026-01-01T00:00:05.000000Z", 3);
  /* first sight at t=100: held for 15 s by our clock, whatever its renewTime says */
  CHECK(lease_decide(&ob, &cur, "me_1", 15, 100, "W", &out) == LEASE_WAIT);
  CHECK(lease_decide(&ob, &cur, "me_1", 15, 114.9, "W", &out) == LEASE_WAIT);
  /* the holder renews at t=110: the clock starts again */
  cur = rec("other_2", "2026-01-01T00:00:15.000000Z", 3);
  CHECK(lease_decide(&ob, &cur, "me_1", 15, 110, "W", &out) == LEASE_WAIT);
  CHECK(lease_decide(&ob, &cur, "me_1", 15, 124.9, "W", &out) == LEASE_WAIT);
  CHECK(!lease_is_leader(&ob, "me_1"));
  /* silent for 15 s: taken over */
  CHECK(lease_decide(&ob, &cur, "me_1", 15, 125.1, "2026-01-01T00:02:05.100000Z", &out) == LEASE_ACQUIRE);
  CHECK_STR(out.holder, "me_1");
  CHECK(out.transitions == 4);
  CHECK_STR(out.acquire, "2026-01-01T00:02:05.100000Z");
  CHECK_STR(out.renew, "2026-01-01T00:02:05.100000Z");
  /* a released lease (no holder) is free at once */
  lease_observer ob2 = {0};
  cur = rec("", "2026-01-01T00:00:05.000000Z", 7);
  CHECK(lease_decide(&ob2, &cur, "me_1", 15, 100, "W", &out) == LEASE_ACQUIRE);
  CHECK(out.transitions == 8);
}

static void test_renew(void) {
  lease_observer ob = {0};
  lease_record out, cur = rec("me_1", "2026-01-01T00:00:05.000000Z", 2);
  /* our own identity (a restart on the same data dir): renewed, no transition */
  CHECK(lease_decide(&ob, &cur, "me_1", 15, 100, "2026-01-01T00:01:40.000000Z", &out) == LEASE_RENEW);
  CHECK(out.transitions == 2);
  CHECK_STR(out.acquire, "2026-01-01T00:00:00.000000Z");
  CHECK_STR(out.renew, "2026-01-01T00:01:40.000000Z");
  lease_observe(&ob, &out, 100);
  CHECK(lease_decide(&ob, &out, "me_1", 15, 102, "2026-01-01T00:01:42.000000Z", &cur) == LEASE_RENEW);
  CHECK(cur.transitions == 2);
  /* someone else wrote the lease while we lead: we no longer lead, and wait */
  lease_record theirs = rec("other_2", "2026-01-01T00:01:43.000000Z", 3);
  CHECK(lease_decide(&ob, &theirs, "me_1", 15, 103, "W", &out) == LEASE_WAIT);
  CHECK(!lease_is_leader(&ob, "me_1"));
  CHECK(lease_decide(&ob, &theirs, "me_1", 15, 118.5, "W", &out) == LEASE_ACQUIRE);
  CHECK(out.transitions == 4);
}

static void test_config(void) {
  char err[256];
  leader_config c = {.enabled = true, .lease_duration = 15, .renew_deadline = 10, .retry_period = 2};
  CHECK(leader_config_check(&c, err, sizeof err) == 0);
  c.renew_deadline = 15;
  CHECK(leader_config_check(&c, err, sizeof err) != 0);
  c = (leader_config){.lease_duration = 15, .renew_deadline = 2, .retry_period = 2};
  CHECK(leader_config_check(&c, err, sizeof err) != 0);
  c = (leader_config){.lease_duration = 6, .renew_deadline = 4, .retry_period = 1};
  CHECK(leader_config_check(&c, err, sizeof err) == 0);
  c.retry_period = 0;
  CHECK(leader_config_check(&c, err, sizeof err) != 0);
}

TEST_MAIN(TEST(test_create), TEST(test_held_by_other), TEST(test_renew), TEST(test_config))
