/* api_webhook.c - where the API core meets dynamic admission (webhook.h):
 * the admission attributes of a create, update (PUT, PATCH, subresources)
 * or delete - operation, namespace as kube-apiserver's request info gives
 * it, the operation's options object, the requester - and, after a
 * mutating webhook changed the object, the parts it may not change put
 * back: kube-apiserver runs mutating admission before the registry's
 * BeforeCreate/BeforeUpdate, so system metadata and the strategy's resets
 * (status on main-resource writes) win over a webhook's patch. */
#include "object_meta.h"
#include "admission.h"
#include "kinds.h"
#include "webhook.h"
#include <string.h>

/* The namespace of the admission attributes: the request's; for a
 * Namespace its own name, except on create (POST /api/v1/namespaces). */
static const char *attr_namespace(const resource *r, const char *op, const char *ns, const char *name) {
  if (!r->ref.namespaced && !r->ref.group[0] && !strcmp(r->ref.plural, "namespaces"))
    return strcmp(op, "CREATE") != 0 && name ? name : "";
  return r->ref.namespaced && ns ? ns : "";
}

/* CreateOptions, UpdateOptions or PatchOptions as meta.k8s.io/v1 sends them. */
static json_t *write_options(const char *op, const api_opts *o) {
  const char *kind = !strcmp(op, "CREATE") ? "CreateOptions" : o && o->patch ? "PatchOptions" : "UpdateOptions";
  json_t *opts = json_pack("{s:s,s:s}", "kind", kind, "apiVersion", "meta.k8s.io/v1");
  if (o && o->dry_run) json_object_set_new(opts, "dryRun", json_pack("[s]", "All"));
  if (o && o->field_manager && *o->field_manager)
    json_object_set_new(opts, "fieldManager", json_string(o->field_manager));
  if (o && o->patch && o->force) json_object_set_new(opts, "force", json_true());
  return opts;
}

static void attrs_of(wh_attrs *a, const resource *r, const char *op, const char *sub, const char *ns,
                     const char *name, json_t *obj, const json_t *old, const api_opts *o) {
  memset(a, 0, sizeof *a);
  a->operation = op;
  a->r = r;
  a->sub = sub ? sub : "";
  a->ns = attr_namespace(r, op, ns, name);
  a->name = name ? name : "";
  a->obj = obj;
  a->old = old;
  a->dry_run = o && o->dry_run;
  a->user = o ? o->user : NULL;
  a->warnings = o ? o->warnings : NULL;
}

/* Puts back what the registry sets itself after admission. */
static void restore(const resource *r, const char *sub, json_t *obj, const json_t *before, const json_t *old) {
  static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                                     "generation", "namespace", NULL};
  json_t *md = meta_of(obj);
  const json_t *from = json_object_get(old ? old : before, "metadata");
  for (int i = 0; keep[i]; i++) {
    const json_t *v = json_object_get(from, keep[i]);
    if (v) json_object_set_new(md, keep[i], json_deep_copy(v)); /* old may be published: never share */
    else json_object_del(md, keep[i]);
  }
  json_object_set_new(obj, "apiVersion", json_string(r->group_version));
  json_object_set_new(obj, "kind", json_string(r->ref.kind));
  if (old) kinds_prepare_update(&r->ref, sub, obj, old);
  else kinds_prepare_create(&r->ref, obj);
}

static const char *op_name(admission_op op) {
  return op == ADMIT_CREATE ? "CREATE" : op == ADMIT_UPDATE ? "UPDATE" : "DELETE";
}

/* The operation's options object: CreateOptions, UpdateOptions or
 * PatchOptions as meta.k8s.io/v1 sends them, or the request's DeleteOptions. */
static json_t *options_of(const admission_request *a) {
  if (a->op != ADMIT_DELETE) return write_options(op_name(a->op), a->o);
  json_t *opts = json_is_object(a->options) ? json_deep_copy(a->options) : json_object();
  json_object_set_new(opts, "kind", json_string("DeleteOptions"));
  json_object_set_new(opts, "apiVersion", json_string("meta.k8s.io/v1"));
  return opts;
}

/* A webhook call's attributes and options for a (w->options is new: release it). */
static void webhook_attrs(wh_attrs *w, const admission_request *a) {
  attrs_of(w, a->r, op_name(a->op), a->sub, a->ns, a->asked, a->obj, a->old, a->o);
  w->dry_run = a->dry_run;
  w->cache = a->cache;
  w->options = options_of(a);
}

json_t *api_webhook_mutate(admission_request *a) {
  if (!webhook_configured(a->cache, true) || webhook_exempt(a->r, a->sub)) return NULL;
  wh_attrs w;
  webhook_attrs(&w, a);
  json_t *before = a->obj ? json_deep_copy(a->obj) : NULL;
  json_t *st = webhook_mutate(&w);
  if (!st && a->obj && !json_equal(before, a->obj))
    restore(a->r, a->sub && *a->sub ? a->sub : NULL, a->obj, before, a->old);
  json_decref(before);
  json_decref_const(w.options);
  return st;
}

json_t *api_webhook_validate(admission_request *a) {
  if (!webhook_configured(a->cache, false) || webhook_exempt(a->r, a->sub)) return NULL;
  wh_attrs w;
  webhook_attrs(&w, a);
  json_t *st = webhook_validate(&w);
  json_decref_const(w.options);
  return st;
}
