/* admission_limitrange.c - the LimitRanger plugin (1.20's
 * plugin/pkg/admission/limitranger): on pod creation, Container items'
 * default/defaultRequest fill missing limits/requests (noted in the
 * kubernetes.io/limit-ranger annotation); then pods are checked against
 * Container and Pod items (min, max, maxLimitRequestRatio) and claims
 * against PersistentVolumeClaim items (min, max of the request), with
 * LimitRanger's messages, several joined as "[a, b]". */
#include "admission.h"
#include "quantity.h"
#include "quota_eval.h"
#include "status.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char text[4096];
  int n;
} errlist;

static void err_add(errlist *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err_add(errlist *e, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t l = strlen(e->text);
  snprintf(e->text + l, sizeof e->text - l, "%s%s", e->n++ ? ", " : "", msg);
}

/* The aggregate's text: one error as it is, several in brackets. */
static void err_text(const errlist *e, char *out, size_t len) {
  snprintf(out, len, e->n > 1 ? "[%s]" : "%s", e->text);
}

static void limitranges(cache *c, const char *ns, cobj_vec *out) {
  const resource *r = registry_find("", "v1", "limitranges");
  if (r) cache_list(c, r->bucket, ns, NULL, 0, out);
}

static const json_t *items_of(const cobj *lr) {
  return json_object_get(json_object_get(lr->obj, "spec"), "limits");
}

static const char *canon(const json_t *v, char *buf, size_t len) {
  quantity q;
  if (!json_is_string(v) || quantity_parse(json_string_value(v), &q)) return json_string_value(v) ? json_string_value(v) : "";
  return quantity_format_str(&q, buf, len);
}

static int cmpq(const json_t *a, const json_t *b) {
  quantity x, y;
  if (quantity_parse(json_string_value(a) ? json_string_value(a) : "0", &x)) quantity_parse("0", &x);
  if (quantity_parse(json_string_value(b) ? json_string_value(b) : "0", &y)) quantity_parse("0", &y);
  return quantity_cmp(&x, &y);
}

static void min_constraint(errlist *e, const char *type, const char *res, const json_t *enforced, const json_t *req,
                           const json_t *lim) {
  char eb[64], vb[64];
  const json_t *r = json_object_get(req, res), *l = json_object_get(lim, res);
  if (!r)
    err_add(e, "minimum %s usage per %s is %s.  No request is specified", res, type, canon(enforced, eb, sizeof eb));
  else if (cmpq(r, enforced) < 0)
    err_add(e, "minimum %s usage per %s is %s, but request is %s", res, type, canon(enforced, eb, sizeof eb),
            canon(r, vb, sizeof vb));
  else if (l && cmpq(l, enforced) < 0)
    err_add(e, "minimum %s usage per %s is %s, but limit is %s", res, type, canon(enforced, eb, sizeof eb),
            canon(l, vb, sizeof vb));
}

static void max_constraint(errlist *e, const char *type, const char *res, const json_t *enforced, const json_t *req,
                           const json_t *lim) {
  char eb[64], vb[64];
  const json_t *r = json_object_get(req, res), *l = json_object_get(lim, res);
  if (!l)
    err_add(e, "maximum %s usage per %s is %s.  No limit is specified", res, type, canon(enforced, eb, sizeof eb));
  else if (cmpq(l, enforced) > 0)
    err_add(e, "maximum %s usage per %s is %s, but limit is %s", res, type, canon(enforced, eb, sizeof eb),
            canon(l, vb, sizeof vb));
  else if (r && cmpq(r, enforced) > 0)
    err_add(e, "maximum %s usage per %s is %s, but request is %s", res, type, canon(enforced, eb, sizeof eb),
            canon(r, vb, sizeof vb));
}

static void max_request_constraint(errlist *e, const char *type, const char *res, const json_t *enforced,
                                   const json_t *req) {
  char eb[64], vb[64];
  const json_t *r = json_object_get(req, res);
  if (!r)
    err_add(e, "maximum %s usage per %s is %s.  No request is specified", res, type, canon(enforced, eb, sizeof eb));
  else if (cmpq(r, enforced) > 0)
    err_add(e, "maximum %s usage per %s is %s, but request is %s", res, type, canon(enforced, eb, sizeof eb),
            canon(r, vb, sizeof vb));
}

static void ratio_constraint(errlist *e, const char *type, const char *res, const json_t *enforced, const json_t *req,
                             const json_t *lim) {
  char eb[64];
  quantity rq, lq, eq;
  const json_t *r = json_object_get(req, res), *l = json_object_get(lim, res);
  bool have_r = r && !quantity_parse(json_string_value(r), &rq) && quantity_milli(&rq) != 0;
  bool have_l = l && !quantity_parse(json_string_value(l), &lq) && quantity_milli(&lq) != 0;
  if (!have_r) {
    err_add(e, "%s max limit to request ratio per %s is %s, but no request is specified or request is 0", res, type,
            canon(enforced, eb, sizeof eb));
    return;
  }
  if (!have_l) {
    err_add(e, "%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", res, type,
            canon(enforced, eb, sizeof eb));
    return;
  }
  if (quantity_parse(json_string_value(enforced), &eq)) return;
  double ratio = (double)quantity_milli(&lq) / (double)quantity_milli(&rq);
  if (ratio * 1000 > (double)quantity_milli(&eq))
    err_add(e, "%s max limit to request ratio per %s is %s, but provided ratio is %f", res, type,
            canon(enforced, eb, sizeof eb), ratio);
}

static const json_t *resources_of(const json_t *container, const char *field) {
  return json_object_get(json_object_get(container, "resources"), field);
}

/* Container item checks for every container and init container. */
static void check_containers(errlist *e, const json_t *item, const json_t *spec) {
  static const char *const lists[] = {"containers", "initContainers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, lists[l]), i, c) {
      const json_t *req = resources_of(c, "requests"), *lim = resources_of(c, "limits");
      const char *k;
      json_t *v;
      json_object_foreach(json_object_get(item, "min"), k, v) min_constraint(e, "Container", k, v, req, lim);
      json_object_foreach(json_object_get(item, "max"), k, v) max_constraint(e, "Container", k, v, req, lim);
      json_object_foreach(json_object_get(item, "maxLimitRequestRatio"), k, v)
          ratio_constraint(e, "Container", k, v, req, lim);
    }
  }
}

static void check_pod(errlist *e, const json_t *item, const json_t *spec) {
  json_t *req = quota_pod_resources(spec, "requests"), *lim = quota_pod_resources(spec, "limits");
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(item, "min"), k, v) min_constraint(e, "Pod", k, v, req, lim);
  json_object_foreach(json_object_get(item, "max"), k, v) max_constraint(e, "Pod", k, v, req, lim);
  json_object_foreach(json_object_get(item, "maxLimitRequestRatio"), k, v) ratio_constraint(e, "Pod", k, v, req, lim);
  json_decref(req);
  json_decref(lim);
}

static void check_claim(errlist *e, const json_t *item, const json_t *spec) {
  const json_t *req = json_object_get(json_object_get(spec, "resources"), "requests");
  json_t *none = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(item, "min"), k, v) min_constraint(e, "PersistentVolumeClaim", k, v, req, none);
  json_object_foreach(json_object_get(item, "max"), k, v) max_request_constraint(e, "PersistentVolumeClaim", k, v, req);
  json_decref(none);
}

json_t *admit_limitrange_limits(cache *c, const resource *r, const char *ns, const char *name, const json_t *obj) {
  cobj_vec lrs = {0};
  limitranges(c, ns, &lrs);
  bool pod = !strcmp(r->ref.plural, "pods");
  const json_t *spec = json_object_get(obj, "spec");
  errlist all = {0};
  for (size_t i = 0; i < lrs.n; i++) {
    errlist e = {0};
    size_t k;
    json_t *item;
    json_array_foreach(items_of(lrs.items[i]), k, item) {
      const char *type = json_string_value(json_object_get(item, "type"));
      if (!type) continue;
      if (pod && !strcmp(type, "Container")) check_containers(&e, item, spec);
      else if (pod && !strcmp(type, "Pod")) check_pod(&e, item, spec);
      else if (!pod && !strcmp(type, "PersistentVolumeClaim")) check_claim(&e, item, spec);
    }
    if (e.n) {
      char text[4096];
      err_text(&e, text, sizeof text);
      err_add(&all, "%s", text);
    }
  }
  cobj_vec_clear(&lrs);
  if (!all.n) return NULL;
  char why[4096];
  err_text(&all, why, sizeof why);
  return status_forbidden(r, name, why);
}

/* Fills the missing keys of want from defaults; appends their names to set. */
static void merge_defaults(json_t *container, const char *field, const json_t *defaults, char *set, size_t len) {
  if (!json_object_size(defaults)) return;
  json_t *res = json_object_get(container, "resources");
  if (!json_is_object(res)) json_object_set_new(container, "resources", res = json_object());
  json_t *have = json_object_get(res, field);
  if (!json_is_object(have)) json_object_set_new(res, field, have = json_object());
  const char *keys[32];
  size_t n = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)defaults, k, v) {
    if (!json_object_get(have, k)) {
      json_object_set(have, k, v);
      if (n < 32) keys[n++] = k;
    }
  }
  for (size_t i = 1; i < n; i++) /* sorted, as sort.Strings */
    for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
      const char *t = keys[j];
      keys[j] = keys[j - 1];
      keys[j - 1] = t;
    }
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(set);
    snprintf(set + l, len - l, "%s%s", i ? ", " : "", keys[i]);
  }
}

json_t *admit_limitrange_defaults(cache *c, const resource *r, const char *ns, json_t *obj) {
  cobj_vec lrs = {0};
  limitranges(c, ns, &lrs);
  json_t *spec = json_object_get(obj, "spec");
  for (size_t i = 0; i < lrs.n; i++) {
    json_t *limits = json_object(), *requests = json_object();
    size_t k;
    json_t *item;
    json_array_foreach(items_of(lrs.items[i]), k, item) {
      const char *type = json_string_value(json_object_get(item, "type"));
      if (!type || strcmp(type, "Container")) continue;
      json_object_update(requests, json_object_get(item, "defaultRequest"));
      json_object_update(limits, json_object_get(item, "default"));
    }
    char note[4096] = "";
    static const char *const lists[] = {"containers", "initContainers", NULL};
    static const char *const what[] = {"container", "init container"};
    for (int l = 0; lists[l]; l++) {
      size_t j;
      json_t *c;
      json_array_foreach(json_object_get(spec, lists[l]), j, c) {
        char req_set[512] = "", lim_set[512] = "";
        merge_defaults(c, "limits", limits, lim_set, sizeof lim_set);
        merge_defaults(c, "requests", requests, req_set, sizeof req_set);
        const char *cname = json_string_value(json_object_get(c, "name"));
        size_t n = strlen(note);
        if (*req_set)
          n += snprintf(note + n, sizeof note - n, "%s%s request for %s %s", n ? "; " : "", req_set, what[l],
                        cname ? cname : "");
        if (*lim_set && n < sizeof note)
          snprintf(note + n, sizeof note - n, "%s%s limit for %s %s", n ? "; " : "", lim_set, what[l],
                   cname ? cname : "");
      }
    }
    if (*note) {
      json_t *md = json_object_get(obj, "metadata");
      json_t *ann = json_object_get(md, "annotations");
      if (!json_is_object(ann)) json_object_set_new(md, "annotations", ann = json_object());
      char val[4200];
      snprintf(val, sizeof val, "LimitRanger plugin set: %s", note);
      json_object_set_new(ann, "kubernetes.io/limit-ranger", json_string(val));
    }
    json_decref(limits);
    json_decref(requests);
  }
  cobj_vec_clear(&lrs);
  return NULL;
}
