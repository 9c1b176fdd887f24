/* join_discovery.h - kubeadm's token discovery for `ckube-node join`: reads
 * kube-public/cluster-info from the server without trusting it yet (TLS
 * without verification, no credentials), then trusts its CA only if the
 * token's JWS signature of the kubeconfig verifies and the CA's public key
 * hash is the pinned one. */
#ifndef CKUBE_JOIN_DISCOVERY_H
#define CKUBE_JOIN_DISCOVERY_H
#include <stddef.h>

/* Fetches and verifies cluster-info from url (https://host:port) with token
 * "id.secret" and pin "sha256:<hex>". On success returns the CA
 * certificate's PEM (malloc'd); NULL with a message for the operator in err. */
char *discover_cluster_ca(const char *url, const char *token, const char *pin, char *err, size_t errlen);

/* Splits https://host:port[/...] into host (brackets removed) and port ("443"
 * by default). 0, or -1 when url is not https. */
int split_https_url(const char *url, char *host, size_t hlen, char *port, size_t plen);

#endif
