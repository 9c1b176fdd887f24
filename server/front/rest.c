/* rest.c - REST handlers for resource paths (see rest.h): route, then map
 * the HTTP verb and query parameters (dryRun, fieldValidation, fieldManager,
 * force, selectors, limit/continue, watch) onto the API core. Subresources
 * with their own shapes (scale, binding, eviction) are in rest_sub.c and
 * streaming in watch.c. */
#include "rest.h"
#include "decode_check.h"
#include "http_body.h"
#include "json_indent.h"
#include "reviews.h"
#include "componentstatus.h"
#include "apispec.h"
#include "k8s_protobuf.h"
#include "rest_sub.h"
#include "status.h"
#include "table_output.h"
#include "watch.h"
#include "yaml_json.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *not_found(void) {
  return status_no_route(404);
}

json_t *rest_route(http_req *rq) {
  const char *p = rq->path;
  char group[128] = "", version[64] = "";
  if (!strncmp(p, "/api/", 5)) {
    p += 5;
  } else if (!strncmp(p, "/apis/", 6)) {
    p += 6;
    size_t n = strcspn(p, "/");
    if (!p[n] || n >= sizeof group) return not_found();
    memcpy(group, p, n);
    p += n + 1;
  } else {
    return not_found();
  }
  size_t n = strcspn(p, "/");
  if (!p[n] || n >= sizeof version) return not_found();
  memcpy(version, p, n);
  p += n + 1;

  char buf[1024];
  snprintf(buf, sizeof buf, "%s", p);
  char *seg[8];
  int ns = 0;
  char *save = NULL;
  for (char *s = strtok_r(buf, "/", &save); s && ns < 8; s = strtok_r(NULL, "/", &save)) seg[ns++] = s;
  if (ns == 0) return not_found();
  int i = 0;
  if (!strcmp(seg[0], "watch")) {
    rq->watch = true;
    i = 1;
  }
  const char *plural = NULL, *name = NULL, *sub = NULL;
  if (ns - i >= 3 && !strcmp(seg[i], "namespaces") && registry_find(group, version, seg[i + 2])) {
    snprintf(rq->ns, sizeof rq->ns, "%s", seg[i + 1]);
    plural = seg[i + 2];
    name = ns - i > 3 ? seg[i + 3] : NULL;
    sub = ns - i > 4 ? seg[i + 4] : NULL;
    if (ns - i > 5) return not_found();
  } else {
    if (ns - i > 3 || ns - i < 1) return not_found();
    plural = seg[i];
    name = ns - i > 1 ? seg[i + 1] : NULL;
    sub = ns - i > 2 ? seg[i + 2] : NULL;
  }
  const resource *r = registry_find(group, version, plural);
  if (!r) return not_found();
  if (!r->ref.namespaced && rq->ns[0]) return not_found();
  if (r->ref.namespaced && !rq->ns[0] && name) return not_found();
  if (sub && !registry_subresource(r, sub)) return not_found();
  rq->res = r;
  if (name) snprintf(rq->name, sizeof rq->name, "%s", name);
  if (sub) snprintf(rq->sub, sizeof rq->sub, "%s", sub);
  return NULL;
}

/* 422 "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: ..." (the options kind of method). */
static json_t *dry_run_invalid(const char *method, const char *value) {
  const char *kind = !strcmp(method, "POST")    ? "CreateOptions"
                     : !strcmp(method, "PUT")   ? "UpdateOptions"
                     : !strcmp(method, "PATCH") ? "PatchOptions"
                     : !strcmp(method, "DELETE") ? "DeleteOptions"
                                                 : "GetOptions";
  char cause[300], msg[500];
  snprintf(cause, sizeof cause, "Unsupported value: []string{\"%s\"}: supported values: \"All\"", value);
  snprintf(msg, sizeof msg, "%s.meta.k8s.io \"\" is invalid: dryRun: %s", kind, cause);
  return status_failure(422, "Invalid", msg,
                        json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}", "group", "meta.k8s.io", "kind", kind, "causes",
                                  "reason", "FieldValueNotSupported", "message", cause, "field", "dryRun"));
}

static bool read_opts(http_req *rq, api_opts *o, json_t **st) {
  char b[64];
  const char *dry = http_query(rq, "dryRun", b, sizeof b);
  if (dry && *dry) {
    if (strcmp(dry, "All") != 0) {
      *st = dry_run_invalid(rq->method, dry);
      return false;
    }
    o->dry_run = true;
  }
  const char *fv = http_query(rq, "fieldValidation", b, sizeof b);
  o->validation = FV_WARN;
  if (fv && *fv) {
    if (!strcmp(fv, "Strict")) o->validation = FV_STRICT;
    else if (!strcmp(fv, "Ignore")) o->validation = FV_IGNORE;
    else if (strcmp(fv, "Warn") != 0) {
      *st = status_bad_request("fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\"");
      return false;
    }
  }
  static __thread char fm[256];
  o->field_manager = http_query(rq, "fieldManager", fm, sizeof fm);
  o->force = http_query_bool(rq, "force");
  o->warnings = rq->warnings;
  o->user = rq->user;
  return true;
}

static json_t *pb_schema;
static pthread_once_t pb_once = PTHREAD_ONCE_INIT;

static void load_pb_schema(void) {
  apispec_blob b = apispec_get("protobuf-schema.json");
  if (b.data) pb_schema = json_loadb((const char *)b.data, b.len, 0, NULL);
}

/* A protobuf body (kubectl 1.32's typed clients) as the JSON it stands for. */
static json_t *decode_protobuf(http_req *rq, json_t **st) {
  pthread_once(&pb_once, load_pb_schema);
  char err[512];
  json_t *v = NULL;
  if (!pb_schema) {
    *st = status_internal("no protobuf schema in this build");
  } else {
    const char *kind = rq->res ? rq->res->ref.kind : NULL;
    const char *av = rq->res ? rq->res->group_version : NULL;
    if (rq->sub[0] && !strcmp(rq->sub, "scale")) kind = "Scale", av = "autoscaling/v1";
    v = k8s_protobuf_to_json_defaults(pb_schema, (const unsigned char *)rq->body, rq->body_len, av, kind, err,
                                      sizeof err);
    if (!v) *st = status_bad_request("%s", err);
  }
  return v;
}

/* The request body as JSON (JSON, YAML or protobuf per Content-Type). */
json_t *rest_decode_body(http_req *rq, json_t **st) {
  if (!rq->body || !rq->body_len) {
    *st = status_bad_request("the body of the request was empty");
    return NULL;
  }
  char err[512];
  json_t *v = NULL;
  const char *ct = rq->content_type ? rq->content_type : "application/json";
  if (!strncmp(ct, "application/yaml", 16) || !strncmp(ct, "application/x-yaml", 18) || !strncmp(ct, "text/yaml", 9)) {
    v = yaml_to_json(rq->body, rq->body_len, err, sizeof err);
    if (!v) *st = status_bad_request("error converting YAML to JSON: %s", err);
  } else if (!strncmp(ct, "application/json", 16) || !strncmp(ct, "*/*", 3)) {
    json_error_t je;
    v = json_loadb(rq->body, rq->body_len, 0, &je);
    if (!v) *st = status_bad_request("couldn't get version/kind; json parse error: %s", je.text);
  } else if (!strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
    v = decode_protobuf(rq, st);
  } else if (!*ct) { /* no Content-Type: read as JSON, as kube-apiserver does */
    json_error_t je;
    v = json_loadb(rq->body, rq->body_len, 0, &je);
    if (!v) *st = status_bad_request("couldn't get version/kind; json parse error: %s", je.text);
  } else { /* e.g. curl -d's form type or text/plain: no route consumes it */
    *st = status_failure(415, "UnsupportedMediaType",
                         "the body of the request was in an unknown format - accepted media types include: "
                         "application/json, application/yaml, application/vnd.kubernetes.protobuf",
                         NULL);
  }
  if (v && !json_is_object(v)) {
    json_decref(v);
    v = NULL;
    *st = status_bad_request("couldn't get version/kind; json parse error: expected an object");
  }
  return v;
}

/* The request body of a create or update: as rest_decode_body, then refused
 * as kube-apiserver's decoding would refuse it when a value does not fit its
 * field's Go type (built-in kinds; custom resources have their schemas). */
static json_t *rest_decode_object(http_req *rq, json_t **st) {
  if (rq->res->ref.crd) return rest_decode_body(rq, st);
  return rest_decode_typed(rq, rq->res->group_version, rq->res->ref.kind, st);
}

json_t *rest_decode_typed(http_req *rq, const char *av, const char *kind, json_t **st) {
  json_t *v = rest_decode_body(rq, st);
  const char *ct = rq->content_type ? rq->content_type : "application/json";
  if (!v || !strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) return v;
  pthread_once(&pb_once, load_pb_schema);
  const char *msg = pb_schema ? k8s_protobuf_message_for(pb_schema, av, kind) : NULL;
  if (!msg) return v;
  const char *version = strrchr(av, '/') ? strrchr(av, '/') + 1 : av;
  bool yaml = strstr(ct, "yaml") != NULL; /* checked as the JSON Kubernetes converts YAML to */
  char *text = yaml ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  *st = yaml ? decode_check(pb_schema, msg, kind, version, text, strlen(text))
             : decode_check(pb_schema, msg, kind, version, rq->body, rq->body_len);
  free(text);
  if (*st) {
    json_decref(v);
    v = NULL;
  }
  return v;
}

/* The list document with its items member (last) still empty. */
static json_t *list_head(http_req *rq, const char *rv, const char *cont, long long remaining) {
  if (rq->form == OUT_TABLE || rq->form == OUT_META) return table_output_list_head(rq, rv, cont);
  json_t *md = json_pack("{s:s}", "resourceVersion", rv);
  if (cont) json_object_set_new(md, "continue", json_string(cont));
  if (remaining >= 0) json_object_set_new(md, "remainingItemCount", json_integer(remaining));
  return json_pack("{s:s,s:s,s:o,s:[]}", "kind", rq->res->list_kind, "apiVersion", rq->res->group_version,
                   "metadata", md, "items");
}

/* One item as the list shows it (served version, Table row or metadata);
 * new reference. */
static const json_t *list_item(http_req *rq, const cobj *o) {
  const json_t *v = api_to_version(rq->srv, rq->res, o->obj);
  if (rq->form != OUT_TABLE && rq->form != OUT_META) return v;
  json_t *t = table_output_list_item(rq, v);
  json_decref_const(v);
  return t;
}

/* YAML: the whole document, then its bytes. */
static void send_list_whole(http_req *rq, json_t *doc, cobj_vec *items) {
  json_t *arr = json_object_get(doc, json_object_get(doc, "rows") ? "rows" : "items");
  for (size_t i = 0; i < items->n; i++) json_array_append_new_const(arr, list_item(rq, items->items[i]));
  http_send_json(rq, 200, doc);
}

static void body_piece(void *ctx, const char *piece, size_t n) { http_body_add(ctx, piece, n); }

/* Appends one item, compact or indented at the items' depth (2). */
static void add_item(http_body *b, const char *compact, size_t len, bool pretty) {
  if (pretty) json_indent(compact, len, 2, 2, body_piece, b);
  else http_body_add(b, compact, len);
}

/* JSON is streamed: the document's bytes up to its empty items array, then
 * item after item through a bounded buffer (no whole-list buffer), byte for
 * byte what http_send_json of the whole document gives (indented for
 * ?pretty and curl as json_dumps indents it). Items whose stored bytes are
 * what the client sees are copied as they are, and then the length is
 * known up front. */
static void send_list(http_req *rq, cobj_vec *items, int64_t rev, const char *cont, long long remaining) {
  char rv[32];
  snprintf(rv, sizeof rv, "%lld", (long long)rev);
  json_t *doc = list_head(rq, rv, cont, remaining);
  bool pretty = http_pretty(rq);
  const char *empty = pretty ? "[]\n}" : "[]}", *sep = pretty ? ",\n    " : ",";
  const char *open = pretty ? "\n    " : "", *close = pretty ? "\n  ]\n}\n" : "]}\n";
  char *prefix = rq->form == OUT_YAML ? NULL : json_dumps(doc, pretty ? JSON_INDENT(2) : JSON_COMPACT);
  size_t plen = prefix ? strlen(prefix) : 0, elen = strlen(empty);
  if (!prefix || !items->n || plen < elen || strcmp(prefix + plen - elen, empty) != 0) {
    free(prefix);
    send_list_whole(rq, doc, items);
    json_decref(doc);
    return;
  }
  json_decref(doc);
  plen -= elen - 1; /* through the items array's '[' */
  bool stored_form = api_stored_as_served(rq->res), raw = rq->form == OUT_JSON && stored_form;
  long long total = -1;
  if (raw && !pretty) {
    total = (long long)(plen + strlen(open) + strlen(close) + (items->n - 1) * strlen(sep));
    for (size_t i = 0; i < items->n; i++) total += (long long)items->items[i]->len;
  }
  http_body b;
  http_body_begin(&b, rq, 200, "application/json", total);
  http_body_add(&b, prefix, plen);
  free(prefix);
  http_body_adds(&b, open);
  for (size_t i = 0; i < items->n && b.ok; i++) {
    if (i) http_body_adds(&b, sep);
    if (raw) {
      add_item(&b, items->items[i]->data, items->items[i]->len, pretty);
      continue;
    }
    char *row = stored_form ? table_output_row_text(rq, items->items[i]->obj, items->items[i]->data,
                                                   items->items[i]->len)
                            : NULL;
    if (row) {
      add_item(&b, row, strlen(row), pretty);
      free(row);
      continue;
    }
    const json_t *v = list_item(rq, items->items[i]);
    if (pretty) {
      char *s = json_dumps(v, JSON_COMPACT);
      add_item(&b, s, strlen(s), true);
      free(s);
    } else {
      http_body_add_json(&b, v);
    }
    json_decref_const(v);
  }
  http_body_adds(&b, close);
  http_body_end(&b);
}

static bool list_opts(http_req *rq, api_list_opts *lo, char *ls, char *fs, char *cont, char *rv, size_t len) {
  char lim[32];
  lo->label_selector = http_query(rq, "labelSelector", ls, len);
  lo->field_selector = http_query(rq, "fieldSelector", fs, len);
  lo->continue_token = http_query(rq, "continue", cont, len);
  lo->resource_version = http_query(rq, "resourceVersion", rv, 64);
  static __thread char match[32];
  lo->resource_version_match = http_query(rq, "resourceVersionMatch", match, sizeof match);
  const char *l = http_query(rq, "limit", lim, sizeof lim);
  lo->limit = l ? atol(l) : 0;
  return true;
}

static void do_list(http_req *rq) {
  char ls[2048], fs[2048], cont[4096], rv[64];
  api_list_opts lo = {0};
  list_opts(rq, &lo, ls, fs, cont, rv, sizeof ls);
  cobj_vec items = {0};
  int64_t rev = 0;
  char *next = NULL;
  long long remaining;
  json_t *st = api_list(rq->srv, rq->res, rq->ns, &lo, &items, &rev, &next, &remaining);
  if (st) http_send_status(rq, st);
  else send_list(rq, &items, rev, next, remaining);
  free(next);
  cobj_vec_clear(&items);
}

static json_t *delete_options(http_req *rq, json_t **st) {
  json_t *o = NULL;
  if (rq->body && rq->body_len) {
    o = rest_decode_body(rq, st);
    if (!o) return NULL;
  } else {
    o = json_object();
  }
  char b[64];
  const char *g = http_query(rq, "gracePeriodSeconds", b, sizeof b);
  if (g && *g) json_object_set_new(o, "gracePeriodSeconds", json_integer(atoll(g)));
  const char *pp = http_query(rq, "propagationPolicy", b, sizeof b);
  if (pp && *pp) json_object_set_new(o, "propagationPolicy", json_string(pp));
  if (http_query(rq, "orphanDependents", b, sizeof b))
    json_object_set_new(o, "orphanDependents", json_boolean(!strcmp(b, "true")));
  return o;
}

static void do_delete_collection(http_req *rq, const api_opts *o) {
  json_t *st = NULL;
  json_t *opts = delete_options(rq, &st);
  if (!opts) {
    http_send_status(rq, st);
    return;
  }
  char ls[2048], fs[2048], cont[4096], rv[64];
  api_list_opts lo = {0};
  list_opts(rq, &lo, ls, fs, cont, rv, sizeof ls);
  lo.limit = 0;
  lo.continue_token = NULL;
  cobj_vec items = {0};
  int64_t rev = 0;
  char *next = NULL;
  long long remaining;
  st = api_list(rq->srv, rq->res, rq->ns, &lo, &items, &rev, &next, &remaining);
  free(next);
  if (st) {
    json_decref(opts);
    http_send_status(rq, st);
    return;
  }
  json_t *deleted = json_array();
  for (size_t i = 0; i < items.n; i++) {
    const char *name = json_string_value(json_object_get(json_object_get(items.items[i]->obj, "metadata"), "name"));
    const char *ns = json_string_value(json_object_get(json_object_get(items.items[i]->obj, "metadata"), "namespace"));
    api_result res = api_delete(rq->srv, rq->res, ns ? ns : "", name, opts, o);
    if (res.code < 300) json_array_append_new(deleted, api_version_copy(rq->srv, rq->res, items.items[i]->obj));
    api_result_clear(&res);
  }
  cobj_vec_clear(&items);
  json_decref(opts);
  char rvs[32];
  snprintf(rvs, sizeof rvs, "%lld", (long long)cache_rev(rq->srv->cache));
  json_t *doc = json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", rq->res->list_kind, "apiVersion", rq->res->group_version,
                          "metadata", "resourceVersion", rvs, "items", deleted);
  out_form f = rq->form;
  if (f != OUT_YAML) rq->form = OUT_JSON;
  http_send_json(rq, 200, doc);
  rq->form = f;
  json_decref(doc);
}

static bool verb_allowed(http_req *rq, unsigned verb, const char *name) {
  if (rq->sub[0] || (rq->res->verbs & verb)) return true;
  http_send_status(rq, status_method_not_allowed(rq->res, name));
  return false;
}

void rest_handle(http_req *rq) {
  json_t *st = rest_route(rq);
  if (st) {
    http_send_status(rq, st);
    return;
  }
  const char *m = rq->method;
  const char *sub = rq->sub[0] ? rq->sub : NULL;
  api_opts o = {0};
  if (!read_opts(rq, &o, &st)) {
    http_send_status(rq, st);
    return;
  }
  if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) {
    if (componentstatus_get(rq)) return;
    if (rq->watch || http_query_bool(rq, "watch")) {
      if (verb_allowed(rq, VERB_WATCH, "watch")) watch_serve(rq);
      return;
    }
    if (!rq->name[0]) {
      if (verb_allowed(rq, VERB_LIST, "list")) do_list(rq);
      return;
    }
    if (sub && rest_sub_get(rq)) return;
    if (!verb_allowed(rq, VERB_GET, "get")) return;
    api_result res = api_get(rq->srv, rq->res, rq->ns, rq->name);
    http_send_result(rq, &res);
  } else if (!strcmp(m, "POST")) {
    if (rest_sub_post(rq, &o)) return;
    if (rq->name[0]) {
      http_send_status(rq, status_no_route(405));
      return;
    }
    if (!verb_allowed(rq, VERB_CREATE, "create")) return;
    json_t *obj = rest_decode_object(rq, &st);
    if (!obj) {
      http_send_status(rq, st);
      return;
    }
    if (reviews_handles(rq->res) && (rq->form == OUT_TABLE || rq->form == OUT_META)) {
      json_decref(obj); /* reviews have no object metadata to show as a Table, as in kube-apiserver */
      rq->form = OUT_JSON;
      http_send_status(rq, status_failure(406, "NotAcceptable",
                                          "only the following media types are accepted: application/json, "
                                          "application/yaml, application/vnd.kubernetes.protobuf",
                                          NULL));
      return;
    }
    api_result res = reviews_handles(rq->res) ? reviews_create(rq->srv, rq->res, rq->ns, obj, rq->user)
                                              : api_create(rq->srv, rq->res, rq->ns, obj, &o);
    http_send_result(rq, &res);
  } else if (!strcmp(m, "PUT")) {
    if (!rq->name[0]) {
      http_send_status(rq, status_no_route(405));
      return;
    }
    if (sub && rest_sub_put(rq, &o)) return;
    if (!verb_allowed(rq, VERB_UPDATE, "update")) return;
    json_t *obj = rest_decode_object(rq, &st);
    if (!obj) {
      http_send_status(rq, st);
      return;
    }
    api_result res = api_update(rq->srv, rq->res, rq->ns, rq->name, sub, obj, &o);
    http_send_result(rq, &res);
  } else if (!strcmp(m, "PATCH")) {
    if (!rq->name[0]) {
      http_send_status(rq, status_no_route(405));
      return;
    }
    if (sub && rest_sub_patch(rq, &o)) return;
    if (!verb_allowed(rq, VERB_PATCH, "patch")) return;
    api_result res = api_patch(rq->srv, rq->res, rq->ns, rq->name, sub, rq->content_type, rq->body ? rq->body : "",
                               rq->body_len, &o);
    http_send_result(rq, &res);
  } else if (!strcmp(m, "DELETE")) {
    if (!rq->name[0]) {
      if (verb_allowed(rq, VERB_DELETECOLLECTION, "deletecollection")) do_delete_collection(rq, &o);
      return;
    }
    if (!verb_allowed(rq, VERB_DELETE, "delete")) return;
    json_t *opts = delete_options(rq, &st);
    if (!opts) {
      http_send_status(rq, st);
      return;
    }
    api_result res = api_delete(rq->srv, rq->res, rq->ns, rq->name, opts, &o);
    json_decref(opts);
    http_send_result(rq, &res);
  } else {
    http_send_status(rq, status_no_route(405));
  }
}
