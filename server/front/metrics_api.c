/* metrics_api.c - see metrics_api.h. A list walks the Node or Pod objects
 * the selectors pick (through api_list, so selector errors read as they do
 * for core resources) and keeps those with a fresh sample, as
 * metrics-server lists its pod and node listers; a get of an object without
 * one is NotFound ("podmetrics.metrics.k8s.io \"ns/name\" not found"). */
#include "metrics_api.h"
#include "discovery.h"
#include "quantity.h"
#include "registry.h"
#include "resource_metrics.h"
#include "rest.h"
#include "status.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP "metrics.k8s.io"
#define PREFIX "/apis/metrics.k8s.io/v1beta1/"
#define REPORT_PATH "/ckube/v1/nodemetrics"

void metrics_api_init(void) {
  discovery_add_external(json_pack(
      "{s:s,s:s,s:s,s:[{s:s,s:s,s:b,s:s,s:[s,s]},{s:s,s:s,s:b,s:s,s:[s,s]}]}", "kind", "APIResourceList",
      "apiVersion", "v1", "groupVersion", GROUP "/v1beta1", "resources", "name", "nodes", "singularName", "",
      "namespaced", 0, "kind", "NodeMetrics", "verbs", "get", "list", "name", "pods", "singularName", "", "namespaced",
      1, "kind", "PodMetrics", "verbs", "get", "list"));
}

/* ---- Table form (kubectl get nodes.metrics.k8s.io) ---- */

static const char *usage_of(const json_t *u, const char *k) {
  const char *s = json_string_value(json_object_get(u, k));
  return s ? s : "";
}

/* A pod's usage summed over its containers, as Quantity strings. */
static json_t *pod_total(const json_t *m) {
  quantity cpu = {0, 0, QTY_DECIMAL_SI}, mem = {0, 0, QTY_BINARY_SI}, q;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(m, "containers"), i, c) {
    const json_t *u = json_object_get(c, "usage");
    if (!quantity_parse(usage_of(u, "cpu"), &q)) cpu = quantity_add(&cpu, &q);
    if (!quantity_parse(usage_of(u, "memory"), &q)) mem = quantity_add(&mem, &q);
  }
  char cb[64], mb[64];
  return json_pack("{s:s,s:s}", "cpu", quantity_format_str(&cpu, cb, sizeof cb), "memory",
                   quantity_format_str(&mem, mb, sizeof mb));
}

static json_t *table_row(http_req *rq, const json_t *m) {
  bool pod = !strcmp(json_string_value(json_object_get(m, "kind")), "PodMetrics");
  json_t *u = pod ? pod_total(m) : json_incref(json_object_get(m, "usage"));
  json_t *row = json_pack("{s:[O,s,s,O]}", "cells", json_object_get(json_object_get(m, "metadata"), "name"),
                          usage_of(u, "cpu"), usage_of(u, "memory"), json_object_get(m, "window"));
  json_decref(u);
  char av[64], inc[32];
  snprintf(av, sizeof av, "meta.k8s.io/%s", rq->table_version ? rq->table_version : "v1");
  const char *io = http_query(rq, "includeObject", inc, sizeof inc);
  if (io && !strcmp(io, "Object")) json_object_set(row, "object", (json_t *)m);
  else if (!io || strcmp(io, "None") != 0)
    json_object_set_new(row, "object", json_pack("{s:s,s:s,s:O}", "kind", "PartialObjectMetadata", "apiVersion", av,
                                                 "metadata", json_object_get(m, "metadata")));
  return row;
}

static json_t *table(http_req *rq, json_t *items) {
  static const char *const cols[][2] = {
      {"Name", "Name must be unique within a namespace."},
      {"CPU", "CPU usage in the window: cores (1 = one core, 250m = a quarter)."},
      {"Memory", "Memory usage: the working set."},
      {"Window", "The interval [timestamp - window, timestamp] the usage was measured over."}};
  json_t *defs = json_array(), *rows = json_array();
  for (int i = 0; i < 4; i++)
    json_array_append_new(defs, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", cols[i][0], "type", "string", "format",
                                          i ? "" : "name", "description", cols[i][1], "priority", 0));
  size_t i;
  json_t *m;
  json_array_foreach(items, i, m) json_array_append_new(rows, table_row(rq, m));
  char av[64];
  snprintf(av, sizeof av, "meta.k8s.io/%s", rq->table_version ? rq->table_version : "v1");
  return json_pack("{s:s,s:s,s:{},s:o,s:o}", "kind", "Table", "apiVersion", av, "metadata", "columnDefinitions", defs,
                   "rows", rows);
}

/* ---- get and list ---- */

static void send(http_req *rq, json_t *doc, bool list) {
  json_t *out = doc;
  if (rq->form == OUT_TABLE || rq->form == OUT_META) {
    json_t *items = list ? json_incref(json_object_get(doc, "items")) : json_pack("[O]", doc);
    out = table(rq, items);
    json_decref(items);
  }
  out_form f = rq->form;
  if (f != OUT_YAML) rq->form = OUT_JSON;
  http_send_json(rq, 200, out);
  rq->form = f;
  if (out != doc) json_decref(out);
  json_decref(doc);
}

static json_t *metrics_of(bool pods, const json_t *obj) {
  return pods ? resource_metrics_pod(obj) : resource_metrics_node(obj);
}

static void get_one(http_req *rq, const resource *r, const char *ns, const char *name) {
  bool pods = !strcmp(r->ref.plural, "pods");
  cobj *o = cache_get(rq->srv->cache, r->bucket, ns, name);
  json_t *m = o ? metrics_of(pods, o->obj) : NULL;
  cobj_unref(o);
  if (!m) {
    char key[600];
    snprintf(key, sizeof key, "%s%s%s", ns, *ns ? "/" : "", name);
    http_send_status(rq, status_not_found_gr(GROUP, pods ? "podmetrics" : "nodemetrics", key));
    return;
  }
  send(rq, m, false);
}

static void list(http_req *rq, const resource *r, const char *ns) {
  bool pods = !strcmp(r->ref.plural, "pods");
  char ls[2048], fs[2048];
  api_list_opts lo = {0};
  lo.label_selector = http_query(rq, "labelSelector", ls, sizeof ls);
  lo.field_selector = http_query(rq, "fieldSelector", fs, sizeof fs);
  cobj_vec objs = {0};
  int64_t rev = 0;
  char *cont = NULL;
  long long remaining;
  json_t *st = api_list(rq->srv, r, ns, &lo, &objs, &rev, &cont, &remaining);
  free(cont);
  if (st) {
    cobj_vec_clear(&objs);
    http_send_status(rq, st);
    return;
  }
  json_t *items = json_array();
  for (size_t i = 0; i < objs.n; i++) {
    json_t *m = metrics_of(pods, objs.items[i]->obj);
    if (m) json_array_append_new(items, m);
  }
  cobj_vec_clear(&objs);
  send(rq,
       json_pack("{s:s,s:s,s:{},s:o}", "kind", pods ? "PodMetricsList" : "NodeMetricsList", "apiVersion",
                 GROUP "/v1beta1", "metadata", "items", items),
       true);
}

/* ---- the report endpoint ---- */

static void report(http_req *rq) {
  if (strcmp(rq->method, "POST") != 0) {
    http_send_status(rq, status_failure(405, "MethodNotAllowed",
                                        "the server does not allow this method on the requested resource", NULL));
    return;
  }
  json_t *st = NULL, *body = rest_decode_body(rq, &st);
  if (!body) {
    http_send_status(rq, st);
    return;
  }
  char err[512] = "";
  int n = resource_metrics_report(body, err, sizeof err);
  json_decref(body);
  if (n < 0) {
    http_send_status(rq, status_bad_request("%s", err));
    return;
  }
  json_t *ok = json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                         "Success", "code", 200);
  out_form f = rq->form;
  rq->form = OUT_JSON;
  http_send_json(rq, 200, ok);
  rq->form = f;
  json_decref(ok);
}

bool metrics_api_handle(http_req *rq) {
  if (!strcmp(rq->path, REPORT_PATH)) {
    report(rq);
    return true;
  }
  if (strncmp(rq->path, PREFIX, strlen(PREFIX)) != 0) return false;
  char a[256] = "", b[256] = "", c[256] = "", d[256] = "", extra[8] = "";
  int n = sscanf(rq->path + strlen(PREFIX), "%255[^/]/%255[^/]/%255[^/]/%255[^/]/%7s", a, b, c, d, extra);
  const resource *pods = registry_find("", "v1", "pods"), *nodes = registry_find("", "v1", "nodes");
  const resource *r = NULL;
  const char *ns = "", *name = NULL;
  if (n >= 1 && n <= 2 && !strcmp(a, "nodes")) r = nodes, name = n == 2 ? b : NULL;
  else if (n == 1 && !strcmp(a, "pods")) r = pods;
  else if (n >= 3 && n <= 4 && !strcmp(a, "namespaces") && !strcmp(c, "pods")) r = pods, ns = b, name = n == 4 ? d : NULL;
  if (!r) {
    http_send_status(rq, status_no_route(404));
    return true;
  }
  char w[16];
  bool watch = http_query(rq, "watch", w, sizeof w) && strcmp(w, "false") && strcmp(w, "0");
  if ((strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) || watch) {
    http_send_status(rq, status_failure(405, "MethodNotAllowed",
                                        "the server does not allow this method on the requested resource", NULL));
    return true;
  }
  if (name) get_one(rq, r, ns, name);
  else list(rq, r, ns);
  return true;
}
