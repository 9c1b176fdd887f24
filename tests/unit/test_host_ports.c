/* test_host_ports.c - hostPorts on the node (host_ports.c): frontends for a
 * running pod's host ports on hostIP or the node's address, TCP and UDP, none
 * for finished, address-less or hostNetwork pods; and kubelet's NodePorts
 * admission rules (pod_admission.c): same protocol and port conflict when the
 * addresses are equal or either is 0.0.0.0. */
#include "test.h"
#include "host_ports.h"
#include "pod_admission.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static json_t *pod(const char *name, const char *phase, const char *ip, const char *ports) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"%s\",\"uid\":\"u-%s\"},\"spec\":{\"containers\":[{\"name\":"
           "\"c\",\"ports\":%s}]},\"status\":{\"phase\":\"%s\"%s%s%s}}",
           name, name, ports, phase, ip ? ",\"podIP\":\"" : "", ip ? ip : "", ip ? "\"" : "");
  json_t *j = json_loads(text, 0, NULL);
  CHECK(j != NULL);
  return j;
}

static void test_frontends(void) {
  json_t *pods = json_array();
  json_array_append_new(pods, pod("pod1", "Running", "127.9.0.2",
                                   "[{\"containerPort\":80,\"hostPort\":54321,\"hostIP\":\"127.0.0.1\"}]"));
  json_array_append_new(pods, pod("pod2", "Running", "127.9.0.3",
                                   "[{\"containerPort\":80,\"hostPort\":54321,\"protocol\":\"TCP\"},"
                                   "{\"containerPort\":81}]"));
  json_array_append_new(pods, pod("pod3", "Running", "127.9.0.4",
                                   "[{\"containerPort\":80,\"hostPort\":54321,\"hostIP\":\"0.0.0.0\",\"protocol\":"
                                   "\"UDP\"}]"));
  json_array_append_new(pods, pod("done", "Succeeded", "127.9.0.5", "[{\"containerPort\":80,\"hostPort\":1000}]"));
  json_array_append_new(pods, pod("pending", "Pending", NULL, "[{\"containerPort\":80,\"hostPort\":1001}]"));
  json_array_append_new(pods, pod("onnode", "Running", "127.9.0.1", "[{\"containerPort\":80,\"hostPort\":1002}]"));
  json_array_append_new(pods, pod("sctp", "Running", "127.9.0.6",
                                   "[{\"containerPort\":80,\"hostPort\":1003,\"protocol\":\"SCTP\"}]"));
  svc_table *t = calloc(1, sizeof *t);
  host_ports_add(t, pods, IP(127, 9, 0, 1));
  CHECK(t->n == 3);
  const svc_frontend *f = svc_table_find(t, IP(127, 0, 0, 1), 54321, false);
  CHECK(f && f->exclusive && f->nbackends == 1 && f->backends[0].ip == IP(127, 9, 0, 2) && f->backends[0].port == 80);
  CHECK(!strcmp(f->key, "hostport/ns/pod1:54321/TCP"));
  f = svc_table_find(t, IP(127, 9, 0, 1), 54321, false); /* no hostIP: the node's address */
  CHECK(f && f->backends[0].ip == IP(127, 9, 0, 3));
  f = svc_table_find(t, IP(127, 9, 0, 1), 54321, true); /* 0.0.0.0, UDP */
  CHECK(f && f->udp && f->backends[0].ip == IP(127, 9, 0, 4));
  CHECK(!svc_table_find(t, IP(127, 9, 0, 1), 1000, false) && !svc_table_find(t, IP(127, 9, 0, 1), 1001, false));
  CHECK(!svc_table_find(t, IP(127, 9, 0, 1), 1002, false));
  svc_table_free(t);
  json_decref(pods);
}

static void test_conflicts(void) {
  json_t *local_tcp = pod("a", "Running", "127.9.0.2", "[{\"containerPort\":80,\"hostPort\":54321,\"hostIP\":"
                                                       "\"127.0.0.1\"}]");
  json_t *node_tcp = pod("b", "Pending", NULL, "[{\"containerPort\":80,\"hostPort\":54321,\"hostIP\":\"127.9.0.1\"}]");
  json_t *node_udp = pod("c", "Pending", NULL, "[{\"containerPort\":80,\"hostPort\":54321,\"hostIP\":\"127.9.0.1\","
                                               "\"protocol\":\"UDP\"}]");
  json_t *any_tcp = pod("d", "Pending", NULL, "[{\"containerPort\":21017,\"hostPort\":54321}]");
  json_t *other = pod("e", "Pending", NULL, "[{\"containerPort\":80,\"hostPort\":54322},{\"containerPort\":54321}]");
  CHECK(!pod_host_ports_conflict(node_tcp, local_tcp)); /* different hostIP */
  CHECK(!pod_host_ports_conflict(node_udp, node_tcp));  /* different protocol */
  CHECK(pod_host_ports_conflict(node_tcp, node_tcp));
  CHECK(pod_host_ports_conflict(any_tcp, local_tcp)); /* 0.0.0.0 takes every address */
  CHECK(pod_host_ports_conflict(local_tcp, any_tcp));
  CHECK(!pod_host_ports_conflict(any_tcp, node_udp));
  CHECK(!pod_host_ports_conflict(other, any_tcp)); /* a containerPort alone holds nothing */
  json_decref(local_tcp);
  json_decref(node_tcp);
  json_decref(node_udp);
  json_decref(any_tcp);
  json_decref(other);
}

TEST_MAIN(TEST(test_frontends), TEST(test_conflicts))
