/* crd_controller.c - the apiextensions controllers on one worker of the
 * controller runtime (controller_runtime/controller.h): the naming
 * controller (status.acceptedNames and NamesAccepted, with the conflicts of
 * names inside a group), the establishing controller (Established), the
 * nonstructuralschema controller (NonStructuralSchema), the
 * registration of the served versions (crd_registry.c) and the finalizer
 * that deletes every custom resource of a CRD being deleted before letting
 * the CRD go. Keys are CRD names; a CRD event enqueues every CRD (names
 * conflict across CRDs), a cleanup waiting for instances looks again after a
 * second; it writes through the API core like any client. At start the stored, established CRDs are registered before the
 * server accepts requests, so custom resources survive a restart. */
#include "crd_registry.h"
#include "api.h"
#include "conditions.h"
#include "controller.h"
#include "crd_schema.h"
#include "log.h"
#include "json_path.h"
#include "finalizers.h"
#include "strutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define MAX_SYNCED 4096
#define CLEANUP_RECHECK_MS 1000

static ctrl *ctl;

/* What the registry was last synced from, per CRD, and the group and plural
 * it registered (to drop them once the CRD is gone). Touched before the
 * worker starts and then by the one worker only. */
static struct {
  char *name;
  char *rv; /* "resourceVersion/established" */
  char *group, *plural;
} synced[MAX_SYNCED];
static size_t nsynced;

static const resource *crd_resource(void) { return registry_find(CRD_GROUP, "v1", "customresourcedefinitions"); }

static const char *name_of(const json_t *o) { return json_path_str0(json_object_get(o, "metadata"), "name"); }

/* Registers crd's versions unless already done for this resourceVersion and
 * Established condition. */
static void sync_registry(const json_t *crd) {
  const char *name = name_of(crd);
  bool established = cond_true(json_object_get(crd, "status"), "Established");
  char rv[80];
  snprintf(rv, sizeof rv, "%s/%d", json_path_str0(json_object_get(crd, "metadata"), "resourceVersion"), established);
  size_t i;
  for (i = 0; i < nsynced; i++)
    if (!strcmp(synced[i].name, name)) break;
  if (i < nsynced && !strcmp(synced[i].rv, rv)) return;
  if (i == nsynced) {
    if (nsynced == MAX_SYNCED) return;
    synced[nsynced++].name = strdup(name);
  } else {
    free(synced[i].rv);
    free(synced[i].group);
    free(synced[i].plural);
  }
  synced[i].rv = strdup(rv);
  synced[i].group = strdup(json_path_str0(json_object_get(crd, "spec"), "group"));
  synced[i].plural = strdup(json_path_str0(json_object_get(json_object_get(crd, "status"), "acceptedNames"), "plural"));
  crd_registry_sync(crd, established);
}

/* A CRD gone: its served versions leave the registry. */
static void forget_synced(const char *name) {
  for (size_t i = 0; i < nsynced; i++) {
    if (strcmp(synced[i].name, name)) continue;
    crd_registry_drop(synced[i].group, synced[i].plural);
    free(synced[i].name);
    free(synced[i].rv);
    free(synced[i].group);
    free(synced[i].plural);
    synced[i] = synced[--nsynced];
    return;
  }
}

static bool in_list(const json_t *arr, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    if (!strcmp(json_string_value(v), s)) return true;
  }
  return false;
}

/* The names other CRDs of the group hold (status.acceptedNames). */
static void names_in_use(const cobj_vec *all, const json_t *crd, json_t *resources, json_t *kinds) {
  const char *group = json_path_str0(json_object_get(crd, "spec"), "group");
  for (size_t i = 0; i < all->n; i++) {
    const json_t *o = all->items[i]->obj;
    if (!strcmp(name_of(o), name_of(crd)) || strcmp(json_path_str0(json_object_get(o, "spec"), "group"), group)) continue;
    const json_t *an = json_object_get(json_object_get(o, "status"), "acceptedNames");
    json_array_append_new(resources, json_string(json_path_str0(an, "plural")));
    json_array_append_new(resources, json_string(json_path_str0(an, "singular")));
    json_array_extend(resources, json_object_get(an, "shortNames") ? json_object_get(an, "shortNames") : json_array());
    json_array_append_new(kinds, json_string(json_path_str0(an, "kind")));
    json_array_append_new(kinds, json_string(json_path_str0(an, "listKind")));
  }
}

/* equalToAcceptedOrFresh: NULL or the conflict message (static buffer). */
static const char *conflict(const char *requested, const char *accepted, const json_t *used, char *buf, size_t len) {
  if (!strcmp(requested, accepted) || !in_list(used, requested)) return NULL;
  snprintf(buf, len, "\"%s\" is already in use", requested);
  return buf;
}

/* The naming and establishing controllers: status of crd (edited in place). */
static void compute_names(const cobj_vec *all, json_t *crd) {
  json_t *resources = json_array(), *kinds = json_array();
  names_in_use(all, crd, resources, kinds);
  const json_t *requested = json_object_get(json_object_get(crd, "spec"), "names");
  json_t *status = json_object_get(crd, "status");
  if (!json_is_object(status)) json_object_set_new(crd, "status", status = json_object());
  json_t *accepted = json_object_get(status, "acceptedNames");
  json_t *names = accepted ? json_deep_copy(accepted) : json_object();
  const char *reason = NULL, *msg = NULL;
  char buf[600], msgbuf[2100];
  static const struct {
    const char *field, *reason;
    bool kind;
  } checks[] = {{"plural", "PluralConflict", false},
                {"singular", "SingularConflict", false},
                {"kind", "KindConflict", true},
                {"listKind", "ListKindConflict", true}};
  for (size_t i = 0; i < 4; i++) {
    const char *want = json_path_str0(requested, checks[i].field), *have = json_path_str0(accepted, checks[i].field);
    const char *c = conflict(want, have, checks[i].kind ? kinds : resources, buf, sizeof buf);
    if (c) {
      reason = checks[i].reason;
      snprintf(msgbuf, sizeof msgbuf, "%s", c);
      msg = msgbuf;
    } else {
      json_object_set_new(names, checks[i].field, json_string(want));
    }
  }
  const json_t *want_short = json_object_get(requested, "shortNames");
  if (!json_equal((json_t *)want_short, json_object_get(accepted, "shortNames"))) {
    char all_msgs[2048] = "";
    size_t i;
    json_t *s;
    int nconf = 0;
    json_array_foreach(want_short, i, s) {
      if (in_list(json_object_get(accepted, "shortNames"), json_string_value(s))) continue;
      const char *c = conflict(json_string_value(s), "", resources, buf, sizeof buf);
      if (!c) continue;
      size_t l = strlen(all_msgs);
      snprintf(all_msgs + l, sizeof all_msgs - l, "%s%s", nconf++ ? ", " : "", c);
    }
    if (nconf) {
      reason = "ShortNamesConflict";
      snprintf(msgbuf, sizeof msgbuf, nconf > 1 ? "[%s]" : "%s", all_msgs);
      msg = msgbuf;
    } else if (want_short) {
      json_object_set(names, "shortNames", (json_t *)want_short);
    } else {
      json_object_del(names, "shortNames");
    }
  }
  const json_t *cats = json_object_get(requested, "categories");
  if (cats) json_object_set(names, "categories", (json_t *)cats);
  else json_object_del(names, "categories");
  json_object_set_new(status, "acceptedNames", names);
  if (reason) crd_set_condition(crd, "NamesAccepted", "False", reason, msg);
  else crd_set_condition(crd, "NamesAccepted", "True", "NoConflicts", "no conflicts found");
  if (!cond_true(json_object_get(crd, "status"), "Established")) {
    if (!reason) crd_set_condition(crd, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted");
    else crd_set_condition(crd, "Established", "False", "NotAccepted", "not all names are accepted");
  }
  json_decref(resources);
  json_decref(kinds);
}

/* The nonstructuralschema controller: NonStructuralSchema True with the
 * violations (each version's sorted, as ValidateStructural sorts them,
 * joined like an aggregated error), or no such condition. */
static void non_structural_schema(json_t *crd) {
  const json_t *spec = json_object_get(crd, "spec");
  json_t *errs = json_array();
  if (json_is_true(json_object_get(spec, "preserveUnknownFields")))
    json_array_append_new(errs, json_string("spec.preserveUnknownFields: Invalid value: true: must be false"));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) {
    const json_t *schema = json_object_get(json_object_get(v, "schema"), "openAPIV3Schema");
    if (!schema) continue;
    char path[128];
    snprintf(path, sizeof path, "spec.versions[%zu].schema.openAPIV3Schema", i);
    field_errors *fe = field_errors_new();
    crd_schema_check_structural(schema, path, fe);
    size_t n = fe_count(fe);
    char **lines = calloc(n ? n : 1, sizeof *lines);
    for (size_t j = 0; j < n; j++) {
      size_t len = strlen(fe_field(fe, j)) + strlen(fe_body(fe, j)) + 3;
      lines[j] = malloc(len);
      snprintf(lines[j], len, "%s: %s", fe_field(fe, j), fe_body(fe, j));
    }
    qsort(lines, n, sizeof *lines, strp_cmp);
    for (size_t j = 0; j < n; j++) {
      json_array_append_new(errs, json_string(lines[j]));
      free(lines[j]);
    }
    free(lines);
    field_errors_free(fe);
  }
  size_t n = 0, len = 2;
  json_array_foreach(errs, i, v) len += strlen(json_string_value(v)) + 2;
  char *msg = malloc(len);
  msg[0] = 0;
  json_array_foreach(errs, i, v) {
    bool seen = false;
    for (size_t j = 0; j < i; j++) seen = seen || !strcmp(json_string_value(json_array_get(errs, j)), json_string_value(v));
    if (seen) continue;
    if (n++) strcat(msg, ", ");
    strcat(msg, json_string_value(v));
  }
  if (n > 1) {
    char *wrapped = malloc(len + 2);
    snprintf(wrapped, len + 2, "[%s]", msg);
    free(msg);
    msg = wrapped;
  }
  if (n) crd_set_condition(crd, "NonStructuralSchema", "True", "Violations", msg);
  else crd_remove_condition(crd, "NonStructuralSchema");
  free(msg);
  json_decref(errs);
}

static void update_status(json_t *crd) {
  api_result res = api_update(cctx->srv, crd_resource(), "", name_of(crd), "status", json_incref(crd), NULL);
  if (res.code >= 300 && res.code != 409 && res.code != 404)
    LOGW("CRD %s: status update failed (%d)", name_of(crd), res.code);
  api_result_clear(&res);
}

/* The served resource whose bucket holds the CRD's objects, or NULL. */
static const resource *instances_of(const json_t *crd) {
  const json_t *spec = json_object_get(crd, "spec");
  const char *plural = json_path_str0(json_object_get(json_object_get(crd, "status"), "acceptedNames"), "plural");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) {
    const resource *r = registry_find(json_path_str0(spec, "group"), json_path_str0(v, "name"), plural);
    if (r && r->ref.crd) return r;
  }
  return NULL;
}

/* Deletes every instance; true when none is left. */
static bool delete_instances(const resource *r) {
  cobj_vec items = {0};
  lister_list(cctx->informers, r, "", &items);
  for (size_t i = 0; i < items.n; i++) {
    const json_t *md = json_object_get(items.items[i]->obj, "metadata");
    if (json_object_get(md, "deletionTimestamp")) continue;
    api_result res = api_delete(cctx->srv, r, json_path_str0(md, "namespace"), json_path_str0(md, "name"), NULL, NULL);
    api_result_clear(&res);
  }
  cobj_vec_clear(&items);
  return lister_count(cctx->informers, r) == 0;
}

/* The CRD finalizer: Terminating, delete the instances, drop the finalizer.
 * False while instances are still going. */
static bool finalize(json_t *crd) {
  crd_registry_terminating(name_of(crd));
  crd_set_condition(crd, "Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress");
  update_status(crd);
  const resource *r = cond_true(json_object_get(crd, "status"), "Established") ? instances_of(crd) : NULL;
  /* instances held by their own finalizers: stay InstanceDeletionInProgress
   * (kube-apiserver waits up to a minute before InstanceDeletionCheck) */
  if (r && !delete_instances(r)) return false;
  if (!r) crd_set_condition(crd, "Terminating", "False", "NeverEstablished", "resource was never established");
  finalizers_remove(crd, CRD_CLEANUP_FINALIZER);
  api_result res = api_update(cctx->srv, crd_resource(), "", name_of(crd), NULL, json_incref(crd), NULL);
  api_result_clear(&res);
  return true;
}

static bool has_cleanup_finalizer(const json_t *crd) {
  return finalizers_has(crd, CRD_CLEANUP_FINALIZER);
}

/* Key: a CRD's name. */
static ctrl_result sync_crd(void *ctx, const char *name) {
  const resource *cr = crd_resource();
  cobj *cur = lister_get(cctx->informers, cr, "", name);
  if (!cur) {
    forget_synced(name);
    return ctrl_done();
  }
  json_t *crd = json_deep_copy(cur->obj);
  cobj_unref(cur);
  ctrl_result res = ctrl_done();
  if (json_object_get(json_object_get(crd, "metadata"), "deletionTimestamp")) {
    if (has_cleanup_finalizer(crd) && !finalize(crd)) res = ctrl_requeue_after(CLEANUP_RECHECK_MS);
    json_decref(crd);
    return res;
  }
  cobj_vec all = {0};
  lister_list(cctx->informers, cr, "", &all);
  json_t *before = json_deep_copy(json_object_get(crd, "status"));
  non_structural_schema(crd);
  compute_names(&all, crd);
  if (json_equal(before, json_object_get(crd, "status"))) {
    sync_registry(crd);
  } else {
    /* served before Established=True can be read: a client that waited for it finds the resource */
    if (cond_true(json_object_get(crd, "status"), "Established")) sync_registry(crd);
    update_status(crd);
  }
  json_decref(before);
  json_decref(crd);
  cobj_vec_clear(&all);
  return res;
}

/* Any CRD change may change another's accepted names: every CRD is looked
 * at again (the changed one too, also when it is gone). */
static void on_crd(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  cobj_vec all = {0};
  lister_list(cctx->informers, crd_resource(), "", &all);
  for (size_t i = 0; i < all.n; i++) ctrl_add(ctl, informer_key(all.items[i]));
  cobj_vec_clear(&all);
  ctrl_add(ctl, informer_key(obj));
}

void crd_controller_start(const ctrl_context *cc) {
  cctx = cc;
  const resource *cr = crd_resource();
  if (!cr) return;
  cobj_vec all = {0};
  lister_list(cctx->informers, cr, "", &all);
  for (size_t i = 0; i < all.n; i++) sync_registry(all.items[i]->obj);
  cobj_vec_clear(&all);
  ctl = ctrl_start(cctx, "crd-controller", sync_crd, NULL);
  ctrl_follow_resource(ctl, cr, on_crd, NULL);
}

void crd_controller_stop(void) {
  ctrl_stop(ctl);
  ctl = NULL;
}
