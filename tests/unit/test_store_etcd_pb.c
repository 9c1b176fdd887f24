/* test_store_etcd_pb.c - etcd's gRPC messages on the wire (server/store/
 * store_etcd_pb.c): the requests byte for byte (checked against protoc
 * --decode with etcd 3.4's rpc.proto when written), the answers decoded
 * from hand-built protobuf bytes into the structs the JSON parsers fill, and
 * malformed answers (truncations, wrong wire types, negative revisions,
 * unknown event types, missing parts) refused without leaks. */
#include "test.h"
#include "store_etcd_pb.h"
#include <stdlib.h>

/* A byte string literal and its length (without the literal's NUL). */
#define BYTES(s) (const unsigned char *)(s), sizeof(s) - 1

static bool same(const etcd_pb *pb, const unsigned char *want, size_t len) {
  bool ok = pb->len == len && !memcmp(pb->data, want, len);
  if (!ok) {
    fprintf(stderr, "got %zu bytes:", pb->len);
    for (size_t i = 0; i < pb->len; i++) fprintf(stderr, " %02x", pb->data[i]);
    fprintf(stderr, "\n");
  }
  return ok;
}

static void test_range_request(void) {
  etcd_pb pb = {0};
  /* key 1, range_end 2, limit 3 (500: varint f4 03), revision 4 */
  etcd_pb_range_request(&pb, "/registry/", 10, "/registry0", 500, 42);
  CHECK(same(&pb, BYTES("\x0a\x0a/registry/\x12\x0a/registry0\x18\xf4\x03\x20\x2a")));
  pb.len = 0;
  /* one key, latest revision: no range_end, no revision field */
  etcd_pb_range_request(&pb, "/k", 2, NULL, 1, 0);
  CHECK(same(&pb, BYTES("\x0a\x02/k\x18\x01")));
  pb.len = 0;
  /* a page after key "a": the key with its NUL byte */
  etcd_pb_range_request(&pb, "a\0", 2, "b", 0, 0);
  CHECK(same(&pb, BYTES("\x0a\x02" "a\0" "\x12\x01" "b")));
  free(pb.data);
}

static void test_watch_and_compaction_request(void) {
  etcd_pb pb = {0};
  /* WatchRequest{create_request 1: key 1, range_end 2, start_revision 3}; no prev_kv (6) */
  etcd_pb_watch_request(&pb, "/registry/", "/registry0", 12);
  CHECK(same(&pb, BYTES("\x0a\x1a\x0a\x0a/registry/\x12\x0a/registry0\x18\x0c")));
  pb.len = 0;
  etcd_pb_compaction_request(&pb, 300);
  CHECK(same(&pb, BYTES("\x08\xac\x02")));
  free(pb.data);
}

static void test_txn_request(void) {
  etcd_pb pb = {0};
  /* a put if the key's mod revision is 7:
   * compare 1 {target MOD (2), key, mod_revision 6 = 7},
   * success 2 {request_put 2 {key, value}}, failure 3 {request_range 1 {key, keys_only}} */
  etcd_txn_op put = {"k", (const unsigned char *)"{}", 2, 7};
  etcd_pb_txn_request(&pb, &put, 1);
  CHECK(same(&pb, BYTES("\x0a\x07\x10\x02\x1a\x01k\x30\x07"
                        "\x12\x09\x12\x07\x0a\x01k\x12\x02{}"
                        "\x1a\x07\x0a\x05\x0a\x01k\x40\x01")));
  pb.len = 0;
  /* a create: mod revision 0, sent explicitly (a oneof member) */
  etcd_txn_op create = {"k", (const unsigned char *)"", 0, 0};
  etcd_pb_txn_request(&pb, &create, 1);
  CHECK(same(&pb, BYTES("\x0a\x07\x10\x02\x1a\x01k\x30\x00"
                        "\x12\x07\x12\x05\x0a\x01k\x12\x00"
                        "\x1a\x07\x0a\x05\x0a\x01k\x40\x01")));
  pb.len = 0;
  /* an unconditional delete needs the key: result GREATER (1), mod revision 0;
   * success holds request_delete_range 3 */
  etcd_txn_op del = {"k", NULL, 0, -1};
  etcd_pb_txn_request(&pb, &del, 1);
  CHECK(same(&pb, BYTES("\x0a\x09\x08\x01\x10\x02\x1a\x01k\x30\x00"
                        "\x12\x05\x1a\x03\x0a\x01k"
                        "\x1a\x07\x0a\x05\x0a\x01k\x40\x01")));
  pb.len = 0;
  /* a batch: an unconditional put has no compare; writes and ranges keep their order */
  etcd_txn_op ops[2] = {{"a", (const unsigned char *)"1", 1, -1}, {"b", NULL, 0, 3}};
  etcd_pb_txn_request(&pb, ops, 2);
  CHECK(same(&pb, BYTES("\x0a\x07\x10\x02\x1a\x01" "b" "\x30\x03"
                        "\x12\x08\x12\x06\x0a\x01" "a" "\x12\x01" "1"
                        "\x12\x05\x1a\x03\x0a\x01" "b"
                        "\x1a\x07\x0a\x05\x0a\x01" "a" "\x40\x01"
                        "\x1a\x07\x0a\x05\x0a\x01" "b" "\x40\x01")));
  free(pb.data);
}

/* header {cluster_id 1, revision 3 = 42} */
#define HEADER42 "\x0a\x04\x08\x07\x18\x2a"

static void test_parse_range(void) {
  etcd_range_result r;
  char err[160];
  /* kvs 2: {key "/registry/a", create 2, mod 5, version 2, value "{}", lease 0};
   * an unknown fixed32 field 99 (skipped); more 3 */
  const unsigned char ok[] = HEADER42 "\x12\x19\x0a\x0b/registry/a\x10\x02\x18\x05\x20\x02\x2a\x02{}\x30\x00"
                                      "\x9d\x06\x01\x02\x03\x04"
                                      "\x18\x01";
  CHECK(etcd_pb_parse_range(ok, sizeof ok - 1, &r, err, sizeof err) == 0);
  CHECK(r.rev == 42 && r.more && r.n == 1);
  CHECK(r.n == 1 && !strcmp(r.kvs[0].key, "/registry/a") && r.kvs[0].key_len == 11);
  CHECK(r.n == 1 && r.kvs[0].mod_rev == 5 && r.kvs[0].create_rev == 2 && r.kvs[0].value_len == 2 &&
        !strcmp((const char *)r.kvs[0].value, "{}"));
  etcd_kvs_free(r.kvs, r.n);
  /* no kvs: an empty range; a kv without a value has an empty one */
  CHECK(etcd_pb_parse_range(BYTES(HEADER42), &r, err, sizeof err) == 0 && r.n == 0 && !r.more && r.rev == 42);
  etcd_kvs_free(r.kvs, r.n);
  CHECK(etcd_pb_parse_range(BYTES(HEADER42 "\x12\x03\x0a\x01k"), &r, err, sizeof err) == 0 && r.n == 1 &&
        r.kvs[0].value && r.kvs[0].value_len == 0);
  etcd_kvs_free(r.kvs, r.n);
  /* malformed */
  static const struct {
    const char *b;
    size_t len;
  } bad[] = {
      {"", 0},                                              /* no header */
      {"\x12\x03\x0a\x01k", 5},                             /* kvs but no header */
      {"\x0a\x02\x18", 3},                                  /* header cut short */
      {"\x0a\x09\x18\xff\xff\xff\xff\xff\xff\xff\xff", 11}, /* a revision varint that never ends */
      {"\x08\x2a", 2},                                      /* header as a varint */
      {"\x0a\x0b\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13}, /* revision -1 */
      {HEADER42 "\x12\x05\x0a\x01k", 11},                   /* kv length past the end */
      {HEADER42 "\x12\x04\x0a\x01k\x18", 12},               /* kv cut inside */
      {HEADER42 "\x12\x02\x08\x01", 10},                    /* key as a varint */
      {HEADER42 "\x13", 7},                                 /* a group (wire type 3) */
      {HEADER42 "\x00\x01", 8},                             /* field number 0 */
      {HEADER42 "\x18", 7},                                 /* more without its value */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK(etcd_pb_parse_range((const unsigned char *)bad[i].b, bad[i].len, &r, err, sizeof err) == -1);
    if (etcd_pb_parse_range((const unsigned char *)bad[i].b, bad[i].len, &r, err, sizeof err) == 0) {
      fprintf(stderr, "bad range answer %zu accepted\n", i);
      etcd_kvs_free(r.kvs, r.n);
    }
  }
  CHECK_STR(err, "malformed etcd range answer");
}

static void test_parse_txn(void) {
  etcd_txn_result t;
  int64_t current[2];
  char err[160];
  /* succeeded 2, responses 3 {response_put 2 {header}} */
  CHECK(etcd_pb_parse_txn(BYTES(HEADER42 "\x10\x01\x1a\x08\x12\x06" HEADER42), 1, &t, current, err, sizeof err) == 0 &&
        t.succeeded && t.rev == 42 && current[0] == 0);
  /* failed: one keys-only range per write: a at mod revision 6, b absent */
  const unsigned char failed[] = HEADER42 "\x1a\x0f\x0a\x0d" HEADER42 "\x12\x05\x0a\x01" "a" "\x18\x06"
                                          "\x1a\x08\x0a\x06" HEADER42;
  CHECK(etcd_pb_parse_txn(failed, sizeof failed - 1, 2, &t, current, err, sizeof err) == 0 && !t.succeeded &&
        current[0] == 6 && current[1] == 0 && t.current == 6);
  /* the failure branch must hold exactly one range per write */
  CHECK(etcd_pb_parse_txn(failed, sizeof failed - 1, 1, &t, current, err, sizeof err) == -1);
  CHECK(etcd_pb_parse_txn(BYTES(HEADER42), 1, &t, current, err, sizeof err) == -1);
  /* a failure response that is not a range */
  CHECK(etcd_pb_parse_txn(BYTES(HEADER42 "\x1a\x08\x12\x06" HEADER42), 1, &t, current, err, sizeof err) == -1);
  CHECK(etcd_pb_parse_txn(BYTES("\x10\x01"), 0, &t, current, err, sizeof err) == -1); /* no header */
  CHECK(etcd_pb_parse_txn(BYTES(HEADER42 "\x12\x01\x01"), 0, &t, current, err, sizeof err) == -1); /* succeeded as bytes */
  CHECK_STR(err, "malformed etcd txn answer");
}

static void test_parse_watch(void) {
  etcd_watch_msg m;
  char err[160];
  /* the first answer: created 3 */
  CHECK(etcd_pb_parse_watch(BYTES(HEADER42 "\x18\x01"), &m, err, sizeof err) == 0 && m.created && m.n == 0 &&
        m.rev == 42);
  etcd_kvs_free(m.evs, m.n);
  /* events 11 (tag 5a): a PUT (type left out) and a DELETE (type 1) of one revision */
  const unsigned char evs[] = HEADER42 "\x5a\x0d\x12\x0b\x0a\x01" "a" "\x10\x02\x18\x07\x2a\x02{}"
                                      "\x5a\x09\x08\x01\x12\x05\x0a\x01" "b" "\x18\x07";
  CHECK(etcd_pb_parse_watch(evs, sizeof evs - 1, &m, err, sizeof err) == 0 && m.n == 2);
  CHECK(m.n == 2 && !m.evs[0].del && m.evs[0].mod_rev == 7 && !strcmp((const char *)m.evs[0].value, "{}"));
  CHECK(m.n == 2 && m.evs[1].del && !m.evs[1].value && m.evs[1].mod_rev == 7 && !strcmp(m.evs[1].key, "b"));
  etcd_kvs_free(m.evs, m.n);
  /* compacted: canceled 4, compact_revision 5, cancel_reason 6 */
  CHECK(etcd_pb_parse_watch(BYTES(HEADER42 "\x20\x01\x28\x09\x32\x09" "compacted"), &m, err, sizeof err) == 0 &&
        m.canceled && m.compact_rev == 9 && !strcmp(m.reason, "compacted"));
  etcd_kvs_free(m.evs, m.n);
  /* malformed: an unknown event type, an event without kv, a bad kv after a
   * good event, a negative compact revision, no header */
  static const struct {
    const char *b;
    size_t len;
  } bad[] = {
      {HEADER42 "\x5a\x07\x08\x02\x12\x03\x0a\x01" "a", 15},
      {HEADER42 "\x5a\x02\x08\x01", 10},
      {HEADER42 "\x5a\x05\x12\x03\x0a\x01" "a" "\x5a\x04\x12\x02\x0a\x05", 19},
      {HEADER42 "\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 17},
      {HEADER42 "\x5a\x07\x12\x03\x0a\x01" "a" "\x10\x02", 15}, /* a kv, then kv as a varint (fuzz_etcd_pb) */
      {"\x18\x01", 2},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = etcd_pb_parse_watch((const unsigned char *)bad[i].b, bad[i].len, &m, err, sizeof err);
    CHECK(rc == -1 && m.n == 0 && m.evs == NULL);
    if (rc == 0) etcd_kvs_free(m.evs, m.n);
  }
  CHECK_STR(err, "malformed etcd watch message");
}

TEST_MAIN(TEST(test_range_request), TEST(test_watch_and_compaction_request), TEST(test_txn_request),
          TEST(test_parse_range), TEST(test_parse_txn), TEST(test_parse_watch))
