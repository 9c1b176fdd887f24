/* hpa_calc.h - the HorizontalPodAutoscaler's arithmetic as pure functions
 * of the pods, their metrics and the time, the way Kubernetes 1.20 does it
 * (pkg/controller/podautoscaler: replica_calculator.go, the normalization
 * in horizontal.go): pods grouped into ready, unready, missing and ignored;
 * the usage ratio with its tolerance, missing pods counted at 100% on a
 * scale-down and 0% on a scale-up, unready pods at 0% on a scale-up; the
 * scale-down stabilization window and the 2x/4-pod scale-up limit without
 * a behavior; the stabilization windows and Pods/Percent policies of
 * spec.behavior with one. hpa.c feeds it; tests/unit/test_hpa_calc.c
 * drives it. Quantities are milli-units, times ms since the epoch. */
#ifndef CKUBE_HPA_CALC_H
#define CKUBE_HPA_CALC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the calculation needs of one pod the target's selector picks. */
typedef struct {
  const char *name;
  bool ignored;          /* being deleted, or phase Failed */
  bool pending;          /* phase Pending (counted as unready) */
  bool has_ready;        /* a Ready condition and a startTime exist */
  bool ready_false;      /* the Ready condition is False (Unknown is not) */
  long long start_ms;    /* status.startTime */
  long long ready_ms;    /* the Ready condition's lastTransitionTime */
  bool has_request;      /* every counted container requests the resource */
  int64_t request;       /* their requests summed */
  bool has_metric;       /* a sample exists */
  int64_t metric;        /* the usage summed over the counted containers */
  long long metric_ts_ms, metric_window_ms;
} hpa_pod;

typedef struct {
  const char *resource;        /* "cpu", "memory": error messages; cpu applies the readiness rules */
  double tolerance;            /* 0.1 */
  long long cpu_init_ms;       /* 5 min: samples of younger pods need a window after Ready */
  long long readiness_delay_ms; /* 30 s: a pod unready this long after start was ready once */
  long long now_ms;
} hpa_calc_opts;

typedef struct {
  int32_t replicas;    /* the proposal */
  int32_t utilization; /* percentage of the request (utilization targets) */
  int64_t average;     /* the average usage per pod (milli-units) */
  long long ts_ms;     /* the timestamp of the metrics */
} hpa_proposal;

/* GetResourceReplicas: the replicas for target_pct percent of the request.
 * 0, or -1 with Kubernetes' message in err ("did not receive metrics for
 * any ready pods", "missing request for cpu", ...). */
int hpa_utilization_replicas(const hpa_pod *pods, size_t n, int32_t current, int32_t target_pct,
                             const hpa_calc_opts *o, hpa_proposal *out, char *err, size_t errlen);
/* GetRawResourceReplicas: the replicas for an average value per pod. */
int hpa_average_replicas(const hpa_pod *pods, size_t n, int32_t current, int64_t target_milli,
                         const hpa_calc_opts *o, hpa_proposal *out, char *err, size_t errlen);

/* ---- normalization: stabilization, limits, behavior ---- */

#define HPA_MAX_POLICIES 8
typedef enum { HPA_SELECT_MAX, HPA_SELECT_MIN, HPA_SELECT_DISABLED } hpa_select;
typedef struct {
  bool percent; /* type Percent, else Pods */
  int32_t value, period_seconds;
} hpa_policy;
typedef struct {
  int32_t window_seconds; /* stabilizationWindowSeconds */
  hpa_select select;
  hpa_policy policies[HPA_MAX_POLICIES];
  size_t npolicies;
} hpa_rules;
typedef struct {
  hpa_rules up, down;
} hpa_behavior;

/* What an autoscaler remembers between syncs (horizontal.go's
 * recommendations and scale events). Zero-initialized when new. */
typedef struct {
  int32_t replicas;
  long long ts_ms;
} hpa_recommendation;
typedef struct {
  int32_t change;
  long long ts_ms;
  bool outdated;
} hpa_scale_event;
typedef struct {
  hpa_recommendation *recs;
  size_t nrecs;
  hpa_scale_event *up, *down;
  size_t nup, ndown;
} hpa_history;
/* Frees what h holds (not h). */
void hpa_history_clear(hpa_history *h);

/* recordInitialRecommendation: the current size, once. */
void hpa_record_initial(hpa_history *h, int32_t current, long long now_ms);

/* The conditions a normalization decides (static strings): AbleToScale
 * (True) with its reason and message, ScalingLimited's status, reason and
 * message. */
typedef struct {
  const char *able_reason, *able_message;
  bool limited;
  const char *limited_reason, *limited_message;
} hpa_normalized;

/* normalizeDesiredReplicas (b NULL: no spec.behavior; downscale_window_ms
 * is the controller's stabilization window) or
 * normalizeDesiredReplicasWithBehaviors: the replicas to scale to. */
int32_t hpa_normalize(hpa_history *h, const hpa_behavior *b, int32_t current, int32_t desired, int32_t min_replicas,
                      int32_t max_replicas, long long downscale_window_ms, long long now_ms, hpa_normalized *out);

/* storeScaleEvent: remembers a rescale from prev to next (only with a behavior). */
void hpa_store_scale_event(hpa_history *h, const hpa_behavior *b, int32_t prev, int32_t next, long long now_ms);

#endif
