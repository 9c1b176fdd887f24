/* test_pod_dns.c - the pod's resolv.conf (node/pod_dns.c) for every
 * dnsPolicy against a made-up node resolv.conf: ClusterFirst (the
 * cluster DNS, the namespace's search path before the node's, ndots:5),
 * ClusterFirst on the host network and without a cluster DNS (both
 * Default), ClusterFirstWithHostNet, None with dnsConfig, dnsConfig merged
 * (duplicates dropped, options replaced by name), kubelet's limits. */
#include "pod_dns.h"
#include "test.h"
#include <stdlib.h>
#include <unistd.h>

static char host[64];

static void write_host(void) {
  snprintf(host, sizeof host, "/tmp/ckube-test-resolv-%d", (int)getpid());
  FILE *f = fopen(host, "w");
  fputs("# comment\nnameserver 192.0.2.53\nnameserver 192.0.2.54 ; trailing\nsearch old.example\n"
        "search corp.example lab.example\noptions timeout:2 rotate\n",
        f);
  fclose(f);
}

static void conf(const char *pod_json, const char *dns, char *out) {
  json_t *pod = json_loads(pod_json, 0, NULL);
  pod_dns_resolv_conf(pod, dns, host, out, 2048);
  json_decref(pod);
}

static void test_policies(void) {
  char out[2048];
  conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{}}", "10.96.0.10", out);
  CHECK_STR(out, "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example "
                 "lab.example\noptions ndots:5\n");
  conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{\"dnsPolicy\":\"ClusterFirst\",\"hostNetwork\":true}}",
       "10.96.0.10", out);
  CHECK_STR(out, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\n"
                 "options timeout:2 rotate\n");
  conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{\"dnsPolicy\":\"ClusterFirstWithHostNet\",\"hostNetwork\":true}}",
       "10.96.0.10", out);
  CHECK_STR(out, "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example "
                 "lab.example\noptions ndots:5\n");
  conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{\"dnsPolicy\":\"Default\"}}", "10.96.0.10", out);
  CHECK_STR(out, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\n"
                 "options timeout:2 rotate\n");
  conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{}}", "", out); /* no cluster DNS: Default */
  CHECK_STR(out, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\n"
                 "options timeout:2 rotate\n");
}

static void test_dns_config(void) {
  char out[2048];
  conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsPolicy\":\"None\",\"dnsConfig\":{\"nameservers\":"
       "[\"1.2.3.4\"],\"searches\":[\"ns1.svc.cluster-domain.example\",\"my.dns.search.suffix\"],\"options\":"
       "[{\"name\":\"ndots\",\"value\":\"2\"},{\"name\":\"edns0\"}]}}}",
       "10.96.0.10", out);
  CHECK_STR(out, "nameserver 1.2.3.4\nsearch ns1.svc.cluster-domain.example my.dns.search.suffix\n"
                 "options ndots:2 edns0\n");
  conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsConfig\":{\"nameservers\":[\"10.96.0.10\",\"1.1.1.1\"],"
       "\"searches\":[\"cluster.local\",\"x.example\"],\"options\":[{\"name\":\"ndots\",\"value\":\"1\"},"
       "{\"name\":\"single-request\"}]}}}",
       "10.96.0.10", out);
  CHECK_STR(out, "nameserver 10.96.0.10\nnameserver 1.1.1.1\nsearch a.svc.cluster.local svc.cluster.local "
                 "cluster.local corp.example lab.example x.example\noptions ndots:1 single-request\n");
  /* limits: 3 nameservers, 6 search domains */
  conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsPolicy\":\"Default\",\"dnsConfig\":{\"nameservers\":"
       "[\"1.1.1.1\",\"2.2.2.2\"],\"searches\":[\"s1\",\"s2\",\"s3\",\"s4\",\"s5\"]}}}",
       "", out);
  CHECK_STR(out, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 1.1.1.1\n"
                 "search corp.example lab.example s1 s2 s3 s4\noptions timeout:2 rotate\n");
  conf("{\"spec\":{\"dnsPolicy\":\"None\"}}", "10.96.0.10", out);
  CHECK_STR(out, "");
}

static json_t *fake_get(void *ctx, const char *plural, const char *ns, const char *name) {
  if (strcmp(plural, "services") || strcmp(ns, "kube-system") || strcmp(name, "kube-dns")) return NULL;
  return json_pack("{s:{s:s}}", "spec", "clusterIP", (const char *)ctx);
}

static void test_cluster_ip(void) {
  char ip[64];
  CHECK(pod_dns_cluster_ip(fake_get, "127.1.0.10", ip, sizeof ip));
  CHECK_STR(ip, "127.1.0.10");
  CHECK(!pod_dns_cluster_ip(fake_get, "None", ip, sizeof ip) && ip[0] == 0);
  CHECK(!pod_dns_cluster_ip(NULL, NULL, ip, sizeof ip));
}

/* kubelet's GeneratePodHostNameAndDomain: spec.hostname wins, 63 characters at most, no trailing '-' or '.' */
static void test_hostname(void) {
  json_t *p = json_pack("{s:{s:s},s:{s:s}}", "metadata", "name", "dns-test-1", "spec", "hostname", "dns-querier-2");
  CHECK(!strcmp(pod_dns_hostname(p), "dns-querier-2"));
  json_decref(p);
  p = json_pack("{s:{s:s},s:{}}", "metadata", "name", "web-0", "spec");
  CHECK(!strcmp(pod_dns_hostname(p), "web-0"));
  json_decref(p);
  char long_name[80];
  memset(long_name, 'a', 62);
  snprintf(long_name + 62, sizeof long_name - 62, "-.bbbbbb");
  p = json_pack("{s:{s:s},s:{}}", "metadata", "name", long_name, "spec");
  CHECK(strlen(pod_dns_hostname(p)) == 62 && pod_dns_hostname(p)[61] == 'a');
  json_decref(p);
}

static void setup(void) { write_host(); }
static void teardown(void) { unlink(host); }

TEST_MAIN(TEST(setup), TEST(test_policies), TEST(test_dns_config), TEST(test_cluster_ip), TEST(test_hostname), TEST(teardown))
