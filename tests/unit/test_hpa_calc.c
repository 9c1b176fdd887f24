/* test_hpa_calc.c - the HPA's arithmetic (controllers/hpa_calc.c) against
 * Kubernetes 1.20's: usage ratios and the tolerance, unready pods on a
 * scale-up, missing pods on scale-up and scale-down, direction flips,
 * ignored pods, the CPU initialization period, the error messages, average
 * values; the stabilization windows, the 2x/4-pod limit and the behavior
 * policies with their conditions. */
#include "hpa_calc.h"
#include "test.h"

#define NOW (1700000000LL * 1000)
#define MIN_MS (60LL * 1000)

static const hpa_calc_opts CPU = {"cpu", 0.1, 5 * MIN_MS, 30 * 1000, NOW};
static const hpa_calc_opts MEMORY = {"memory", 0.1, 5 * MIN_MS, 30 * 1000, NOW};

/* A pod running for an hour, ready, requesting 1000m, using usage. */
static hpa_pod pod(const char *name, int64_t usage) {
  return (hpa_pod){.name = name, .has_ready = true, .start_ms = NOW - 60 * MIN_MS, .ready_ms = NOW - 59 * MIN_MS,
                   .has_request = true, .request = 1000, .has_metric = true, .metric = usage,
                   .metric_ts_ms = NOW - 1000, .metric_window_ms = 5000};
}

static int32_t utilization(hpa_pod *pods, size_t n, int32_t current, int32_t target, hpa_proposal *p, char *err) {
  err[0] = 0;
  if (hpa_utilization_replicas(pods, n, current, target, &CPU, p, err, 256)) return -1;
  return p->replicas;
}

static void test_scale_up_and_tolerance(void) {
  char err[256];
  hpa_proposal p;
  hpa_pod pods[] = {pod("a", 300), pod("b", 500), pod("c", 700)};
  CHECK(utilization(pods, 3, 3, 30, &p, err) == 5); /* 50% of 30% */
  CHECK(p.utilization == 50);
  CHECK(p.average == 500);
  CHECK(p.ts_ms == NOW - 1000);
  CHECK(utilization(pods, 3, 3, 46, &p, err) == 3); /* 50/46 = 1.087: within 10% */
  CHECK(utilization(pods, 3, 3, 100, &p, err) == 2); /* ceil(0.5 * 3) */
}

static void test_unready_pods_on_scale_up(void) {
  char err[256];
  hpa_proposal p;
  hpa_pod pods[] = {pod("a", 300), pod("b", 500), pod("c", 700)};
  pods[0].ready_false = true;
  pods[0].start_ms = NOW - 10 * MIN_MS;
  pods[0].ready_ms = NOW - 10 * MIN_MS + 1000; /* unready since its start: never ready */
  /* 60% over the ready pods; the unready one counts as 0: 40% -> 4 */
  CHECK(utilization(pods, 3, 3, 30, &p, err) == 4);
  CHECK(p.utilization == 60);
  /* a pending pod is unready too, and does not count on a scale-down */
  hpa_pod down[] = {pod("a", 100), pod("b", 100), pod("c", 0)};
  down[2].pending = true;
  down[2].has_metric = false;
  CHECK(utilization(down, 3, 3, 50, &p, err) == 1);
}

static void test_missing_pods(void) {
  char err[256];
  hpa_proposal p;
  /* scale-down: the missing pod counts as using its whole request */
  hpa_pod down[] = {pod("a", 100), pod("b", 100), pod("c", 100), pod("d", 0)};
  down[3].has_metric = false;
  CHECK(utilization(down, 4, 4, 50, &p, err) == 3); /* 32% / 50% * 4 = 2.56 */
  CHECK(p.utilization == 10);
  /* scale-up: as using nothing */
  hpa_pod up[] = {pod("a", 900), pod("b", 900), pod("c", 900), pod("d", 0)};
  up[3].has_metric = false;
  CHECK(utilization(up, 4, 4, 50, &p, err) == 6); /* 67% / 50% * 4 = 5.36 */
  /* the missing pod would flip the direction: keep the size */
  hpa_pod flip[] = {pod("a", 400), pod("b", 400), pod("c", 400), pod("d", 0)};
  flip[3].has_metric = false;
  CHECK(utilization(flip, 4, 4, 50, &p, err) == 4);
}

static void test_ignored_pods(void) {
  char err[256];
  hpa_proposal p;
  hpa_pod pods[] = {pod("a", 900), pod("b", 900), pod("gone", 0), pod("failed", 0)};
  pods[2].ignored = pods[3].ignored = true;
  pods[2].has_metric = pods[3].has_metric = false;
  CHECK(utilization(pods, 4, 2, 50, &p, err) == 4); /* 90% / 50% * 2 = 3.6 */
}

static void test_cpu_initialization_period(void) {
  char err[256];
  hpa_proposal p;
  hpa_pod pods[] = {pod("old", 900), pod("young", 900)};
  /* started a minute ago, ready 2 s ago: its sample covers time before it
   * was ready, so it counts as unready (0%): 45% against 90% flips the
   * direction and the size stays */
  pods[1].start_ms = NOW - MIN_MS;
  pods[1].ready_ms = NOW - 2000;
  CHECK(utilization(pods, 2, 2, 50, &p, err) == 2);
  /* with a full window since it became ready the sample counts */
  pods[1].ready_ms = NOW - 10000;
  CHECK(utilization(pods, 2, 2, 50, &p, err) == 4);
  /* memory ignores readiness */
  pods[1].ready_ms = NOW - 2000;
  CHECK(hpa_utilization_replicas(pods, 2, 2, 50, &MEMORY, &p, err, sizeof err) == 0 && p.replicas == 4);
}

static void test_errors(void) {
  char err[256];
  hpa_proposal p;
  hpa_pod none[] = {pod("a", 0)};
  none[0].has_metric = false;
  CHECK(utilization(none, 1, 1, 50, &p, err) == -1);
  CHECK_STR(err, "unable to get metrics for resource cpu: no metrics returned from resource metrics API");
  hpa_pod noreq[] = {pod("a", 100), pod("b", 100)};
  noreq[1].has_request = false;
  CHECK(utilization(noreq, 2, 2, 50, &p, err) == -1);
  CHECK_STR(err, "missing request for cpu");
  hpa_pod unready[] = {pod("a", 100)};
  unready[0].has_ready = false;
  CHECK(utilization(unready, 1, 1, 50, &p, err) == -1);
  CHECK_STR(err, "did not receive metrics for any ready pods");
  hpa_pod zero[] = {pod("a", 100)};
  zero[0].request = 0;
  CHECK(utilization(zero, 1, 1, 50, &p, err) == -1);
  CHECK_STR(err, "no metrics returned matched known pods");
}

static void test_average_value(void) {
  char err[256] = "";
  hpa_proposal p;
  hpa_pod pods[] = {pod("a", 200), pod("b", 400)};
  CHECK(hpa_average_replicas(pods, 2, 2, 100, &CPU, &p, err, sizeof err) == 0);
  CHECK(p.replicas == 6 && p.average == 300 && p.utilization == 0);
  CHECK(hpa_average_replicas(pods, 2, 2, 290, &CPU, &p, err, sizeof err) == 0 && p.replicas == 2); /* within 10% */
  /* a missing pod on a scale-down counts at the target value */
  hpa_pod down[] = {pod("a", 100), pod("b", 100), pod("c", 0)};
  down[2].has_metric = false;
  CHECK(hpa_average_replicas(down, 3, 3, 1000, &CPU, &p, err, sizeof err) == 0 && p.replicas == 2); /* 400/1000*3 */
}

/* ---- normalization ---- */

static hpa_behavior default_behavior(int32_t down_window) {
  hpa_behavior b = {{0, HPA_SELECT_MAX, {{false, 4, 15}, {true, 100, 15}}, 2},
                    {down_window, HPA_SELECT_MAX, {{true, 100, 15}}, 1}};
  return b;
}

static void test_legacy_stabilization_and_limits(void) {
  hpa_history h = {0};
  hpa_normalized nz;
  hpa_record_initial(&h, 5, NOW - MIN_MS);
  /* 5 was recommended a minute ago: no scale-down within 5 minutes */
  CHECK(hpa_normalize(&h, NULL, 5, 2, 1, 10, 5 * MIN_MS, NOW, &nz) == 5);
  CHECK_STR(nz.able_reason, "ScaleDownStabilized");
  CHECK(!nz.limited);
  /* once the window passed the lower recommendation wins */
  CHECK(hpa_normalize(&h, NULL, 5, 2, 1, 10, 5 * MIN_MS, NOW + 6 * MIN_MS, &nz) == 2);
  CHECK_STR(nz.able_reason, "ReadyForNewScale");
  CHECK_STR(nz.limited_reason, "DesiredWithinRange");
  /* scale-up: at most max(2 x current, 4) */
  CHECK(hpa_normalize(&h, NULL, 1, 10, 1, 20, 5 * MIN_MS, NOW + 7 * MIN_MS, &nz) == 4);
  CHECK(nz.limited);
  CHECK_STR(nz.limited_reason, "ScaleUpLimit");
  CHECK_STR(nz.limited_message, "the desired replica count is increasing faster than the maximum scale rate");
  CHECK(hpa_normalize(&h, NULL, 4, 10, 1, 5, 5 * MIN_MS, NOW + 8 * MIN_MS, &nz) == 5);
  CHECK_STR(nz.limited_reason, "TooManyReplicas");
  hpa_history_clear(&h);
  CHECK(hpa_normalize(&h, NULL, 2, 0, 1, 5, 5 * MIN_MS, NOW, &nz) == 1);
  CHECK_STR(nz.limited_reason, "TooFewReplicas");
  CHECK(nz.limited);
  hpa_history_clear(&h);
}

static void test_behavior_policies(void) {
  hpa_history h = {0};
  hpa_normalized nz;
  hpa_behavior b = default_behavior(0);
  /* up: max(2 + 4 pods, 2 x 200%) in 15 s */
  CHECK(hpa_normalize(&h, &b, 2, 20, 1, 50, 5 * MIN_MS, NOW, &nz) == 6);
  CHECK_STR(nz.limited_reason, "ScaleUpLimit");
  hpa_store_scale_event(&h, &b, 2, 6, NOW);
  /* within the period the 4 pods are used up */
  CHECK(hpa_normalize(&h, &b, 6, 20, 1, 50, 5 * MIN_MS, NOW + 5000, &nz) == 6);
  /* after it: 6 + 4 or 6 x 2 */
  CHECK(hpa_normalize(&h, &b, 6, 20, 1, 50, 5 * MIN_MS, NOW + 16000, &nz) == 12);
  hpa_history_clear(&h);
  /* down: Percent 50 per 15 s */
  b.down.policies[0] = (hpa_policy){true, 50, 15};
  CHECK(hpa_normalize(&h, &b, 10, 1, 1, 50, 5 * MIN_MS, NOW, &nz) == 5);
  CHECK_STR(nz.limited_reason, "ScaleDownLimit");
  CHECK_STR(nz.limited_message, "the desired replica count is decreasing faster than the maximum scale rate");
  hpa_history_clear(&h);
  /* down disabled */
  b.down.select = HPA_SELECT_DISABLED;
  CHECK(hpa_normalize(&h, &b, 10, 1, 1, 50, 5 * MIN_MS, NOW, &nz) == 10);
  hpa_history_clear(&h);
  /* Min picks the smaller scale-up */
  b.up.select = HPA_SELECT_MIN;
  CHECK(hpa_normalize(&h, &b, 2, 20, 1, 50, 5 * MIN_MS, NOW, &nz) == 4);
  hpa_history_clear(&h);
}

static void test_behavior_windows(void) {
  hpa_history h = {0};
  hpa_normalized nz;
  hpa_behavior b = default_behavior(30);
  hpa_record_initial(&h, 4, NOW);
  /* a scale-down inside the 30 s window keeps the highest recommendation */
  CHECK(hpa_normalize(&h, &b, 4, 1, 1, 10, 5 * MIN_MS, NOW + 10000, &nz) == 4);
  CHECK_STR(nz.able_reason, "ScaleDownStabilized");
  CHECK(hpa_normalize(&h, &b, 4, 1, 1, 10, 5 * MIN_MS, NOW + 31000, &nz) == 1);
  CHECK_STR(nz.able_reason, "ReadyForNewScale");
  hpa_history_clear(&h);
  /* a scale-up window keeps the lowest */
  b.up.window_seconds = 60;
  hpa_record_initial(&h, 3, NOW);
  CHECK(hpa_normalize(&h, &b, 3, 8, 1, 10, 5 * MIN_MS, NOW + 10000, &nz) == 3);
  CHECK_STR(nz.able_reason, "ScaleUpStabilized");
  CHECK_STR(nz.able_message, "recent recommendations were lower than current one, applying the lowest recent recommendation");
  hpa_history_clear(&h);
  /* window 0 scales down at once */
  b = default_behavior(0);
  hpa_record_initial(&h, 5, NOW);
  CHECK(hpa_normalize(&h, &b, 5, 1, 1, 10, 5 * MIN_MS, NOW, &nz) == 1);
  hpa_history_clear(&h);
}

TEST_MAIN(TEST(test_scale_up_and_tolerance), TEST(test_unready_pods_on_scale_up), TEST(test_missing_pods),
          TEST(test_ignored_pods), TEST(test_cpu_initialization_period), TEST(test_errors), TEST(test_average_value),
          TEST(test_legacy_stabilization_and_limits), TEST(test_behavior_policies), TEST(test_behavior_windows))
