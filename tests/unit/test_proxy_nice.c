/* test_proxy_nice.c - the proxy workers' adaptive nice level: the busy level
 * for PROXY_NICE_HOLD_MS after the API's request counter moved, 0 otherwise,
 * checked at most every PROXY_NICE_CHECK_MS; the thread's real level read
 * back with getpriority (as root, where the level can go down again). */
#include "proxy_nice.h"
#include "test.h"

#include <sys/resource.h>
#include <unistd.h>

static unsigned long counter;
static unsigned long read_counter(void) { return counter; }

static int thread_level(void) { return getpriority(PRIO_PROCESS, (id_t)gettid()); }

static void test_policy_without_a_thread(void) {
  proxy_nice pn = {.busy = 19, .adaptive = true, .last_change_ms = 1000};
  CHECK(proxy_nice_wanted(&pn, 1000) == 19);
  CHECK(proxy_nice_wanted(&pn, 1000 + PROXY_NICE_HOLD_MS - 1) == 19);
  CHECK(proxy_nice_wanted(&pn, 1000 + PROXY_NICE_HOLD_MS) == 0);
  pn.adaptive = false;
  CHECK(proxy_nice_wanted(&pn, 1000 + 10 * PROXY_NICE_HOLD_MS) == 19);
}

static void test_thread_follows_the_api(void) {
  proxy_nice pn;
  long long t = 50000;
  proxy_nice_init(&pn, 19, read_counter, t);
  if (geteuid() != 0) { /* no CAP_SYS_NICE: the level only goes up, so it stays there */
    CHECK(!pn.adaptive);
    CHECK(thread_level() == 19);
    return;
  }
  CHECK(pn.adaptive);
  CHECK(thread_level() == 0); /* quiet API: equal weight */
  counter++;
  proxy_nice_update(&pn, t += 1); /* too soon after init's check: not read yet */
  CHECK(thread_level() == 0);
  proxy_nice_update(&pn, t += PROXY_NICE_CHECK_MS);
  CHECK(thread_level() == 19);
  proxy_nice_update(&pn, t += PROXY_NICE_HOLD_MS / 2); /* no new request, still held */
  CHECK(thread_level() == 19);
  counter++;
  proxy_nice_update(&pn, t += PROXY_NICE_HOLD_MS / 2); /* a new request renews the hold */
  CHECK(thread_level() == 19);
  proxy_nice_update(&pn, t += PROXY_NICE_HOLD_MS - 1);
  CHECK(thread_level() == 19);
  proxy_nice_update(&pn, t += PROXY_NICE_CHECK_MS);
  CHECK(thread_level() == 0);
}

static void test_level_zero_and_no_counter(void) {
  proxy_nice pn;
  proxy_nice_init(&pn, 0, read_counter, 0);
  CHECK(!pn.adaptive && pn.current == 0);
  proxy_nice_init(&pn, 25, NULL, 0); /* clamped; without a counter: fixed */
  CHECK(pn.busy == 19 && !pn.adaptive);
}

/* each test changes the calling thread's level: the first one touches none */
TEST_MAIN(TEST(test_policy_without_a_thread), TEST(test_thread_follows_the_api), TEST(test_level_zero_and_no_counter))
