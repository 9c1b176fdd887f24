/* service_claims.h - ClusterIPs and NodePorts handed out by any of the
 * servers sharing a remote store (etcd) in the last CLAIM_MS, kept in one
 * bookkeeping key ("<prefix>/ranges/service-claims") that every allocation
 * rewrites by compare-and-swap. Two servers allocating at the same time
 * therefore serialize on that key: the second sees the first's claim even
 * before the first's Service is written or has reached its watch cache. A
 * claim only has to outlive that window (a Service write gives up after
 * 15 s); after it the Services themselves, in every server's cache, are the
 * record of what is used, as they are for SQLite's single server. A claim
 * is settled sooner, by any server, once its watch cache shows a write of
 * the claimed Service after the claim's base revision (the write it was
 * for, or one that made that write fail): what it claimed is then in that
 * cache's used set, or free again (deleted). A claim does not block the
 * Service it was made for. Servers' clocks must agree to well within
 * CLAIM_MS. */
#ifndef CKUBE_SERVICE_CLAIMS_H
#define CKUBE_SERVICE_CLAIMS_H
#include "store.h"
#include <stddef.h>
#include <stdint.h>

#define CLAIM_MS 30000

typedef struct {
  uint32_t ip;       /* host order; 0 when the claim is a port */
  int port;
  long long at_ms;   /* wall clock of the claim */
  char key[256];     /* "<namespace>/<name>" of the Service it was for */
  int64_t base;      /* the newest revision the claiming server knew: the claimed write comes after it */
} svc_claim;

typedef struct {
  svc_claim *v;
  size_t n, cap;
  int64_t rev; /* the key's mod revision when read (0: absent) */
} svc_claims;

void svc_claims_add(svc_claims *c, uint32_t ip, int port, long long at_ms, const char *key, int64_t base);
void svc_claims_free(svc_claims *c);

/* The claims of text younger than CLAIM_MS at now_ms (older ones dropped);
 * 0, or -1 when text is not a claim list. Pure (tests/unit/test_service_claims.c). */
int svc_claims_decode(const char *text, size_t len, long long now_ms, svc_claims *out);
/* The claim list as text (malloc'd). */
char *svc_claims_encode(const svc_claims *c);

/* Reads the live claims of the store's shared key into out (out->rev set).
 * 0, -1 on a store error (message in err). */
int svc_claims_read(store *st, long long now_ms, svc_claims *out, char *err, size_t errlen);
/* Writes c (live claims and the new ones) if the key is still at c->rev:
 * 0 written, 1 another server wrote it since (read again), -1 store error. */
int svc_claims_write(store *st, const svc_claims *c, char *err, size_t errlen);

#endif
