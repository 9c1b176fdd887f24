/* test_controller_runtime.c - the controller runtime without a server: the
 * rate limiter's per-key exponential back-off (client-go's 5 ms doubling,
 * capped) and token bucket, and the controller's workers: queued keys are
 * deduplicated, a key is never synced by two workers at once, a retry waits
 * for its back-off and a success forgets it, requeue-after waits without
 * counting a failure, and stop waits for the sync in flight but not for
 * delayed keys. Timing checks are lower bounds only, so load cannot fail them. */
#include "test.h"
#include "controller.h"
#include "rate_limiter.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* These controllers follow no informer and write nothing: a context without a server. */
static const ctrl_context no_server = {NULL, NULL};

static void test_backoff_doubles_to_cap(void) {
  rate_limiter *rl = rate_limiter_default();
  long want[] = {5, 10, 20, 40, 80, 160};
  for (int i = 0; i < 6; i++) CHECK(rate_limiter_when(rl, "a") == want[i]);
  CHECK(rate_limiter_failures(rl, "a") == 6);
  CHECK(rate_limiter_when(rl, "b") == 5); /* per key */
  rate_limiter_forget(rl, "a");
  CHECK(rate_limiter_failures(rl, "a") == 0);
  CHECK(rate_limiter_when(rl, "a") == 5);
  for (int i = 0; i < 40; i++) rate_limiter_when(rl, "c");
  CHECK(rate_limiter_when(rl, "c") == 1000L * 1000); /* 1000 s cap, no overflow */
  rate_limiter_free(rl);
}

static void test_bucket_limits_bursts(void) {
  rate_limiter *rl = rate_limiter_new(1, 1000, 0.1, 3); /* a token per 10 s, burst 3 */
  for (int i = 0; i < 3; i++) CHECK(rate_limiter_when(rl, i == 0 ? "x" : i == 1 ? "y" : "z") == 1);
  long d = rate_limiter_when(rl, "w"); /* the bucket is empty: about 10 s, more than w's back-off */
  CHECK(d >= 5000 && d <= 10000);
  long d2 = rate_limiter_when(rl, "v"); /* and the next one waits behind it */
  CHECK(d2 >= d + 5000);
  rate_limiter_free(rl);
}

/* ---- a controller whose sync is scripted per key ---- */

typedef struct {
  pthread_mutex_t mu;
  char log[64][16];       /* keys in sync order */
  long long at[64];       /* when each sync started (monotonic ms) */
  int n;
  int in_flight[4];       /* per key index: workers syncing it now */
  int max_in_flight;
  atomic_bool gate_open;
  atomic_int fail_left;   /* "f" fails this many times */
  atomic_bool requeued;   /* "r" asked for its requeue already */
  atomic_bool slow_done;
} script;

static script S;

static int key_index(const char *key) { return key[0] == 'x' ? 0 : key[0] == 'a' ? 1 : key[0] == 'g' ? 2 : 3; }

static ctrl_result scripted(void *ctx, const char *key) {
  script *s = ctx;
  int k = key_index(key);
  pthread_mutex_lock(&s->mu);
  if (s->n < 64) {
    snprintf(s->log[s->n], sizeof s->log[0], "%s", key);
    s->at[s->n++] = mono_ms();
  }
  if (++s->in_flight[k] > s->max_in_flight) s->max_in_flight = s->in_flight[k];
  pthread_mutex_unlock(&s->mu);
  ctrl_result res = ctrl_done();
  if (!strcmp(key, "gate")) {
    for (int i = 0; i < 500 && !atomic_load(&s->gate_open); i++) usleep(2000);
  } else if (!strcmp(key, "x")) {
    usleep(20000);
  } else if (!strcmp(key, "f")) {
    if (atomic_fetch_sub(&s->fail_left, 1) > 0) res = ctrl_retry();
  } else if (!strcmp(key, "r")) {
    if (!atomic_exchange(&s->requeued, true)) res = ctrl_requeue_after(150);
  } else if (!strcmp(key, "slow")) {
    usleep(150000);
    atomic_store(&s->slow_done, true);
  }
  pthread_mutex_lock(&s->mu);
  s->in_flight[k]--;
  pthread_mutex_unlock(&s->mu);
  return res;
}

static void reset(void) {
  pthread_mutex_destroy(&S.mu);
  memset(&S, 0, sizeof S);
  pthread_mutex_init(&S.mu, NULL);
}

static int synced(void) {
  pthread_mutex_lock(&S.mu);
  int n = S.n;
  pthread_mutex_unlock(&S.mu);
  return n;
}

/* Waits (at most 5 s) until n syncs started. */
static bool wait_synced(int n) {
  for (int i = 0; i < 2500 && synced() < n; i++) usleep(2000);
  return synced() >= n;
}

static void test_dedup_while_queued(void) {
  reset();
  ctrl *c = ctrl_start(&no_server, "test", scripted, &S);
  ctrl_add(c, "gate");
  CHECK(wait_synced(1));
  for (int i = 0; i < 5; i++) ctrl_add(c, "a");  /* waiting: one entry */
  for (int i = 0; i < 3; i++) ctrl_add(c, "gate"); /* being synced: once more, after it */
  atomic_store(&S.gate_open, true);
  CHECK(wait_synced(3));
  usleep(100000); /* nothing else may come */
  CHECK(synced() == 3);
  CHECK_STR(S.log[0], "gate");
  CHECK_STR(S.log[1], "a");
  CHECK_STR(S.log[2], "gate");
  ctrl_stop(c);
}

static void test_one_worker_per_key(void) {
  reset();
  ctrl_config cfg = {.cc = &no_server, .name = "test", .sync = scripted, .ctx = &S, .workers = 4};
  ctrl *c = ctrl_run(&cfg);
  for (int i = 0; i < 20; i++) {
    ctrl_add(c, "x");
    ctrl_add(c, "a");
    usleep(3000);
  }
  usleep(100000);
  CHECK(S.max_in_flight == 1);
  CHECK(synced() >= 2);
  ctrl_stop(c);
}

static void test_retry_backs_off_then_forgets(void) {
  reset();
  atomic_store(&S.fail_left, 3);
  ctrl_config cfg = {.cc = &no_server, .name = "test", .sync = scripted, .ctx = &S, .backoff_base_ms = 40};
  ctrl *c = ctrl_run(&cfg);
  ctrl_add(c, "f");
  CHECK(wait_synced(4)); /* three failures, then success */
  CHECK(S.at[1] - S.at[0] >= 40);
  CHECK(S.at[2] - S.at[1] >= 80);
  CHECK(S.at[3] - S.at[2] >= 160);
  usleep(20000);
  CHECK(ctrl_failures(c, "f") == 0); /* done: back-off forgotten */
  usleep(100000);
  CHECK(synced() == 4);
  ctrl_stop(c);
}

static void test_requeue_after(void) {
  reset();
  ctrl *c = ctrl_start(&no_server, "test", scripted, &S);
  ctrl_add(c, "r");
  CHECK(wait_synced(2));
  CHECK(S.at[1] - S.at[0] >= 150);
  CHECK(ctrl_failures(c, "r") == 0); /* not a failure */
  ctrl_add_after(c, "r", 10000);
  ctrl_add_after(c, "r", 30); /* the earlier delayed add wins */
  CHECK(wait_synced(3));
  CHECK(S.at[2] - S.at[1] < 5000);
  ctrl_stop(c);
}

static void test_stop_waits_for_sync_not_for_delays(void) {
  reset();
  ctrl *c = ctrl_start(&no_server, "test", scripted, &S);
  ctrl_add_after(c, "later", 60000);
  ctrl_add(c, "slow");
  CHECK(wait_synced(1));
  long long t0 = mono_ms();
  ctrl_stop(c);
  CHECK(atomic_load(&S.slow_done)); /* the sync in flight finished first */
  CHECK(mono_ms() - t0 < 30000);     /* the delayed key did not hold it */
  CHECK(synced() == 1);
}

TEST_MAIN(TEST(test_backoff_doubles_to_cap), TEST(test_bucket_limits_bursts), TEST(test_dedup_while_queued),
          TEST(test_one_worker_per_key), TEST(test_retry_backs_off_then_forgets), TEST(test_requeue_after),
          TEST(test_stop_waits_for_sync_not_for_delays))
