/* test_watch_cache.c - the cache over a real SQLite store: writes get
 * increasing revisions, preconditions conflict, lists are ordered and
 * namespace-scoped, watchers see events in order and resume within the
 * window, and everything survives a reopen. */
#include "test.h"
#include "watch_cache.h"
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static char dbpath[256];

static cache *open_cache(size_t window) {
  char err[256];
  store *st = store_sqlite_open(dbpath, err, sizeof err);
  CHECK(st != NULL);
  cache *c = cache_open(st, window, err, sizeof err);
  CHECK(c != NULL);
  return c;
}

static json_t *mk(const char *name, const char *ns) {
  return json_pack("{s:s,s:{s:s,s:s}}", "kind", "ConfigMap", "metadata", "name", name, "namespace", ns);
}

static int put(cache *c, cache_bucket *b, const char *ns, const char *name, int64_t expect) {
  char err[128];
  cobj *o = NULL;
  int64_t cur = 0;
  int rc = cache_write(c, b, ns, name, expect, mk(name, ns), false, &o, &cur, err, sizeof err);
  cobj_unref(o);
  return rc;
}

static void test_write_list_reopen(void) {
  snprintf(dbpath, sizeof dbpath, "/tmp/ckube-test-cache-%d.db", getpid());
  unlink(dbpath);
  cache *c = open_cache(100);
  cache_bucket *b = cache_bucket_get(c, "core/configmaps");
  CHECK(put(c, b, "ns1", "b", 0) == CW_OK);
  CHECK(put(c, b, "ns1", "a", 0) == CW_OK);
  CHECK(put(c, b, "ns2", "a", 0) == CW_OK);
  CHECK(put(c, b, "ns1", "a", 0) == CW_CONFLICT); /* exists */
  CHECK(cache_rev(c) == 3);
  cobj *a = cache_get(c, b, "ns1", "a");
  CHECK(a && a->rev == 2);
  CHECK_STR(json_string_value(json_object_get(json_object_get(a->obj, "metadata"), "resourceVersion")), "2");
  CHECK(put(c, b, "ns1", "a", 1) == CW_CONFLICT); /* stale */
  CHECK(put(c, b, "ns1", "a", 2) == CW_OK);
  cobj_unref(a);
  cobj_vec v = {0};
  int64_t rev = cache_list(c, b, "ns1", NULL, 0, &v);
  CHECK(rev == 4 && v.n == 2);
  CHECK_STR(v.items[0]->subkey, "ns1/a");
  CHECK_STR(v.items[1]->subkey, "ns1/b");
  cobj_vec_clear(&v);
  cache_list(c, b, "", "ns1/a", 1, &v);
  CHECK(v.n == 1);
  if (v.n) CHECK_STR(v.items[0]->subkey, "ns1/b");
  cobj_vec_clear(&v);
  char err[64];
  cobj *del = NULL;
  CHECK(cache_write(c, b, "ns2", "a", -1, mk("a", "ns2"), true, &del, NULL, err, sizeof err) == CW_OK);
  CHECK(del && del->rev == 5);
  cobj_unref(del);
  cache_close(c);

  c = open_cache(100);
  b = cache_bucket_get(c, "core/configmaps");
  CHECK(cache_rev(c) == 5);
  CHECK(cache_count(c, b) == 2);
  cobj *gone = cache_get(c, b, "ns2", "a");
  CHECK(gone == NULL);
  CHECK(put(c, b, "ns3", "x", 0) == CW_OK);
  CHECK(cache_rev(c) == 6);
  cache_close(c);
}

static void test_watch_window(void) {
  cache *c = open_cache(3);
  cache_bucket *b = cache_bucket_get(c, "core/configmaps");
  cache_bucket *other = cache_bucket_get(c, "core/secrets");
  int64_t start = cache_rev(c);
  CHECK(put(c, b, "w", "one", 0) == CW_OK);
  CHECK(put(c, other, "w", "s", 0) == CW_OK);
  CHECK(put(c, b, "w", "two", 0) == CW_OK);
  cache_event evs[8];
  int64_t cursor = start;
  int n = cache_wait(c, b, &cursor, evs, 8, 100, NULL);
  CHECK(n == 2);
  if (n == 2) {
    CHECK(evs[0].type == EV_ADDED && evs[1].rev == start + 3);
    CHECK_STR(evs[1].obj->subkey, "w/two");
  }
  for (int i = 0; i < n; i++) cache_event_release(&evs[i]);
  CHECK(cursor == start + 3);
  CHECK(cache_wait(c, b, &cursor, evs, 8, 50, NULL) == 0); /* timeout */
  CHECK(put(c, b, "w", "three", 0) == CW_OK);                 /* evicts rev start+1 */
  int64_t old = start;
  CHECK(cache_wait(c, b, &old, evs, 8, 50, NULL) == -1);
  cache_close(c);
  unlink(dbpath);
}

struct writer_arg { cache *c; cache_bucket *b; int id; int ok; };

static void *writer(void *p) {
  struct writer_arg *a = p;
  char name[32];
  for (int i = 0; i < 200; i++) {
    snprintf(name, sizeof name, "w%d-%d", a->id, i);
    if (put(a->c, a->b, "conc", name, 0) == CW_OK) a->ok++;
  }
  return NULL;
}

static void test_concurrent_group_commit(void) {
  cache *c = open_cache(10000);
  cache_bucket *b = cache_bucket_get(c, "core/configmaps");
  int64_t start = cache_rev(c);
  pthread_t t[8];
  struct writer_arg args[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (struct writer_arg){c, b, i, 0};
    pthread_create(&t[i], NULL, writer, &args[i]);
  }
  int total = 0;
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL), total += args[i].ok;
  CHECK(total == 1600);
  CHECK(cache_rev(c) == start + 1600);
  cache_event evs[64];
  int64_t cursor = start, last = start;
  int seen = 0, n;
  bool ordered = true;
  while ((n = cache_wait(c, b, &cursor, evs, 64, 10, NULL)) > 0) {
    for (int i = 0; i < n; i++) {
      if (evs[i].rev != last + 1) ordered = false;
      last = evs[i].rev;
      cache_event_release(&evs[i]);
    }
    seen += n;
  }
  CHECK(ordered && seen == 1600);
  cache_close(c);
  unlink(dbpath);
}

static void test_list_at_revision(void) {
  cache *c = open_cache(100);
  cache_bucket *b = cache_bucket_get(c, "core/configmaps");
  CHECK(put(c, b, "at", "a", 0) == CW_OK);
  CHECK(put(c, b, "at", "b", 0) == CW_OK);
  CHECK(put(c, b, "other", "z", 0) == CW_OK);
  int64_t r1 = cache_rev(c);
  cobj *a = cache_get(c, b, "at", "a");
  CHECK(put(c, b, "at", "a", a->rev) == CW_OK); /* modify a */
  char err[64];
  CHECK(cache_write(c, b, "at", "b", -1, mk("b", "at"), true, NULL, NULL, err, sizeof err) == CW_OK);
  CHECK(put(c, b, "at", "c", 0) == CW_OK);
  cobj_vec v = {0};
  CHECK(cache_list_at(c, b, "at", NULL, 0, r1, &v) == r1);
  CHECK(v.n == 2);
  if (v.n == 2) {
    CHECK_STR(v.items[0]->subkey, "at/a");
    CHECK(v.items[0]->rev == a->rev); /* the old version */
    CHECK_STR(v.items[1]->subkey, "at/b");
  }
  cobj_vec_clear(&v);
  CHECK(cache_list_at(c, b, "at", "at/a", 1, r1, &v) == r1 && v.n == 1);
  if (v.n) CHECK_STR(v.items[0]->subkey, "at/b");
  cobj_vec_clear(&v);
  CHECK(cache_list_at(c, b, "", NULL, 0, r1, &v) == r1 && v.n == 3);
  cobj_vec_clear(&v);
  CHECK(cache_list_at(c, b, "at", NULL, 0, cache_rev(c), &v) == cache_rev(c) && v.n == 2); /* a, c */
  cobj_vec_clear(&v);
  cobj_unref(a);
  cache_close(c);
  unlink(dbpath);
}

/* The immutability check sees a change written into a published version,
 * both for a version written now and for one loaded from the store (whose
 * fingerprint is taken at its first check). */
static void test_published_check(void) {
  snprintf(dbpath, sizeof dbpath, "/tmp/ckube-test-cache-pub-%d.db", getpid());
  unlink(dbpath);
  cache *c = open_cache(100);
  cache_bucket *b = cache_bucket_get(c, "core/configmaps");
  CHECK(put(c, b, "ns", "loaded", 0) == CW_OK);
  cache_close(c);
  c = open_cache(100);
  b = cache_bucket_get(c, "core/configmaps");
  CHECK(put(c, b, "ns", "written", 0) == CW_OK);
  CHECK(cache_check_published(c) == 0);
  cobj *w = cache_get(c, b, "ns", "written"), *l = cache_get(c, b, "ns", "loaded");
  CHECK(w && l);
  /* what a buggy graft does: write through the const view */
  json_object_set_new((json_t *)w->obj, "data", json_pack("{s:s}", "k", "v"));
  CHECK(cache_check_published(c) == 1);
  json_object_set_new(json_object_get(l->obj, "metadata"), "labels", json_object());
  CHECK(cache_check_published(c) == 2);
  cobj_unref(w);
  cobj_unref(l);
  cache_close(c);
  unlink(dbpath);
}

TEST_MAIN(TEST(test_published_check), TEST(test_list_at_revision), TEST(test_write_list_reopen), TEST(test_watch_window), TEST(test_concurrent_group_commit))
