/* test_ingress_metrics.c - the Ingress proxy's Prometheus text: request
 * counters by status class, the latency histogram's cumulative buckets,
 * _sum and _count, under ckube's names and again under ingress-nginx's
 * (nginx_ingress_controller_request_duration_seconds with namespace and
 * ingress apart, the Service's name, the canary upstream in "canary"). */
#include "ingress_metrics.h"
#include "test.h"

#include <stdlib.h>

static char *metrics_text(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ingress_metrics_write(f);
  fclose(f);
  return buf;
}

static void test_histograms_under_both_names(void) {
  ingress_series *main_s = ingress_metrics_series("ns1/shop", "a.example", "/", "ns1-web-80", "web", false);
  ingress_series *canary = ingress_metrics_series("ns1/shop-canary", "a.example", "/", "ns1-web2-80", "web2", true);
  CHECK(main_s == ingress_metrics_series("ns1/shop", "a.example", "/", "ns1-web-80", "web", false));
  ingress_metrics_observe(main_s, 200, 0.002);
  ingress_metrics_observe(main_s, 204, 0.02);
  ingress_metrics_observe(main_s, 503, 3);
  ingress_metrics_observe(canary, 200, 0.0001);
  char *t = metrics_text();
  const char *nginx = "nginx_ingress_controller_request_duration_seconds";
  const char *labels = "{namespace=\"ns1\",ingress=\"shop\",service=\"web\",host=\"a.example\",path=\"/\",canary=\"\"";
  char want[512];
  snprintf(want, sizeof want, "%s_bucket%s,le=\"0.0025\"} 1\n", nginx, labels);
  CHECK(strstr(t, want) != NULL);
  snprintf(want, sizeof want, "%s_bucket%s,le=\"0.025\"} 2\n", nginx, labels);
  CHECK(strstr(t, want) != NULL);
  snprintf(want, sizeof want, "%s_bucket%s,le=\"2.5\"} 2\n", nginx, labels);
  CHECK(strstr(t, want) != NULL);
  snprintf(want, sizeof want, "%s_bucket%s,le=\"+Inf\"} 3\n", nginx, labels);
  CHECK(strstr(t, want) != NULL);
  snprintf(want, sizeof want, "%s_count%s} 3\n", nginx, labels);
  CHECK(strstr(t, want) != NULL);
  snprintf(want, sizeof want, "%s_sum%s} 3.022\n", nginx, labels);
  CHECK(strstr(t, want) != NULL);
  /* the canary Ingress's series names its upstream in "canary" */
  snprintf(want, sizeof want,
           "%s_count{namespace=\"ns1\",ingress=\"shop-canary\",service=\"web2\",host=\"a.example\",path=\"/\","
           "canary=\"ns1-web2-80\"} 1\n",
           nginx);
  CHECK(strstr(t, want) != NULL);
  /* ckube's own names keep their labels */
  CHECK(strstr(t, "ckube_ingress_requests_total{ingress=\"ns1/shop\",host=\"a.example\",path=\"/\",service=\"ns1-web-80\","
                  "canary=\"false\",status=\"2xx\"} 2\n") != NULL);
  CHECK(strstr(t, "ckube_ingress_requests_total{ingress=\"ns1/shop\",host=\"a.example\",path=\"/\",service=\"ns1-web-80\","
                  "canary=\"false\",status=\"5xx\"} 1\n") != NULL);
  CHECK(strstr(t, "ckube_ingress_request_duration_seconds_count{ingress=\"ns1/shop\",host=\"a.example\",path=\"/\","
                  "service=\"ns1-web-80\",canary=\"false\"} 3\n") != NULL);
  CHECK(strstr(t, "# TYPE nginx_ingress_controller_request_duration_seconds histogram\n") != NULL);
  free(t);
  ingress_metrics_shutdown();
  t = metrics_text();
  CHECK(strstr(t, "ns1/shop") == NULL && strstr(t, "_bucket{") == NULL);
  free(t);
}

TEST_MAIN(TEST(test_histograms_under_both_names))
