/* test_store_etcd_wire.c - etcd's JSON gateway on the wire (server/
 * store_etcd_wire.c): the key layout both ways, the request bodies, and the
 * parsers of range, txn and watch answers as etcd 3.4 sends them (bodies
 * captured from etcd 3.4.23), including its error form and malformed input. */
#include "test.h"
#include "store_etcd_wire.h"
#include <stdlib.h>

static void test_keys(void) {
  char *k = etcd_key_of("/registry", "apps/deployments/default/web");
  CHECK_STR(k, "/registry/apps/deployments/default/web");
  free(k);
  k = etcd_key_of("/registry", "core/nodes//sim-0");
  CHECK_STR(k, "/registry/core/nodes/sim-0");
  free(k);
  const char *ns = "/registry/core/pods/kube-system/p";
  k = etcd_cache_key("/registry", ns, strlen(ns));
  CHECK_STR(k, "core/pods/kube-system/p");
  free(k);
  const char *cl = "/registry/rbac.authorization.k8s.io/clusterroles/admin";
  k = etcd_cache_key("/registry", cl, strlen(cl));
  CHECK_STR(k, "rbac.authorization.k8s.io/clusterroles//admin");
  free(k);
  /* not ours or malformed: other prefix, too few or too many parts, empty parts, a NUL */
  const char *bad[] = {"/other/core/pods/a/b", "/registry/core/pods", "/registry/a/b/c/d/e", "/registry/core//x",
                       "/registry/core/pods/a/", "/registryx/core/pods/a"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(etcd_cache_key("/registry", bad[i], strlen(bad[i])) == NULL);
  CHECK(etcd_cache_key("/registry", "/registry/core/pods/a\0b", 23) == NULL);
}

static void test_requests(void) {
  json_t *r = etcd_txn_request("/registry/core/configmaps/d/a", (const unsigned char *)"{}", 2, 7);
  json_t *cmp = json_array_get(json_object_get(r, "compare"), 0);
  CHECK_STR(json_string_value(json_object_get(cmp, "target")), "MOD");
  CHECK_STR(json_string_value(json_object_get(cmp, "result")), "EQUAL");
  CHECK_STR(json_string_value(json_object_get(cmp, "mod_revision")), "7");
  json_t *put = json_object_get(json_array_get(json_object_get(r, "success"), 0), "request_put");
  CHECK_STR(json_string_value(json_object_get(put, "value")), "e30=");
  json_decref(r);
  /* unconditional delete: the key must exist (mod revision > 0) */
  r = etcd_txn_request("/registry/x/y/z", NULL, 0, -1);
  cmp = json_array_get(json_object_get(r, "compare"), 0);
  CHECK_STR(json_string_value(json_object_get(cmp, "result")), "GREATER");
  CHECK(json_object_get(json_array_get(json_object_get(r, "success"), 0), "request_delete_range") != NULL);
  json_decref(r);
  /* unconditional put: no comparison */
  r = etcd_txn_request("/registry/x/y/z", (const unsigned char *)"{}", 2, -1);
  CHECK(json_array_size(json_object_get(r, "compare")) == 0);
  json_decref(r);
  r = etcd_watch_request("/registry/", "/registry0", 12);
  json_t *c = json_object_get(r, "create_request");
  CHECK_STR(json_string_value(json_object_get(c, "key")), "L3JlZ2lzdHJ5Lw==");
  CHECK_STR(json_string_value(json_object_get(c, "range_end")), "L3JlZ2lzdHJ5MA==");
  CHECK_STR(json_string_value(json_object_get(c, "start_revision")), "12");
  CHECK(json_object_get(c, "prev_kv") == NULL); /* the cache has the previous states */
  json_decref(r);
}

static void test_range(void) {
  const char *body =
      "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"42\",\"raft_term\":\"2\"},"
      "\"kvs\":[{\"key\":\"L3JlZ2lzdHJ5L2E=\",\"create_revision\":\"2\",\"mod_revision\":\"5\",\"version\":\"2\","
      "\"value\":\"e30=\"}],\"more\":true,\"count\":\"3\"}";
  etcd_range_result r;
  char err[160];
  CHECK(etcd_parse_range(body, strlen(body), &r, err, sizeof err) == 0);
  CHECK(r.rev == 42 && r.more && r.n == 1);
  CHECK(r.n == 1 && r.kvs[0].mod_rev == 5 && r.kvs[0].create_rev == 2);
  CHECK(r.n == 1 && !strcmp(r.kvs[0].key, "/registry/a") && r.kvs[0].value_len == 2);
  etcd_kvs_free(r.kvs, r.n);
  /* empty range: no kvs, no more */
  const char *empty = "{\"header\":{\"revision\":\"9\"}}";
  CHECK(etcd_parse_range(empty, strlen(empty), &r, err, sizeof err) == 0 && r.n == 0 && !r.more && r.rev == 9);
  etcd_kvs_free(r.kvs, r.n);
  /* the gateway's error form */
  const char *e = "{\"error\":\"etcdserver: request timed out\",\"code\":14,\"message\":\"etcdserver: request timed out\"}";
  CHECK(etcd_parse_range(e, strlen(e), &r, err, sizeof err) == -1);
  CHECK_STR(err, "etcd: etcdserver: request timed out");
  /* malformed: bad base64, a revision that is no number, kvs not an array, not JSON */
  const char *bad[] = {"{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"!!\"}]}",
                       "{\"header\":{\"revision\":\"x1\"}}", "{\"header\":{\"revision\":\"1\"},\"kvs\":{}}",
                       "{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"-3\"}]}",
                       "{\"kvs\":[]}", "[1]", "{"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(etcd_parse_range(bad[i], strlen(bad[i]), &r, err, sizeof err) == -1);
}

static void test_txn(void) {
  etcd_txn_result t;
  char err[160];
  const char *ok = "{\"header\":{\"revision\":\"8\"},\"succeeded\":true,\"responses\":[{\"response_put\":"
                   "{\"header\":{\"revision\":\"8\"}}}]}";
  CHECK(etcd_parse_txn(ok, strlen(ok), &t, err, sizeof err) == 0 && t.succeeded && t.rev == 8);
  const char *conflict = "{\"header\":{\"revision\":\"8\"},\"responses\":[{\"response_range\":{\"header\":"
                         "{\"revision\":\"8\"},\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"2\","
                         "\"mod_revision\":\"6\",\"version\":\"3\"}],\"count\":\"1\"}}]}";
  CHECK(etcd_parse_txn(conflict, strlen(conflict), &t, err, sizeof err) == 0 && !t.succeeded && t.current == 6);
  const char *absent = "{\"header\":{\"revision\":\"8\"},\"responses\":[{\"response_range\":{\"header\":"
                       "{\"revision\":\"8\"}}}]}";
  CHECK(etcd_parse_txn(absent, strlen(absent), &t, err, sizeof err) == 0 && !t.succeeded && t.current == 0);
  const char *broken = "{\"header\":{\"revision\":\"8\"},\"responses\":[]}";
  CHECK(etcd_parse_txn(broken, strlen(broken), &t, err, sizeof err) == -1);
}

/* A transaction of several writes: one compare per conditional write, the
 * writes in order, one keys-only range per key for the failure branch. */
static void test_batch_request(void) {
  etcd_txn_op ops[3] = {{"/registry/core/configmaps/d/a", (const unsigned char *)"{}", 2, 0},
                        {"/registry/core/configmaps/d/b", (const unsigned char *)"{\"x\":1}", 7, -1},
                        {"/registry/core/configmaps/d/c", NULL, 0, 9}};
  json_t *r = etcd_txn_batch_request(ops, 3);
  json_t *cmp = json_object_get(r, "compare"), *ok = json_object_get(r, "success"), *fail = json_object_get(r, "failure");
  CHECK(json_array_size(cmp) == 2 && json_array_size(ok) == 3 && json_array_size(fail) == 3);
  /* a: created (mod revision 0); b: unconditional put, no compare; c: deleted at revision 9 */
  CHECK_STR(json_string_value(json_object_get(json_array_get(cmp, 0), "key")), "L3JlZ2lzdHJ5L2NvcmUvY29uZmlnbWFwcy9kL2E=");
  CHECK_STR(json_string_value(json_object_get(json_array_get(cmp, 0), "mod_revision")), "0");
  CHECK_STR(json_string_value(json_object_get(json_array_get(cmp, 1), "key")), "L3JlZ2lzdHJ5L2NvcmUvY29uZmlnbWFwcy9kL2M=");
  CHECK_STR(json_string_value(json_object_get(json_array_get(cmp, 1), "result")), "EQUAL");
  CHECK_STR(json_string_value(json_object_get(json_array_get(cmp, 1), "mod_revision")), "9");
  json_t *put_b = json_object_get(json_array_get(ok, 1), "request_put");
  CHECK_STR(json_string_value(json_object_get(put_b, "key")), "L3JlZ2lzdHJ5L2NvcmUvY29uZmlnbWFwcy9kL2I=");
  CHECK_STR(json_string_value(json_object_get(put_b, "value")), "eyJ4IjoxfQ==");
  CHECK(json_object_get(json_array_get(ok, 2), "request_delete_range") != NULL);
  for (size_t i = 0; i < 3; i++) {
    json_t *range = json_object_get(json_array_get(fail, i), "request_range");
    CHECK(json_is_true(json_object_get(range, "keys_only")));
    CHECK_STR(json_string_value(json_object_get(range, "key")),
              json_string_value(json_object_get(json_object_get(json_array_get(ok, i), i == 2 ? "request_delete_range"
                                                                                            : "request_put"),
                                                "key")));
  }
  json_decref(r);
  /* the one-write transaction is the batch of one */
  json_t *one = etcd_txn_request(ops[2].key, NULL, 0, 9), *batch = etcd_txn_batch_request(&ops[2], 1);
  CHECK(json_equal(one, batch));
  json_decref(one);
  json_decref(batch);
}

/* The answers to a batch: committed (one revision for all), or not with
 * each key's mod revision, absent keys 0 (as etcd 3.4.23 answers). */
static void test_batch_answer(void) {
  etcd_txn_result t;
  int64_t cur[4] = {7, 7, 7, 7}; /* room for the call with n = 4 below */
  char err[160];
  const char *ok = "{\"header\":{\"revision\":\"12\"},\"succeeded\":true,\"responses\":[{\"response_put\":"
                   "{\"header\":{\"revision\":\"12\"}}},{\"response_put\":{\"header\":{\"revision\":\"12\"}}},"
                   "{\"response_delete_range\":{\"header\":{\"revision\":\"12\"},\"deleted\":\"1\"}}]}";
  CHECK(etcd_parse_txn_batch(ok, strlen(ok), 3, &t, cur, err, sizeof err) == 0 && t.succeeded && t.rev == 12);
  CHECK(cur[0] == 0 && cur[1] == 0 && cur[2] == 0);
  const char *failed =
      "{\"header\":{\"revision\":\"12\"},\"responses\":["
      "{\"response_range\":{\"header\":{\"revision\":\"12\"},\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"3\","
      "\"mod_revision\":\"11\",\"version\":\"2\"}],\"count\":\"1\"}},"
      "{\"response_range\":{\"header\":{\"revision\":\"12\"}}},"
      "{\"response_range\":{\"header\":{\"revision\":\"12\"},\"kvs\":[{\"key\":\"Yw==\",\"create_revision\":\"9\","
      "\"mod_revision\":\"9\",\"version\":\"1\"}],\"count\":\"1\"}}]}";
  CHECK(etcd_parse_txn_batch(failed, strlen(failed), 3, &t, cur, err, sizeof err) == 0 && !t.succeeded && t.rev == 12);
  CHECK(cur[0] == 11 && cur[1] == 0 && cur[2] == 9 && t.current == 11);
  /* a failure branch with fewer or more ranges than writes, or another response, is malformed */
  CHECK(etcd_parse_txn_batch(failed, strlen(failed), 2, &t, cur, err, sizeof err) == -1);
  CHECK(etcd_parse_txn_batch(failed, strlen(failed), 4, &t, cur, err, sizeof err) == -1);
  CHECK(cur[0] == 0 && cur[2] == 0);
  const char *odd = "{\"header\":{\"revision\":\"12\"},\"responses\":[{\"response_range\":{}},"
                    "{\"response_put\":{}}]}";
  CHECK(etcd_parse_txn_batch(odd, strlen(odd), 2, &t, cur, err, sizeof err) == -1);
  const char *e = "{\"error\":\"etcdserver: duplicate key given in txn request\",\"code\":3}";
  CHECK(etcd_parse_txn_batch(e, strlen(e), 2, &t, cur, err, sizeof err) == -1);
  CHECK_STR(err, "etcd: etcdserver: duplicate key given in txn request");
}

static void test_watch(void) {
  etcd_watch_msg m;
  char err[160];
  const char *created = "{\"result\":{\"header\":{\"revision\":\"2\"},\"created\":true}}";
  CHECK(etcd_parse_watch(created, strlen(created), &m, err, sizeof err) == 0 && m.created && m.n == 0);
  etcd_kvs_free(m.evs, m.n);
  const char *evs =
      "{\"result\":{\"header\":{\"revision\":\"3\"},\"events\":[{\"kv\":{\"key\":\"L3JlZ2lzdHJ5L2E=\","
      "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"e30=\"}},"
      "{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3JlZ2lzdHJ5L2E=\",\"mod_revision\":\"3\"},\"prev_kv\":"
      "{\"key\":\"L3JlZ2lzdHJ5L2E=\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\","
      "\"value\":\"e30=\"}}]}}";
  CHECK(etcd_parse_watch(evs, strlen(evs), &m, err, sizeof err) == 0 && m.n == 2);
  if (m.n == 2) {
    CHECK(!m.evs[0].del && m.evs[0].mod_rev == 2 && m.evs[0].value && !strcmp((char *)m.evs[0].value, "{}"));
    CHECK(m.evs[1].del && m.evs[1].mod_rev == 3 && m.evs[1].value == NULL);
  }
  etcd_kvs_free(m.evs, m.n);
  const char *compacted =
      "{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,\"compact_revision\":\"3\"}}";
  CHECK(etcd_parse_watch(compacted, strlen(compacted), &m, err, sizeof err) == 0 && m.canceled && m.compact_rev == 3);
  etcd_kvs_free(m.evs, m.n);
  const char *bad[] = {"{\"result\":{\"header\":{\"revision\":\"3\"},\"events\":[{\"type\":\"BOOM\",\"kv\":{}}]}}",
                       "{\"result\":{\"header\":{\"revision\":\"3\"},\"events\":{}}}",
                       "{\"result\":{\"header\":{\"revision\":\"3\"},\"events\":[{\"kv\":{\"key\":5}}]}}",
                       "{\"result\":{}}", "{\"error\":{\"grpc_code\":14}}", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(etcd_parse_watch(bad[i], strlen(bad[i]), &m, err, sizeof err) == -1);
}

TEST_MAIN(TEST(test_keys), TEST(test_requests), TEST(test_range), TEST(test_txn), TEST(test_batch_request),
          TEST(test_batch_answer), TEST(test_watch))
