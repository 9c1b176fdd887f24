/* api.c - create, get, update and delete in the API core (patch is in
 * api_patch.c, list in api_list.c). Each write follows kube-apiserver's
 * generic registry: decode + default, BeforeCreate/BeforeUpdate (system
 * metadata, strategy hooks, validation), admission with state, then a
 * compare-and-swap on the object's revision, retried when the client did not
 * ask for a specific resourceVersion. */
#include "api_internal.h"
#include "object_convert.h"
#include "admission.h"
#include "crd.h"
#include "kinds.h"
#include "log.h"
#include "unknown_fields.h"
#include "webhook.h"
#include "timestamp.h"
#include "finalizers.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RETRIES 32

json_t *quota_used(api_server *srv, const char *ns, const json_t *spec, const json_t *hard, const resource *skip_r,
                   const char *skip_name) {
  return quota_used_in(srv->cache, ns, spec, hard, skip_r, skip_name);
}

int64_t api_await_published(api_server *srv, int64_t rev, int timeout_ms) {
  return cache_wait_rev(srv->cache, rev, timeout_ms);
}

api_result api_fail(json_t *status) {
  api_result r = {(int)json_integer_value(json_object_get(status, "code")), status, NULL};
  return r;
}

void api_result_clear(api_result *res) {
  json_decref(res->body);
  cobj_unref(res->obj);
  res->body = NULL;
  res->obj = NULL;
}

json_t *api_result_json(const api_result *res) {
  if (res->body) return json_incref(res->body);
  if (res->obj) return json_deep_copy(res->obj->obj);
  return NULL;
}

static const resource *storage_of(const resource *r) { return registry_storage_resource(r); }

static bool same_version(const resource *r) { return storage_of(r) == r; }

static bool by_webhook(const resource *r) { return object_converted_by_webhook(r); }

static int convert(api_server *srv, const resource *r, json_t *obj, const char *from, const char *to, json_t **status) {
  return object_convert_version(srv->cache, r, obj, from, to, status);
}

/* Whether a stored object needs converting to be served as r. */
static bool needs_conversion(const resource *r, const json_t *stored) {
  if (!by_webhook(r)) return !same_version(r);
  const char *av = json_string_value(json_object_get(stored, "apiVersion"));
  return !av || strcmp(av, r->group_version) != 0;
}

bool api_stored_as_served(const resource *r) {
  return same_version(r) && !(r->ref.crd && (r->ref.crd->defaults || r->ref.crd->conversion));
}

const json_t *api_to_version(api_server *srv, const resource *r, const json_t *stored) {
  if (api_stored_as_served(r)) return json_incref_const(stored);
  return api_version_copy(srv, r, stored);
}

/* A stored object in r's version (a copy), or NULL with *status set (the
 * conversion webhook's failure) when status is given. */
static json_t *version_copy(api_server *srv, const resource *r, const json_t *stored, json_t **status) {
  json_t *copy = json_deep_copy(stored);
  if (needs_conversion(r, copy) && convert(srv, r, copy, storage_of(r)->group_version, r->group_version, status) != 0) {
    if (status && *status) { /* the conversion webhook failed */
      json_decref(copy);
      return NULL;
    }
    LOGW("no conversion of %s from %s to %s", r->ref.kind, storage_of(r)->group_version, r->group_version);
  }
  if (r->ref.crd && r->ref.crd->defaults) kinds_default(&r->ref, copy);
  return copy;
}

json_t *api_version_copy(api_server *srv, const resource *r, const json_t *stored) {
  return version_copy(srv, r, stored, NULL);
}

json_t *api_version_checked(api_server *srv, const resource *r, const json_t *stored, json_t **status) {
  *status = NULL;
  return version_copy(srv, r, stored, status);
}

int api_convert(api_server *srv, const resource *from, const resource *to, json_t *obj) {
  return object_convert(srv->cache, from, to, obj);
}

/* Converts a request-version object to the storage version, in place:
 * NULL, or the conversion webhook's failure (new reference). */
static json_t *to_storage(api_server *srv, const resource *r, json_t *obj) {
  json_t *st = NULL;
  if (!same_version(r)) convert(srv, r, obj, r->group_version, storage_of(r)->group_version, &st);
  return st;
}

/* to_storage, then the fields in the order they are stored in. */
static json_t *to_stored_form(api_server *srv, const resource *r, json_t *obj) {
  json_t *st = to_storage(srv, r, obj);
  if (!st) api_canonical_order(r, obj);
  return st;
}

/* A write refused once admission has begun: releases a and obj, fails with st. */
static api_result refuse(admission_request *a, json_t *obj, json_t *st) {
  admission_release(a);
  json_decref(obj);
  return api_fail(st);
}

/* A stored version as a result in r's version. */
static api_result result_of(api_server *srv, const resource *r, int code, cobj *o) {
  api_result res = {code, NULL, NULL};
  if (api_stored_as_served(r)) res.obj = o;
  else {
    json_t *st = NULL;
    res.body = version_copy(srv, r, o->obj, &st);
    cobj_unref(o);
    if (st) return api_fail(st);
  }
  return res;
}

api_result api_get(api_server *srv, const resource *r, const char *ns, const char *name) {
  cobj *o = cache_get(srv->cache, r->bucket, r->ref.namespaced ? ns : "", name);
  if (!o) return api_fail(status_not_found(r, name));
  return result_of(srv, r, 200, o);
}

json_t *api_check_type(const resource *r, json_t *obj) {
  const char *av = json_string_value(json_object_get(obj, "apiVersion"));
  const char *kind = json_string_value(json_object_get(obj, "kind"));
  if (av && *av && strcmp(av, r->group_version) != 0)
    return status_bad_request("the API version in the data (%s) does not match the expected API version (%s)", av,
                              r->group_version);
  if (kind && *kind && strcmp(kind, r->ref.kind) != 0)
    return status_bad_request("the kind in the data (%s) does not match the expected kind (%s)", kind, r->ref.kind);
  json_object_set_new(obj, "apiVersion", json_string(r->group_version));
  json_object_set_new(obj, "kind", json_string(r->ref.kind));
  return NULL;
}

static json_t *check_namespace(const resource *r, json_t *obj, const char *ns) {
  json_t *md = meta_of(obj);
  if (!r->ref.namespaced) {
    json_object_del(md, "namespace");
    return NULL;
  }
  const char *have = json_string_value(json_object_get(md, "namespace"));
  if (have && *have && strcmp(have, ns) != 0)
    return status_bad_request("the namespace of the provided object does not match the namespace sent on the request");
  json_object_set_new(md, "namespace", json_string(ns));
  return NULL;
}

/* Unknown fields per the request's fieldValidation. */
static json_t *check_fields(const resource *r, const json_t *obj, const api_opts *o) {
  if (!o || o->validation == FV_IGNORE) return NULL;
  if (!r->ref.crd && (!r->definition || !*r->definition)) return NULL;
  json_t *found = json_array();
  if (r->ref.crd) cr_unknown_fields(&r->ref, obj, found);
  else unknown_fields(registry_definitions(), r->definition, obj, found);
  json_t *err = NULL;
  if (json_array_size(found)) {
    if (o->validation == FV_STRICT) {
      char msg[2048] = "strict decoding error: ";
      size_t i;
      json_t *v;
      json_array_foreach(found, i, v) {
        size_t l = strlen(msg);
        snprintf(msg + l, sizeof msg - l, "%s%s", i ? ", " : "", json_string_value(v));
      }
      err = status_bad_request("%s", msg);
    } else if (o->warnings) {
      json_array_extend(o->warnings, found);
    }
  }
  json_decref(found);
  return err;
}

/* Custom resources cannot be created while their CRD is being deleted. */
static json_t *check_crd_terminating(const resource *r) {
  if (!r->ref.crd || !atomic_load(&r->ref.crd->terminating)) return NULL;
  json_t *st = status_method_not_allowed(r, "create");
  json_object_set_new(st, "message", json_string("create not allowed while custom resource definition is terminating"));
  return st;
}

static json_t *validate(const resource *r, const json_t *obj, const json_t *old) {
  field_errors *fe = field_errors_new();
  kinds_validate(&r->ref, obj, old, fe);
  json_t *st = NULL;
  if (fe_count(fe)) {
    const char *name = meta_str(obj, "name");
    st = fe_to_status(fe, r->ref.group, r->ref.kind, name ? name : "");
  }
  field_errors_free(fe);
  return st;
}

api_result api_create(api_server *srv, const resource *r, const char *ns, json_t *obj, const api_opts *o) {
  json_t *st = NULL;
  if (!json_is_object(obj)) {
    json_decref(obj);
    return api_fail(status_bad_request("the body of the request was not a JSON object"));
  }
  if ((st = api_check_type(r, obj)) || (st = check_namespace(r, obj, ns)) || (st = check_fields(r, obj, o)) ||
      (st = check_crd_terminating(r))) {
    json_decref(obj);
    return api_fail(st);
  }
  json_t *md = meta_of(obj);
  const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
  if (rv && *rv) {
    json_decref(obj);
    return api_fail(status_internal("resourceVersion should not be set on objects to be created"));
  }
  const char *name = json_string_value(json_object_get(md, "name"));
  const char *gen = json_string_value(json_object_get(md, "generateName"));
  bool generated = (!name || !*name) && gen && *gen;
  if (generated) {
    char suffix[8], full[512];
    meta_random_suffix(suffix, 5);
    snprintf(full, sizeof full, "%.*s%s", 58, gen, suffix);
    json_object_set_new(md, "name", json_string(full));
  }
  char uid[40], now[32];
  meta_new_uid(uid, sizeof uid);
  rfc3339_now(now, sizeof now);
  json_object_set_new(md, "uid", json_string(uid));
  json_object_set_new(md, "creationTimestamp", json_string(now));
  json_object_del(md, "deletionTimestamp");
  json_object_del(md, "deletionGracePeriodSeconds");
  json_object_del(md, "selfLink");
  if (tracks_generation(r)) json_object_set_new(md, "generation", json_integer(1));
  else json_object_del(md, "generation");

  kinds_default(&r->ref, obj);
  kinds_prepare_create(&r->ref, obj);
  csr_prepare_create(&r->ref, obj, o ? o->user : NULL);
  char name_buf[512]; /* a copy: a mutating webhook's patch replaces the object's metadata */
  snprintf(name_buf, sizeof name_buf, "%s", meta_str(obj, "name") ? meta_str(obj, "name") : "");
  name = name_buf;
  char shown[512]; /* the name admission errors show: generateName if the name was generated */
  snprintf(shown, sizeof shown, "%s", generated ? meta_str(obj, "generateName") : name);
  admission_request a = {.op = ADMIT_CREATE, .r = r, .ns = r->ref.namespaced ? ns : "", .name = name, .shown = shown,
                         .asked = generated ? "" : name, /* webhooks are told no name while it is to be generated */
                         .obj = obj, .o = o, .dry_run = o && o->dry_run, .cache = srv->cache};
  /* mutating admission, the kind's validation, the registry's allocation
   * (service REST allocates before validating admission), validating admission */
  if ((st = rbac_escalation_check(&a)) || (st = admission_mutate(&a)) || (st = validate(r, obj, NULL)) ||
      (st = service_allocate(srv, r, obj, NULL)) ||
      (st = admission_validate(&a)))
    return refuse(&a, obj, st);
  if (a.dry_run) {
    admission_release(&a);
    return (api_result){201, obj, NULL};
  }

  if ((st = to_stored_form(srv, r, obj))) return refuse(&a, obj, st);
  char err[256];
  cobj *out = NULL;
  char *name_copy = strdup(meta_str(obj, "name") ? meta_str(obj, "name") : name);
  int rc = cache_write(srv->cache, r->bucket, r->ref.namespaced ? ns : "", name_copy, 0, obj, false, &out, NULL, err,
                       sizeof err);
  admission_release(&a);
  api_result res;
  if (rc == CW_OK) res = result_of(srv, r, 201, out);
  else if (rc == CW_CONFLICT) res = api_fail(status_already_exists(r, name_copy));
  else res = api_fail(status_internal("%s", err));
  free(name_copy);
  return res;
}

/* Carries system metadata from old into obj and runs the update strategy. */
static json_t *prepare_update(api_server *srv, const resource *r, const char *sub, json_t *obj, const json_t *old,
                              const api_opts *o, admission_request *a) {
  json_t *md = meta_of(obj);
  const json_t *omd = json_object_get(old, "metadata");
  const char *uid = json_string_value(json_object_get(md, "uid"));
  const char *ouid = json_string_value(json_object_get(omd, "uid"));
  if (uid && *uid && ouid && strcmp(uid, ouid) != 0) {
    char why[256];
    snprintf(why, sizeof why, "Precondition failed: UID in precondition: %s, UID in object meta: %s", uid, ouid);
    return status_conflict(r, meta_str(old, "name"), why);
  }
  static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                                     "generation", "namespace", "name", NULL};
  for (int i = 0; keep[i]; i++) {
    const json_t *v = json_object_get(omd, keep[i]);
    if (v) json_object_set_new(md, keep[i], json_deep_copy(v)); /* old may be published: never share */
    else json_object_del(md, keep[i]);
  }
  json_object_del(md, "selfLink");
  if (sub && !strcmp(sub, "finalize")) {
    /* namespaces/finalize changes spec.finalizers and nothing else */
    json_t *fin = json_incref(json_object_get(json_object_get(obj, "spec"), "finalizers"));
    json_t *copy = json_deep_copy(old);
    json_object_clear(obj);
    json_object_update(obj, copy);
    json_decref(copy);
    json_t *spec = json_object_get(obj, "spec");
    if (!json_is_object(spec)) json_object_set_new(obj, "spec", spec = json_object());
    if (fin) json_object_set_new(spec, "finalizers", fin);
    else json_object_del(spec, "finalizers");
    return NULL;
  }
  json_t *st = sub ? NULL : check_fields(r, obj, o);
  if (st) return st;
  kinds_default(&r->ref, obj);
  kinds_prepare_update(&r->ref, sub, obj, old);
  const char *ns = meta_str(old, "namespace"), *name = meta_str(old, "name");
  *a = (admission_request){.op = ADMIT_UPDATE, .r = r, .sub = sub, .ns = r->ref.namespaced && ns ? ns : "",
                           .name = name, .shown = name, .asked = name, .obj = obj, .old = old, .o = o,
                           .dry_run = o && o->dry_run, .cache = srv->cache};
  if ((st = rbac_escalation_check(a)) || (st = admission_mutate(a)) || (st = validate(r, obj, old))) return st;
  bool changed = r->ref.crd ? cr_generation_changed(&r->ref, obj, old) : spec_changed(obj, old);
  if (tracks_generation(r) && changed) {
    json_int_t g = json_integer_value(json_object_get(omd, "generation"));
    json_object_set_new(md, "generation", json_integer(g + 1));
  }
  if ((st = service_allocate(srv, r, obj, old))) return st;
  return admission_validate(a);
}

/* Whether an object marked for deletion has nothing left holding it. */
static bool deletion_complete(const resource *r, const json_t *obj) {
  if (!meta_str(obj, "deletionTimestamp") || finalizers_any(obj)) return false;
  if (!strcmp(r->ref.plural, "namespaces") && !r->ref.group[0])
    return json_array_size(json_object_get(json_object_get(obj, "spec"), "finalizers")) == 0;
  return true;
}

api_result api_write_update(api_server *srv, const resource *r, const char *ns, const char *name, const char *sub,
                            json_t *obj, cobj *cur, const json_t *old, const api_opts *o, bool *retry) {
  *retry = false;
  admission_request a = {0};
  json_t *st = prepare_update(srv, r, sub, obj, old, o, &a);
  if (st || same_but_rv(obj, old) || (o && o->dry_run)) admission_release(&a);
  if (st) {
    json_decref(obj);
    return api_fail(st);
  }
  if (same_but_rv(obj, old)) {
    json_decref(obj);
    return result_of(srv, r, 200, cobj_ref(cur));
  }
  if (o && o->dry_run) return (api_result){200, obj, NULL};
  bool del = deletion_complete(r, obj);
  if ((st = to_stored_form(srv, r, obj))) return refuse(&a, obj, st);
  char err[256];
  cobj *out = NULL;
  int64_t now_rev = 0;
  int rc = cache_write(srv->cache, r->bucket, ns, name, cur->rev, obj, del, &out, &now_rev, err, sizeof err);
  admission_release(&a);
  if (rc == CW_OK) return result_of(srv, r, 200, out);
  if (rc == CW_CONFLICT) {
    *retry = true;
    return (api_result){0, NULL, NULL};
  }
  return api_fail(status_internal("%s", err));
}

api_result api_store_unchecked(api_server *srv, const resource *r, const char *ns, const char *name, json_t *obj,
                               cobj *cur) {
  json_t *st = to_stored_form(srv, r, obj);
  if (st) {
    json_decref(obj);
    return api_fail(st);
  }
  char err[256];
  cobj *out = NULL;
  int rc = cache_write(srv->cache, r->bucket, r->ref.namespaced ? ns : "", name, cur->rev, obj, false, &out, NULL, err,
                       sizeof err);
  if (rc == CW_OK) return result_of(srv, r, 200, out);
  if (rc == CW_CONFLICT) return (api_result){0, NULL, NULL};
  return api_fail(status_internal("%s", err));
}

static const char *const modified_msg =
    "the object has been modified; please apply your changes to the latest version and try again";

api_result api_update(api_server *srv, const resource *r, const char *ns, const char *name, const char *sub,
                      json_t *obj, const api_opts *o) {
  json_t *st;
  if (!r->ref.namespaced) ns = "";
  if (!json_is_object(obj)) {
    json_decref(obj);
    return api_fail(status_bad_request("the body of the request was not a JSON object"));
  }
  if ((st = api_check_type(r, obj)) || (st = check_namespace(r, obj, ns))) {
    json_decref(obj);
    return api_fail(st);
  }
  const char *bname = meta_str(obj, "name");
  if (!bname || strcmp(bname, name) != 0) {
    st = status_bad_request("the name of the object (%s) does not match the name on the URL (%s)",
                            bname ? bname : "", name);
    json_decref(obj);
    return api_fail(st);
  }
  int64_t want = meta_rv(obj);
  if (want < 0) {
    json_decref(obj);
    return api_fail(status_bad_request("invalid resourceVersion"));
  }
  for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
    cobj *cur = cache_get_latest(srv->cache, r->bucket, ns, name);
    if (!cur) {
      json_decref(obj);
      return api_fail(status_not_found(r, name));
    }
    if (want && want != cur->rev) {
      api_await_published(srv, cur->rev, 1000); /* the client's next GET sees what it conflicted with */
      cobj_unref(cur);
      json_decref(obj);
      return api_fail(status_conflict(r, name, modified_msg));
    }
    const json_t *old = api_to_version(srv, r, cur->obj);
    bool retry;
    api_result res = api_write_update(srv, r, ns, name, sub, json_deep_copy(obj), cur, old, o, &retry);
    json_decref_const(old);
    cobj_unref(cur);
    if (!retry) {
      json_decref(obj);
      return res;
    }
    if (want) break;
  }
  json_decref(obj);
  return api_fail(status_conflict(r, name, modified_msg));
}

static bool is_pod(const resource *r) { return !r->ref.group[0] && !strcmp(r->ref.plural, "pods"); }

/* Pods bound to a node are deleted gracefully: the kubelet (node agent)
 * finishes the deletion once the containers stopped. */
static long long pod_grace(const json_t *pod, const json_t *options) {
  const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
  const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
  if (!node || !*node) return 0;
  if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) return 0;
  json_t *g = json_object_get(options, "gracePeriodSeconds");
  if (json_is_integer(g)) return json_integer_value(g);
  json_t *t = json_object_get(json_object_get(pod, "spec"), "terminationGracePeriodSeconds");
  return json_is_integer(t) ? json_integer_value(t) : 30;
}

/* A delete's precondition conflict: kube-apiserver's BeforeDelete names the
 * kind where other conflicts name the resource ("ConfigMap \"x\""). */
static json_t *delete_conflict(const resource *r, const char *name, const char *why) {
  char gk[256], msg[1024];
  snprintf(msg, sizeof msg, "Operation cannot be fulfilled on %s \"%s\": %s",
           group_resource(r->ref.group, r->ref.kind, gk, sizeof gk), name, why);
  json_t *d = json_pack("{s:s}", "name", name);
  if (r->ref.group[0]) json_object_set_new(d, "group", json_string(r->ref.group));
  json_object_set_new(d, "kind", json_string(r->ref.kind));
  return status_failure(409, "Conflict", msg, d);
}

api_result api_delete(api_server *srv, const resource *r, const char *ns, const char *name, const json_t *options,
                      const api_opts *o) {
  if (!r->ref.namespaced) ns = "";
  const json_t *pre = json_object_get(options, "preconditions");
  const char *pre_uid = json_string_value(json_object_get(pre, "uid"));
  const char *pre_rv = json_string_value(json_object_get(pre, "resourceVersion"));
  const char *policy = json_string_value(json_object_get(options, "propagationPolicy"));
  json_t *orphan = json_object_get(options, "orphanDependents");
  if (!policy && json_is_boolean(orphan)) policy = json_is_true(orphan) ? "Orphan" : "Background";
  /* core/v1 ReplicationControllers orphan their pods unless told otherwise
   * (kube-apiserver keeps that default for backward compatibility) */
  if (!policy && !r->ref.group[0] && !strcmp(r->ref.plural, "replicationcontrollers")) policy = "Orphan";
  if (policy && strcmp(policy, "Orphan") && strcmp(policy, "Foreground") && strcmp(policy, "Background")) {
    field_errors *fe = field_errors_new();
    static const char *const sup[] = {"Foreground", "Background", "Orphan", NULL};
    json_t *bad = json_string(policy);
    fe_not_supported(fe, "propagationPolicy", bad, sup);
    json_decref(bad);
    json_t *st = fe_to_status(fe, r->ref.group, r->ref.kind, name);
    field_errors_free(fe);
    return api_fail(st);
  }
  /* kubectl sends dryRun in the DeleteOptions body */
  bool dry = o && o->dry_run;
  size_t di;
  json_t *dv;
  json_array_foreach(json_object_get(options, "dryRun"), di, dv) dry = dry || (json_is_string(dv) && !strcmp(json_string_value(dv), "All"));
  for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
    cobj *cur = cache_get_latest(srv->cache, r->bucket, ns, name);
    if (!cur) return api_fail(status_not_found(r, name));
    const char *uid = meta_str(cur->obj, "uid");
    char why[512];
    if (pre_uid && uid && strcmp(pre_uid, uid) != 0) {
      snprintf(why, sizeof why,
               "the UID in the precondition (%s) does not match the UID in record (%s). The object might have been "
               "deleted and then recreated",
               pre_uid, uid);
      cobj_unref(cur);
      return api_fail(delete_conflict(r, name, why));
    }
    if (pre_rv && atoll(pre_rv) != cur->rev) {
      snprintf(why, sizeof why,
               "the ResourceVersion in the precondition (%s) does not match the ResourceVersion in record (%lld). The "
               "object might have been modified",
               pre_rv, (long long)cur->rev);
      cobj_unref(cur);
      return api_fail(delete_conflict(r, name, why));
    }
    const json_t *obj = api_to_version(srv, r, cur->obj);
    json_t *next = json_deep_copy(obj);
    json_t *md = meta_of(next);
    if (!json_object_get(md, "deletionTimestamp")) kinds_prepare_delete(&r->ref, next);
    bool is_ns = !r->ref.group[0] && !strcmp(r->ref.plural, "namespaces");
    if (policy && !strcmp(policy, "Foreground")) finalizers_add(next, "foregroundDeletion");
    if (policy && !strcmp(policy, "Orphan")) finalizers_add(next, "orphan");
    long long grace = is_pod(r) ? pod_grace(next, options) : 0;
    bool spec_fin = is_ns && json_array_size(json_object_get(json_object_get(next, "spec"), "finalizers")) > 0;
    bool keep = finalizers_any(next) || grace > 0 || spec_fin;
    /* 202 only when the client explicitly asked for cascading (kube-apiserver's
     * compatibility rule); the pending object is returned either way. */
    int code = keep && json_is_false(orphan) ? 202 : 200;
    bool del = !keep;
    if (keep) {
      char ts[32];
      if (!json_object_get(md, "deletionTimestamp")) {
        rfc3339_format(time(NULL) + grace, ts, sizeof ts);
        json_object_set_new(md, "deletionTimestamp", json_string(ts));
        json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(grace));
      }
      if (is_ns) {
        json_t *status = json_object_get(next, "status");
        if (!json_is_object(status)) json_object_set_new(next, "status", status = json_object());
        json_object_set_new(status, "phase", json_string("Terminating"));
      }
    }
    admission_request a = {.op = ADMIT_DELETE, .r = r, .ns = ns, .name = name, .shown = name, .asked = name,
                           .old = obj, .options = options, .o = o, .dry_run = dry, .cache = srv->cache};
    json_t *st = admission_mutate(&a);
    if (!st) st = admission_validate(&a);
    admission_release(&a);
    json_decref_const(obj);
    if (st) {
      json_decref(next);
      cobj_unref(cur);
      return api_fail(st);
    }
    if (dry) {
      cobj_unref(cur);
      return (api_result){200, next, NULL};
    }
    if (keep && same_but_rv(next, cur->obj) && same_version(r)) {
      json_decref(next);
      return result_of(srv, r, code, cur);
    }
    if ((st = to_storage(srv, r, next))) {
      json_decref(next);
      cobj_unref(cur);
      return api_fail(st);
    }
    char err[256];
    cobj *out = NULL;
    int rc = cache_write(srv->cache, r->bucket, ns, name, cur->rev, next, del, &out, NULL, err, sizeof err);
    cobj_unref(cur);
    if (rc == CW_OK && del && !is_pod(r)) {
      api_result res = {code, status_success(r, name, meta_str(out->obj, "uid")), NULL};
      cobj_unref(out);
      return res;
    }
    if (rc == CW_OK) return result_of(srv, r, code, out);
    if (rc == CW_ERROR) return api_fail(status_internal("%s", err));
    if (pre_rv) break;
  }
  return api_fail(status_conflict(r, name, modified_msg));
}
