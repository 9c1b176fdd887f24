/* test_table_output.c - a LIST's Table row written from the stored bytes
 * (table_output_row_text: cells serialized, metadata copied from the text)
 * is byte for byte json_dumps of table_output_row's row, for objects with
 * escapes and non-ASCII text in their metadata, in both Table versions;
 * includeObject=None/Object and non-Table forms are left to the JSON path. */
#include "registry.h"
#include "table_output.h"
#include "test.h"
#include <stdlib.h>

static const char *const OBJECTS[] = {
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2020-01-01T00:00:00Z\",\"labels\":{\"a\":\"b\"},\"annotations\":{\"note\":"
    "\"\\u2603 \\\"}{[\\\\]\"}},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"127.0.0.9\"}}",
    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"bare\",\"creationTimestamp\":\"2020-01-01T00:00:00Z\"}}",
};

static void test_row_text_is_the_row(void) {
  resource r = {.ref = {.group = "", .version = "v1", .kind = "Pod", .plural = "pods", .namespaced = true}};
  for (int v = 0; v < 2; v++) {
    http_req rq = {.form = OUT_TABLE, .table_version = v ? "v1beta1" : "v1", .res = &r};
    for (size_t i = 0; i < sizeof OBJECTS / sizeof *OBJECTS; i++) {
      json_t *obj = json_loads(OBJECTS[i], 0, NULL);
      char *text = json_dumps(obj, JSON_COMPACT); /* as the watch cache stores it */
      json_t *row = table_output_row(&rq, obj);
      char *want = json_dumps(row, JSON_COMPACT), *got = table_output_row_text(&rq, obj, text, strlen(text));
      CHECK_STR(got, want);
      free(got);
      free(want);
      free(text);
      json_decref(row);
      json_decref(obj);
    }
  }
}

static void test_other_forms(void) {
  resource r = {.ref = {.group = "", .version = "v1", .kind = "Pod", .plural = "pods", .namespaced = true}};
  const char *text = OBJECTS[0];
  json_t *obj = json_loads(text, 0, NULL);
  http_req meta = {.form = OUT_META, .table_version = "v1", .res = &r};
  CHECK(table_output_row_text(&meta, obj, text, strlen(text)) == NULL);
  http_req none = {.form = OUT_TABLE, .table_version = "v1", .res = &r, .query = "includeObject=None"};
  CHECK(table_output_row_text(&none, obj, text, strlen(text)) == NULL);
  http_req whole = {.form = OUT_TABLE, .table_version = "v1", .res = &r, .query = "includeObject=Object"};
  CHECK(table_output_row_text(&whole, obj, text, strlen(text)) == NULL);
  http_req table = {.form = OUT_TABLE, .table_version = "v1", .res = &r};
  CHECK(table_output_row_text(&table, obj, "[1]", 3) == NULL); /* no metadata member */
  json_decref(obj);
}

TEST_MAIN(TEST(test_row_text_is_the_row), TEST(test_other_forms))
