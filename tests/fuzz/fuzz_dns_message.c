/* fuzz_dns_message.c - libFuzzer target for the cluster DNS's message
 * parser (controllers/dns/dns_wire.c) and the answers built on it
 * (dns_answer.c): arbitrary bytes as a query, over UDP and TCP limits,
 * against a small zone; names read at every offset. A response must fit
 * its limit and never be produced for a packet that is itself a response. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "dns_answer.h"
#include "dns_wire.h"

static dns_zone *zone(void) {
  static dns_zone *z;
  if (z) return z;
  json_t *svcs = json_loads("[{\"metadata\":{\"name\":\"web\",\"namespace\":\"p\"},\"spec\":{\"clusterIP\":\"10.96.0.5\","
                            "\"ports\":[{\"name\":\"http\",\"port\":80}]}},{\"metadata\":{\"name\":\"h\",\"namespace\":"
                            "\"p\"},\"spec\":{\"clusterIP\":\"None\"}},{\"metadata\":{\"name\":\"e\",\"namespace\":\"p\"},"
                            "\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"web.p.svc.cluster.local\"}}]",
                            0, NULL);
  json_t *slices = json_loads("[{\"metadata\":{\"name\":\"h1\",\"namespace\":\"p\",\"labels\":{\"kubernetes.io/"
                              "service-name\":\"h\"}},\"ports\":[{\"name\":\"x\",\"port\":1}],\"endpoints\":[{\"addresses\":"
                              "[\"10.1.1.1\"],\"hostname\":\"h-0\"},{\"addresses\":[\"10.1.1.2\"]}]}]",
                              0, NULL);
  z = dns_zone_build("cluster.local", svcs, slices);
  json_decref(svcs);
  json_decref(slices);
  return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t out[65535];
  dns_query q;
  int rc = dns_parse_query(data, size, &q);
  if (rc == 0) assert(strlen(q.name) < sizeof q.name && q.udp_size >= DNS_UDP_MIN);
  bool outside;
  size_t n = dns_answer(zone(), data, size, false, false, out, sizeof out, &outside);
  assert(n <= (q.edns ? (q.udp_size > 4096 ? 4096 : q.udp_size) : DNS_UDP_MIN));
  if (n) assert(rc >= 0 && n >= DNS_HEADER_LEN && memcmp(out, data, 2) == 0 && (out[2] & 0x80));
  else assert(rc < 0);
  n = dns_answer(zone(), data, size, true, false, out, sizeof out, &outside);
  if (rc >= 0) assert(n >= DNS_HEADER_LEN);
  char name[DNS_NAME_TEXT_MAX];
  for (size_t off = 0; off < size && off < 64; off++) {
    size_t o = off;
    if (dns_read_name(data, size, &o, name, sizeof name) == 0) assert(o > off && o <= size);
  }
  return 0;
}
