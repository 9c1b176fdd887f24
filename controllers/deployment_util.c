/* deployment_util.c - see deployment_util.h. Follows
 * pkg/controller/deployment/util/deployment_util.go of Kubernetes 1.20.
 * The pod-template-hash hashes the template's canonical JSON where
 * Kubernetes hashes a spew dump of the Go struct: the same shape of value
 * (fnv-32a, decimal, SafeEncodeString), stable for a given template.
 * Templates are hashed and compared as Go decodes them: a null field is
 * the same as an absent one (kubectl rollout undo sends the template with
 * metadata.creationTimestamp: null). */
#include "deployment_util.h"
#include "workload.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool intstr_scaled(const json_t *v, long long total, bool round_up, long long *out) {
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return true;
  }
  const char *s = json_string_value(v);
  size_t n = s ? strlen(s) : 0;
  if (!n || s[n - 1] != '%') return false;
  char *end;
  long long pct = strtoll(s, &end, 10);
  if (end != s + n - 1 || end == s) return false;
  double x = (double)pct * (double)total / 100.0;
  *out = (long long)(round_up ? ceil(x) : floor(x));
  return true;
}

void resolve_fenceposts(const json_t *max_surge, const json_t *max_unavailable, long long desired,
                        long long *surge, long long *unavailable) {
  json_t *zero = json_integer(0);
  if (!intstr_scaled(max_surge ? max_surge : zero, desired, true, surge)) *surge = 0;
  if (!intstr_scaled(max_unavailable ? max_unavailable : zero, desired, false, unavailable)) *unavailable = 0;
  json_decref(zero);
  if (*surge == 0 && *unavailable == 0) *unavailable = 1;
}

bool deployment_is_rolling(const json_t *d) {
  const char *t = json_path_str(d, "spec.strategy.type");
  return t && !strcmp(t, "RollingUpdate");
}

long long deployment_max_surge(const json_t *d) {
  if (!deployment_is_rolling(d)) return 0;
  long long s, u;
  resolve_fenceposts(json_path(d, "spec.strategy.rollingUpdate.maxSurge"),
                     json_path(d, "spec.strategy.rollingUpdate.maxUnavailable"), json_path_int(d, "spec.replicas", 1), &s, &u);
  return s;
}

long long deployment_max_unavailable(const json_t *d) {
  long long replicas = json_path_int(d, "spec.replicas", 1);
  if (!deployment_is_rolling(d) || replicas == 0) return 0;
  long long s, u;
  resolve_fenceposts(json_path(d, "spec.strategy.rollingUpdate.maxSurge"),
                     json_path(d, "spec.strategy.rollingUpdate.maxUnavailable"), replicas, &s, &u);
  return u > replicas ? replicas : u;
}

void safe_encode_string(const char *in, char *out, size_t outlen) {
  static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
  size_t i = 0;
  for (; in[i] && i + 1 < outlen; i++) out[i] = alphanums[(unsigned char)in[i] % (sizeof alphanums - 1)];
  out[i] = 0;
}

static uint32_t fnv32a(uint32_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

/* Drops every null member of the objects in v, at any depth (in place). */
static void drop_nulls(json_t *v) {
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) drop_nulls(e);
    return;
  }
  const char *k;
  json_t *e;
  void *tmp;
  json_object_foreach_safe(v, tmp, k, e) {
    if (json_is_null(e)) json_object_del(v, k);
    else drop_nulls(e);
  }
}

/* A copy of a template as Go would decode it (nulls gone). */
static json_t *decoded_copy(const json_t *t) {
  json_t *c = json_deep_copy(t);
  drop_nulls(c);
  return c;
}

void pod_template_hash(const json_t *tmpl, const json_t *collision_count, char *out, size_t outlen) {
  json_t *decoded = decoded_copy(tmpl);
  char *canon = json_dumps(decoded, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(decoded);
  uint32_t h = fnv32a(2166136261u, (const unsigned char *)canon, strlen(canon));
  free(canon);
  if (json_is_integer(collision_count)) {
    uint32_t c = (uint32_t)json_integer_value(collision_count);
    unsigned char b[8] = {c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff, (c >> 24) & 0xff, 0, 0, 0, 0};
    h = fnv32a(h, b, sizeof b);
  }
  char dec[16];
  snprintf(dec, sizeof dec, "%u", h);
  safe_encode_string(dec, out, outlen);
}

/* A decoded copy without the hash label (and without labels when none remain). */
static json_t *strip_hash(const json_t *t) {
  json_t *c = decoded_copy(t);
  json_t *md = json_object_get(c, "metadata");
  json_t *labels = json_object_get(md, "labels");
  json_object_del(labels, POD_TEMPLATE_HASH_LABEL);
  if (labels && !json_object_size(labels)) json_object_del(md, "labels");
  return c;
}

bool templates_equal_ignore_hash(const json_t *a, const json_t *b) {
  json_t *ca = strip_hash(a), *cb = strip_hash(b);
  bool eq = json_equal(ca, cb);
  json_decref(ca);
  json_decref(cb);
  return eq;
}

long long revision_of(const json_t *obj) {
  const char *v = json_string_value(json_object_get(json_path(obj, "metadata.annotations"), REVISION_ANNOTATION));
  return v ? atoll(v) : 0;
}

static bool skip_copy(const char *key) {
  static const char *const skipped[] = {"kubectl.kubernetes.io/last-applied-configuration",
                                        REVISION_ANNOTATION,
                                        REVISION_HISTORY_ANNOTATION,
                                        DESIRED_REPLICAS_ANNOTATION,
                                        MAX_REPLICAS_ANNOTATION,
                                        "deprecated.deployment.rollback.to",
                                        NULL};
  for (int i = 0; skipped[i]; i++)
    if (!strcmp(key, skipped[i])) return true;
  return false;
}

static bool set_annotation(json_t *obj, const char *key, const char *value) {
  json_t *ann = jobj(jobj(obj, "metadata"), "annotations");
  const char *cur = json_string_value(json_object_get(ann, key));
  if (cur && !strcmp(cur, value)) return false;
  json_object_set_new(ann, key, json_string(value));
  return true;
}

bool set_new_rs_annotations(const json_t *d, json_t *rs, const char *new_revision, bool exists) {
  bool changed = false;
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)json_path(d, "metadata.annotations"), key, v) { /* read only */
    if (skip_copy(key) || !json_is_string(v)) continue;
    changed |= set_annotation(rs, key, json_string_value(v));
  }
  json_t *ann = jobj(jobj(rs, "metadata"), "annotations");
  const char *old = json_string_value(json_object_get(ann, REVISION_ANNOTATION));
  char *old_rev = old ? strdup(old) : NULL;
  long long old_n = old_rev ? atoll(old_rev) : 0, new_n = atoll(new_revision);
  if (old_n < new_n) {
    json_object_set_new(ann, REVISION_ANNOTATION, json_string(new_revision));
    changed = true;
  }
  /* an old ReplicaSet taking a new revision: a rollback; keep its old numbers */
  if (old_rev && old_n < new_n) {
    const char *hist = json_string_value(json_object_get(ann, REVISION_HISTORY_ANNOTATION));
    if (!hist || !*hist) {
      json_object_set_new(ann, REVISION_HISTORY_ANNOTATION, json_string(old_rev));
    } else {
      /* drop the oldest entries until the history fits */
      const char *start = hist;
      size_t total = strlen(hist) + strlen(old_rev) + 1;
      while (total > MAX_REV_HISTORY_CHARS && start) {
        const char *comma = strchr(start, ',');
        total -= (comma ? (size_t)(comma - start) : strlen(start)) + 1;
        start = comma ? comma + 1 : NULL;
      }
      if (total <= MAX_REV_HISTORY_CHARS) {
        char *joined = malloc(strlen(hist) + strlen(old_rev) + 2);
        sprintf(joined, "%s%s%s", start ? start : "", start && *start ? "," : "", old_rev);
        json_object_set_new(ann, REVISION_HISTORY_ANNOTATION, json_string(joined));
        free(joined);
      }
    }
  }
  free(old_rev);
  if (!exists) {
    long long replicas = json_path_int(d, "spec.replicas", 1);
    changed |= set_replicas_annotations(rs, replicas, replicas + deployment_max_surge(d));
  }
  return changed;
}

bool replicas_annotations_need_update(const json_t *rs, long long desired, long long max) {
  const json_t *ann = json_path(rs, "metadata.annotations");
  const char *ds = json_string_value(json_object_get(ann, DESIRED_REPLICAS_ANNOTATION));
  const char *ms = json_string_value(json_object_get(ann, MAX_REPLICAS_ANNOTATION));
  char want_d[32], want_m[32];
  snprintf(want_d, sizeof want_d, "%lld", desired);
  snprintf(want_m, sizeof want_m, "%lld", max);
  return !ds || strcmp(ds, want_d) || !ms || strcmp(ms, want_m);
}

bool set_replicas_annotations(json_t *rs, long long desired, long long max) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", desired);
  bool changed = set_annotation(rs, DESIRED_REPLICAS_ANNOTATION, buf);
  snprintf(buf, sizeof buf, "%lld", max);
  changed |= set_annotation(rs, MAX_REPLICAS_ANNOTATION, buf);
  return changed;
}

/* getReplicaSetFraction: this RS's share of a resize, from the size the
 * Deployment had (max-replicas annotation) when the RS was last scaled. */
static long long rs_fraction(const json_t *rs, const json_t *d) {
  long long rs_replicas = json_path_int(rs, "spec.replicas", 0);
  long long d_replicas = json_path_int(d, "spec.replicas", 1);
  if (d_replicas == 0) return -rs_replicas;
  long long deployment_replicas = d_replicas + deployment_max_surge(d);
  const char *ms = json_string_value(json_object_get(json_path(rs, "metadata.annotations"), MAX_REPLICAS_ANNOTATION));
  long long annotated = ms ? atoll(ms) : json_path_int(d, "status.replicas", 0);
  double size = annotated ? (double)(rs_replicas * deployment_replicas) / (double)annotated : 0;
  return (long long)llround(size) - rs_replicas;
}

long long rs_proportion(const json_t *rs, const json_t *d, long long to_add, long long added) {
  if (!rs || json_path_int(rs, "spec.replicas", 0) == 0 || to_add == 0 || to_add == added) return 0;
  long long fraction = rs_fraction(rs, d);
  long long allowed = to_add - added;
  if (to_add > 0) return fraction < allowed ? fraction : allowed;
  return fraction > allowed ? fraction : allowed;
}

bool deployment_complete(const json_t *d, const json_t *st) {
  long long replicas = json_path_int(d, "spec.replicas", 1);
  return json_path_int(st, "updatedReplicas", 0) == replicas && json_path_int(st, "replicas", 0) == replicas &&
         json_path_int(st, "availableReplicas", 0) == replicas &&
         json_path_int(st, "observedGeneration", 0) >= json_path_int(d, "metadata.generation", 0);
}

bool deployment_progressing(const json_t *d, const json_t *ns) {
  const json_t *os = json_path(d, "status");
  long long old_old = json_path_int(os, "replicas", 0) - json_path_int(os, "updatedReplicas", 0);
  long long new_old = json_path_int(ns, "replicas", 0) - json_path_int(ns, "updatedReplicas", 0);
  return json_path_int(ns, "updatedReplicas", 0) > json_path_int(os, "updatedReplicas", 0) ||
         json_path_int(ns, "readyReplicas", 0) > json_path_int(os, "readyReplicas", 0) || old_old > new_old ||
         json_path_int(ns, "availableReplicas", 0) > json_path_int(os, "availableReplicas", 0);
}
