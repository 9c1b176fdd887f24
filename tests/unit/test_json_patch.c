/* test_json_patch.c - unit tests for lib/json_patch.c: RFC 7386 merge patch
 * (including the RFC's appendix examples), the merge-patch diff round trip,
 * and RFC 6902 JSON patch with RFC 6901 pointers, the error texts Kubernetes
 * 1.20 returns, and the guarantee that inputs are left untouched. */
#include <stdlib.h>

#include "json_patch.h"
#include "test.h"

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
    if (!v)
        fprintf(stderr, "bad test JSON %s: %s\n", s, e.text);
    return v;
}

/* Compares v with the JSON text want and consumes v. */
static int same(json_t *v, const char *want)
{
    json_t *w = J(want);
    int ok = v && w && json_equal(v, w);
    if (!ok) {
        char *got = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        fprintf(stderr, "  got %s\n  want %s\n", got ? got : "(null)", want);
        free(got);
    }
    json_decref(v);
    json_decref(w);
    return ok;
}

static int merge_is(const char *target, const char *patch, const char *want)
{
    json_t *t = J(target), *p = J(patch);
    int ok = same(json_merge_patch(t, p), want);
    json_decref(t);
    json_decref(p);
    return ok;
}

static void test_merge_rfc7386_examples(void)
{
    CHECK(merge_is("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"));
    CHECK(merge_is("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"));
    CHECK(merge_is("{\"a\":\"b\"}", "{\"a\":null}", "{}"));
    CHECK(merge_is("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"));
    CHECK(merge_is("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"));
    CHECK(merge_is("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"));
    CHECK(merge_is("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"));
    CHECK(merge_is("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"));
    CHECK(merge_is("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"));
    CHECK(merge_is("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"));
    CHECK(merge_is("{\"a\":\"foo\"}", "null", "null"));
    CHECK(merge_is("{\"a\":\"foo\"}", "\"bar\"", "\"bar\""));
    CHECK(merge_is("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"));
    CHECK(merge_is("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"));
    CHECK(merge_is("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"));
}

static void test_merge_k8s_labels(void)
{
    CHECK(merge_is("{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
                   "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}}}",
                   "{\"metadata\":{\"name\":\"x\",\"labels\":{\"b\":\"2\",\"c\":\"3\"}}}"));
}

static void test_merge_inputs_untouched(void)
{
    json_t *t = J("{\"a\":{\"b\":1}}"), *p = J("{\"a\":{\"b\":null,\"c\":2}}");
    json_t *r = json_merge_patch(t, p);
    CHECK(same(r, "{\"a\":{\"c\":2}}"));
    CHECK(same(json_incref(t), "{\"a\":{\"b\":1}}"));
    CHECK(same(json_incref(p), "{\"a\":{\"b\":null,\"c\":2}}"));
    json_decref(t);
    json_decref(p);
}

static void diff_roundtrip(const char *a, const char *b, const char *want_patch)
{
    json_t *ja = J(a), *jb = J(b);
    json_t *d = json_merge_diff(ja, jb);
    if (want_patch)
        CHECK(same(json_incref(d), want_patch));
    json_t *r = json_merge_patch(ja, d);
    CHECK(r && json_equal(r, jb));
    json_decref(r);
    json_decref(d);
    json_decref(ja);
    json_decref(jb);
}

static void test_merge_diff(void)
{
    diff_roundtrip("{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":3}", "{\"b\":3}");
    diff_roundtrip("{\"a\":1,\"b\":2}", "{\"a\":1}", "{\"b\":null}");
    diff_roundtrip("{\"a\":{\"x\":1,\"y\":2}}", "{\"a\":{\"x\":1,\"z\":3}}", "{\"a\":{\"y\":null,\"z\":3}}");
    diff_roundtrip("{\"a\":[1,2]}", "{\"a\":[1]}", "{\"a\":[1]}");
    diff_roundtrip("{\"a\":1}", "{\"a\":1}", "{}");
    diff_roundtrip("{\"a\":{\"b\":1}}", "{\"a\":\"s\"}", "{\"a\":\"s\"}");
}

/* Applies ops to doc and compares with want (NULL: expect failure whose
 * message equals want_err). */
static int jp(const char *doc, const char *ops, const char *want, const char *want_err)
{
    json_t *d = J(doc), *o = J(ops);
    char err[512] = "";
    json_t *r = json_patch_apply(d, o, err, sizeof err);
    int ok;
    if (want) {
        if (!r)
            fprintf(stderr, "  unexpected error: %s\n", err);
        ok = same(r, want);
    } else {
        ok = r == NULL && (!want_err || strcmp(err, want_err) == 0);
        if (!ok)
            fprintf(stderr, "  err \"%s\", want \"%s\"\n", err, want_err ? want_err : "(any)");
        json_decref(r);
    }
    /* the document must not have been modified */
    json_t *d2 = J(doc);
    ok = ok && json_equal(d, d2);
    json_decref(d2);
    json_decref(d);
    json_decref(o);
    return ok;
}

static void test_jp_add(void)
{
    CHECK(jp("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
             "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL));
    CHECK(jp("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
             "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", NULL));
    CHECK(jp("{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":2}]", "{\"foo\":[1,2]}", NULL));
    CHECK(jp("{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":2}]", "{\"foo\":[1,2]}", NULL));
    CHECK(jp("{\"foo\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/foo/-1\",\"value\":3}]", "{\"foo\":[1,2,3]}", NULL));
    CHECK(jp("{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/3\",\"value\":2}]", NULL,
             "error in add for path: '/foo/3': Unable to access invalid index: 3: invalid index referenced"));
    CHECK(jp("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", NULL,
             "add operation does not apply: doc is missing path: \"/baz/bat\": missing value"));
    CHECK(jp("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
             "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", NULL));
    CHECK(jp("{\"metadata\":{}}", "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a\":\"b\"}}]",
             "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", NULL));
}

static void test_jp_pointer_escapes(void)
{
    CHECK(jp("{\"metadata\":{\"annotations\":{}}}",
             "[{\"op\":\"add\",\"path\":\"/metadata/annotations/example.com~1team\",\"value\":\"x\"}]",
             "{\"metadata\":{\"annotations\":{\"example.com/team\":\"x\"}}}", NULL));
    CHECK(jp("{\"a~b\":1}", "[{\"op\":\"replace\",\"path\":\"/a~0b\",\"value\":2}]", "{\"a~b\":2}", NULL));
    CHECK(jp("{\"~1\":1}", "[{\"op\":\"remove\",\"path\":\"/~01\"}]", "{}", NULL));
    CHECK(jp("{\"\":{\"\":1}}", "[{\"op\":\"replace\",\"path\":\"//\",\"value\":2}]", "{\"\":{\"\":2}}", NULL));
}

static void test_jp_remove_replace(void)
{
    CHECK(jp("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}", NULL));
    CHECK(jp("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
             "{\"foo\":[\"bar\",\"baz\"]}", NULL));
    CHECK(jp("{\"foo\":1}", "[{\"op\":\"remove\",\"path\":\"/bar\"}]", NULL,
             "error in remove for path: '/bar': Unable to remove nonexistent key: bar: missing value"));
    CHECK(jp("{\"foo\":[1]}", "[{\"op\":\"remove\",\"path\":\"/foo/5\"}]", NULL,
             "error in remove for path: '/foo/5': Unable to access invalid index: 5: invalid index referenced"));
    CHECK(jp("{\"baz\":\"qux\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", "{\"baz\":\"boo\"}", NULL));
    CHECK(jp("{\"a\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":9}]", "{\"a\":[1,9]}", NULL));
    CHECK(jp("{\"a\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/a/2\",\"value\":9}]", NULL,
             "replace operation does not apply: doc is missing key: /a/2: missing value"));
    /* Kubernetes 1.20 (json-patch 4.9) lets replace create an object member */
    CHECK(jp("{\"spec\":{}}", "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]",
             "{\"spec\":{\"replicas\":3}}", NULL));
    CHECK(jp("{\"spec\":{}}", "[{\"op\":\"replace\",\"path\":\"/x/replicas\",\"value\":3}]", NULL,
             "replace operation does not apply: doc is missing path: /x/replicas: missing value"));
}

static void test_jp_move_copy_test(void)
{
    CHECK(jp("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
             "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
             "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}", NULL));
    CHECK(jp("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
             "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
             "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", NULL));
    CHECK(jp("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]", NULL,
             "move operation does not apply: doc is missing destination path: /a/c: missing value"));
    CHECK(jp("{\"a\":{\"b\":[1]}}", "[{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/c\"}]",
             "{\"a\":{\"b\":[1]},\"c\":[1]}", NULL));
    CHECK(jp("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/x/y\",\"path\":\"/c\"}]", NULL,
             "copy operation does not apply: doc is missing from path: /x/y: missing value"));
    CHECK(jp("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
             "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
             "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", NULL));
    CHECK(jp("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL,
             "testing value /baz failed: test failed"));
    /* a failing test undoes nothing visible: the input stays as it was */
    CHECK(jp("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":5}]",
             NULL, "testing value /a failed: test failed"));
}

static void test_jp_malformed(void)
{
    CHECK(jp("{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL, "Unexpected kind: frob"));
    CHECK(jp("{}", "[{\"path\":\"/a\"}]", NULL, "Unexpected kind: unknown"));
    CHECK(jp("{}", "[{\"op\":\"add\"}]", NULL, "add operation failed to decode path: missing value"));
    CHECK(jp("{}", "{\"op\":\"add\"}", NULL, NULL));
    CHECK(jp("{}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL, NULL));
    CHECK(jp("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/x\",\"value\":1}]", NULL, NULL));
    CHECK(jp("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/-9\"}]", NULL, NULL));
    CHECK(jp("{}", "[]", "{}", NULL));
}

TEST_MAIN(TEST(test_merge_rfc7386_examples), TEST(test_merge_k8s_labels),
          TEST(test_merge_inputs_untouched), TEST(test_merge_diff),
          TEST(test_jp_add), TEST(test_jp_pointer_escapes), TEST(test_jp_remove_replace),
          TEST(test_jp_move_copy_test), TEST(test_jp_malformed))
