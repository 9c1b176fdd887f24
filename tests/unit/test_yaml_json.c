/* test_yaml_json.c - YAML <-> JSON: go-yaml v2 scalar resolution, keys,
 * anchors/merges and their limits, error positions, kubectl-shaped output
 * and the yaml_to_json(json_to_yaml(x)) == x round trip. */
#include "yaml_json.h"
#include "test.h"

#include <stdbool.h>
#include <stdlib.h>

/* yaml -> compact JSON text (or "ERR: msg"). */
static const char *y2j(const char *y) {
  static char out[4096];
  char err[512];
  json_t *j = yaml_to_json(y, strlen(y), err, sizeof err);
  if (!j) { snprintf(out, sizeof out, "ERR: %s", err); return out; }
  char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
  snprintf(out, sizeof out, "%s", s);
  free(s);
  json_decref(j);
  return out;
}

static const char *j2y(const char *js, bool sorted) {
  static char out[4096];
  json_t *j = json_loads(js, JSON_DECODE_ANY, NULL);
  char *y = sorted ? json_to_yaml_sorted(j, NULL) : json_to_yaml(j, NULL);
  snprintf(out, sizeof out, "%s", y ? y : "(null)");
  free(y);
  json_decref(j);
  return out;
}

static void test_scalars(void) {
  static const char *const cases[][2] = {
      {"a: true", "{\"a\":true}"}, {"a: True", "{\"a\":true}"}, {"a: TRUE", "{\"a\":true}"},
      {"a: yes", "{\"a\":true}"}, {"a: Yes", "{\"a\":true}"}, {"a: on", "{\"a\":true}"}, {"a: ON", "{\"a\":true}"},
      {"a: y", "{\"a\":true}"}, {"a: Y", "{\"a\":true}"}, {"a: no", "{\"a\":false}"}, {"a: n", "{\"a\":false}"},
      {"a: Off", "{\"a\":false}"}, {"a: FALSE", "{\"a\":false}"}, {"a: tRUE", "{\"a\":\"tRUE\"}"},
      {"a: yEs", "{\"a\":\"yEs\"}"}, {"a: ~", "{\"a\":null}"}, {"a: null", "{\"a\":null}"},
      {"a: Null", "{\"a\":null}"}, {"a: NULL", "{\"a\":null}"}, {"a:", "{\"a\":null}"}, {"a: nULL", "{\"a\":\"nULL\"}"},
      {"a: 12", "{\"a\":12}"}, {"a: -12", "{\"a\":-12}"}, {"a: +12", "{\"a\":12}"}, {"a: 0x1F", "{\"a\":31}"},
      {"a: 0o17", "{\"a\":15}"}, {"a: 017", "{\"a\":15}"}, {"a: 0b101", "{\"a\":5}"}, {"a: -0x10", "{\"a\":-16}"},
      {"a: 1_000", "{\"a\":1000}"}, {"a: 08", "{\"a\":8}"}, {"a: 0", "{\"a\":0}"},
      {"a: 9223372036854775807", "{\"a\":9223372036854775807}"},
      {"a: -9223372036854775808", "{\"a\":-9223372036854775808}"},
      {"a: 9223372036854775808", "{\"a\":9.2233720368547758e18}"},
      {"a: 1.5", "{\"a\":1.5}"}, {"a: .5", "{\"a\":0.5}"}, {"a: -.5", "{\"a\":-0.5}"}, {"a: 1e3", "{\"a\":1000}"},
      {"a: 1.0", "{\"a\":1}"}, {"a: 1e30", "{\"a\":1e30}"}, {"a: 1.", "{\"a\":1}"}, {"a: 1e999", "{\"a\":\"1e999\"}"},
      {"a: .", "{\"a\":\".\"}"}, {"a: 1:20", "{\"a\":\"1:20\"}"}, {"a: 2001-12-14", "{\"a\":\"2001-12-14\"}"},
      {"a: 2001-12-14T21:59:43.10Z", "{\"a\":\"2001-12-14T21:59:43.10Z\"}"}, {"a: 0x", "{\"a\":\"0x\"}"},
      {"a: '12'", "{\"a\":\"12\"}"}, {"a: \"true\"", "{\"a\":\"true\"}"}, {"a: ''", "{\"a\":\"\"}"},
      {"a: |\n  12\n", "{\"a\":\"12\\n\"}"}, {"a: >-\n  x\n  y\n", "{\"a\":\"x y\"}"},
      {"a: !!str 12", "{\"a\":\"12\"}"}, {"a: !!float 1", "{\"a\":1}"}, {"a: !foo 12", "{\"a\":\"12\"}"},
      {"a: !!int x", "ERR: yaml: line 1, column 4: cannot decode !!str `x` as a !!int"},
      {"a: .inf", "ERR: yaml: line 1, column 4: json: unsupported value: +Inf"},
      {"a: -.Inf", "ERR: yaml: line 1, column 4: json: unsupported value: -Inf"},
      {"a: .nan", "ERR: yaml: line 1, column 4: json: unsupported value: NaN"},
      {"", "null"}, {"# only a comment\n", "null"}, {"---\n", "null"}, {"12", "12"}, {"- a\n- 1\n", "[\"a\",1]"},
      {"a: -x", "{\"a\":\"-x\"}"}, {"a: +", "{\"a\":\"+\"}"}, {"a: 1_", "{\"a\":1}"}, {"a: <<", "{\"a\":\"<<\"}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *got = y2j(cases[i][0]);
    if (strcmp(got, cases[i][1])) fprintf(stderr, "  input %s\n", cases[i][0]);
    CHECK_STR(got, cases[i][1]);
  }
}

static void test_keys(void) {
  CHECK_STR(y2j("1: a\ntrue: b\nyes: c\n1.5: d\n0x10: e\n'x': f\n"),
            "{\"1\":\"a\",\"true\":\"c\",\"1.5\":\"d\",\"16\":\"e\",\"x\":\"f\"}");
  CHECK_STR(y2j("~: a"), "ERR: yaml: line 1, column 1: unsupported map key: null");
  CHECK_STR(y2j("[a]: 1"), "ERR: yaml: line 1, column 3: invalid map key: a mapping or sequence cannot be a key");
  CHECK_STR(y2j("a: 1\na: 2\n"), "{\"a\":2}");
}

static void test_anchors(void) {
  CHECK_STR(y2j("base: &b {x: 1, w: 2}\nc: *b\n"), "{\"base\":{\"x\":1,\"w\":2},\"c\":{\"x\":1,\"w\":2}}");
  CHECK_STR(y2j("a: &v 5\nb: *v\n"), "{\"a\":5,\"b\":5}");
  CHECK_STR(y2j("base: &b {x: 1, w: 2}\nc:\n  <<: *b\n  w: 3\n"),
            "{\"base\":{\"x\":1,\"w\":2},\"c\":{\"x\":1,\"w\":3}}");
  /* go-yaml v2 applies a merge in place: it overrides keys set before it */
  CHECK_STR(y2j("b: &b {x: 1}\nc: {x: 0, <<: *b}\n"), "{\"b\":{\"x\":1},\"c\":{\"x\":1}}");
  CHECK_STR(y2j("p: &p {x: 1, z: 1}\nq: &q {x: 2, w: 2}\nc:\n  <<: [*p, *q]\n"),
            "{\"p\":{\"x\":1,\"z\":1},\"q\":{\"x\":2,\"w\":2},\"c\":{\"x\":1,\"w\":2,\"z\":1}}");
  CHECK_STR(y2j("c:\n  <<: {a: 1}\n"), "{\"c\":{\"a\":1}}");
  CHECK_STR(y2j("c:\n  '<<': {a: 1}\n"), "{\"c\":{\"<<\":{\"a\":1}}}");
  CHECK_STR(y2j("c:\n  <<: 1\n"), "ERR: yaml: line 2, column 7: map merge requires map or sequence of maps as the value");
  CHECK_STR(y2j("c: {<<: &x {a: 1}, b: 2}\nd: *x\n"), "{\"c\":{\"a\":1,\"b\":2},\"d\":{\"a\":1}}");
  {
    /* an alias whose own nesting pushes the document past the depth limit */
    char y[1024] = "a: &a ";
    for (int i = 0; i < 60; i++) strcat(y, "[");
    for (int i = 0; i < 60; i++) strcat(y, "]");
    strcat(y, "\nb: ");
    for (int i = 0; i < 50; i++) strcat(y, "[");
    strcat(y, "*a");
    for (int i = 0; i < 50; i++) strcat(y, "]");
    CHECK(strstr(y2j(y), "exceeded max depth of 100") != NULL);
  }
  CHECK_STR(y2j("a: *nope\n"), "ERR: yaml: line 1, column 4: unknown anchor 'nope' referenced");
  CHECK_STR(y2j("a: &a [*a]\n"), "ERR: yaml: line 1, column 8: unknown anchor 'a' referenced");
  /* billion laughs: 10 levels of 10 aliases = 10^10 nodes */
  const char *bomb =
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
  CHECK(strstr(y2j(bomb), "alias expansion limit") != NULL);
}

static void test_errors_and_limits(void) {
  CHECK_STR(y2j("a: b: c\n"), "ERR: yaml: line 1, column 5: mapping values are not allowed in this context");
  CHECK_STR(y2j("a:\n  - b\n c: d\n"), "ERR: yaml: line 3, column 2: did not find expected key");
  CHECK_STR(y2j("a: \"x\n"), "ERR: yaml: line 2, column 1: found unexpected end of stream");
  CHECK_STR(y2j("a: 1\n---\nb: 2\n"), "ERR: yaml: line 4, column 1: expected a single document in the stream");
  char deep[512] = "", err[256];
  for (int i = 0; i < 150; i++) strcat(deep, "[");
  json_t *j = yaml_to_json(deep, strlen(deep), err, sizeof err);
  CHECK(j == NULL && strstr(err, "exceeded max depth of 100"));
  strcpy(deep, "");
  for (int i = 0; i < 99; i++) strcat(deep, "[");
  for (int i = 0; i < 99; i++) strcat(deep, "]");
  j = yaml_to_json(deep, strlen(deep), err, sizeof err);
  CHECK(j != NULL);
  json_decref(j);
  CHECK(yaml_to_json("\xff\xfe\x00", 3, err, sizeof err) == NULL);
}

static void test_stream(void) {
  char err[256];
  const char *y = "---\na: 1\n---\n---\nnull\n---\n- b\n...\n";
  json_t *j = yaml_stream_to_json(y, strlen(y), err, sizeof err);
  CHECK(j && json_array_size(j) == 2);
  char *s = json_dumps(j, JSON_COMPACT);
  CHECK_STR(s, "[{\"a\":1},[\"b\"]]");
  free(s);
  json_decref(j);
  j = yaml_stream_to_json("", 0, err, sizeof err);
  CHECK(j && json_array_size(j) == 0);
  json_decref(j);
  CHECK(yaml_stream_to_json("a: [", 4, err, sizeof err) == NULL);
}

static void test_output(void) {
  CHECK_STR(j2y("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"nginx\","
                "\"ports\":[{\"containerPort\":80}]}],\"volumes\":[],\"nodeSelector\":{}}}", false),
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: x\n    image: nginx\n    ports:\n"
            "    - containerPort: 80\n  volumes: []\n  nodeSelector: {}\n");
  CHECK_STR(j2y("{\"a\":\"123\",\"b\":\"true\",\"c\":\"\",\"d\":\": x\",\"e\":\"null\",\"f\":\"1.5\",\"g\":\"y\","
                "\"h\":\"2021-01-01T00:00:00Z\",\"i\":\"- a\",\"j\":\"plain text\",\"k\":\"1:20\",\"l\":\"#x\","
                "\"m\":\"a: b\",\"n\":\"*x\",\"o\":\"0x10\"}", false),
            "a: \"123\"\nb: \"true\"\nc: \"\"\nd: ': x'\ne: \"null\"\nf: \"1.5\"\ng: \"y\"\n"
            "h: \"2021-01-01T00:00:00Z\"\ni: '- a'\nj: plain text\nk: \"1:20\"\nl: '#x'\nm: 'a: b'\n\"n\": '*x'\n"
            "o: \"0x10\"\n");
  CHECK_STR(j2y("{\"s\":\"line1\\nline2\",\"t\":\"line1\\nline2\\n\"}", false),
            "s: |-\n  line1\n  line2\nt: |\n  line1\n  line2\n");
  CHECK_STR(j2y("{\"m\":1,\"f\":0.5,\"g\":1e21,\"h\":1e-7,\"i\":123456.0,\"j\":1234567.0,\"t\":true,\"z\":null}", false),
            "m: 1\nf: 0.5\ng: 1e+21\nh: 1e-07\ni: 123456\nj: 1.234567e+06\nt: true\nz: null\n");
  CHECK_STR(j2y("{}", false), "{}\n");
  CHECK_STR(j2y("[]", false), "[]\n");
  CHECK_STR(j2y("[[1,2],{\"a\":[]}]", false), "- - 1\n  - 2\n- a: []\n");
  CHECK_STR(j2y("\"x\"", false), "x\n");
  CHECK_STR(j2y("{\"b\":1,\"a\":2,\"a10\":3,\"a9\":4,\"B\":5,\"_x\":6}", true),
            "_x: 6\nB: 5\na: 2\na9: 4\na10: 3\nb: 1\n");
  CHECK_STR(j2y("{\"b\":1,\"a\":2}", false), "b: 1\na: 2\n");
}

static void roundtrip(const char *js) {
  json_error_t je;
  json_t *j = json_loads(js, JSON_DECODE_ANY, &je);
  CHECK(j != NULL);
  size_t n;
  char *y = json_to_yaml(j, &n);
  CHECK(y && strlen(y) == n);
  char err[256];
  json_t *back = yaml_to_json(y, n, err, sizeof err);
  bool same = back && json_equal(j, back);
  if (!same) fprintf(stderr, "  roundtrip failed for %s via:\n%s\n(%s)\n", js, y, back ? "differs" : err);
  CHECK(same);
  char *ys = json_to_yaml_sorted(j, NULL);
  json_t *back2 = ys ? yaml_to_json(ys, strlen(ys), err, sizeof err) : NULL;
  CHECK(back2 && json_equal(j, back2));
  free(ys);
  json_decref(back2);
  free(y);
  json_decref(back);
  json_decref(j);
}

static void test_roundtrip(void) {
  roundtrip("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":"
            "\"web\",\"tier\":\"1\"},\"annotations\":{\"a\":\"true\",\"b\":\"\",\"c\":\"line\\nbreak\\n\",\"d\":\" "
            "lead\",\"e\":\"trail \",\"f\":\"tab\\there\",\"g\":\"quote'\\\"\",\"h\":\"#x\",\"i\":\"\\u00e9t\\u00e9\"}},"
            "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"spec\":{"
            "\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.19\",\"args\":[\"-v\",\"--x=y\",\"\",\"~\",\"null\","
            "\"0o17\",\"1e3\",\".5\",\"yes\",\"- x\",\"[a]\",\"{b}\",\"a: b\",\"? q\",\"@x\",\"`x\",\"%x\",\"!x\","
            "\"&x\",\"*x\",\"|x\",\">x\"],\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"}},"
            "\"env\":[],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}],\"nodeSelector\":{}}}},"
            "\"status\":{\"ratio\":0.25,\"big\":1e300,\"neg\":-7,\"ok\":false,\"none\":null}}");
  roundtrip("[[[[]]],{},[{}],\"\",\"\\n\",\"\\n\\n\",\"a\\n\\n\",\" \\n x\",\"x\\r\\ny\",\"\\u0001\",\"\\t\"]");
  roundtrip("{\"long\":\"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
            "labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation\"}");
  roundtrip("{\"k: 1\":1,\"123\":2,\"true\":3,\"\":4,\"-\":5,\"a b\":6,\"x\\ny\":7}");
  roundtrip("\"solo\"");
  roundtrip("null");
  roundtrip("-5");
}

TEST_MAIN(TEST(test_scalars), TEST(test_keys), TEST(test_anchors), TEST(test_errors_and_limits), TEST(test_stream),
          TEST(test_output), TEST(test_roundtrip))
