/* admission_quota.c - the ResourceQuota plugin (1.20's
 * k8s.io/apiserver/pkg/admission/plugin/resourcequota): an object whose
 * usage (lib/quota_eval.c) would take a quota of its namespace over
 * spec.hard is refused with "exceeded quota: NAME, requested: ..., used:
 * ..., limited: ...", and a pod without the cpu/memory requests or limits a
 * quota constrains with "failed quota: NAME: must specify ...". Usage is
 * counted live from the watch cache rather than read from status.used, so
 * back-to-back creates never slip past a quota whose status is still being
 * written by the quota controller (controllers/resourcequota.c), which
 * uses it too (quota_used). Admitted writes still in flight count by their
 * charges in the namespace's ledger (quota_pending.c), not by what the cache
 * shows of them, so a check locks only its namespace and only while it
 * checks, never across the store's commit. */
#include "admission.h"
#include "quota_eval.h"
#include "object_meta.h"
#include "quota_pending.h"
#include "store.h"
#include "status.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* quota_used_in, also skipping the objects charged in the ledger pending
 * (NULL: none), which their charges count. */
static json_t *count_used(cache *c, const char *ns, const json_t *spec, const json_t *hard, const resource *skip_r,
                          const char *skip_name, quota_ns *pending) {
  json_t *used = json_object();
  json_t *kinds = json_object(); /* "group/plural" -> true, each listed once */
  const char *name;
  json_t *v;
  json_object_foreach((json_t *)hard, name, v) json_object_set_new(used, name, json_string("0"));
  json_object_foreach((json_t *)hard, name, v) {
    char group[128], plural[128];
    if (!quota_name_kind(name, group, sizeof group, plural, sizeof plural)) continue;
    char key[300];
    snprintf(key, sizeof key, "%s/%s", group, plural);
    if (json_object_get(kinds, key)) continue;
    json_object_set_new(kinds, key, json_true());
    const resource *r = NULL;
    for (size_t i = 0; i < registry_count() && !r; i++) {
      const resource *c = registry_at(i);
      if (registry_storage_resource(c) == c && !strcmp(c->ref.group, group) && !strcmp(c->ref.plural, plural)) r = c;
    }
    if (!r || !r->ref.namespaced) continue;
    cobj_vec objs = {0};
    cache_list(c, r->bucket, ns, NULL, 0, &objs);
    for (size_t i = 0; i < objs.n; i++) {
      const json_t *o = objs.items[i]->obj;
      const char *oname = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
      if (skip_r && registry_storage_resource(skip_r) == r && skip_name && oname && !strcmp(oname, skip_name)) continue;
      if (oname && quota_pending_has(pending, r->bucket, oname)) continue;
      if (!quota_matches_scopes(spec, group, plural, o)) continue;
      json_t *u = quota_usage(group, plural, o);
      const char *k;
      json_t *q;
      json_object_foreach(u, k, q) {
        if (!json_object_get(hard, k)) continue;
        char sum[64];
        quota_add(json_string_value(json_object_get(used, k)), json_string_value(q), sum, sizeof sum);
        json_object_set_new(used, k, json_string(sum));
      }
      json_decref(u);
    }
    cobj_vec_clear(&objs);
  }
  json_decref(kinds);
  return used;
}

json_t *quota_used_in(cache *c, const char *ns, const json_t *spec, const json_t *hard, const resource *skip_r,
                      const char *skip_name) {
  return count_used(c, ns, spec, hard, skip_r, skip_name, NULL);
}

/* "must specify ..." for the cpu/memory names hard constrains that some
 * container leaves out (podEvaluator.Constraints), or NULL. Malloc'd. */
static char *missing_compute(const json_t *pod, const json_t *hard) {
  static const char *const names[] = {"cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu",
                                      "requests.memory", NULL};
  bool missing[6] = {false};
  static const char *const lists[] = {"containers", "initContainers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c) {
      const json_t *res = json_object_get(c, "resources");
      const json_t *req = json_object_get(res, "requests"), *lim = json_object_get(res, "limits");
      for (int n = 0; names[n]; n++) {
        if (!json_object_get(hard, names[n])) continue;
        const char *dot = strchr(names[n], '.');
        const char *base = dot ? dot + 1 : names[n];
        const json_t *where = !strncmp(names[n], "limits.", 7) ? lim : req;
        if (!json_object_get(where, base)) missing[n] = true;
      }
    }
  }
  char text[256] = "";
  for (int n = 0; names[n]; n++)
    if (missing[n]) {
      size_t l = strlen(text);
      snprintf(text + l, sizeof text - l, "%s%s", l ? "," : "", names[n]);
    }
  return *text ? strdup(text) : NULL;
}

/* One quota's check of a write that adds now - before: NULL, or the Forbidden
 * Status. *charge gets the usage of the version written in this quota's
 * resource names (new reference, NULL when the quota does not count it), for
 * the ledger. */
static json_t *check_quota(cache *c, quota_ns *q, const resource *r, const resource *sr, const char *ns,
                           const char *name, const json_t *quota, const json_t *obj, const json_t *old,
                           const json_t *now, const json_t *before, bool shared, json_t **charge,
                           json_t **new_used) {
  *charge = NULL;
  *new_used = NULL;
  const json_t *md = json_object_get(quota, "metadata");
  const char *qname = json_string_value(json_object_get(md, "name"));
  const char *quid = json_string_value(json_object_get(md, "uid"));
  const json_t *spec = json_object_get(quota, "spec");
  const json_t *hard = json_object_get(spec, "hard");
  if (!json_object_size(hard) || !quota_matches_scopes(spec, sr->ref.group, sr->ref.plural, obj)) return NULL;
  json_t *mine = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)now, k, v) if (json_object_get(hard, k)) json_object_set(mine, k, v);
  bool is_pod = !sr->ref.group[0] && !strcmp(sr->ref.plural, "pods");
  if (is_pod && !old) {
    char *missing = missing_compute(obj, hard);
    if (missing) {
      char why[512];
      snprintf(why, sizeof why, "failed quota: %s: must specify %s", qname, missing);
      free(missing);
      json_decref(mine);
      return status_forbidden(r, name, why);
    }
  }
  json_t *delta = json_object();
  json_object_foreach((json_t *)now, k, v) {
    if (!json_object_get(hard, k)) continue;
    char d[64];
    quota_sub(json_string_value(v), json_string_value(json_object_get(before, k)), d, sizeof d);
    if (quota_cmp(d, "0") > 0) json_object_set_new(delta, k, json_string(d));
  }
  if (!json_object_size(delta)) {
    json_decref(delta);
    *charge = mine;
    return NULL;
  }
  /* used = the objects as the cache shows them, but those with writes in
   * flight, which count as their charges say; an update's old version stays
   * in (kube-apiserver adds the delta to status.used, which counts it) */
  json_t *used = count_used(c, ns, spec, delta, NULL, NULL, q);
  json_t *pending = quota_pending_sum(q, quid ? quid : "", delta);
  json_object_foreach(pending, k, v) {
    char sum[64];
    quota_add(json_string_value(json_object_get(used, k)), json_string_value(v), sum, sizeof sum);
    json_object_set_new(used, k, json_string(sum));
  }
  json_decref(pending);
  if (shared) { /* other servers' writes in flight are in status.used only (they charged it first) */
    const json_t *charged = json_object_get(json_object_get(quota, "status"), "used");
    json_object_foreach(delta, k, v) {
      const char *theirs = json_string_value(json_object_get(charged, k));
      if (theirs && quota_cmp(theirs, json_string_value(json_object_get(used, k))) > 0)
        json_object_set_new(used, k, json_string(theirs));
    }
  }
  json_t *exceeded = json_object(), *st = NULL;
  json_object_foreach(delta, k, v) {
    char total[64];
    quota_add(json_string_value(json_object_get(used, k)), json_string_value(v), total, sizeof total);
    if (quota_cmp(total, json_string_value(json_object_get(hard, k))) > 0) json_object_set_new(exceeded, k, json_true());
  }
  if (json_object_size(exceeded)) {
    char *req = quota_pretty(delta, exceeded), *use = quota_pretty(used, exceeded), *lim = quota_pretty(hard, exceeded);
    char why[2048];
    snprintf(why, sizeof why, "exceeded quota: %s, requested: %s, used: %s, limited: %s", qname, req, use, lim);
    st = status_forbidden(r, name, why);
    free(req);
    free(use);
    free(lim);
    json_decref(mine);
  } else {
    *charge = mine;
    if (shared) { /* status.used as it is to be: used + this write, for the quota's compare-and-swap */
      *new_used = json_object();
      json_object_foreach(delta, k, v) {
        char total[64];
        quota_add(json_string_value(json_object_get(used, k)), json_string_value(v), total, sizeof total);
        json_object_set_new(*new_used, k, json_string(total));
      }
    }
  }
  json_decref(delta);
  json_decref(used);
  json_decref(exceeded);
  return st;
}

/* Charges quota's status.used with the used values in new_used (the other names as they are), compared
 * and swapped on the quota's resourceVersion: CW_OK, CW_CONFLICT (another server charged it first; *current
 * its revision) or CW_ERROR. */
static int charge_status(cache *c, const resource *qr, const char *ns, const json_t *quota, const json_t *new_used,
                         int64_t *current) {
  json_t *copy = json_deep_copy(quota);
  json_t *status = json_object_get(copy, "status");
  if (!json_is_object(status)) json_object_set_new(copy, "status", status = json_object());
  json_t *used = json_object_get(status, "used");
  if (!json_is_object(used)) json_object_set_new(status, "used", used = json_object());
  json_object_update(used, (json_t *)new_used);
  const char *name = meta_str(quota, "name");
  char err[256];
  return cache_write(c, qr->bucket, ns, name ? name : "", meta_rv(quota), copy, false, NULL, current, err, sizeof err);
}

/* Waits (up to 2 s) until the cache shows quota ns/name at revision rev or later. */
static void await_quota(cache *c, const resource *qr, const char *ns, const char *name, int64_t rev) {
  for (int i = 0; i < 200; i++) {
    cobj *o = cache_get(c, qr->bucket, ns, name); /* published: what the next check lists */
    int64_t have = o ? meta_rv(o->obj) : 0;
    if (o) cobj_unref(o);
    if (have >= rev) return;
    usleep(10000);
  }
}

#define CHARGE_ATTEMPTS 20

json_t *admit_resource_quota(cache *c, const resource *r, const char *ns, const char *name, const json_t *obj,
                             const json_t *old, bool dry_run, quota_charge **charge) {
  *charge = NULL;
  const resource *qr = registry_find("", "v1", "resourcequotas");
  if (!qr) return NULL;
  cobj_vec quotas = {0};
  cache_list(c, qr->bucket, ns, NULL, 0, &quotas);
  if (!quotas.n) return NULL;
  /* a store several servers share: each charges status.used by compare-and-swap, as kube-apiserver does */
  store *st_store = cache_store(c);
  bool shared = !dry_run && st_store && st_store->get_raw;
  quota_ns *q = quota_ns_lock(ns);
  const resource *sr = registry_storage_resource(r);
  json_t *now = quota_usage(sr->ref.group, sr->ref.plural, obj);
  json_t *before = old ? quota_usage(sr->ref.group, sr->ref.plural, old) : json_object();
  json_t *st = NULL, *by_quota = NULL, *charged = json_object(); /* quota uids this write has charged */
  for (int attempt = 0; attempt < CHARGE_ATTEMPTS; attempt++) {
    /* the quotas as they are now that this namespace's checks are ours alone */
    cobj_vec_clear(&quotas);
    cache_list(c, qr->bucket, ns, NULL, 0, &quotas);
    json_decref(by_quota);
    by_quota = json_object();
    json_t *charges = json_array(); /* [quota index, new used] to compare and swap */
    for (size_t i = 0; i < quotas.n && !st; i++) {
      const json_t *quota = quotas.items[i]->obj;
      const char *quid = json_string_value(json_object_get(json_object_get(quota, "metadata"), "uid"));
      bool done = json_object_get(charged, quid ? quid : "") != NULL; /* its status.used holds this write already */
      json_t *mine = NULL, *new_used = NULL;
      st = check_quota(c, q, r, sr, ns, name, quota, obj, old, now, before, shared && !done, &mine, &new_used);
      if (mine) json_object_set_new(by_quota, quid ? quid : "", mine);
      if (new_used) json_array_append_new(charges, json_pack("{s:I,s:o}", "i", (json_int_t)i, "used", new_used));
    }
    bool conflict = false;
    size_t k;
    json_t *ch;
    json_array_foreach(charges, k, ch) {
      if (st || conflict) break;
      const json_t *quota = quotas.items[json_integer_value(json_object_get(ch, "i"))]->obj;
      int64_t current = 0;
      int rc = charge_status(c, qr, ns, quota, json_object_get(ch, "used"), &current);
      if (rc == CW_OK) {
        const char *quid = json_string_value(json_object_get(json_object_get(quota, "metadata"), "uid"));
        json_object_set_new(charged, quid ? quid : "", json_true());
      } else if (rc == CW_CONFLICT) {
        conflict = true;
        await_quota(c, qr, ns, meta_str(quota, "name"), current);
        usleep((useconds_t)(1000 + rand() % (5000 * (attempt + 1)))); /* jitter: the other servers' next charges go first */
      } else if (rc != CW_OK) {
        st = status_internal("resource quota evaluation failed: cannot update the status of %s",
                             meta_str(quota, "name") ?: "");
      }
    }
    json_decref(charges);
    if (!conflict) break;
    if (attempt == CHARGE_ATTEMPTS - 1) st = status_internal("resource quota evaluation timed out");
  }
  if (!st && json_object_size(by_quota)) {
    const char *stored = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    *charge = quota_charge_add(q, sr->bucket, stored ? stored : name, by_quota);
    by_quota = NULL;
  }
  json_decref(by_quota);
  json_decref(charged);
  quota_ns_unlock(q);
  json_decref(now);
  json_decref(before);
  cobj_vec_clear(&quotas);
  return st;
}
