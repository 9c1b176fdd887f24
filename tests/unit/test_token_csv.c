/* test_token_csv.c - the static token file as kube-apiserver 1.20 reads it:
 * quoted group lists, CRLF, blank lines, an empty token skipped, a later
 * duplicate winning, too few columns and bad quoting refused with Go's texts. */
#include "test.h"
#include "token_csv.h"
#include <string.h>

static json_t *parse(const char *text, char *err) {
  return token_csv_parse("/etc/tokens.csv", text, strlen(text), err, 300);
}

static void test_records(void) {
  char err[300];
  json_t *t = parse("tok1,alice,uid-a,\"devs,ops\"\r\n\nt2,bob,uid-b\n,nobody,x\nt2,carol,uid-c,\n", err);
  CHECK(t != NULL);
  const json_t *a = json_object_get(t, "tok1");
  CHECK_STR(json_string_value(json_object_get(a, "user")), "alice");
  CHECK_STR(json_string_value(json_object_get(a, "uid")), "uid-a");
  CHECK(json_array_size(json_object_get(a, "groups")) == 2);
  CHECK_STR(json_string_value(json_array_get(json_object_get(a, "groups"), 1)), "ops");
  const json_t *c = json_object_get(t, "t2");
  CHECK_STR(json_string_value(json_object_get(c, "user")), "carol");
  CHECK(json_array_size(json_object_get(c, "groups")) == 1); /* strings.Split("", ",") is [""] */
  CHECK(json_object_size(t) == 2);
  json_decref(t);
  t = parse("\"a\"\"b\",u,i", err);
  CHECK(json_object_get(t, "a\"b") != NULL);
  json_decref(t);
}

static void test_errors(void) {
  char err[300];
  CHECK(parse("tok,alice\n", err) == NULL);
  CHECK_STR(err, "token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2");
  CHECK(parse("to\"k,alice,u\n", err) == NULL);
  CHECK_STR(err, "parse error on line 1, column 3: bare \" in non-quoted-field");
  CHECK(parse("\"tok,alice,u\n", err) == NULL);
  CHECK(strstr(err, "extraneous or missing \" in quoted-field") != NULL);
  json_t *t = parse("", err);
  CHECK(t != NULL && json_object_size(t) == 0);
  json_decref(t);
}

TEST_MAIN(TEST(test_records), TEST(test_errors))
