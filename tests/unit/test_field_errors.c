/* test_field_errors.c - field.ErrorList rendering: each error type's layout,
 * Go-style bad values (quoted strings, bare numbers, slices, maps, floats),
 * the aggregate message with de-duplication and brackets, and the exact
 * metav1.Status kube-apiserver returns for an Invalid object. */
#include <stdlib.h>
#include "field_errors.h"
#include "test.h"

static char *msg_of(field_errors *fe) {
  static char buf[4096];
  char *m = fe_message(fe);
  snprintf(buf, sizeof buf, "%s", m ? m : "(null)");
  free(m);
  field_errors_free(fe);
  return buf;
}

static void test_types(void) {
  field_errors *fe = field_errors_new();
  fe_required(fe, "spec.selector", "");
  CHECK_STR(msg_of(fe), "spec.selector: Required value");
  fe = field_errors_new();
  fe_add(fe, FE_FORBIDDEN, "metadata.namespace", NULL, "not allowed on this type");
  CHECK_STR(msg_of(fe), "metadata.namespace: Forbidden: not allowed on this type");
  fe = field_errors_new();
  fe_add(fe, FE_TOO_LONG, "metadata.annotations", NULL, "must have at most %d bytes", 262144);
  CHECK_STR(msg_of(fe), "metadata.annotations: Too long: must have at most 262144 bytes");
  fe = field_errors_new();
  json_t *v = json_string("x");
  fe_add(fe, FE_DUPLICATE, "spec.ports[1].name", v, NULL);
  json_decref(v);
  CHECK_STR(msg_of(fe), "spec.ports[1].name: Duplicate value: \"x\"");
}

static void test_values(void) {
  field_errors *fe = field_errors_new();
  fe_invalid_int(fe, "spec.replicas", -1, "must be greater than or equal to 0");
  CHECK_STR(msg_of(fe), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  fe = field_errors_new();
  fe_invalid_str(fe, "metadata.name", "A\"b\n", "bad");
  CHECK_STR(msg_of(fe), "metadata.name: Invalid value: \"A\\\"b\\n\": bad");
  fe = field_errors_new();
  json_t *v = json_pack("{s:s,s:s}", "b", "2", "a", "1");
  fe_add(fe, FE_INVALID, "spec.template.metadata.labels", v, "`selector` does not match template `labels`");
  json_decref(v);
  CHECK_STR(msg_of(fe), "spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"1\", \"b\":\"2\"}: "
                        "`selector` does not match template `labels`");
  fe = field_errors_new();
  v = json_pack("[ss]", "orphan", "foregroundDeletion");
  fe_add(fe, FE_INVALID, "metadata.finalizers", v, "x");
  json_decref(v);
  CHECK_STR(msg_of(fe), "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: x");
  fe = field_errors_new();
  v = json_real(0.5);
  json_t *w = json_real(1e7), *b = json_true();
  fe_add(fe, FE_INVALID, "a", v, NULL);
  fe_add(fe, FE_INVALID, "b", w, NULL);
  fe_add(fe, FE_INVALID, "c", b, NULL);
  fe_add(fe, FE_INVALID, "d", NULL, NULL);
  json_decref(v), json_decref(w), json_decref(b);
  /* ErrorBody turns a nil value into the string "null" and then %q-quotes it */
  CHECK_STR(msg_of(fe), "[a: Invalid value: 0.5, b: Invalid value: 10000000, c: Invalid value: true, d: Invalid value: \"null\"]");
  fe = field_errors_new();
  v = json_string("SCTPX");
  static const char *const sup[] = {"SCTP", "TCP", "UDP", NULL};
  fe_not_supported(fe, "spec.ports[0].protocol", v, sup);
  json_decref(v);
  CHECK_STR(msg_of(fe), "spec.ports[0].protocol: Unsupported value: \"SCTPX\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
}

static void test_aggregate_dedup(void) {
  field_errors *fe = field_errors_new();
  fe_required(fe, "a", "");
  fe_required(fe, "a", "");
  CHECK(fe_count(fe) == 2);
  CHECK_STR(msg_of(fe), "a: Required value");
  fe = field_errors_new();
  fe_required(fe, "a", "");
  fe_required(fe, "b", "");
  fe_required(fe, "a", "");
  CHECK_STR(msg_of(fe), "[a: Required value, b: Required value]");
}

static void test_status(void) {
  field_errors *fe = field_errors_new();
  fe_invalid_int(fe, "spec.replicas", -1, "must be greater than or equal to 0");
  json_t *st = fe_to_status(fe, "apps", "Deployment", "web");
  char *s = json_dumps(st, JSON_COMPACT);
  CHECK_STR(s, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
               "\"Deployment.apps \\\"web\\\" is invalid: spec.replicas: Invalid value: -1: must be greater than or "
               "equal to 0\",\"reason\":\"Invalid\",\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":"
               "\"Deployment\",\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: -1: must "
               "be greater than or equal to 0\",\"field\":\"spec.replicas\"}]},\"code\":422}");
  free(s);
  json_decref(st);
  field_errors_free(fe);

  fe = field_errors_new();
  fe_required(fe, "spec.containers", "");
  st = fe_to_status(fe, "", "Pod", "x");
  CHECK_STR(json_string_value(json_object_get(st, "message")), "Pod \"x\" is invalid: spec.containers: Required value");
  CHECK(json_object_get(json_object_get(st, "details"), "group") == NULL);
  json_decref(st);
  field_errors_free(fe);
}

/* %#v of a *metav1.LabelSelector after ValidateImmutableField dereferences it. */
static void test_selector_rendering(void) {
  json_t *sel = json_loads("{\"matchLabels\":{\"app\":\"x\"}}", 0, NULL);
  char *r = fe_render_selector(sel);
  CHECK_STR(r, "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, "
               "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}");
  free(r);
  json_decref(sel);
  sel = json_loads("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]},"
                   "{\"key\":\"x\",\"operator\":\"Exists\"}]}", 0, NULL);
  r = fe_render_selector(sel);
  CHECK_STR(r, "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{"
               "v1.LabelSelectorRequirement{Key:\"tier\", Operator:\"In\", Values:[]string{\"a\", \"b\"}}, "
               "v1.LabelSelectorRequirement{Key:\"x\", Operator:\"Exists\", Values:[]string(nil)}}}");
  free(r);
  json_decref(sel);
}

static void test_rendered_and_accessors(void) {
  field_errors *fe = field_errors_new();
  fe_add_rendered(fe, FE_DUPLICATE, "spec.ports[1]", "core.ServicePort{Port:80}", NULL);
  fe_add_rendered(fe, FE_REQUIRED, "spec.x", "ignored", "why");
  fe_forbidden(fe, "spec", "no");
  CHECK(fe_count(fe) == 3);
  CHECK_STR(fe_field(fe, 0), "spec.ports[1]");
  CHECK_STR(fe_body(fe, 0), "Duplicate value: core.ServicePort{Port:80}");
  CHECK_STR(fe_body(fe, 1), "Required value: why");
  CHECK_STR(fe_body(fe, 2), "Forbidden: no");
  CHECK(fe_field(fe, 3) == NULL);
  json_t *v = json_string("a\"b\n");
  char *r = fe_render_value(v);
  CHECK_STR(r, "\"a\\\"b\\n\"");
  free(r);
  json_decref(v);
  r = fe_render_value(NULL);
  CHECK_STR(r, "\"null\"");
  free(r);
  field_errors_free(fe);
}

TEST_MAIN(TEST(test_types), TEST(test_values), TEST(test_aggregate_dedup), TEST(test_status),
          TEST(test_selector_rendering), TEST(test_rendered_and_accessors))
