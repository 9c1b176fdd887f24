/* api_webhook.c - where the API core meets dynamic admission (webhook.h):
 * the admission attributes of a create, update (PUT, PATCH, subresources)
 * or delete - operation, namespace as kube-apiserver's request info gives
 * it, the operation's options object, the requester - and, after a
 * mutating webhook changed the object, the parts it may not change put
 * back: kube-apiserver runs mutating admission before the registry's
 * BeforeCreate/BeforeUpdate, so system metadata and the strategy's resets
 * (status on main-resource writes) win over a webhook's patch. */
#include "api_internal.h"
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

json_t *api_webhook_mutate(const resource *r, const char *sub, const char *ns, const char *name, json_t *obj,
                           const json_t *old, const api_opts *o) {
  if (!webhook_configured(true) || webhook_exempt(r, sub)) return NULL;
  const char *op = old ? "UPDATE" : "CREATE";
  wh_attrs a;
  attrs_of(&a, r, op, sub, ns, name, obj, old, o);
  json_t *opts = write_options(op, o);
  a.options = opts;
  json_t *before = json_deep_copy(obj);
  json_t *st = webhook_mutate(&a);
  if (!st && !json_equal(before, obj)) restore(r, sub && *sub ? sub : NULL, obj, before, old);
  json_decref(before);
  json_decref(opts);
  return st;
}

json_t *api_webhook_validate(const resource *r, const char *sub, const char *ns, const char *name, json_t *obj,
                             const json_t *old, const api_opts *o) {
  if (!webhook_configured(false) || webhook_exempt(r, sub)) return NULL;
  const char *op = old ? "UPDATE" : "CREATE";
  wh_attrs a;
  attrs_of(&a, r, op, sub, ns, name, obj, old, o);
  json_t *opts = write_options(op, o);
  a.options = opts;
  json_t *st = webhook_validate(&a);
  json_decref(opts);
  return st;
}

json_t *api_webhook_delete(const resource *r, const char *ns, const char *name, const json_t *cur,
                           const json_t *options, bool dry_run, const api_opts *o) {
  bool m = webhook_configured(true), v = webhook_configured(false);
  if ((!m && !v) || webhook_exempt(r, NULL)) return NULL;
  wh_attrs a;
  attrs_of(&a, r, "DELETE", NULL, ns, name, NULL, cur, o);
  a.dry_run = dry_run;
  json_t *opts = json_is_object(options) ? json_deep_copy(options) : json_object();
  json_object_set_new(opts, "kind", json_string("DeleteOptions"));
  json_object_set_new(opts, "apiVersion", json_string("meta.k8s.io/v1"));
  a.options = opts;
  json_t *st = m ? webhook_mutate(&a) : NULL;
  if (!st && v) st = webhook_validate(&a);
  json_decref(opts);
  return st;
}
