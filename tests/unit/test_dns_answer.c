/* test_dns_answer.c - the cluster DNS without sockets: a zone built from
 * Services and EndpointSlices (controllers/dns/dns_zone.c) and the
 * responses dns_answer.c writes for it, read back record by record:
 * ClusterIP A/SRV/PTR, headless Services (ready endpoints only, hostnames,
 * SRV weights), ExternalName chains, pod names, NXDOMAIN/NODATA with SOA,
 * REFUSED outside, truncation over UDP and not over TCP, EDNS0, BADVERS. */
#include "dns_answer.h"
#include "dns_test_util.h"
#include "test.h"
#include <stdlib.h>

static dns_zone *zone(void) {
  json_t *svcs = json_loads(
      "[{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\"},\"spec\":{\"clusterIP\":\"10.96.3.4\","
      "\"clusterIPs\":[\"10.96.3.4\"],\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"},"
      "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},{\"port\":81}]}},"
      "{\"metadata\":{\"name\":\"kube-dns\",\"namespace\":\"kube-system\"},\"spec\":{\"clusterIP\":\"10.96.0.10\"}},"
      "{\"metadata\":{\"name\":\"db\",\"namespace\":\"prod\"},\"spec\":{\"clusterIP\":\"None\"}},"
      "{\"metadata\":{\"name\":\"empty\",\"namespace\":\"prod\"},\"spec\":{\"clusterIP\":\"None\"}},"
      "{\"metadata\":{\"name\":\"alias\",\"namespace\":\"prod\"},\"spec\":{\"type\":\"ExternalName\","
      "\"externalName\":\"web.prod.svc.cluster.local.\"}},"
      "{\"metadata\":{\"name\":\"ext\",\"namespace\":\"prod\"},\"spec\":{\"type\":\"ExternalName\","
      "\"externalName\":\"db.example.com\"}},"
      "{\"metadata\":{\"name\":\"loop\",\"namespace\":\"prod\"},\"spec\":{\"type\":\"ExternalName\","
      "\"externalName\":\"loop.prod.svc.cluster.local\"}}]",
      0, NULL);
  json_t *slices = json_loads(
      "[{\"metadata\":{\"name\":\"db-1\",\"namespace\":\"prod\",\"labels\":{\"kubernetes.io/service-name\":\"db\"}},"
      "\"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}],\"endpoints\":["
      "{\"addresses\":[\"10.1.0.5\"],\"hostname\":\"db-0\",\"conditions\":{\"ready\":true}},"
      "{\"addresses\":[\"10.1.0.6\"]},"
      "{\"addresses\":[\"10.1.0.7\"],\"hostname\":\"db-2\",\"conditions\":{\"ready\":false}}]},"
      "{\"metadata\":{\"name\":\"other\",\"namespace\":\"dev\",\"labels\":{\"kubernetes.io/service-name\":\"db\"}},"
      "\"endpoints\":[{\"addresses\":[\"10.9.9.9\"]}]}]",
      0, NULL);
  dns_zone *z = dns_zone_build("cluster.local", svcs, slices);
  json_decref(svcs);
  json_decref(slices);
  return z;
}

/* Asks z; the response read back into r. Returns dns_answer's length. */
static size_t ask(const dns_zone *z, const char *name, uint16_t type, uint16_t edns, bool tcp, dns_resp *r,
                  bool *outside) {
  uint8_t q[600], out[65535];
  size_t n = make_query(q, sizeof q, 42, name, type, edns);
  bool o;
  size_t len = dns_answer(z, q, n, tcp, false, out, sizeof out, outside ? outside : &o);
  CHECK(len == 0 || read_resp(out, len, r) == 0);
  return len;
}

/* Whether the response holds the record line want. */
static bool has(const dns_resp *r, const char *want) {
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->rr[i], want)) return true;
  fprintf(stderr, "  missing \"%s\" among %d records:\n", want, r->n);
  for (int i = 0; i < r->n; i++) fprintf(stderr, "    %s\n", r->rr[i]);
  return false;
}

static void test_cluster_ip(void) {
  dns_zone *z = zone();
  dns_resp r;
  ask(z, "web.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_NOERROR && r.an == 1 && (r.flags & 0x0400) && (r.flags & 0x8000));
  CHECK(has(&r, "web.prod.svc.cluster.local A 10.96.3.4"));
  ask(z, "WEB.Prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(has(&r, "WEB.Prod.svc.cluster.local A 10.96.3.4")); /* the asker's letter case */
  ask(z, "_http._tcp.web.prod.svc.cluster.local", DNS_SRV, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "_http._tcp.web.prod.svc.cluster.local SRV 0 100 80 web.prod.svc.cluster.local"));
  CHECK(r.ar == 1 && has(&r, "web.prod.svc.cluster.local A 10.96.3.4"));
  ask(z, "_dns._udp.web.prod.svc.cluster.local", DNS_SRV, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "_dns._udp.web.prod.svc.cluster.local SRV 0 100 53 web.prod.svc.cluster.local"));
  ask(z, "_dns._tcp.web.prod.svc.cluster.local", DNS_SRV, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_NXDOMAIN);
  ask(z, "4.3.96.10.in-addr.arpa", DNS_PTR, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "4.3.96.10.in-addr.arpa PTR web.prod.svc.cluster.local"));
  ask(z, "web.prod.svc.cluster.local", DNS_ANY, 0, false, &r, NULL);
  CHECK(r.an == 1); /* the unnamed port has no SRV record */
  dns_zone_unref(z);
}

static void test_headless(void) {
  dns_zone *z = zone();
  dns_resp r;
  ask(z, "db.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.an == 2 && has(&r, "db.prod.svc.cluster.local A 10.1.0.5") && has(&r, "db.prod.svc.cluster.local A 10.1.0.6"));
  ask(z, "db-0.db.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "db-0.db.prod.svc.cluster.local A 10.1.0.5"));
  ask(z, "10-1-0-6.db.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "10-1-0-6.db.prod.svc.cluster.local A 10.1.0.6"));
  ask(z, "db-2.db.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL); /* not ready */
  CHECK(r.rcode == DNS_NXDOMAIN);
  ask(z, "_pg._tcp.db.prod.svc.cluster.local", DNS_SRV, 0, false, &r, NULL);
  CHECK(r.an == 2 && has(&r, "_pg._tcp.db.prod.svc.cluster.local SRV 0 50 5432 db-0.db.prod.svc.cluster.local"));
  CHECK(has(&r, "_pg._tcp.db.prod.svc.cluster.local SRV 0 50 5432 10-1-0-6.db.prod.svc.cluster.local"));
  CHECK(r.ar == 2 && has(&r, "db-0.db.prod.svc.cluster.local A 10.1.0.5"));
  ask(z, "5.0.1.10.in-addr.arpa", DNS_PTR, 0, false, &r, NULL);
  CHECK(has(&r, "5.0.1.10.in-addr.arpa PTR db-0.db.prod.svc.cluster.local"));
  ask(z, "empty.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL); /* exists, no endpoints: NODATA */
  CHECK(r.rcode == DNS_NOERROR && r.an == 0 && r.ns == 1);
  ask(z, "9.9.9.10.in-addr.arpa", DNS_PTR, 0, false, &r, NULL); /* a slice of another namespace's db */
  CHECK(r.rcode == DNS_REFUSED);
  dns_zone_unref(z);
}

static void test_external_name(void) {
  dns_zone *z = zone();
  dns_resp r;
  ask(z, "alias.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.an == 2 && has(&r, "alias.prod.svc.cluster.local CNAME web.prod.svc.cluster.local"));
  CHECK(has(&r, "web.prod.svc.cluster.local A 10.96.3.4"));
  ask(z, "ext.prod.svc.cluster.local", DNS_AAAA, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_NOERROR && r.an == 1 && has(&r, "ext.prod.svc.cluster.local CNAME db.example.com"));
  ask(z, "ext.prod.svc.cluster.local", DNS_CNAME, 0, false, &r, NULL);
  CHECK(r.an == 1);
  ask(z, "loop.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL); /* bounded */
  CHECK(r.rcode == DNS_NOERROR && r.an == 8);
  dns_zone_unref(z);
}

static void test_pods_and_meta(void) {
  dns_zone *z = zone();
  dns_resp r;
  ask(z, "10-244-1-7.prod.pod.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "10-244-1-7.prod.pod.cluster.local A 10.244.1.7"));
  ask(z, "fd00--7.prod.pod.cluster.local", DNS_AAAA, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "fd00--7.prod.pod.cluster.local AAAA fd00::7"));
  ask(z, "10-244-1-7.prod.pod.cluster.local", DNS_AAAA, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_NOERROR && r.an == 0);
  ask(z, "10-244-1.prod.pod.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_NXDOMAIN);
  ask(z, "a.b.prod.pod.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_NXDOMAIN);
  ask(z, "dns-version.cluster.local", DNS_TXT, 0, false, &r, NULL);
  CHECK(has(&r, "dns-version.cluster.local TXT 1.1.0"));
  ask(z, "cluster.local", DNS_NS, 0, false, &r, NULL);
  CHECK(has(&r, "cluster.local NS ns.dns.cluster.local"));
  ask(z, "ns.dns.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(has(&r, "ns.dns.cluster.local A 10.96.0.10"));
  ask(z, "cluster.local", DNS_SOA, 0, false, &r, NULL);
  CHECK(r.an == 1 && has(&r, "cluster.local SOA ns.dns.cluster.local"));
  ask(z, "prod.svc.cluster.local", DNS_A, 0, false, &r, NULL); /* an empty non-terminal */
  CHECK(r.rcode == DNS_NOERROR && r.an == 0 && has(&r, "cluster.local SOA ns.dns.cluster.local"));
  dns_zone_unref(z);
}

static void test_errors(void) {
  dns_zone *z = zone();
  dns_resp r;
  bool outside;
  ask(z, "nope.prod.svc.cluster.local", DNS_A, 0, false, &r, &outside);
  CHECK(r.rcode == DNS_NXDOMAIN && r.an == 0 && r.ns == 1 && !outside && (r.flags & 0x0400));
  CHECK(has(&r, "cluster.local SOA ns.dns.cluster.local"));
  ask(z, "www.example.com", DNS_A, 0, false, &r, &outside);
  CHECK(r.rcode == DNS_REFUSED && outside && !(r.flags & 0x0400) && !(r.flags & 0x0080));
  ask(z, "web.prod.svc.cluster.local", DNS_A, 0, false, &r, &outside);
  CHECK(!outside);
  ask(NULL, "web.prod.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(r.rcode == DNS_SERVFAIL);
  /* class CHAOS */
  uint8_t q[512], out[512];
  size_t n = make_query(q, sizeof q, 5, "web.prod.svc.cluster.local", DNS_A, 0);
  q[n - 1] = 3;
  size_t len = dns_answer(z, q, n, false, false, out, sizeof out, &outside);
  CHECK(len && read_resp(out, len, &r) == 0 && r.rcode == DNS_REFUSED);
  /* a response is never answered; a broken query gets FORMERR */
  q[2] |= 0x80;
  CHECK(dns_answer(z, q, n, false, false, out, sizeof out, &outside) == 0);
  q[2] &= 0x7F;
  len = dns_answer(z, q, n - 2, false, false, out, sizeof out, &outside);
  CHECK(len == 12 && read_resp(out, len, &r) == 0 && r.rcode == DNS_FORMERR && out[0] == 0 && out[1] == 5);
  dns_zone_unref(z);
}

static void test_truncation_and_edns(void) {
  json_t *svcs = json_loads("[{\"metadata\":{\"name\":\"big\",\"namespace\":\"x\"},\"spec\":{\"clusterIP\":\"None\"}}]",
                            0, NULL);
  json_t *eps = json_array();
  char ip[32];
  for (int i = 1; i <= 60; i++) {
    snprintf(ip, sizeof ip, "10.2.0.%d", i);
    json_array_append_new(eps, json_pack("{s:[s]}", "addresses", ip));
  }
  json_t *slices = json_pack("[{s:{s:s,s:s,s:{s:s}},s:o}]", "metadata", "name", "big-1", "namespace", "x", "labels",
                             "kubernetes.io/service-name", "big", "endpoints", eps);
  dns_zone *z = dns_zone_build("cluster.local", svcs, slices);
  dns_resp r;
  size_t len = ask(z, "big.x.svc.cluster.local", DNS_A, 0, false, &r, NULL);
  CHECK(len <= 512 && (r.flags & 0x0200) && r.an == 0 && r.rcode == DNS_NOERROR);
  len = ask(z, "big.x.svc.cluster.local", DNS_A, 0, true, &r, NULL);
  CHECK(len > 512 && !(r.flags & 0x0200) && r.an == 60);
  len = ask(z, "big.x.svc.cluster.local", DNS_A, 4096, false, &r, NULL);
  CHECK(len > 512 && len <= 4096 && !(r.flags & 0x0200) && r.an == 60 && r.ar == 1 && has(&r, "OPT 1232 ext=0"));
  len = ask(z, "big.x.svc.cluster.local", DNS_A, 600, false, &r, NULL);
  CHECK(len <= 600 && (r.flags & 0x0200) && r.an == 0 && r.ar == 1);
  /* EDNS version 1: BADVERS (extended rcode 1, header rcode 0) */
  uint8_t q[512], out[512];
  size_t n = make_query(q, sizeof q, 5, "big.x.svc.cluster.local", DNS_A, 1232);
  q[n - 11 + 6] = 1;
  bool outside;
  len = dns_answer(z, q, n, false, false, out, sizeof out, &outside);
  CHECK(len && read_resp(out, len, &r) == 0 && r.rcode == 0 && r.an == 0 && has(&r, "OPT 1232 ext=1"));
  dns_zone_unref(z);
  json_decref(svcs);
  json_decref(slices);
}

TEST_MAIN(TEST(test_cluster_ip), TEST(test_headless), TEST(test_external_name), TEST(test_pods_and_meta),
          TEST(test_errors), TEST(test_truncation_and_edns))
