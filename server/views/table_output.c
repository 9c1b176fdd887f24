/* table_output.c - Table and PartialObjectMetadata wrappers (see
 * table_output.h). Rows carry the object as PartialObjectMetadata by default
 * (includeObject=Metadata), which is what kubectl uses for --show-labels and
 * sorting; includeObject=Object embeds the whole object. */
#include "audit_log.h"
#include "table_output.h"
#include "crd.h"
#include "json_raw.h"
#include "table.h"
#include <string.h>
#include <time.h>

static json_t *partial(const char *ver, const json_t *obj) {
  char av[64];
  snprintf(av, sizeof av, "meta.k8s.io/%s", ver);
  return json_pack("{s:s,s:s,s:O}", "kind", "PartialObjectMetadata", "apiVersion", av, "metadata",
                   json_object_get(obj, "metadata"));
}

static const char *include_object(http_req *rq, char *buf, size_t len) {
  const char *v = http_query(rq, "includeObject", buf, len);
  return v && *v ? v : "Metadata";
}

json_t *table_output_row(http_req *rq, const json_t *obj) {
  const resource *r = rq->res;
  time_t now = time(NULL);
  json_t *cells = r->ref.crd ? crd_table_cells(r->ref.crd, obj, now) : table_cells(r->ref.group, r->ref.plural, obj, now);
  json_t *row = json_pack("{s:o}", "cells", cells);
  char b[32];
  const char *inc = include_object(rq, b, sizeof b);
  if (!strcmp(inc, "Object")) json_object_set(row, "object", (json_t *)obj);
  else if (strcmp(inc, "None") != 0) json_object_set_new(row, "object", partial(rq->table_version, obj));
  return row;
}

char *table_output_row_text(http_req *rq, const json_t *obj, const char *text, size_t len) {
  char b[32];
  if (rq->form != OUT_TABLE || strcmp(include_object(rq, b, sizeof b), "Metadata") != 0) return NULL;
  size_t mlen;
  const char *md = json_raw_member(text, len, "metadata", &mlen);
  if (!md) return NULL;
  const resource *r = rq->res;
  json_t *cells = r->ref.crd ? crd_table_cells(r->ref.crd, obj, time(NULL))
                             : table_cells(r->ref.group, r->ref.plural, obj, time(NULL));
  char *c = json_dumps(cells, JSON_COMPACT);
  json_decref(cells);
  if (!c) return NULL;
  /* the bytes json_dumps gives for table_output_row's row */
  static const char mid[] = ",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/";
  const char *ver = rq->table_version ? rq->table_version : "v1";
  size_t clen = strlen(c), vlen = strlen(ver), n = 9 + clen + sizeof mid - 1 + vlen + 13 + mlen + 2;
  char *row = malloc(n + 1), *p = row;
  p = mempcpy(p, "{\"cells\":", 9);
  p = mempcpy(p, c, clen);
  p = mempcpy(p, mid, sizeof mid - 1);
  p = mempcpy(p, ver, vlen);
  p = mempcpy(p, "\",\"metadata\":", 13);
  p = mempcpy(p, md, mlen);
  p = mempcpy(p, "}}", 2);
  *p = 0;
  free(c);
  return row;
}

static json_t *columns_of(const resource *r) {
  return r->ref.crd ? crd_table_columns(r->ref.crd) : table_columns(r->ref.group, r->ref.plural);
}

static json_t *table_doc(http_req *rq, json_t *rows, const char *rv, const char *cont) {
  char av[64];
  snprintf(av, sizeof av, "meta.k8s.io/%s", rq->table_version ? rq->table_version : "v1");
  json_t *md = json_object();
  if (rv) json_object_set_new(md, "resourceVersion", json_string(rv));
  if (cont) json_object_set_new(md, "continue", json_string(cont));
  return json_pack("{s:s,s:s,s:o,s:o,s:o}", "kind", "Table", "apiVersion", av, "metadata", md, "columnDefinitions",
                   columns_of(rq->res), "rows", rows);
}

json_t *table_output_single(http_req *rq, const json_t *obj) {
  if (rq->form == OUT_META) return partial(rq->table_version, obj);
  json_t *rows = json_array();
  json_array_append_new(rows, table_output_row(rq, obj));
  return table_doc(rq, rows, json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion")),
                   NULL);
}

json_t *table_output_list_item(http_req *rq, const json_t *obj) {
  return rq->form == OUT_META ? partial(rq->table_version, obj) : table_output_row(rq, obj);
}

json_t *table_output_list_head(http_req *rq, const char *rv, const char *cont) {
  if (rq->form != OUT_META) return table_doc(rq, json_array(), rv, cont);
  char av[64];
  snprintf(av, sizeof av, "meta.k8s.io/%s", rq->table_version);
  json_t *md = rv ? json_pack("{s:s}", "resourceVersion", rv) : json_object();
  if (cont) json_object_set_new(md, "continue", json_string(cont));
  return json_pack("{s:s,s:s,s:o,s:[]}", "kind", "PartialObjectMetadataList", "apiVersion", av, "metadata", md,
                   "items");
}

json_t *table_output_list(http_req *rq, json_t *items, const char *rv, const char *cont) {
  json_t *doc = table_output_list_head(rq, rv, cont);
  json_t *out = json_object_get(doc, rq->form == OUT_META ? "items" : "rows");
  size_t i;
  json_t *o;
  json_array_foreach(items, i, o) json_array_append_new(out, table_output_list_item(rq, o));
  return doc;
}

void http_send_result(http_req *rq, api_result *res) {
  json_t *status = res->body && json_is_object(res->body) ? res->body : NULL;
  const char *kind = status ? json_string_value(json_object_get(status, "kind")) : NULL;
  bool is_status = kind && !strcmp(kind, "Status");
  if (is_status) {
    out_form f = rq->form;
    if (rq->form != OUT_YAML) rq->form = OUT_JSON;
    json_t *c = json_object_get(res->body, "code");
    http_send_json(rq, c ? (int)json_integer_value(c) : res->code, res->body);
    rq->form = f;
  } else if (rq->form == OUT_TABLE || rq->form == OUT_META) {
    json_t *obj = api_result_json(res);
    json_t *t = table_output_single(rq, obj);
    http_send_json(rq, res->code, t);
    json_decref(t);
    json_decref(obj);
  } else if (res->obj && rq->form == OUT_JSON && !http_pretty(rq)) {
    audit_response_raw(rq->audit, res->obj->data, res->obj->len);
    http_send_body(rq, res->code, "application/json", res->obj->data, res->obj->len, "\n");
  } else {
    json_t *obj = api_result_json(res);
    http_send_json(rq, res->code, obj);
    json_decref(obj);
  }
  api_result_clear(res);
}
