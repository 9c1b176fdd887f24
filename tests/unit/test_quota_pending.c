/* test_quota_pending.c - server/admission/quota_pending.c over a watch
 * cache on the in-memory store: charges of in-flight writes add up per
 * quota, stop counting once their write shows in the cache (create and
 * update alike), go when dropped; a namespace's lock does not hold up
 * another namespace's checks but does hold up its own. */
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
static cache_bucket *cms;

/* The cache every test shares (the in-memory store), opened by the first. */
static void setup(void) {
  if (c) return;
  char err[128];
  c = cache_open(store_memory_open(), 1000, err, sizeof err);
  CHECK(c != NULL);
  cms = cache_bucket_get(c, "core/configmaps");
}

static json_t *hard(void) { return json_pack("{s:s}", "count/configmaps", "10"); }

/* The pending count/configmaps for quota uid in ns ("0" when none). */
static int pending(const char *ns, const char *uid) {
  quota_ns *q = quota_ns_lock(ns);
  json_t *h = hard(), *sum = quota_pending_sum(q, c, uid, h);
  quota_ns_unlock(q);
  const char *v = json_string_value(json_object_get(sum, "count/configmaps"));
  int n = v ? atoi(v) : 0;
  json_decref(sum);
  json_decref(h);
  return n;
}

static quota_charge *charge(const char *ns, const char *name, const char *base_rv, const char *uid) {
  quota_ns *q = quota_ns_lock(ns);
  quota_charge *ch = quota_charge_add(q, cms, name, base_rv, json_pack("{s:{s:s}}", uid, "count/configmaps", "1"));
  quota_ns_unlock(q);
  return ch;
}

/* Writes a ConfigMap; returns its resourceVersion (static buffer). */
static const char *put(const char *ns, const char *name, int64_t expect) {
  static char rv[32];
  char err[128];
  cobj *o = NULL;
  json_t *obj = json_pack("{s:s,s:{s:s,s:s}}", "kind", "ConfigMap", "metadata", "name", name, "namespace", ns);
  CHECK(cache_write(c, cms, ns, name, expect, obj, false, &o, NULL, err, sizeof err) == CW_OK);
  snprintf(rv, sizeof rv, "%s", json_string_value(json_object_get(json_object_get(o->obj, "metadata"), "resourceVersion")));
  cobj_unref(o);
  return rv;
}

static void test_charges_until_visible(void) {
  setup();
  CHECK(pending("ns1", "q1") == 0);
  quota_charge *a = charge("ns1", "a", "", "q1"), *b = charge("ns1", "b", "", "q1");
  quota_charge *other = charge("ns1", "x", "", "q2"); /* another quota's charge */
  CHECK(pending("ns1", "q1") == 2);
  CHECK(pending("ns1", "q2") == 1);
  CHECK(pending("ns2", "q1") == 0); /* another namespace's ledger */
  put("ns1", "a", 0);               /* a's create shows: the live count has it now */
  CHECK(pending("ns1", "q1") == 1);
  quota_charge_drop(a);
  quota_charge_drop(b);
  CHECK(pending("ns1", "q1") == 0);
  quota_charge_drop(other);
  quota_charge_drop(NULL);
  CHECK(pending("ns1", "q2") == 0);
}

static void test_update_charge(void) {
  setup();
  char rv[32];
  snprintf(rv, sizeof rv, "%s", put("ns1", "u", 0));
  quota_charge *u = charge("ns1", "u", rv, "q1"); /* an update admitted against rv */
  CHECK(pending("ns1", "q1") == 1);
  put("ns1", "u", atoll(rv)); /* the update lands */
  CHECK(pending("ns1", "q1") == 0);
  quota_charge_drop(u);
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

TEST_MAIN(TEST(test_charges_until_visible), TEST(test_update_charge), TEST(test_locks_per_namespace))
