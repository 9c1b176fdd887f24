/* test_selector.c - label and field selector parsing, matching and the exact
 * apimachinery 1.20 error messages (expected strings were derived from
 * pkg/labels/selector.go, pkg/fields/selector.go, pkg/util/validation and
 * metav1 LabelSelectorAsSelector). */
#include "selector.h"
#include "test.h"

#include <stdlib.h>

static json_t *labels(const char *json) { return json_loads(json, 0, NULL); }

static bool lmatch(const char *sel, const char *lbl) {
  char err[1024];
  label_selector *s = label_selector_parse(sel, err, sizeof err);
  if (!s) { fprintf(stderr, "parse %s: %s\n", sel, err); return false; }
  json_t *l = labels(lbl);
  bool r = label_selector_matches(s, l);
  json_decref(l);
  label_selector_free(s);
  return r;
}

static const char *lerr(const char *sel) {
  static char err[2048];
  err[0] = 0;
  label_selector *s = label_selector_parse(sel, err, sizeof err);
  if (s) { label_selector_free(s); return "(parsed)"; }
  return err;
}

static void test_label_parse_ok(void) {
  const char *ok[] = {"", "x=a", "x=a,y=b,z=c", "x!=a", "x==a", "x in (a,b)", "x notin (a)", "x",
                      "!x", "x in (in)", "in in (notin)", "x=", "x in ()", "x in (,)", "x in (a,,b)",
                      " x = a , y ", "example.com/app=web", "x>1", "x<5", "a.b-c_d=E.f-G_h",
                      "x in(a)", "x\tin\t(a)"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    char err[1024];
    label_selector *s = label_selector_parse(ok[i], err, sizeof err);
    CHECK(s != NULL);
    if (!s) fprintf(stderr, "  %s -> %s\n", ok[i], err);
    label_selector_free(s);
  }
  label_selector *e = label_selector_parse("", NULL, 0);
  CHECK(label_selector_is_empty(e));
  label_selector_free(e);
  e = label_selector_parse(NULL, NULL, 0);
  CHECK(e && label_selector_is_empty(e) && label_selector_matches(e, NULL));
  label_selector_free(e);
}

static void test_label_match(void) {
  CHECK(lmatch("", "{}"));
  CHECK(lmatch("app=web", "{\"app\":\"web\"}"));
  CHECK(!lmatch("app=web", "{\"app\":\"db\"}"));
  CHECK(!lmatch("app=web", "{}"));
  CHECK(lmatch("app==web", "{\"app\":\"web\"}"));
  CHECK(lmatch("app!=web", "{}"));
  CHECK(lmatch("app!=web", "{\"app\":\"db\"}"));
  CHECK(!lmatch("app!=web", "{\"app\":\"web\"}"));
  CHECK(lmatch("app in (a,b)", "{\"app\":\"b\"}"));
  CHECK(!lmatch("app in (a,b)", "{\"app\":\"c\"}"));
  CHECK(!lmatch("app in (a,b)", "{}"));
  CHECK(lmatch("app notin (a,b)", "{}"));
  CHECK(lmatch("app notin (a,b)", "{\"app\":\"c\"}"));
  CHECK(!lmatch("app notin (a,b)", "{\"app\":\"a\"}"));
  CHECK(lmatch("app", "{\"app\":\"\"}"));
  CHECK(!lmatch("app", "{\"x\":\"\"}"));
  CHECK(lmatch("!app", "{\"x\":\"\"}"));
  CHECK(!lmatch("!app", "{\"app\":\"1\"}"));
  CHECK(lmatch("app=", "{\"app\":\"\"}"));
  CHECK(!lmatch("app=", "{}"));
  CHECK(lmatch("x in (,a)", "{\"x\":\"\"}"));
  CHECK(lmatch("x>5", "{\"x\":\"6\"}"));
  CHECK(!lmatch("x>5", "{\"x\":\"5\"}"));
  CHECK(!lmatch("x>5", "{\"x\":\"abc\"}"));
  CHECK(lmatch("x<5", "{\"x\":\"-1\"}"));
  CHECK(strncmp(lerr("x<-5"), "unable to parse requirement: invalid label value: \"-5\"", 50) == 0);
  CHECK(lmatch("a=1,b in (2,3),!c", "{\"a\":\"1\",\"b\":\"3\"}"));
  CHECK(!lmatch("a=1,b in (2,3),!c", "{\"a\":\"1\",\"b\":\"3\",\"c\":\"\"}"));
  CHECK(lmatch("in in (notin)", "{\"in\":\"notin\"}"));
}

#define QN_REGEX "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define QN_MSG "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " QN_REGEX

static void test_label_errors(void) {
  CHECK_STR(lerr("x=a,"), "found '', expected: identifier after ','");
  CHECK_STR(lerr(",x"), "found ',', expected: !, identifier, or 'end of string'");
  CHECK_STR(lerr("(x"), "found '(', expected: !, identifier, or 'end of string'");
  CHECK_STR(lerr("x=a b"), "found 'b', expected: ',' or 'end of string'");
  CHECK_STR(lerr("x (a)"), "unable to parse requirement: found '(', expected: '=', '!=', '==', 'in', notin'");
  CHECK_STR(lerr("x in a"), "unable to parse requirement: found 'a' expected: '('");
  CHECK_STR(lerr("x in (a"), "unable to parse requirement: found '', expected: ',' or ')'");
  CHECK_STR(lerr("x in (a,"), "unable to parse requirement: found '', expected: ',', or identifier");
  CHECK_STR(lerr("x in (=)"), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  CHECK_STR(lerr("x=(a)"), "unable to parse requirement: found '(', expected: identifier");
  CHECK_STR(lerr("!"), "unable to parse requirement: found '', expected: identifier");
  CHECK_STR(lerr("!x=a"), "found '=', expected: ',' or 'end of string'");
  CHECK_STR(lerr("x==a==b"), "found '==', expected: ',' or 'end of string'");
  CHECK_STR(lerr("-x=a"), "unable to parse requirement: invalid label key \"-x\": name part " QN_MSG);
  CHECK_STR(lerr("a/b/c"), "unable to parse requirement: invalid label key \"a/b/c\": a qualified name " QN_MSG
                           " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
  CHECK_STR(lerr("/b"), "unable to parse requirement: invalid label key \"/b\": prefix part must be non-empty");
  CHECK_STR(lerr("a/"), "unable to parse requirement: invalid label key \"a/\": name part must be non-empty; name part " QN_MSG);
  CHECK_STR(lerr("Ex.com/b"),
            "unable to parse requirement: invalid label key \"Ex.com/b\": prefix part a lowercase RFC 1123 subdomain must "
            "consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  CHECK_STR(lerr("x=a_"), "unable to parse requirement: invalid label value: \"a_\": at key: \"x\": a valid label must be "
                          "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                          "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                          "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  CHECK_STR(lerr("Key=axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui"),
            "unable to parse requirement: invalid label value: "
            "\"axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui\": at key: \"Key\": must be no more "
            "than 63 characters");
  CHECK_STR(lerr("x>a"), "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer");
  CHECK_STR(lerr("x\"y=1"), "unable to parse requirement: invalid label key \"x\\\"y\": name part " QN_MSG);
}

static label_selector *jsel(const char *json, char *err, size_t n) {
  json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
  label_selector *s = label_selector_from_json(j, err, n);
  json_decref(j);
  return s;
}

static void test_label_json(void) {
  char err[1024];
  label_selector *s = label_selector_from_json(NULL, err, sizeof err);
  CHECK(s && !label_selector_matches(s, NULL) && !label_selector_is_empty(s));
  label_selector_free(s);
  s = jsel("{}", err, sizeof err);
  CHECK(s && label_selector_matches(s, NULL) && label_selector_is_empty(s));
  label_selector_free(s);
  s = jsel("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
           "\"values\":[\"a\",\"b\"]},{\"key\":\"old\",\"operator\":\"DoesNotExist\"},"
           "{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"prod\"]},{\"key\":\"app\",\"operator\":\"Exists\"}]}",
           err, sizeof err);
  CHECK(s != NULL);
  json_t *l = labels("{\"app\":\"web\",\"tier\":\"b\"}");
  CHECK(label_selector_matches(s, l));
  json_object_set_new(l, "old", json_string("1"));
  CHECK(!label_selector_matches(s, l));
  json_decref(l);
  label_selector_free(s);

  CHECK(!jsel("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}", err, sizeof err));
  CHECK_STR(err, "\"Foo\" is not a valid pod selector operator");
  CHECK(!jsel("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}", err, sizeof err));
  CHECK_STR(err, "for 'in', 'notin' operators, values set can't be empty");
  CHECK(!jsel("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}", err, sizeof err));
  CHECK_STR(err, "values set must be empty for exists and does not exist");
  CHECK(!jsel("{\"matchLabels\":{\"a\":\"-\"}}", err, sizeof err));
  CHECK(strncmp(err, "invalid label value: \"-\": at key: \"a\": a valid label", 50) == 0);
  CHECK(!jsel("{\"matchExpressions\":[{\"key\":\"\",\"operator\":\"Exists\"}]}", err, sizeof err));
  CHECK_STR(err, "invalid label key \"\": name part must be non-empty; name part " QN_MSG);
}

static const char *fget(const char *field, void *ctx) {
  json_t *o = ctx;
  json_t *v = json_object_get(o, field);
  return json_string_value(v);
}

static const char *ferr(const char *sel) {
  static char err[1024];
  field_selector *s = field_selector_parse(sel, err, sizeof err);
  if (s) { field_selector_free(s); return "(parsed)"; }
  return err;
}

static void test_field(void) {
  char err[512];
  field_selector *s = field_selector_parse("metadata.name=x,spec.nodeName!=", err, sizeof err);
  CHECK(s && field_selector_count(s) == 2);
  CHECK_STR(field_selector_field(s, 0), "metadata.name");
  CHECK_STR(field_selector_field(s, 1), "spec.nodeName");
  CHECK_STR(field_selector_equals(s, "metadata.name"), "x");
  CHECK(field_selector_equals(s, "spec.nodeName") == NULL);
  json_t *o = labels("{\"metadata.name\":\"x\",\"spec.nodeName\":\"n1\"}");
  CHECK(field_selector_matches(s, fget, o));
  json_object_set_new(o, "spec.nodeName", json_string(""));
  CHECK(!field_selector_matches(s, fget, o));
  json_object_del(o, "spec.nodeName");
  CHECK(!field_selector_matches(s, fget, o)); /* missing compares as "" */
  field_selector_free(s);

  s = field_selector_parse("a==b\\,c\\=d\\\\", err, sizeof err);
  CHECK(s && field_selector_count(s) == 1);
  CHECK_STR(field_selector_equals(s, "a"), "b,c=d\\");
  field_selector_free(s);

  s = field_selector_parse("", err, sizeof err);
  CHECK(s && field_selector_count(s) == 0 && field_selector_matches(s, fget, o));
  field_selector_free(s);
  s = field_selector_parse(",,a=b,", err, sizeof err);
  CHECK(s && field_selector_count(s) == 1);
  field_selector_free(s);
  json_decref(o);

  CHECK_STR(ferr("x"), "invalid selector: 'x'; can't understand 'x'");
  CHECK_STR(ferr("b=1,a"), "invalid selector: 'b=1,a'; can't understand 'a'");
  CHECK_STR(ferr("a=b=c"), "invalid field selector: unescaped character in value: 61");
  CHECK_STR(ferr("a=b\\x"), "invalid field selector: invalid escape sequence: \\x");
  CHECK_STR(ferr("a=b\\"), "invalid field selector: invalid escape sequence: \\");
  CHECK_STR(ferr("a!==b"), "invalid field selector: unescaped character in value: 61");
}

TEST_MAIN(TEST(test_label_parse_ok), TEST(test_label_match), TEST(test_label_errors), TEST(test_label_json),
          TEST(test_field))
