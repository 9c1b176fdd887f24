/* service_table.h - the pure half of the node's service proxy (kube-proxy's
 * role): which addresses answer for which Service port (ClusterIP, NodePort
 * on the node's addresses, LoadBalancer ingress IPs), their ready endpoints
 * from the v1 Endpoints objects, and the choice of an endpoint per
 * connection: round-robin, or sessionAffinity ClientIP with its timeout. */
#ifndef CKUBE_SERVICE_TABLE_H
#define CKUBE_SERVICE_TABLE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t ip; /* host order */
  uint16_t port;
} svc_addr;

/* One address:port that answers for one Service port. */
typedef struct {
  svc_addr listen;
  bool udp;
  char key[320];        /* "ns/name:portname/proto" (the affinity scope; shared by a port's frontends) */
  svc_addr *backends;   /* ready endpoints, sorted */
  size_t nbackends;
  int affinity_seconds; /* 0: no session affinity */
  bool exclusive;       /* a pod's hostPort (host_ports.h): bound without SO_REUSEPORT, one pod holds it */
} svc_frontend;

typedef struct {
  svc_frontend *f;
  size_t n, cap;
} svc_table;

/* Builds the table from arrays of Service and Endpoints objects; node_ips
 * (host order) are the addresses NodePorts answer on. */
svc_table *svc_table_build(const json_t *services, const json_t *endpoints, const uint32_t *node_ips, size_t nnode);
void svc_table_free(svc_table *t);
/* Adds a copy of f (its backends copied) listening on ip:port, unless a frontend already holds that address and
 * protocol (the first to claim it keeps it). */
void svc_table_add(svc_table *t, const svc_frontend *f, uint32_t ip, uint16_t port);
/* The frontend listening on (ip, port, udp), or NULL. */
const svc_frontend *svc_table_find(const svc_table *t, uint32_t ip, uint16_t port, bool udp);

/* ClientIP affinity entries and round-robin cursors, kept across table rebuilds. */
typedef struct svc_picker svc_picker;
svc_picker *svc_picker_new(void);
void svc_picker_free(svc_picker *p);
/* The endpoint for a new connection from client_ip at time now (seconds);
 * false when f has no ready endpoint. Round-robin per Service port; with
 * affinity, the client's last endpoint while it is still ready and was used
 * within the timeout, else one chosen by a hash of the client's address and
 * of the timeout-long epoch it comes in (so agents sharing a listener through
 * SO_REUSEPORT agree, and an expired session may move on). */
bool svc_pick(svc_picker *p, const svc_frontend *f, uint32_t client_ip, long now, svc_addr *out);
/* Forgets affinity entries idle past their timeout. */
void svc_picker_expire(svc_picker *p, long now);
/* Forgets cursors and affinity entries of Service ports no longer in t. */
void svc_picker_retain(svc_picker *p, const svc_table *t);

#endif
