/* test_crd_schema.c - structural schemas of CRDs: validation of custom
 * resources with the messages a real 1.20 apiserver returned for the same
 * input (type, enum, bounds, lengths, pattern, format, items, properties,
 * oneOf/anyOf/not, int-or-string, nullable, list-type set/map), defaulting,
 * pruning (with preserve-unknown-fields and embedded resources), the checks
 * of a CRD's own schema, and the JSONPath subset of printer columns. */
#include <stdlib.h>
#include "crd_schema.h"
#include "test.h"

static json_t *js(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, 0, &e);
  if (!v) fprintf(stderr, "bad test JSON: %s: %s\n", s, e.text);
  return v;
}

/* The aggregate message of validating obj against schema. */
static char *validate_msg(const char *schema, const char *obj) {
  static char buf[8192];
  json_t *s = js(schema), *o = js(obj);
  field_errors *fe = field_errors_new();
  crd_schema_validate(s, o, fe);
  char *m = fe_count(fe) ? fe_message(fe) : NULL;
  snprintf(buf, sizeof buf, "%s", m ? m : "");
  free(m);
  field_errors_free(fe);
  json_decref(s);
  json_decref(o);
  return buf;
}

static const char *VAL =
    "{\"type\":\"object\",\"required\":[\"spec\"],\"properties\":{\"spec\":{\"type\":\"object\",\"required\":[\"name\"],"
    "\"properties\":{"
    "\"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":4,\"pattern\":\"^[a-z]+$\"},"
    "\"count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
    "\"ratio\":{\"type\":\"number\",\"exclusiveMaximum\":true,\"maximum\":1,\"multipleOf\":0.25},"
    "\"tags\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,\"items\":{\"type\":\"string\"}},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
    "\"num\":{\"type\":\"integer\",\"enum\":[1,2]},"
    "\"port\":{\"x-kubernetes-int-or-string\":true},"
    "\"opt\":{\"type\":\"string\",\"nullable\":true},"
    "\"obj\":{\"type\":\"object\",\"minProperties\":1,\"maxProperties\":1,\"additionalProperties\":{\"type\":\"integer\"}},"
    "\"when\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"one\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"}},"
    "\"oneOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]},"
    "\"notx\":{\"type\":\"string\",\"not\":{\"enum\":[\"x\"]}},"
    "\"any\":{\"type\":\"string\",\"anyOf\":[{\"pattern\":\"^a\"},{\"pattern\":\"^b\"}]},"
    "\"set\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\",\"items\":{\"type\":\"string\"}},"
    "\"ports\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\",\"x-kubernetes-list-map-keys\":[\"name\"],"
    "\"items\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"port\":{\"type\":\"integer\"}}}},"
    "\"tmpl\":{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true,\"x-kubernetes-preserve-unknown-fields\":true}"
    "}}}}";

static char *spec(const char *fields) {
  static char buf[2048];
  snprintf(buf, sizeof buf, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Val\",\"metadata\":{\"name\":\"v1\"},"
                            "\"spec\":{\"name\":\"ab\"%s%s}}", *fields ? "," : "", fields);
  return buf;
}

static void test_valid(void) {
  CHECK_STR(validate_msg(VAL, spec("\"count\":3,\"ratio\":0.5,\"tags\":[\"x\"],\"mode\":\"a\",\"num\":2,\"port\":\"http\","
                                   "\"opt\":null,\"obj\":{\"k\":1},\"when\":\"2020-01-02T03:04:05Z\",\"one\":{\"a\":\"x\"},"
                                   "\"notx\":\"y\",\"any\":\"bz\",\"set\":[\"a\",\"b\"],\"ports\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
                                   "\"tmpl\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}")),
            "");
  CHECK_STR(validate_msg(VAL, spec("\"count\":3.0,\"port\":8080")), "");
}

static void test_messages_from_kube_apiserver(void) {
  CHECK_STR(validate_msg(VAL, spec("\"count\":\"3\"")),
            "spec.count: Invalid value: \"string\": spec.count in body must be of type integer: \"string\"");
  CHECK_STR(validate_msg(VAL, spec("\"count\":0")),
            "spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1");
  CHECK_STR(validate_msg(VAL, spec("\"count\":9")),
            "spec.count: Invalid value: 9: spec.count in body should be less than or equal to 5");
  CHECK_STR(validate_msg(VAL, spec("\"ratio\":0.6")),
            "spec.ratio: Invalid value: 0.6: spec.ratio in body should be a multiple of 0.25");
  CHECK_STR(validate_msg(VAL, spec("\"ratio\":1")), "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1");
  CHECK_STR(validate_msg(VAL, "{\"spec\":{\"name\":\"abcdef1\"}}"),
            "spec.name: Invalid value: \"abcdef1\": spec.name in body should be at most 4 chars long");
  CHECK_STR(validate_msg(VAL, "{\"spec\":{\"name\":\"a\"}}"),
            "spec.name: Invalid value: \"a\": spec.name in body should be at least 2 chars long");
  CHECK_STR(validate_msg(VAL, "{\"spec\":{\"name\":\"AB\"}}"),
            "spec.name: Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'");
  CHECK_STR(validate_msg(VAL, spec("\"tags\":[\"a\",\"b\",\"c\"]")),
            "spec.tags: Invalid value: 3: spec.tags in body should have at most 2 items");
  CHECK_STR(validate_msg(VAL, spec("\"tags\":[]")),
            "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items");
  CHECK_STR(validate_msg(VAL, spec("\"tags\":\"x\"")),
            "spec.tags: Invalid value: \"string\": spec.tags in body must be of type array: \"string\"");
  CHECK_STR(validate_msg(VAL, spec("\"mode\":\"c\"")), "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\"");
  CHECK_STR(validate_msg(VAL, spec("\"num\":3")), "spec.num: Unsupported value: 3: supported values: \"1\", \"2\"");
  CHECK_STR(validate_msg(VAL, spec("\"obj\":{}")),
            "spec.obj: Invalid value: 1: spec.obj in body should have at least 1 properties");
  CHECK_STR(validate_msg(VAL, spec("\"obj\":{\"a\":\"s\"}")),
            "spec.obj.a: Invalid value: \"string\": spec.obj.a in body must be of type integer: \"string\"");
  CHECK_STR(validate_msg(VAL, spec("\"when\":\"yesterday\"")),
            "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"");
  CHECK_STR(validate_msg(VAL, spec("\"notx\":\"x\"")),
            "<nil>: Invalid value: \"\": \"spec.notx\" must not validate the schema (not)");
  CHECK_STR(validate_msg(VAL, spec("\"one\":{\"a\":\"x\",\"b\":\"y\"}")),
            "<nil>: Invalid value: \"\": \"spec.one\" must validate one and only one schema (oneOf). Found 2 valid "
            "alternatives");
  CHECK_STR(validate_msg(VAL, spec("\"any\":\"c\"")),
            "[<nil>: Invalid value: \"\": \"spec.any\" must validate at least one schema (anyOf), spec.any: Invalid "
            "value: \"c\": spec.any in body should match '^a']");
  CHECK_STR(validate_msg(VAL, spec("\"port\":true")),
            "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"");
  CHECK_STR(validate_msg(VAL, "{\"spec\":5}"), "spec: Invalid value: \"integer\": spec in body must be of type object: \"integer\"");
  CHECK_STR(validate_msg(VAL, "{\"spec\":{}}"), "spec.name: Required value");
  CHECK_STR(validate_msg(VAL, "{}"), "spec: Required value");
}

static void test_structural_checks(void) {
  CHECK_STR(validate_msg(VAL, spec("\"set\":[\"a\",\"b\",\"a\"]")), "spec.set[2]: Duplicate value: \"a\"");
  CHECK_STR(validate_msg(VAL, spec("\"ports\":[{\"name\":\"a\",\"port\":1},{\"name\":\"a\",\"port\":2}]")),
            "spec.ports[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}");
  CHECK_STR(validate_msg(VAL, spec("\"tmpl\":{\"kind\":\"Pod\"}")), "spec.tmpl.apiVersion: Required value: must not be empty");
}

static char *after(void (*fn)(const json_t *, json_t *), const char *schema, const char *obj) {
  static char buf[4096];
  json_t *s = js(schema), *o = js(obj);
  fn(s, o);
  char *d = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  snprintf(buf, sizeof buf, "%s", d);
  free(d);
  json_decref(s);
  json_decref(o);
  return buf;
}

static void prune_quiet(const json_t *s, json_t *o) { crd_schema_prune(s, o, NULL); }

static const char *DEF =
    "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
    "\"replicas\":{\"type\":\"integer\",\"default\":1},"
    "\"auto\":{\"type\":\"boolean\",\"default\":true},"
    "\"items\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"w\":{\"type\":\"integer\",\"default\":5}}}},"
    "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"string\",\"default\":\"x\"}}}},"
    "\"free\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true,\"properties\":{\"k\":{\"type\":\"object\",\"properties\":{}}}},"
    "\"tmpl\":{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true,\"properties\":{\"spec\":{\"type\":\"object\"}}},"
    "\"ios\":{\"x-kubernetes-int-or-string\":true}"
    "}}}}";

static void test_defaults(void) {
  CHECK_STR(after(crd_schema_default, DEF, "{\"spec\":{\"replicas\":3,\"items\":[{},{\"w\":1}],\"labels\":{\"a\":{}}}}"),
            "{\"spec\":{\"auto\":true,\"items\":[{\"w\":5},{\"w\":1}],\"labels\":{\"a\":{\"v\":\"x\"}},\"replicas\":3}}");
  CHECK_STR(after(crd_schema_default, DEF, "{}"), "{}");
  CHECK_STR(after(crd_schema_default, DEF, "{\"spec\":{}}"), "{\"spec\":{\"auto\":true,\"replicas\":1}}");
}

static void test_pruning(void) {
  CHECK_STR(after(prune_quiet, DEF,
                  "{\"apiVersion\":\"a/v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"n\"},\"extra\":1,"
                  "\"spec\":{\"replicas\":1,\"junk\":2,\"free\":{\"any\":[1],\"k\":{\"drop\":1}},"
                  "\"tmpl\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"other\":1,\"spec\":{\"x\":1}},"
                  "\"ios\":{\"a\":1}}}"),
            "{\"apiVersion\":\"a/v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"n\"},\"spec\":{\"free\":{\"any\":[1],\"k\":{}},"
            "\"ios\":{\"a\":1},\"replicas\":1,\"tmpl\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
            "\"spec\":{}}}}");
  json_t *s = js(DEF), *o = js("{\"spec\":{\"junk\":2,\"items\":[{\"q\":1}]},\"extra\":1}"), *found = json_array();
  crd_schema_prune(s, o, found);
  char *d = json_dumps(found, JSON_COMPACT);
  CHECK_STR(d, "[\"unknown field \\\"spec.junk\\\"\",\"unknown field \\\"spec.items[0].q\\\"\",\"unknown field \\\"extra\\\"\"]");
  free(d);
  json_decref(s);
  json_decref(o);
  json_decref(found);
}

static char *check_msg(const char *schema) {
  static char buf[4096];
  json_t *s = js(schema);
  field_errors *fe = field_errors_new();
  crd_schema_check(s, "spec.validation.openAPIV3Schema", fe);
  char *m = fe_count(fe) ? fe_message(fe) : NULL;
  snprintf(buf, sizeof buf, "%s", m ? m : "");
  free(m);
  field_errors_free(fe);
  json_decref(s);
  return buf;
}

static void test_schema_checks(void) {
  CHECK_STR(check_msg("{\"type\":\"object\",\"properties\":{\"spec\":{\"properties\":{\"list\":{\"type\":\"array\"},"
                      "\"x\":{\"type\":\"foo\"}}}}}"),
            "[spec.validation.openAPIV3Schema.properties[spec].properties[x].type: Unsupported value: \"foo\": supported "
            "values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\", "
            "spec.validation.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified, "
            "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified "
            "object fields]");
  CHECK_STR(check_msg("{\"type\":\"string\"}"),
            "spec.validation.openAPIV3Schema.type: Invalid value: \"string\": must be object at the root");
  CHECK_STR(check_msg("{}"), "spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root");
  CHECK_STR(check_msg("{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"array\",\"uniqueItems\":true,"
                      "\"items\":{\"type\":\"string\"}}}}"),
            "spec.validation.openAPIV3Schema.properties[t].uniqueItems: Forbidden: uniqueItems cannot be set to true "
            "since the runtime complexity becomes quadratic");
  CHECK_STR(check_msg("{\"type\":\"object\",\"properties\":{\"p\":{\"x-kubernetes-int-or-string\":true}}}"), "");
}

static void test_jsonpath(void) {
  json_t *o = js("{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\"}},\"spec\":{\"ports\":[{\"port\":80}]},"
                 "\"status\":{\"conditions\":[{\"type\":\"A\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"}]}}");
  CHECK(json_integer_value(crd_jsonpath_get(o, ".spec.ports[0].port")) == 80);
  CHECK_STR(json_string_value(crd_jsonpath_get(o, ".metadata.labels['app.kubernetes.io/name']")), "x");
  CHECK_STR(json_string_value(crd_jsonpath_get(o, ".status.conditions[?(@.type==\"Ready\")].status")), "True");
  CHECK(crd_jsonpath_get(o, ".spec.missing.deeper") == NULL);
  CHECK(crd_jsonpath_get(o, ".spec.ports[3]") == NULL);
  CHECK(crd_jsonpath_check("spec.x") != 0);
  CHECK(crd_jsonpath_check(".spec[") != 0);
  CHECK(crd_jsonpath_check(".spec..x") != 0);
  CHECK(crd_jsonpath_set(o, ".spec.scale.replicas", json_integer(4)) == 0);
  CHECK(json_integer_value(crd_jsonpath_get(o, ".spec.scale.replicas")) == 4);
  json_decref(o);
}

TEST_MAIN(TEST(test_valid), TEST(test_messages_from_kube_apiserver), TEST(test_structural_checks), TEST(test_defaults),
          TEST(test_pruning), TEST(test_schema_checks), TEST(test_jsonpath))
