/* host_ports.c - see host_ports.h. A frontend's key names the pod and the
 * port ("hostport/ns/name:hostPort/proto"), so the service proxy's picker
 * keeps no state across pods; its one backend is podIP:containerPort. */
#include "host_ports.h"
#include "json_path.h"
#include "ipv4.h"
#include <stdio.h>
#include <string.h>

/* Whether the pod holds its host ports: it has an address of its own and has not finished. */
static bool serving(const json_t *pod, uint32_t *pod_ip) {
  const json_t *spec = json_object_get(pod, "spec"), *status = json_object_get(pod, "status");
  const char *phase = json_str(status, "phase");
  if (json_is_true(json_object_get(spec, "hostNetwork"))) return false;
  if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) return false;
  return ipv4_parse(json_str(status, "podIP"), pod_ip);
}

static void add_port(svc_table *t, const json_t *pod, const json_t *port, uint32_t pod_ip, uint32_t node_ip) {
  json_int_t host_port = json_integer_value(json_object_get(port, "hostPort"));
  json_int_t ctr_port = json_integer_value(json_object_get(port, "containerPort"));
  const char *proto = json_str(port, "protocol") ? json_str(port, "protocol") : "TCP";
  if (host_port <= 0 || host_port > 65535 || ctr_port <= 0 || ctr_port > 65535) return;
  if (strcmp(proto, "TCP") && strcmp(proto, "UDP")) return; /* SCTP: not served */
  uint32_t ip = node_ip;
  const char *host_ip = json_str(port, "hostIP");
  if (host_ip && *host_ip && strcmp(host_ip, "0.0.0.0") && !ipv4_parse(host_ip, &ip)) return; /* IPv6: not served */
  const json_t *m = json_object_get(pod, "metadata");
  svc_addr backend = {pod_ip, (uint16_t)ctr_port};
  svc_frontend f = {.udp = !strcmp(proto, "UDP"), .backends = &backend, .nbackends = 1, .exclusive = true};
  snprintf(f.key, sizeof f.key, "hostport/%s/%s:%d/%s", json_str(m, "namespace") ? json_str(m, "namespace") : "",
           json_str(m, "name") ? json_str(m, "name") : "", (int)host_port, proto);
  svc_table_add(t, &f, ip, (uint16_t)host_port);
}

void host_ports_add(svc_table *t, const json_t *pods, uint32_t node_ip) {
  size_t i, k, j;
  json_t *pod, *ctr, *port;
  json_array_foreach(pods, i, pod) {
    uint32_t pod_ip;
    if (!serving(pod, &pod_ip) || pod_ip == node_ip) continue; /* a pod on the node's network binds its own ports */
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), k, ctr)
      json_array_foreach(json_object_get(ctr, "ports"), j, port) add_port(t, pod, port, pod_ip, node_ip);
  }
}
