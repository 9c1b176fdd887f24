/* crd_table.c - Table output of custom resources, as the apiextensions
 * table convertor builds it: a Name column, then the CRD version's
 * additionalPrinterColumns (or Age when it declares none), each cell read
 * with the column's JSONPath and typed per the column (integer, number,
 * boolean, string, date shown as an age); missing values are null cells. */
#include "crd.h"
#include "crd_schema.h"
#include "table_impl.h"
#include "table_columns.h"
#include "timestamp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *crd_table_columns(const crd_version *cv) {
  json_t *cols = json_pack("[{s:s,s:s,s:s,s:s,s:i}]", "name", "Name", "type", "string", "format", "name",
                           "description", printer_doc_name, "priority", 0);
  if (!json_array_size(cv->columns)) {
    json_array_append_new(cols, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "Age", "type", "date", "format", "",
                                          "description", printer_doc_creation_timestamp, "priority", 0));
    return cols;
  }
  size_t i;
  json_t *c;
  json_array_foreach(cv->columns, i, c) {
    const char *desc = json_string_value(json_object_get(c, "description"));
    const char *jp = json_string_value(json_object_get(c, "jsonPath"));
    char buf[1024];
    if (!desc || !*desc) {
      snprintf(buf, sizeof buf, "Custom resource definition column (in JSONPath format): %s", jp ? jp : "");
      desc = buf;
    }
    const char *fmt = json_string_value(json_object_get(c, "format"));
    json_array_append_new(cols, json_pack("{s:O,s:O,s:s,s:s,s:I}", "name", json_object_get(c, "name"), "type",
                                          json_object_get(c, "type"), "format", fmt ? fmt : "", "description", desc,
                                          "priority", json_integer_value(json_object_get(c, "priority"))));
  }
  return cols;
}

/* A string column prints any value the way Go's fmt would. */
static json_t *as_text(const json_t *v) {
  if (json_is_string(v)) return json_incref((json_t *)v);
  if (json_is_boolean(v)) return json_string(json_is_true(v) ? "true" : "false");
  char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
  json_t *out = json_string(s ? s : "");
  free(s);
  return out;
}

static json_t *cell(const char *type, const json_t *v, time_t now) {
  if (!v || json_is_null(v)) return json_null();
  if (!strcmp(type, "string")) return as_text(v);
  if (!strcmp(type, "integer") && json_is_number(v))
    return json_integer(json_is_integer(v) ? json_integer_value(v) : (json_int_t)json_real_value(v));
  if (!strcmp(type, "number") && json_is_number(v))
    return json_real(json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v));
  if (!strcmp(type, "boolean") && json_is_boolean(v)) return json_incref((json_t *)v);
  if (!strcmp(type, "date") && json_is_string(v)) {
    time_t t;
    double frac;
    if (rfc3339_parse(json_string_value(v), &t, &frac) != 0) return json_string("<invalid>");
    char buf[64];
    return json_string(since_str(v, now, buf, sizeof buf));
  }
  return json_null();
}

json_t *crd_table_cells(const crd_version *cv, const json_t *obj, time_t now) {
  json_t *cells = json_array();
  cell_str(cells, json_path_str0(obj, "metadata.name"));
  if (!json_array_size(cv->columns)) {
    cell_since(cells, obj, "metadata.creationTimestamp", now);
    return cells;
  }
  size_t i;
  json_t *c;
  json_array_foreach(cv->columns, i, c) {
    const char *type = json_string_value(json_object_get(c, "type"));
    const char *jp = json_string_value(json_object_get(c, "jsonPath"));
    json_array_append_new(cells, cell(type ? type : "string", jp ? crd_jsonpath_get(obj, jp) : NULL, now));
  }
  return cells;
}
