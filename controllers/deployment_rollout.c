/* deployment_rollout.c - how a Deployment moves between ReplicaSets
 * (pkg/controller/deployment rolling.go, recreate.go, sync.go):
 *   RollingUpdate: grow the new ReplicaSet up to replicas+maxSurge pods in
 *     all, shrink old ones (unhealthy replicas first, oldest first) while at
 *     least replicas-maxUnavailable stay available;
 *   Recreate: scale every old ReplicaSet to 0, wait for their pods to be
 *     gone, then scale the new one up;
 *   scaling (also while paused or mid-rollout): proportional to each
 *   ReplicaSet's size, the leftover to the largest (newest on ties);
 *   cleanup of old ReplicaSets beyond revisionHistoryLimit. */
#include "deployment_internal.h"
#include "deployment_util.h"
#include "events.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long rs_spec_replicas(const json_t *rs) { return json_path_int(rs, "spec.replicas", 1); }

static long long d_replicas(const dsync *s) { return json_path_int(s->d, "spec.replicas", 1); }

bool scale_rs(dsync *s, size_t i, long long size) {
  json_t *rs = s->rs[i];
  long long cur = rs_spec_replicas(rs);
  long long max = d_replicas(s) + deployment_max_surge(s->d);
  bool size_change = cur != size;
  if (!size_change && !replicas_annotations_need_update(rs, d_replicas(s), max)) return false;
  json_t *copy = json_deep_copy(rs);
  json_object_set_new(jobj(copy, "spec"), "replicas", json_integer(size));
  set_replicas_annotations(copy, d_replicas(s), max);
  int code;
  json_t *stored = update_object(s->cc, rs_resource(), copy, false, &code);
  json_decref(copy);
  if (!stored) {
    s->failed = true;
    return false;
  }
  json_decref(s->rs[i]);
  s->rs[i] = stored;
  if (size_change)
    event_record(s->cc, s->d, DEPLOYMENT_COMPONENT, "Normal", "ScalingReplicaSet", "Scaled %s replica set %s to %lld",
                 cur < size ? "up" : "down", obj_name(stored), size);
  return size_change;
}

static long long sum_replicas(const dsync *s, bool old_only, const char *field) {
  long long n = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if (!old_only || (int)i != s->new_rs) n += json_path_int(s->rs[i], field, 0);
  return n;
}

static long long sum_spec(const dsync *s, bool old_only) {
  long long n = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if (!old_only || (int)i != s->new_rs) n += rs_spec_replicas(s->rs[i]);
  return n;
}

/* ---- RollingUpdate ---- */

static bool reconcile_new_rs(dsync *s) {
  json_t *nrs = s->rs[s->new_rs];
  long long cur = rs_spec_replicas(nrs), want = d_replicas(s);
  if (cur == want) return false;
  if (cur > want) return scale_rs(s, (size_t)s->new_rs, want);
  long long max_total = want + deployment_max_surge(s->d);
  long long total = sum_spec(s, false);
  if (total >= max_total) return false;
  long long up = max_total - total;
  if (up > want - cur) up = want - cur;
  return scale_rs(s, (size_t)s->new_rs, cur + up);
}

/* Old ReplicaSet indexes with pods, oldest first (s->rs is sorted). */
static size_t old_indexes(const dsync *s, size_t *out) {
  size_t n = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if ((int)i != s->new_rs) out[n++] = i;
  return n;
}

/* cleanupUnhealthyReplicas: scale down unavailable old replicas first. */
static long long cleanup_unhealthy(dsync *s, long long max_cleanup) {
  size_t idx[s->nrs + 1];
  size_t n = old_indexes(s, idx);
  long long total = 0;
  for (size_t k = 0; k < n && total < max_cleanup; k++) {
    json_t *rs = s->rs[idx[k]];
    long long replicas = rs_spec_replicas(rs), avail = json_path_int(rs, "status.availableReplicas", 0);
    if (replicas == 0 || replicas == avail) continue;
    long long down = max_cleanup - total < replicas - avail ? max_cleanup - total : replicas - avail;
    scale_rs(s, idx[k], replicas - down);
    total += down;
  }
  return total;
}

/* scaleDownOldReplicaSetsForRollingUpdate */
static long long scale_down_old_rolling(dsync *s) {
  long long min_available = d_replicas(s) - deployment_max_unavailable(s->d);
  long long available = sum_replicas(s, false, "status.availableReplicas");
  if (available <= min_available) return 0;
  long long target = available - min_available, total = 0;
  size_t idx[s->nrs + 1];
  size_t n = old_indexes(s, idx);
  for (size_t k = 0; k < n && total < target; k++) {
    long long replicas = rs_spec_replicas(s->rs[idx[k]]);
    if (replicas == 0) continue;
    long long down = replicas < target - total ? replicas : target - total;
    scale_rs(s, idx[k], replicas - down);
    total += down;
  }
  return total;
}

static bool reconcile_old_rs(dsync *s) {
  if (sum_spec(s, true) == 0) return false;
  long long all = sum_spec(s, false);
  long long min_available = d_replicas(s) - deployment_max_unavailable(s->d);
  json_t *nrs = s->rs[s->new_rs];
  long long new_unavailable = rs_spec_replicas(nrs) - json_path_int(nrs, "status.availableReplicas", 0);
  long long max_scaled_down = all - min_available - new_unavailable;
  if (max_scaled_down <= 0) return false;
  long long cleaned = cleanup_unhealthy(s, max_scaled_down);
  long long scaled = scale_down_old_rolling(s);
  return cleaned + scaled > 0;
}

void rollout_rolling(dsync *s) {
  sync_revision_and_new_rs(s, true);
  if (s->new_rs < 0) return;
  if (reconcile_new_rs(s) || reconcile_old_rs(s)) {
    sync_rollout_status(s);
    return;
  }
  if (deployment_complete(s->d, json_object_get(s->d, "status"))) cleanup_deployment(s);
  sync_rollout_status(s);
}

/* ---- Recreate ---- */

static bool old_pods_running(const dsync *s) {
  if (sum_replicas(s, true, "status.replicas") > 0) return true;
  const char *new_uid = s->new_rs >= 0 ? obj_uid(s->rs[s->new_rs]) : NULL;
  for (size_t i = 0; i < s->pods.n; i++) {
    const json_t *p = s->pods.items[i]->obj;
    const json_t *ref = controller_of(p);
    const char *uid = json_path_str(ref, "uid");
    if (!uid || (new_uid && !strcmp(uid, new_uid))) continue;
    for (size_t k = 0; k < s->nrs; k++)
      if (!strcmp(uid, obj_uid(s->rs[k]))) {
        const char *phase = json_path_str(p, "status.phase");
        if (!phase || (strcmp(phase, "Failed") && strcmp(phase, "Succeeded"))) return true;
      }
  }
  return false;
}

void rollout_recreate(dsync *s) {
  sync_revision_and_new_rs(s, false);
  bool scaled = false;
  for (size_t i = 0; i < s->nrs; i++)
    if ((int)i != s->new_rs && rs_spec_replicas(s->rs[i]) > 0) scaled |= scale_rs(s, i, 0);
  if (scaled || old_pods_running(s)) {
    sync_rollout_status(s);
    return;
  }
  if (s->new_rs < 0) sync_revision_and_new_rs(s, true);
  if (s->new_rs < 0) return;
  scale_rs(s, (size_t)s->new_rs, d_replicas(s));
  if (deployment_complete(s->d, json_object_get(s->d, "status"))) cleanup_deployment(s);
  sync_rollout_status(s);
}

/* ---- scaling ---- */

bool is_scaling_event(dsync *s) {
  sync_revision_and_new_rs(s, false);
  for (size_t i = 0; i < s->nrs; i++) {
    if (rs_spec_replicas(s->rs[i]) == 0) continue;
    const char *want = json_string_value(json_object_get(json_path(s->rs[i], "metadata.annotations"),
                                                         DESIRED_REPLICAS_ANNOTATION));
    if (want && atoll(want) != d_replicas(s)) return true;
  }
  return false;
}

static bool is_saturated(const dsync *s) {
  if (s->new_rs < 0) return false;
  const json_t *rs = s->rs[s->new_rs];
  const char *want = json_string_value(json_object_get(json_path(rs, "metadata.annotations"), DESIRED_REPLICAS_ANNOTATION));
  long long r = d_replicas(s);
  return want && rs_spec_replicas(rs) == r && atoll(want) == r && json_path_int(rs, "status.availableReplicas", 0) == r;
}

typedef struct {
  dsync *s;
  int dir; /* +1 size-newer (scale up), -1 size-older (scale down) */
} sort_ctx;

static sort_ctx g_sort; /* qsort has no context argument; only the worker thread sorts */

/* ReplicaSetsBySizeNewer / BySizeOlder over indexes. */
static int by_size(const void *a, const void *b) {
  const json_t *x = g_sort.s->rs[*(const size_t *)a], *y = g_sort.s->rs[*(const size_t *)b];
  long long rx = rs_spec_replicas(x), ry = rs_spec_replicas(y);
  if (rx != ry) return rx > ry ? -1 : 1;
  int c = cmp_creation(x, y);
  return g_sort.dir > 0 ? -c : c;
}

/* The only active ReplicaSet (or the newest when none is active), or -1. */
static int active_or_latest(const dsync *s) {
  int active = -1, nactive = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if (rs_spec_replicas(s->rs[i]) > 0) active = (int)i, nactive++;
  if (nactive == 1) return active;
  if (nactive > 1 || s->nrs == 0) return -1;
  if (s->new_rs >= 0) return s->new_rs;
  return (int)s->nrs - 1; /* the newest old one */
}

static void scale(dsync *s) {
  int only = active_or_latest(s);
  if (only >= 0) {
    if (rs_spec_replicas(s->rs[only]) != d_replicas(s)) scale_rs(s, (size_t)only, d_replicas(s));
    return;
  }
  if (is_saturated(s)) {
    for (size_t i = 0; i < s->nrs; i++)
      if ((int)i != s->new_rs && rs_spec_replicas(s->rs[i]) > 0) scale_rs(s, i, 0);
    return;
  }
  if (!deployment_is_rolling(s->d)) return;
  size_t idx[s->nrs + 1], n = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if (rs_spec_replicas(s->rs[i]) > 0) idx[n++] = i;
  long long allowed = d_replicas(s) > 0 ? d_replicas(s) + deployment_max_surge(s->d) : 0;
  long long to_add = allowed - sum_spec(s, false);
  if (to_add == 0) return;
  g_sort = (sort_ctx){s, to_add > 0 ? 1 : -1};
  qsort(idx, n, sizeof *idx, by_size);
  long long sizes[n + 1], added = 0;
  for (size_t k = 0; k < n; k++) {
    long long p = rs_proportion(s->rs[idx[k]], s->d, to_add, added);
    sizes[k] = rs_spec_replicas(s->rs[idx[k]]) + p;
    added += p;
  }
  if (n) {
    sizes[0] += to_add - added;
    if (sizes[0] < 0) sizes[0] = 0;
  }
  for (size_t k = 0; k < n; k++) scale_rs(s, idx[k], sizes[k]);
}

void sync_scale(dsync *s) {
  sync_revision_and_new_rs(s, false);
  scale(s);
  if (json_is_true(json_path(s->d, "spec.paused"))) cleanup_deployment(s);
  sync_deployment_status(s);
}

/* ---- history ---- */

static int by_revision(const void *a, const void *b) {
  const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  long long rx = revision_of(x), ry = revision_of(y);
  if (rx != ry) return rx < ry ? -1 : 1;
  return cmp_creation(x, y);
}

void cleanup_deployment(dsync *s) {
  const json_t *limit = json_path(s->d, "spec.revisionHistoryLimit");
  if (!json_is_integer(limit)) return;
  json_t *old[s->nrs + 1];
  size_t n = 0;
  for (size_t i = 0; i < s->nrs; i++)
    if ((int)i != s->new_rs && !obj_deleting(s->rs[i])) old[n++] = s->rs[i];
  long long diff = (long long)n - json_integer_value(limit);
  if (diff <= 0) return;
  qsort(old, n, sizeof *old, by_revision);
  for (long long i = 0; i < diff; i++) {
    const json_t *rs = old[i];
    if (json_path_int(rs, "status.replicas", 0) != 0 || rs_spec_replicas(rs) != 0 ||
        json_path_int(rs, "metadata.generation", 0) > json_path_int(rs, "status.observedGeneration", 0))
      continue;
    api_opts o = {0};
    api_result res = api_delete(s->cc->srv, rs_resource(), obj_ns(rs), obj_name(rs), NULL, &o);
    api_result_clear(&res);
  }
}
