/* test_json_raw.c - json_raw_member finds top-level members of compact and
 * spaced object text (objects, arrays, strings with quotes, braces and
 * escapes, numbers, literals), never a nested member of the same name, and
 * answers NULL for absent keys, non-objects and truncated text. */
#include "json_raw.h"
#include "test.h"
#include <jansson.h>
#include <stdlib.h>

static char *member(const char *text, const char *key) {
  size_t n = 0;
  const char *v = json_raw_member(text, strlen(text), key, &n);
  if (!v) return NULL;
  char *s = malloc(n + 1);
  memcpy(s, v, n);
  s[n] = 0;
  return s;
}

#define CHECK_MEMBER(text, key, want)  \
  do {                                 \
    char *got_ = member(text, key);    \
    if (want) CHECK_STR(got_, want);   \
    else CHECK(got_ == NULL);          \
    free(got_);                        \
  } while (0)

static void test_members(void) {
  const char *pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"}\\\"{\"},"
                    "\"metadata\":1},\"spec\":{\"containers\":[{\"name\":\"c\",\"args\":[\"[\",\"]\"]}]},\"n\":-1.5e3,"
                    "\"t\":true}";
  CHECK_MEMBER(pod, "metadata", "{\"name\":\"p\",\"labels\":{\"a\":\"}\\\"{\"},\"metadata\":1}");
  CHECK_MEMBER(pod, "kind", "\"Pod\"");
  CHECK_MEMBER(pod, "spec", "{\"containers\":[{\"name\":\"c\",\"args\":[\"[\",\"]\"]}]}");
  CHECK_MEMBER(pod, "n", "-1.5e3");
  CHECK_MEMBER(pod, "t", "true");
  CHECK_MEMBER(pod, "name", NULL); /* nested only */
  CHECK_MEMBER(pod, "status", NULL);
  CHECK_MEMBER(" { \"a\" : [ 1 , 2 ] , \"b\" : null } ", "b", "null");
  CHECK_MEMBER(" { \"a\" : [ 1 , 2 ] , \"b\" : null } ", "a", "[ 1 , 2 ]");
  CHECK_MEMBER("[{\"a\":1}]", "a", NULL);
  CHECK_MEMBER("{}", "a", NULL);
  CHECK_MEMBER("{\"a\":{\"b\":", "a", "{\"b\":"); /* truncated: a slice of the text, nothing beyond */
  CHECK_MEMBER("{\"a", "a", NULL);
  CHECK_MEMBER("", "a", NULL);
}

/* The member of jansson's own compact output is jansson's compact dump of the value. */
static void test_like_jansson(void) {
  json_t *doc = json_pack("{s:s,s:{s:s,s:[i,s,{}]},s:b}", "kind", "Pod", "metadata", "name", "x\"y", "list", 1,
                          "\\", "spec", 0);
  char *text = json_dumps(doc, JSON_COMPACT), *want = json_dumps(json_object_get(doc, "metadata"), JSON_COMPACT);
  CHECK_MEMBER(text, "metadata", want);
  free(text);
  free(want);
  json_decref(doc);
}

TEST_MAIN(TEST(test_members), TEST(test_like_jansson))
