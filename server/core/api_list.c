/* api_list.c - LIST in the API core: label and field selectors (with the
 * field labels each kind supports in Kubernetes), limit/continue pagination
 * with kube-apiserver's continue-token format, namespace scoping. Objects
 * come straight from the watch cache, in key order. */
#include "api_internal.h"
#include "crd.h"
#include "selector.h"
#include "webhook.h"
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Field labels beyond metadata.name/metadata.namespace, per group/resource,
 * with the value an absent field reads as. */
typedef struct {
  const char *group, *plural, *field, *path, *absent;
} field_label;

static const field_label field_labels[] = {
    {"", "pods", "spec.nodeName", "spec.nodeName", ""},
    {"", "pods", "spec.restartPolicy", "spec.restartPolicy", ""},
    {"", "pods", "spec.schedulerName", "spec.schedulerName", ""},
    {"", "pods", "spec.serviceAccountName", "spec.serviceAccountName", ""},
    {"", "pods", "status.phase", "status.phase", ""},
    {"", "pods", "status.podIP", "status.podIP", ""},
    {"", "pods", "status.nominatedNodeName", "status.nominatedNodeName", ""},
    {"", "events", "involvedObject.kind", "involvedObject.kind", ""},
    {"", "events", "involvedObject.namespace", "involvedObject.namespace", ""},
    {"", "events", "involvedObject.name", "involvedObject.name", ""},
    {"", "events", "involvedObject.uid", "involvedObject.uid", ""},
    {"", "events", "involvedObject.apiVersion", "involvedObject.apiVersion", ""},
    {"", "events", "involvedObject.resourceVersion", "involvedObject.resourceVersion", ""},
    {"", "events", "involvedObject.fieldPath", "involvedObject.fieldPath", ""},
    {"", "events", "reason", "reason", ""},
    {"", "events", "reportingComponent", "reportingComponent", ""},
    {"", "events", "source", "source.component", ""},
    {"", "events", "type", "type", ""},
    /* events.k8s.io's field labels, over the core/v1 form events are stored in */
    {"events.k8s.io", "events", "regarding.kind", "involvedObject.kind", ""},
    {"events.k8s.io", "events", "regarding.namespace", "involvedObject.namespace", ""},
    {"events.k8s.io", "events", "regarding.name", "involvedObject.name", ""},
    {"events.k8s.io", "events", "regarding.uid", "involvedObject.uid", ""},
    {"events.k8s.io", "events", "regarding.apiVersion", "involvedObject.apiVersion", ""},
    {"events.k8s.io", "events", "regarding.resourceVersion", "involvedObject.resourceVersion", ""},
    {"events.k8s.io", "events", "regarding.fieldPath", "involvedObject.fieldPath", ""},
    {"events.k8s.io", "events", "reportingController", "reportingComponent", ""},
    {"events.k8s.io", "events", "reason", "reason", ""},
    {"events.k8s.io", "events", "type", "type", ""},
    {"", "secrets", "type", "type", ""},
    {"", "nodes", "spec.unschedulable", "spec.unschedulable", "false"},
    {"", "namespaces", "status.phase", "status.phase", ""},
    {"", "replicationcontrollers", "status.replicas", "status.replicas", "0"},
    {"apps", "replicasets", "status.replicas", "status.replicas", "0"},
    {"batch", "jobs", "status.successful", "status.successful", "0"},
    {"certificates.k8s.io", "certificatesigningrequests", "spec.signerName", "spec.signerName", ""},
    {NULL, NULL, NULL, NULL, NULL},
};

struct api_filter {
  const resource *r;
  label_selector *labels;
  field_selector *fields;
};

typedef struct {
  const resource *r;
  const json_t *obj;
  char buf[64];
} getter_ctx;

static const char *get_path(const json_t *obj, const char *path, char *buf, size_t len) {
  const json_t *v = obj;
  char seg[128];
  while (v && *path) {
    size_t n = strcspn(path, ".");
    snprintf(seg, sizeof seg, "%.*s", (int)n, path);
    v = json_object_get(v, seg);
    path += n + (path[n] == '.');
  }
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v)) {
    snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    return buf;
  }
  if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
  return NULL;
}

static const char *field_get(const char *field, void *p) {
  getter_ctx *g = p;
  if (!strcmp(field, "metadata.name")) return meta_str(g->obj, "name");
  if (!strcmp(field, "metadata.namespace")) return meta_str(g->obj, "namespace");
  for (const field_label *f = field_labels; f->group; f++) {
    if (strcmp(f->field, field) || strcmp(f->plural, g->r->ref.plural) || strcmp(f->group, g->r->ref.group)) continue;
    const char *v = get_path(g->obj, f->path, g->buf, sizeof g->buf);
    if ((!v || !*v) && !strcmp(f->field, "source")) /* an Event without a source reports its controller */
      v = get_path(g->obj, "reportingComponent", g->buf, sizeof g->buf);
    return v ? v : f->absent;
  }
  return NULL;
}

static bool field_supported(const resource *r, const char *field) {
  if (!strcmp(field, "metadata.name") || !strcmp(field, "metadata.namespace")) return true;
  for (const field_label *f = field_labels; f->group; f++)
    if (!strcmp(f->field, field) && !strcmp(f->plural, r->ref.plural) && !strcmp(f->group, r->ref.group)) return true;
  return false;
}

/* Whether 1.20 registers a field label conversion for r's kind (its own
 * refusal text); other kinds get the scheme's default one. */
static bool has_field_conversion(const resource *r) {
  static const char *const kinds[] = {"/pods", "/nodes", "/replicationcontrollers", "/events", "/namespaces",
                                      "/secrets", "events.k8s.io/events", "batch/jobs", "batch/cronjobs",
                                      "certificates.k8s.io/certificatesigningrequests", NULL};
  char gr[300];
  snprintf(gr, sizeof gr, "%s/%s", r->ref.group, r->ref.plural);
  for (int i = 0; kinds[i]; i++)
    if (!strcmp(kinds[i], gr)) return true;
  return false;
}

api_filter *api_filter_new(const resource *r, const char *ls, const char *fs, json_t **status) {
  char err[512];
  api_filter *f = calloc(1, sizeof *f);
  f->r = r;
  *status = NULL;
  if (ls && *ls && !(f->labels = label_selector_parse(ls, err, sizeof err))) {
    *status = status_bad_request("%s", err); /* the parser's text already says "unable to parse requirement" */
    goto bad;
  }
  if (fs && *fs) {
    if (!(f->fields = field_selector_parse(fs, err, sizeof err))) {
      *status = status_bad_request("%s", err);
      goto bad;
    }
    for (size_t i = 0; i < field_selector_count(f->fields); i++) {
      const char *name = field_selector_field(f->fields, i);
      if (!field_supported(r, name)) {
        *status = has_field_conversion(r) ? status_bad_request("field label not supported: %s", name)
                                          : status_bad_request("\"%s\" is not a known field selector: only "
                                                               "\"metadata.name\", \"metadata.namespace\"",
                                                               name);
        goto bad;
      }
    }
  }
  return f;
bad:
  api_filter_free(f);
  return NULL;
}

bool api_filter_match(const api_filter *f, const json_t *obj) {
  if (!f) return true;
  if (f->labels && !label_selector_matches(f->labels, json_object_get(json_object_get(obj, "metadata"), "labels")))
    return false;
  if (f->fields) {
    getter_ctx g = {f->r, obj, ""};
    if (!field_selector_matches(f->fields, field_get, &g)) return false;
  }
  return true;
}

bool api_filter_selects(const api_filter *f) { return f && (f->labels || f->fields); }

const char *api_filter_namespace(const api_filter *f) {
  return f && f->fields ? field_selector_equals(f->fields, "metadata.namespace") : NULL;
}

void api_filter_free(api_filter *f) {
  if (!f) return;
  label_selector_free(f->labels);
  field_selector_free(f->fields);
  free(f);
}

/* Continue tokens: unpadded URL-safe base64 of
 * {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}, the layout
 * kube-apiserver uses. */
static char *encode_continue(int64_t rev, const char *subkey) {
  char key[600];
  snprintf(key, sizeof key, "%s", subkey);
  json_t *t = json_pack("{s:s,s:I,s:s%}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rev, "start", key, strlen(key) + 1);
  char *raw = json_dumps(t, JSON_COMPACT);
  json_decref(t);
  size_t n = strlen(raw);
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  int m = EVP_EncodeBlock((unsigned char *)out, (unsigned char *)raw, (int)n);
  free(raw);
  while (m > 0 && out[m - 1] == '=') m--;
  out[m] = 0;
  for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return out;
}

static int decode_continue(const char *tok, int64_t *rev, char *start, size_t len) {
  size_t n = strlen(tok);
  if (n == 0 || n > 4096) return -1;
  char *std = malloc(n + 4);
  size_t k;
  for (k = 0; k < n; k++) std[k] = tok[k] == '-' ? '+' : tok[k] == '_' ? '/' : tok[k];
  while (k % 4) std[k++] = '=';
  std[k] = 0;
  unsigned char *raw = malloc(k);
  int m = EVP_DecodeBlock(raw, (const unsigned char *)std, (int)k);
  free(std);
  if (m < 0) {
    free(raw);
    return -1;
  }
  while (m > 0 && raw[m - 1] == 0) m--; /* padding */
  json_error_t je;
  json_t *t = json_loadb((char *)raw, (size_t)m, JSON_ALLOW_NUL, &je);
  free(raw);
  const char *v = json_string_value(json_object_get(t, "v"));
  json_t *s = json_object_get(t, "start");
  int rc = -1;
  if (v && !strcmp(v, "meta.k8s.io/v1") && json_is_string(s) && json_is_integer(json_object_get(t, "rv"))) {
    snprintf(start, len, "%s", json_string_value(s)); /* stops at the trailing NUL */
    *rev = json_integer_value(json_object_get(t, "rv"));
    rc = 0;
  }
  json_decref(t);
  return rc;
}

/* 422 "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: <type>: <detail>". */
static json_t *list_options_invalid(const char *reason, const char *type, const char *detail) {
  char msg[600], cause[400];
  snprintf(cause, sizeof cause, "%s: %s", type, detail);
  snprintf(msg, sizeof msg, "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: %s", cause);
  return status_failure(422, "Invalid", msg,
                        json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}", "group", "meta.k8s.io", "kind", "ListOptions", "causes",
                                  "reason", reason, "message", cause, "field", "resourceVersionMatch"));
}

/* Which revision a list reads: 0 = the latest state. */
static json_t *list_revision(api_server *srv, const api_list_opts *lo, int64_t token_rev, int64_t *at) {
  *at = token_rev;
  const char *rv = lo->resource_version, *match = lo->resource_version_match;
  bool has_rv = rv && *rv, has_match = match && *match;
  if (has_match && !has_rv)
    return list_options_invalid("FieldValueForbidden", "Forbidden",
                                "resourceVersionMatch is forbidden unless resourceVersion is provided");
  if (has_match && strcmp(match, "Exact") && strcmp(match, "NotOlderThan"))
    return status_bad_request("resourceVersionMatch: Unsupported value: \"%s\": supported values: \"Exact\", "
                              "\"NotOlderThan\"", match);
  if (token_rev && has_rv)
    return status_bad_request("specifying resource version is not allowed when using continue");
  if (!has_rv) return NULL;
  char *end;
  long long v = strtoll(rv, &end, 10);
  if (*end || v < 0) return status_bad_request("invalid resource version: %s", rv);
  if (has_match && !strcmp(match, "Exact")) {
    if (v == 0) return status_bad_request("resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"");
    *at = v;
    return NULL;
  }
  /* NotOlderThan (and the legacy form without a match): the latest state
   * serves, once the cache has caught up with v */
  if (v > cache_rev(srv->cache)) {
    int64_t cursor = api_await_published(srv, v, 3000);
    if (cursor < v) {
      char msg[160];
      snprintf(msg, sizeof msg, "Timeout: Too large resource version: %lld, current: %lld", v, (long long)cursor);
      return status_failure(504, "Timeout", msg,
                            json_pack("{s:[{s:s,s:s}],s:i}", "causes", "reason", "ResourceVersionTooLarge", "message",
                                      "Too large resource version", "retryAfterSeconds", 1));
    }
  }
  return NULL;
}

/* A converted version of o outside the cache (same key and revision). */
static cobj *detached(const cobj *o, json_t *obj) {
  cobj *c = calloc(1, sizeof *c);
  c->refs = 1;
  c->rev = o->rev;
  c->key = strdup(o->key);
  c->subkey = c->key + (o->subkey - o->key);
  c->data = json_dumps(obj, JSON_COMPACT);
  c->len = strlen(c->data);
  c->obj = obj;
  return c;
}

/* Custom resources with a conversion webhook: the items not written in r's
 * version go to the webhook in one ConversionReview, as kube-apiserver
 * converts a list, and are replaced by their converted versions. NULL, or
 * the webhook's failure (the whole list fails, as in kube-apiserver). */
static json_t *convert_items(api_server *srv, const resource *r, cobj_vec *items) {
  if (!r->ref.crd || !r->ref.crd->conversion || !items->n) return NULL;
  json_t **objs = calloc(items->n, sizeof *objs);
  for (size_t i = 0; i < items->n; i++) objs[i] = json_deep_copy(items->items[i]->obj);
  json_t *st = webhook_convert(srv->cache, r->ref.crd->conversion, objs, items->n, r->group_version);
  for (size_t i = 0; i < items->n; i++) {
    if (!st && !json_equal(objs[i], (json_t *)items->items[i]->obj)) {
      cobj *c = detached(items->items[i], objs[i]);
      cobj_unref(items->items[i]);
      items->items[i] = c;
    } else {
      json_decref(objs[i]);
    }
  }
  free(objs);
  return st;
}

json_t *api_list(api_server *srv, const resource *r, const char *ns, const api_list_opts *lo, cobj_vec *out,
                 int64_t *rev, char **cont, long long *remaining) {
  json_t *st = NULL;
  *cont = NULL;
  *remaining = -1;
  api_filter *f = api_filter_new(r, lo->label_selector, lo->field_selector, &st);
  if (st) return st;
  if (!r->ref.namespaced) ns = "";
  else if ((!ns || !*ns) && api_filter_namespace(f)) ns = api_filter_namespace(f);
  char start[600] = "";
  int64_t token_rev = 0, at = 0;
  if (lo->continue_token && *lo->continue_token &&
      decode_continue(lo->continue_token, &token_rev, start, sizeof start) != 0) {
    api_filter_free(f);
    return status_bad_request("invalid continue token: continue key is not valid: illegal base64 data at input byte 0");
  }
  if ((st = list_revision(srv, lo, token_rev, &at))) {
    api_filter_free(f);
    return st;
  }
  size_t limit = lo->limit > 0 ? (size_t)lo->limit : 0;
  const char *after = start[0] ? start : NULL;
  char last[600] = "";
  bool more = false;
  int64_t snap = 0;
  for (;;) {
    cobj_vec chunk = {0};
    size_t want = limit ? limit - out->n + 1 : 0;
    snap = at ? cache_list_at(srv->cache, r->bucket, ns, after, want, at, &chunk)
              : cache_list(srv->cache, r->bucket, ns, after, want, &chunk);
    if (snap < 0) {
      api_filter_free(f);
      if (token_rev)
        return status_expired("The provided continue parameter is too old to display a consistent list result. You "
                              "can start a new list without the continue parameter, or use the continue token in "
                              "this response to retrieve the remainder of the results. Continuing with the provided "
                              "token results in an inconsistent list - objects that were created, modified, or "
                              "deleted between the time the first chunk was returned and now may show up in the list.");
      return status_expired("The resourceVersion for the provided list is too old.");
    }
    /* a match's reference moves from the chunk to out; the rest are dropped with the chunk */
    bool selects = api_filter_selects(f);
    size_t i, seen = 0;
    for (i = 0; i < chunk.n; i++) {
      cobj *o = chunk.items[i];
      if (limit && out->n == limit) {
        more = true;
        break;
      }
      seen = i + 1;
      if (!selects || api_filter_match(f, o->obj)) {
        cobj_vec_push(out, o);
        chunk.items[i] = NULL;
      }
    }
    if (limit && seen) {
      const cobj *o = chunk.items[seen - 1] ? chunk.items[seen - 1] : out->items[out->n - 1];
      snprintf(last, sizeof last, "%s", o->subkey);
    }
    bool exhausted = !limit || chunk.n < want;
    cobj_vec_clear(&chunk);
    if (more || exhausted) break;
    after = last;
  }
  *rev = snap;
  if (more) {
    *cont = encode_continue(*rev, last);
    if (!at && !(lo->label_selector && *lo->label_selector) && !(lo->field_selector && *lo->field_selector))
      *remaining = (long long)cache_count_after(srv->cache, r->bucket, ns, last);
  }
  api_filter_free(f);
  if ((st = convert_items(srv, r, out))) {
    cobj_vec_clear(out);
    free(*cont);
    *cont = NULL;
  }
  return st;
}
