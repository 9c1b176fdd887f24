/* hpa_calc.c - see hpa_calc.h. The per-pod "metrics map" of
 * replica_calculator.go is an array indexed like the pods (in[i] says
 * whether pod i has an entry), so removing, adding and re-weighting
 * entries are flag and value changes. Ratios are float64 as in Go, so the
 * ceilings land where Kubernetes' do. */
#include "hpa_calc.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { G_READY, G_UNREADY, G_MISSING, G_IGNORED } pod_group;

/* groupPods for one pod. */
static pod_group group_of(const hpa_pod *p, const hpa_calc_opts *o) {
  if (p->ignored) return G_IGNORED;
  if (p->pending) return G_UNREADY;
  if (!p->has_metric) return G_MISSING;
  if (!strcmp(o->resource, "cpu")) {
    bool unready;
    if (!p->has_ready) unready = true;
    else if (p->start_ms + o->cpu_init_ms > o->now_ms)
      /* young: unready, or no full window of samples since it became ready */
      unready = p->ready_false || p->metric_ts_ms < p->ready_ms + p->metric_window_ms;
    else
      /* unready and never ready since its start */
      unready = p->ready_false && p->start_ms + o->readiness_delay_ms > p->ready_ms;
    if (unready) return G_UNREADY;
  }
  return G_READY;
}

/* The grouped pods and the metrics map. */
typedef struct {
  pod_group *group;
  bool *in;
  int64_t *value;
  size_t ready, unready, missing, entries;
  long long ts_ms;
} grouping;

/* Groups the pods and fills the map with the ready pods' samples;
 * -1 + err as the metrics client and the calculator fail. */
static int group_pods(const hpa_pod *pods, size_t n, const hpa_calc_opts *o, grouping *g, char *err,
                      size_t errlen) {
  memset(g, 0, sizeof *g);
  bool any = false;
  for (size_t i = 0; i < n; i++)
    if (pods[i].has_metric) {
      if (!any) g->ts_ms = pods[i].metric_ts_ms;
      any = true;
    }
  if (!any) {
    snprintf(err, errlen, "unable to get metrics for resource %s: no metrics returned from resource metrics API",
             o->resource);
    return -1;
  }
  if (!n) {
    snprintf(err, errlen, "no pods returned by selector while calculating replica count");
    return -1;
  }
  g->group = calloc(n, sizeof *g->group);
  g->in = calloc(n, sizeof *g->in);
  g->value = calloc(n, sizeof *g->value);
  for (size_t i = 0; i < n; i++) {
    g->group[i] = group_of(&pods[i], o);
    if (g->group[i] == G_READY) {
      g->ready++;
      g->in[i] = true;
      g->value[i] = pods[i].metric;
      g->entries++;
    } else if (g->group[i] == G_UNREADY) {
      g->unready++;
    } else if (g->group[i] == G_MISSING) {
      g->missing++;
    }
  }
  return 0;
}

static void grouping_free(grouping *g) {
  free(g->group);
  free(g->in);
  free(g->value);
}

static void put(grouping *g, size_t i, int64_t v) {
  if (!g->in[i]) g->entries++;
  g->in[i] = true;
  g->value[i] = v;
}

/* GetResourceUtilizationRatio over the map. */
static int utilization_ratio(const hpa_pod *pods, size_t n, const grouping *g, int32_t target, double *ratio,
                             int32_t *util, int64_t *raw, char *err, size_t errlen) {
  int64_t total = 0, requests = 0, entries = 0;
  for (size_t i = 0; i < n; i++) {
    if (!g->in[i]) continue;
    total += g->value[i];
    requests += pods[i].request;
    entries++;
  }
  if (requests == 0) {
    snprintf(err, errlen, "no metrics returned matched known pods");
    return -1;
  }
  *util = (int32_t)(total * 100 / requests);
  *ratio = (double)*util / (double)target;
  *raw = total / entries;
  return 0;
}

/* GetMetricUtilizationRatio over the map. */
static double average_ratio(const grouping *g, size_t n, int64_t target, int64_t *average) {
  int64_t total = 0;
  for (size_t i = 0; i < n; i++)
    if (g->in[i]) total += g->value[i];
  *average = total / (int64_t)g->entries;
  return (double)*average / (double)target;
}

static bool within_tolerance(double ratio, const hpa_calc_opts *o) { return fabs(1.0 - ratio) <= o->tolerance; }

int hpa_utilization_replicas(const hpa_pod *pods, size_t n, int32_t current, int32_t target_pct,
                             const hpa_calc_opts *o, hpa_proposal *out, char *err, size_t errlen) {
  grouping g;
  if (group_pods(pods, n, o, &g, err, errlen)) return -1;
  int rc = -1;
  for (size_t i = 0; i < n; i++)
    if (!pods[i].has_request) {
      snprintf(err, errlen, "missing request for %s", o->resource);
      goto done;
    }
  if (!g.entries) {
    snprintf(err, errlen, "did not receive metrics for any ready pods");
    goto done;
  }
  double ratio;
  if (utilization_ratio(pods, n, &g, target_pct, &ratio, &out->utilization, &out->average, err, errlen)) goto done;
  out->ts_ms = g.ts_ms;
  rc = 0;
  bool rebalance = g.unready > 0 && ratio > 1.0;
  if (!rebalance && !g.missing) {
    out->replicas = within_tolerance(ratio, o) ? current : (int32_t)ceil(ratio * (double)g.ready);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if (g.group[i] == G_MISSING && ratio < 1.0) put(&g, i, pods[i].request); /* scale-down: as if at 100% */
    else if (g.group[i] == G_MISSING && ratio > 1.0) put(&g, i, 0);           /* scale-up: as if idle */
    if (g.group[i] == G_UNREADY && rebalance) put(&g, i, 0);
  }
  double new_ratio;
  int32_t ignored_util;
  int64_t ignored_raw;
  if (utilization_ratio(pods, n, &g, target_pct, &new_ratio, &ignored_util, &ignored_raw, err, errlen)) {
    rc = -1;
    goto done;
  }
  out->replicas = current;
  if (within_tolerance(new_ratio, o) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0))
    goto done; /* too small a change, or the direction would flip */
  int32_t proposal = (int32_t)ceil(new_ratio * (double)g.entries);
  if ((new_ratio < 1.0 && proposal > current) || (new_ratio > 1.0 && proposal < current)) goto done;
  out->replicas = proposal;
done:
  grouping_free(&g);
  return rc;
}

int hpa_average_replicas(const hpa_pod *pods, size_t n, int32_t current, int64_t target_milli,
                         const hpa_calc_opts *o, hpa_proposal *out, char *err, size_t errlen) {
  grouping g;
  if (group_pods(pods, n, o, &g, err, errlen)) return -1;
  int rc = -1;
  if (!g.entries) {
    snprintf(err, errlen, "did not receive metrics for any ready pods");
    goto done;
  }
  rc = 0;
  out->utilization = 0;
  out->ts_ms = g.ts_ms;
  double ratio = average_ratio(&g, n, target_milli, &out->average);
  bool rebalance = g.unready > 0 && ratio > 1.0;
  if (!rebalance && !g.missing) {
    out->replicas = within_tolerance(ratio, o) ? current : (int32_t)ceil(ratio * (double)g.ready);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if (g.group[i] == G_MISSING) put(&g, i, ratio < 1.0 ? target_milli : 0);
    if (g.group[i] == G_UNREADY && rebalance) put(&g, i, 0);
  }
  int64_t ignored;
  double new_ratio = average_ratio(&g, n, target_milli, &ignored);
  out->replicas = current;
  if (within_tolerance(new_ratio, o) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0))
    goto done;
  out->replicas = (int32_t)ceil(new_ratio * (double)g.entries);
done:
  grouping_free(&g);
  return rc;
}

/* ---- normalization ---- */

static int32_t min32(int32_t a, int32_t b) { return a <= b ? a : b; }
static int32_t max32(int32_t a, int32_t b) { return a >= b ? a : b; }

void hpa_history_clear(hpa_history *h) {
  free(h->recs);
  free(h->up);
  free(h->down);
  memset(h, 0, sizeof *h);
}

static void add_recommendation(hpa_history *h, bool replace, size_t at, int32_t replicas, long long now_ms) {
  if (!replace) {
    h->recs = realloc(h->recs, (h->nrecs + 1) * sizeof *h->recs);
    at = h->nrecs++;
  }
  h->recs[at] = (hpa_recommendation){replicas, now_ms};
}

void hpa_record_initial(hpa_history *h, int32_t current, long long now_ms) {
  if (!h->nrecs) add_recommendation(h, false, 0, current, now_ms);
}

/* stabilizeRecommendation: the highest recommendation of the window. */
static int32_t stabilize(hpa_history *h, int32_t desired, long long window_ms, long long now_ms) {
  int32_t best = desired;
  bool old = false;
  size_t at = 0;
  long long cutoff = now_ms - window_ms;
  for (size_t i = 0; i < h->nrecs; i++) {
    if (h->recs[i].ts_ms < cutoff) {
      old = true;
      at = i;
    } else if (h->recs[i].replicas > best) {
      best = h->recs[i].replicas;
    }
  }
  add_recommendation(h, old, at, desired, now_ms);
  return best;
}

static const char *const MSG_WITHIN = "the desired count is within the acceptable range";
static const char *const MSG_UP_RATE = "the desired replica count is increasing faster than the maximum scale rate";
static const char *const MSG_DOWN_RATE = "the desired replica count is decreasing faster than the maximum scale rate";
static const char *const MSG_TOO_MANY = "the desired replica count is more than the maximum replica count";
static const char *const MSG_TOO_FEW = "the desired replica count is less than the minimum replica count";

/* convertDesiredReplicasWithRules: min/max and max(2 x current, 4). */
static int32_t limit_by_rules(int32_t current, int32_t desired, int32_t min_r, int32_t max_r, hpa_normalized *out) {
  int32_t up_limit = (int32_t)fmax(2.0 * (double)current, 4.0), max_allowed;
  if (max_r > up_limit) {
    max_allowed = up_limit;
    out->limited_reason = "ScaleUpLimit";
    out->limited_message = MSG_UP_RATE;
  } else {
    max_allowed = max_r;
    out->limited_reason = "TooManyReplicas";
    out->limited_message = MSG_TOO_MANY;
  }
  if (desired < min_r) {
    out->limited_reason = "TooFewReplicas";
    out->limited_message = MSG_TOO_FEW;
    return min_r;
  }
  if (desired > max_allowed) return max_allowed;
  out->limited_reason = "DesiredWithinRange";
  out->limited_message = MSG_WITHIN;
  return desired;
}

/* Replicas added (or removed) by the events of the last period. */
static int32_t change_in_period(const hpa_scale_event *ev, size_t n, int32_t period_seconds, long long now_ms) {
  long long cutoff = now_ms - (long long)period_seconds * 1000;
  int32_t sum = 0;
  for (size_t i = 0; i < n; i++)
    if (ev[i].ts_ms > cutoff) sum += ev[i].change;
  return sum;
}

/* calculateScaleUpLimitWithScalingRules */
static int32_t scale_up_limit(int32_t current, const hpa_history *h, const hpa_rules *r, long long now_ms) {
  if (r->select == HPA_SELECT_DISABLED) return current;
  bool pick_min = r->select == HPA_SELECT_MIN;
  int32_t result = pick_min ? INT32_MAX : INT32_MIN;
  for (size_t i = 0; i < r->npolicies; i++) {
    const hpa_policy *p = &r->policies[i];
    int32_t start = current - change_in_period(h->up, h->nup, p->period_seconds, now_ms);
    int32_t proposed = p->percent ? (int32_t)ceil((double)start * (1.0 + (double)p->value / 100.0)) : start + p->value;
    result = pick_min ? min32(result, proposed) : max32(result, proposed);
  }
  return result;
}

/* calculateScaleDownLimitWithBehaviors */
static int32_t scale_down_limit(int32_t current, const hpa_history *h, const hpa_rules *r, long long now_ms) {
  if (r->select == HPA_SELECT_DISABLED) return current;
  bool pick_min = r->select == HPA_SELECT_MIN;
  int32_t result = pick_min ? INT32_MIN : INT32_MAX;
  for (size_t i = 0; i < r->npolicies; i++) {
    const hpa_policy *p = &r->policies[i];
    int32_t start = current + change_in_period(h->down, h->ndown, p->period_seconds, now_ms);
    int32_t proposed = p->percent ? (int32_t)((double)start * (1.0 - (double)p->value / 100.0)) : start - p->value;
    result = pick_min ? max32(result, proposed) : min32(result, proposed);
  }
  return result;
}

/* stabilizeRecommendationWithBehaviors */
static int32_t stabilize_with_behavior(hpa_history *h, const hpa_behavior *b, int32_t current, int32_t desired,
                                       long long now_ms, hpa_normalized *out) {
  bool up = desired >= current;
  long long delay_ms = (long long)(up ? b->up.window_seconds : b->down.window_seconds) * 1000;
  long long obsolete = now_ms - (long long)max32(b->up.window_seconds, b->down.window_seconds) * 1000;
  long long cutoff = now_ms - delay_ms;
  out->able_reason = up ? "ScaleUpStabilized" : "ScaleDownStabilized";
  out->able_message = up ? "recent recommendations were lower than current one, applying the lowest recent recommendation"
                         : "recent recommendations were higher than current one, applying the highest recent recommendation";
  int32_t best = desired;
  bool old = false;
  size_t at = 0;
  for (size_t i = 0; i < h->nrecs; i++) {
    if (h->recs[i].ts_ms > cutoff) best = up ? min32(h->recs[i].replicas, best) : max32(h->recs[i].replicas, best);
    if (h->recs[i].ts_ms < obsolete) {
      old = true;
      at = i;
    }
  }
  add_recommendation(h, old, at, desired, now_ms);
  return best;
}

/* convertDesiredReplicasWithBehaviorRate */
static int32_t limit_by_behavior(const hpa_history *h, const hpa_behavior *b, int32_t current, int32_t desired,
                                 int32_t min_r, int32_t max_r, long long now_ms, hpa_normalized *out) {
  out->limited_reason = "DesiredWithinRange";
  out->limited_message = MSG_WITHIN;
  if (desired > current) {
    int32_t limit = max32(scale_up_limit(current, h, &b->up, now_ms), current);
    int32_t max_allowed = max_r;
    const char *reason = "TooManyReplicas", *message = MSG_TOO_MANY;
    if (max_allowed > limit) {
      max_allowed = limit;
      reason = "ScaleUpLimit";
      message = MSG_UP_RATE;
    }
    if (desired > max_allowed) {
      out->limited_reason = reason;
      out->limited_message = message;
      return max_allowed;
    }
  } else if (desired < current) {
    int32_t limit = min32(scale_down_limit(current, h, &b->down, now_ms), current);
    int32_t min_allowed = min_r;
    const char *reason = "TooFewReplicas", *message = MSG_TOO_FEW;
    if (min_allowed < limit) {
      min_allowed = limit;
      reason = "ScaleDownLimit";
      message = MSG_DOWN_RATE;
    }
    if (desired < min_allowed) {
      out->limited_reason = reason;
      out->limited_message = message;
      return min_allowed;
    }
  }
  return desired;
}

int32_t hpa_normalize(hpa_history *h, const hpa_behavior *b, int32_t current, int32_t desired, int32_t min_replicas,
                      int32_t max_replicas, long long downscale_window_ms, long long now_ms, hpa_normalized *out) {
  int32_t stabilized;
  if (b) {
    stabilized = stabilize_with_behavior(h, b, current, desired, now_ms, out);
  } else {
    stabilized = stabilize(h, desired, downscale_window_ms, now_ms);
    out->able_reason = "ScaleDownStabilized";
    out->able_message =
        "recent recommendations were higher than current one, applying the highest recent recommendation";
  }
  if (stabilized == desired) {
    out->able_reason = "ReadyForNewScale";
    out->able_message = "recommended size matches current size";
  }
  int32_t result = b ? limit_by_behavior(h, b, current, stabilized, min_replicas, max_replicas, now_ms, out)
                     : limit_by_rules(current, stabilized, min_replicas, max_replicas, out);
  out->limited = result != stabilized;
  return result;
}

static int32_t longest_period(const hpa_rules *r) {
  int32_t longest = 0;
  for (size_t i = 0; i < r->npolicies; i++) longest = max32(longest, r->policies[i].period_seconds);
  return longest;
}

void hpa_store_scale_event(hpa_history *h, const hpa_behavior *b, int32_t prev, int32_t next, long long now_ms) {
  if (!b) return;
  bool up = next > prev;
  hpa_scale_event **ev = up ? &h->up : &h->down;
  size_t *n = up ? &h->nup : &h->ndown;
  long long cutoff = now_ms - (long long)longest_period(up ? &b->up : &b->down) * 1000;
  bool old = false;
  size_t at = 0;
  for (size_t i = 0; i < *n; i++) {
    if ((*ev)[i].ts_ms < cutoff) (*ev)[i].outdated = true;
    if ((*ev)[i].outdated) {
      old = true;
      at = i;
    }
  }
  if (!old) {
    *ev = realloc(*ev, (*n + 1) * sizeof **ev);
    at = (*n)++;
  }
  (*ev)[at] = (hpa_scale_event){up ? next - prev : prev - next, now_ms, false};
}
