/* test_quota_pending.c - server/admission/quota_pending.c: charges of
 * in-flight writes add up per quota and namespace and name their objects
 * (which the live count then skips, published or not), and go when dropped;
 * a namespace's lock does not hold up another namespace's checks but does
 * hold up its own. */
#include "test.h"
#include "quota_pending.h"
#include "store.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static cache *c;
static cache_bucket *cms, *pods;

/* Buckets to name charges by (a cache on the in-memory store). */
static void setup(void) {
  if (c) return;
  char err[128];
  c = cache_open(store_memory_open(), 1000, err, sizeof err);
  CHECK(c != NULL);
  cms = cache_bucket_get(c, "core/configmaps");
  pods = cache_bucket_get(c, "core/pods");
}

/* The pending count/configmaps for quota uid in ns (0 when none). */
static int pending(const char *ns, const char *uid) {
  quota_ns *q = quota_ns_lock(ns);
  json_t *hard = json_pack("{s:s}", "count/configmaps", "10"), *sum = quota_pending_sum(q, uid, hard);
  quota_ns_unlock(q);
  const char *v = json_string_value(json_object_get(sum, "count/configmaps"));
  int n = v ? atoi(v) : 0;
  json_decref(sum);
  json_decref(hard);
  return n;
}

static quota_charge *charge(const char *ns, const char *name, const char *uid) {
  quota_ns *q = quota_ns_lock(ns);
  quota_charge *ch = quota_charge_add(q, cms, name, json_pack("{s:{s:s}}", uid, "count/configmaps", "1"));
  quota_ns_unlock(q);
  return ch;
}

static bool has(const char *ns, cache_bucket *b, const char *name) {
  quota_ns *q = quota_ns_lock(ns);
  bool h = quota_pending_has(q, b, name);
  quota_ns_unlock(q);
  return h;
}

static void test_charges(void) {
  setup();
  CHECK(pending("ns1", "q1") == 0);
  quota_charge *a = charge("ns1", "a", "q1"), *b = charge("ns1", "b", "q1");
  quota_charge *other = charge("ns1", "x", "q2"); /* another quota's charge */
  CHECK(pending("ns1", "q1") == 2);
  CHECK(pending("ns1", "q2") == 1);
  CHECK(pending("ns2", "q1") == 0); /* another namespace's ledger */
  CHECK(has("ns1", cms, "a"));      /* the live count skips a: its charge counts it */
  CHECK(!has("ns1", pods, "a"));    /* another resource's "a" */
  CHECK(!has("ns2", cms, "a"));
  CHECK(!quota_pending_has(NULL, cms, "a"));
  quota_charge_drop(a);
  CHECK(!has("ns1", cms, "a"));
  CHECK(pending("ns1", "q1") == 1);
  quota_charge_drop(b);
  CHECK(pending("ns1", "q1") == 0);
  quota_charge_drop(other);
  quota_charge_drop(NULL);
  CHECK(pending("ns1", "q2") == 0);
}

static atomic_bool took;

static void *lock_briefly(void *ns) {
  quota_ns *q = quota_ns_lock(ns);
  atomic_store(&took, true);
  quota_ns_unlock(q);
  return NULL;
}

/* Whether another thread can take ns's ledger within about half a second. */
static bool other_thread_gets(const char *ns, pthread_t *t) {
  atomic_store(&took, false);
  pthread_create(t, NULL, lock_briefly, (void *)ns);
  for (int i = 0; i < 50 && !atomic_load(&took); i++) usleep(10000);
  return atomic_load(&took);
}

static void test_locks_per_namespace(void) {
  quota_ns *q = quota_ns_lock("ns1");
  pthread_t t1, t2;
  CHECK(other_thread_gets("ns2", &t1));  /* ns2 goes on while ns1 is checked */
  pthread_join(t1, NULL);
  CHECK(!other_thread_gets("ns1", &t2)); /* ns1 waits for its own check */
  quota_ns_unlock(q);
  pthread_join(t2, NULL);
  CHECK(atomic_load(&took));
}

TEST_MAIN(TEST(test_charges), TEST(test_locks_per_namespace))
