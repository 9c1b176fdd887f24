/* test_api_core.c - the API core in-process, without HTTP: api_* calls given
 * the harness's server (api_harness.h: the registry, a watch cache over the
 * in-memory store).
 * Create, get, update, patch and delete of a ConfigMap check Kubernetes'
 * object semantics (uid, resourceVersion from the one global revision, 409
 * Conflict on a stale resourceVersion, 404, 409 AlreadyExists, dry-run that
 * answers but stores nothing), and a watch from the cache's event ring sees
 * exactly the writes that were stored, in order, as ADDED/MODIFIED/DELETED. */
#include "test.h"
#include "api.h"
#include "api_harness.h"
#include "registry.h"
#include <stdlib.h>
#include <string.h>

static api_harness h; /* the server the core serves (one per test process) */
static api_server *srv = &h.srv;
static const resource *cms;

static void start(void) {
  api_harness_start(&h);
  cms = registry_find("", "v1", "configmaps");
  api_result ns = api_create(srv, registry_find("", "v1", "namespaces"), "",
                             json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                                       "name", "t"),
                             NULL);
  if (ns.code != 201) {
    fprintf(stderr, "namespace t: %d\n", ns.code);
    exit(1);
  }
  api_result_clear(&ns);
}

static void stop(void) { api_harness_stop(&h); }

static json_t *configmap(const char *name, const char *value) {
  return json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name,
                   "data", "k", value);
}

/* metadata.FIELD of the result's object, as a string ("" when absent). */
static const char *meta(const api_result *r, const char *field) {
  const json_t *o = r->obj ? r->obj->obj : r->body;
  const char *v = json_string_value(json_object_get(json_object_get(o, "metadata"), field));
  return v ? v : "";
}

static const char *data_k(const api_result *r) {
  const json_t *o = r->obj ? r->obj->obj : r->body;
  const char *v = json_string_value(json_object_get(json_object_get(o, "data"), "k"));
  return v ? v : "";
}

static const char *reason(const api_result *r) {
  const char *v = json_string_value(json_object_get(r->body, "reason"));
  return v ? v : "";
}

static void test_create_get_update_conflict_patch_delete(void) {
  api_result c = api_create(srv, cms, "t", configmap("a", "1"), NULL);
  CHECK(c.code == 201);
  char rv1[32], uid[64];
  snprintf(rv1, sizeof rv1, "%s", meta(&c, "resourceVersion"));
  snprintf(uid, sizeof uid, "%s", meta(&c, "uid"));
  CHECK(atoll(rv1) > 0);
  CHECK(strlen(uid) == 36);
  CHECK(*meta(&c, "creationTimestamp"));
  api_result_clear(&c);

  api_result again = api_create(srv, cms, "t", configmap("a", "x"), NULL);
  CHECK(again.code == 409);
  CHECK_STR(reason(&again), "AlreadyExists");
  api_result_clear(&again);

  api_result g = api_get(srv, cms, "t", "a");
  CHECK(g.code == 200);
  CHECK_STR(meta(&g, "resourceVersion"), rv1);
  CHECK_STR(data_k(&g), "1");
  api_result_clear(&g);

  /* an update carrying the version it read: stored, with a newer revision, same uid */
  json_t *u = configmap("a", "2");
  json_object_set_new(json_object_get(u, "metadata"), "resourceVersion", json_string(rv1));
  api_result up = api_update(srv, cms, "t", "a", NULL, u, NULL);
  CHECK(up.code == 200);
  char rv2[32];
  snprintf(rv2, sizeof rv2, "%s", meta(&up, "resourceVersion"));
  CHECK(atoll(rv2) > atoll(rv1));
  CHECK_STR(meta(&up, "uid"), uid);
  api_result_clear(&up);

  /* the same stale version again: 409 Conflict, nothing changes */
  json_t *stale = configmap("a", "3");
  json_object_set_new(json_object_get(stale, "metadata"), "resourceVersion", json_string(rv1));
  api_result cf = api_update(srv, cms, "t", "a", NULL, stale, NULL);
  CHECK(cf.code == 409);
  CHECK_STR(reason(&cf), "Conflict");
  api_result_clear(&cf);
  g = api_get(srv, cms, "t", "a");
  CHECK_STR(data_k(&g), "2");
  CHECK_STR(meta(&g, "resourceVersion"), rv2);
  api_result_clear(&g);

  /* merge patch */
  const char *patch = "{\"data\":{\"k\":\"4\"}}";
  api_result p = api_patch(srv, cms, "t", "a", NULL, "application/merge-patch+json", patch, strlen(patch), NULL);
  CHECK(p.code == 200);
  CHECK_STR(data_k(&p), "4");
  CHECK(atoll(meta(&p, "resourceVersion")) > atoll(rv2));
  api_result_clear(&p);

  /* a patch that changes nothing writes nothing: same resourceVersion */
  g = api_get(srv, cms, "t", "a");
  char rv3[32];
  snprintf(rv3, sizeof rv3, "%s", meta(&g, "resourceVersion"));
  api_result_clear(&g);
  p = api_patch(srv, cms, "t", "a", NULL, "application/merge-patch+json", patch, strlen(patch), NULL);
  CHECK(p.code == 200);
  CHECK_STR(meta(&p, "resourceVersion"), rv3);
  api_result_clear(&p);

  api_result d = api_delete(srv, cms, "t", "a", NULL, NULL);
  CHECK(d.code == 200);
  api_result_clear(&d);
  g = api_get(srv, cms, "t", "a");
  CHECK(g.code == 404);
  CHECK_STR(reason(&g), "NotFound");
  api_result_clear(&g);
  d = api_delete(srv, cms, "t", "a", NULL, NULL);
  CHECK(d.code == 404);
  api_result_clear(&d);
}

static void test_dry_run_stores_nothing(void) {
  api_opts dry = {.dry_run = true};
  int64_t before = cache_rev(srv->cache);
  api_result c = api_create(srv, cms, "t", configmap("dry", "1"), &dry);
  CHECK(c.code == 201);
  CHECK_STR(data_k(&c), "1");
  api_result_clear(&c);
  api_result g = api_get(srv, cms, "t", "dry");
  CHECK(g.code == 404);
  api_result_clear(&g);

  c = api_create(srv, cms, "t", configmap("wet", "1"), NULL);
  CHECK(c.code == 201);
  api_result_clear(&c);
  int64_t stored = cache_rev(srv->cache);
  CHECK(stored > before);
  const char *patch = "{\"data\":{\"k\":\"dry\"}}";
  api_result p = api_patch(srv, cms, "t", "wet", NULL, "application/merge-patch+json", patch, strlen(patch), &dry);
  CHECK(p.code == 200);
  CHECK_STR(data_k(&p), "dry");
  api_result_clear(&p);
  api_result d = api_delete(srv, cms, "t", "wet", NULL, &dry);
  CHECK(d.code == 200);
  api_result_clear(&d);
  g = api_get(srv, cms, "t", "wet");
  CHECK(g.code == 200);
  CHECK_STR(data_k(&g), "1");
  api_result_clear(&g);
  CHECK(cache_rev(srv->cache) == stored); /* no dry-run request wrote a revision */
}

static void test_watch_sees_the_stored_writes(void) {
  int64_t cursor = cache_rev(srv->cache);
  api_result c = api_create(srv, cms, "t", configmap("w", "1"), NULL);
  CHECK(c.code == 201);
  api_result_clear(&c);
  api_opts dry = {.dry_run = true};
  const char *patch = "{\"data\":{\"k\":\"2\"}}";
  api_result p = api_patch(srv, cms, "t", "w", NULL, "application/merge-patch+json", patch, strlen(patch), &dry);
  api_result_clear(&p); /* dry-run: no event */
  p = api_patch(srv, cms, "t", "w", NULL, "application/merge-patch+json", patch, strlen(patch), NULL);
  CHECK(p.code == 200);
  api_result_clear(&p);
  api_result d = api_delete(srv, cms, "t", "w", NULL, NULL);
  CHECK(d.code == 200);
  api_result_clear(&d);

  cache_event evs[8];
  int n = 0;
  for (int tries = 0; tries < 50 && n < 3; tries++) { /* bounded: the writes are already published */
    int got = cache_wait(srv->cache, cms->bucket, &cursor, evs + n, 8 - n, 100, NULL);
    CHECK(got >= 0);
    if (got < 0) break;
    n += got;
  }
  CHECK(n == 3);
  if (n == 3) {
    CHECK(evs[0].type == EV_ADDED);
    CHECK(evs[1].type == EV_MODIFIED);
    CHECK(evs[2].type == EV_DELETED);
    CHECK(evs[0].rev < evs[1].rev && evs[1].rev < evs[2].rev);
    CHECK_STR(json_string_value(json_object_get(json_object_get(evs[1].obj->obj, "data"), "k")), "2");
    CHECK(evs[1].prev && evs[1].prev->rev == evs[0].rev);
    char rv[32];
    snprintf(rv, sizeof rv, "%lld", (long long)evs[2].rev);
    CHECK_STR(json_string_value(json_object_get(json_object_get(evs[2].obj->obj, "metadata"), "resourceVersion")), rv);
  }
  for (int i = 0; i < n; i++) cache_event_release(&evs[i]);
}

TEST_MAIN(TEST(start), TEST(test_create_get_update_conflict_patch_delete), TEST(test_dry_run_stores_nothing),
          TEST(test_watch_sees_the_stored_writes), TEST(stop))
