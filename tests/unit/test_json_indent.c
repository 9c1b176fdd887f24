/* test_json_indent.c - json_indent gives jansson's JSON_INDENT(n) bytes for
 * compact input: nested objects and arrays, empty ones, strings holding
 * structural characters and escapes, numbers, and the depth offset LIST
 * items are written at. */
#include "json_indent.h"
#include "test.h"
#include <jansson.h>
#include <stdlib.h>

typedef struct {
  char buf[8192];
  size_t n;
} out;

static void emit(void *ctx, const char *p, size_t n) {
  out *o = ctx;
  memcpy(o->buf + o->n, p, n);
  o->n += n;
  o->buf[o->n] = 0;
}

static void check_same(const char *text, int indent) {
  json_error_t e;
  json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
  CHECK(v != NULL);
  if (!v) return;
  char *compact = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *want = json_dumps(v, JSON_INDENT(indent) | JSON_ENCODE_ANY);
  out o = {.n = 0};
  json_indent(compact, strlen(compact), indent, 0, emit, &o);
  CHECK_STR(o.buf, want);
  free(compact);
  free(want);
  json_decref(v);
}

static void test_like_jansson(void) {
  check_same("{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{},\"e\":[],\"f\":{\"g\":[[],{}]}}", 2);
  check_same("{\"s\":\"a,b:{c}[d]\\\"e\\\\\",\"t\":\"\\n\\u0001\",\"r\":1.5,\"x\":true,\"y\":false}", 2);
  check_same("[{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"x\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}]", 4);
  check_same("[]", 2);
  check_same("\"plain\"", 2);
}

/* An item nested in {"items":[...]} is the whole document's middle part. */
static void test_depth(void) {
  json_t *doc = json_pack("{s:[{s:i,s:[i]}]}", "items", "a", 1, "b", 2);
  char *want = json_dumps(doc, JSON_INDENT(2));
  char *item = json_dumps(json_array_get(json_object_get(doc, "items"), 0), JSON_COMPACT);
  out o = {.n = 0};
  const char *open = "{\n  \"items\": [\n    ";
  emit(&o, open, strlen(open));
  json_indent(item, strlen(item), 2, 2, emit, &o);
  emit(&o, "\n  ]\n}", 6);
  CHECK_STR(o.buf, want);
  free(want);
  free(item);
  json_decref(doc);
}

TEST_MAIN(TEST(test_like_jansson), TEST(test_depth))
