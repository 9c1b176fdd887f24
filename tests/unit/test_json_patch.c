/* test_json_patch.c - RFC 7386 merge patch and RFC 6902 JSON patch,
 * including the RFC 6902 appendix cases kubectl relies on. */
#include "test.h"
#include "json_patch.h"
#include <stdlib.h>

static json_t *J(const char *s) { return json_loads(s, JSON_DECODE_ANY, NULL); }

static void check_merge(const char *target, const char *patch, const char *want) {
  json_t *t = J(target), *p = J(patch), *w = J(want);
  json_t *got = json_merge_patch(t, p);
  CHECK(json_equal(got, w));
  json_decref(t), json_decref(p), json_decref(w), json_decref(got);
}

static void test_merge_patch(void) {
  check_merge("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  check_merge("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
  check_merge("{\"a\":\"b\"}", "{\"a\":null}", "{}");
  check_merge("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
  check_merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
  check_merge("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
  check_merge("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
  check_merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
  json_t *a = J("{\"a\":1,\"b\":{\"c\":2,\"d\":3}}"), *b = J("{\"b\":{\"c\":5},\"e\":1}");
  json_t *d = json_merge_diff(a, b), *back = json_merge_patch(a, d);
  CHECK(json_equal(back, b));
  json_decref(a), json_decref(b), json_decref(d), json_decref(back);
}

static const char *apply(const char *doc, const char *ops, char *err, size_t n) {
  static char out[512];
  json_t *d = J(doc), *o = J(ops);
  json_t *r = json_patch_apply(d, o, err, n);
  json_decref(d), json_decref(o);
  if (!r) return NULL;
  char *s = json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
  snprintf(out, sizeof out, "%s", s);
  free(s);
  json_decref(r);
  return out;
}

static void test_json_patch(void) {
  char err[256];
  CHECK_STR(apply("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", err, sizeof err),
            "{\"baz\":\"qux\",\"foo\":\"bar\"}");
  CHECK_STR(apply("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]", err, sizeof err),
            "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
  CHECK_STR(apply("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":\"x\"}]", err, sizeof err),
            "{\"foo\":[\"bar\",\"x\"]}");
  CHECK_STR(apply("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", err, sizeof err),
            "{\"foo\":\"bar\"}");
  CHECK_STR(apply("{\"baz\":\"qux\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", err, sizeof err),
            "{\"baz\":\"boo\"}");
  CHECK_STR(apply("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
                  "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]", err, sizeof err),
            "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
  CHECK_STR(apply("{\"a/b\":1,\"m~n\":2}", "[{\"op\":\"copy\",\"from\":\"/a~1b\",\"path\":\"/m~0n\"}]", err, sizeof err),
            "{\"a/b\":1,\"m~n\":1}");
  CHECK_STR(apply("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"}]", err, sizeof err),
            "{\"baz\":\"qux\"}");
  CHECK(apply("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", err, sizeof err) == NULL);
  CHECK(apply("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", err, sizeof err) == NULL);
  CHECK(apply("{}", "[{\"op\":\"remove\",\"path\":\"/x\"}]", err, sizeof err) == NULL);
  CHECK(apply("{}", "[{\"op\":\"frob\",\"path\":\"/x\"}]", err, sizeof err) == NULL);
  CHECK(apply("{}", "{\"op\":\"add\"}", err, sizeof err) == NULL);
  CHECK(apply("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":2}]", err, sizeof err) == NULL);
}

TEST_MAIN(TEST(test_merge_patch), TEST(test_json_patch))
