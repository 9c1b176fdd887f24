/* test_service_table.c - the service proxy's pure half: frontends for
 * ClusterIP, NodePort and LoadBalancer ports with their ready endpoints
 * (matched by port name and protocol), round-robin, and ClientIP affinity
 * that sticks, moves when its endpoint goes and expires after its timeout. */
#include "test.h"
#include "service_table.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static json_t *load(const char *text) {
  json_t *j = json_loads(text, 0, NULL);
  CHECK(j != NULL);
  return j;
}

static const char *SERVICES =
    "[{\"metadata\":{\"namespace\":\"ns\",\"name\":\"web\"},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":"
    "\"127.1.0.20\",\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"nodePort\":30080},"
    "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\",\"nodePort\":30053}]},"
    "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"127.255.0.1\"}]}}},"
    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"sticky\"},\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":"
    "\"127.1.0.21\",\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}},"
    "\"ports\":[{\"port\":8080}]}},"
    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"ext\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x\"}},"
    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"headless\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":1}]}}]";

static const char *ENDPOINTS =
    "[{\"metadata\":{\"namespace\":\"ns\",\"name\":\"web\"},\"subsets\":[{\"addresses\":[{\"ip\":\"127.2.0.3\"},"
    "{\"ip\":\"127.2.0.2\"}],\"notReadyAddresses\":[{\"ip\":\"127.2.0.9\"}],\"ports\":[{\"name\":\"http\",\"port\":"
    "8080,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"}]}]},"
    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"sticky\"},\"subsets\":[{\"addresses\":[{\"ip\":\"127.3.0.2\"},"
    "{\"ip\":\"127.3.0.3\"},{\"ip\":\"127.3.0.4\"}],\"ports\":[{\"port\":9000}]}]}]";

static void test_frontends(void) {
  json_t *s = load(SERVICES), *e = load(ENDPOINTS);
  uint32_t nodes[] = {IP(127, 0, 0, 1), IP(127, 2, 0, 1)};
  svc_table *t = svc_table_build(s, e, nodes, 2);
  CHECK(t->n == 2 * 4 + 1); /* web: (ClusterIP, 2 NodePorts, LB) x TCP/UDP; sticky: ClusterIP */
  const svc_frontend *f = svc_table_find(t, IP(127, 1, 0, 20), 80, false);
  CHECK(f && f->nbackends == 2 && f->backends[0].ip == IP(127, 2, 0, 2) && f->backends[0].port == 8080);
  CHECK(svc_table_find(t, IP(127, 0, 0, 1), 30080, false) != NULL);
  CHECK(svc_table_find(t, IP(127, 2, 0, 1), 30080, false) != NULL);
  CHECK(svc_table_find(t, IP(127, 255, 0, 1), 80, false) != NULL);
  f = svc_table_find(t, IP(127, 1, 0, 20), 53, true);
  CHECK(f && f->nbackends == 2 && f->backends[1].port == 5353);
  CHECK(svc_table_find(t, IP(127, 1, 0, 20), 53, false) == NULL);
  f = svc_table_find(t, IP(127, 1, 0, 21), 8080, false);
  CHECK(f && f->nbackends == 3 && f->affinity_seconds == 60);
  svc_table_free(t);
  json_decref(s);
  json_decref(e);
}

static void test_round_robin(void) {
  svc_addr b[] = {{IP(127, 2, 0, 2), 80}, {IP(127, 2, 0, 3), 80}, {IP(127, 2, 0, 4), 80}};
  svc_frontend f = {.key = "ns/web:/TCP", .backends = b, .nbackends = 3};
  svc_picker *p = svc_picker_new();
  svc_addr got;
  int seen[3] = {0};
  for (int i = 0; i < 9; i++) {
    CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 100, &got));
    seen[got.ip - IP(127, 2, 0, 2)]++;
  }
  CHECK(seen[0] == 3 && seen[1] == 3 && seen[2] == 3);
  /* a Service port gone from the table loses its cursor: a new one with that key starts over */
  CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 100, &got) && got.ip == IP(127, 2, 0, 2));
  svc_table kept = {.f = &f, .n = 1}, empty = {0};
  svc_picker_retain(p, &kept);
  CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 100, &got) && got.ip == IP(127, 2, 0, 3));
  svc_picker_retain(p, &empty);
  CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 100, &got) && got.ip == IP(127, 2, 0, 2));
  f.nbackends = 0;
  CHECK(!svc_pick(p, &f, IP(127, 0, 0, 1), 100, &got));
  svc_picker_free(p);
}

static void test_affinity(void) {
  svc_addr b[] = {{IP(127, 3, 0, 2), 80}, {IP(127, 3, 0, 3), 80}, {IP(127, 3, 0, 4), 80}};
  svc_frontend f = {.key = "ns/sticky:/TCP", .backends = b, .nbackends = 3, .affinity_seconds = 60};
  svc_picker *p = svc_picker_new(), *other = svc_picker_new();
  svc_addr first, got;
  CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 1000, &first));
  for (int i = 0; i < 10; i++) {
    CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 1000 + i * 30, &got));
    CHECK(got.ip == first.ip);
  }
  /* another agent with its own table picks the same endpoint for the client */
  CHECK(svc_pick(other, &f, IP(127, 0, 0, 1), 1000, &got) && got.ip == first.ip);
  /* clients spread over the endpoints */
  int spread[3] = {0};
  for (uint32_t c = 1; c <= 60; c++) {
    CHECK(svc_pick(p, &f, IP(127, 5, 0, c), 1000, &got));
    spread[got.ip - IP(127, 3, 0, 2)]++;
  }
  CHECK(spread[0] > 0 && spread[1] > 0 && spread[2] > 0);
  /* the endpoint goes: the client moves to one that is ready */
  svc_addr rest[2];
  size_t n = 0;
  for (int i = 0; i < 3; i++)
    if (b[i].ip != first.ip) rest[n++] = b[i];
  svc_frontend g = f;
  g.backends = rest;
  g.nbackends = 2;
  CHECK(svc_pick(p, &g, IP(127, 0, 0, 1), 1300, &got) && got.ip != first.ip);
  svc_addr moved = got;
  CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 1310, &got) && got.ip == moved.ip); /* sticks to the new one */
  /* idle past the timeout: forgotten by expire, chosen afresh; both agents agree on the fresh choice */
  svc_picker_expire(p, 1310 + 61);
  svc_addr fresh;
  CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), 1310 + 61, &fresh));
  svc_picker_free(other);
  other = svc_picker_new();
  CHECK(svc_pick(other, &f, IP(127, 0, 0, 1), 1310 + 61, &got) && got.ip == fresh.ip);
  /* sessions that expire one after another (the conformance test's curl every timeout + 5 s) do not all land on
   * the same endpoint: the choice moves with the epoch, as kube-proxy's random choice does */
  int seen[3] = {0}, distinct = 0;
  long t = 5000;
  for (int i = 0; i < 10; i++, t += 65) {
    svc_picker_expire(p, t);
    CHECK(svc_pick(p, &f, IP(127, 0, 0, 1), t, &got));
    if (!seen[got.ip - IP(127, 3, 0, 2)]++) distinct++;
  }
  CHECK(distinct > 1);
  /* a burst of connections well inside one epoch, spread over three agents, sees one endpoint */
  svc_picker *agents[3] = {svc_picker_new(), svc_picker_new(), svc_picker_new()};
  for (uint32_t c = 1; c <= 20; c++) {
    long start = 9000 + c * 7;
    svc_addr one;
    CHECK(svc_pick(agents[0], &f, IP(127, 6, 0, c), start, &one));
    for (int k = 0; k < 16; k++)
      CHECK(svc_pick(agents[k % 3], &f, IP(127, 6, 0, c), start, &got) && got.ip == one.ip);
  }
  for (int i = 0; i < 3; i++) svc_picker_free(agents[i]);
  svc_picker_free(p);
  svc_picker_free(other);
}

TEST_MAIN(TEST(test_frontends), TEST(test_round_robin), TEST(test_affinity))
