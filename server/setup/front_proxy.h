/* front_proxy.h - the API aggregator's client identity and the trust it
 * publishes for extension API servers (see front_proxy.c). */
#ifndef CKUBE_FRONT_PROXY_H
#define CKUBE_FRONT_PROXY_H
#include "api_server.h"
#include <stddef.h>

/* Ensures DIR/pki/front-proxy-ca.{crt,key} and front-proxy-client.{crt,key}
 * (CN=front-proxy-client, client auth, signed by front-proxy-ca) and names
 * the client's in cert and key. 0, or -1 with a message in err. */
int front_proxy_ensure(const char *data_dir, char *cert, size_t cert_len, char *key, size_t key_len, char *err,
                       size_t errlen);

/* Creates or updates kube-system/extension-apiserver-authentication:
 * client-ca-file (the PEM of ca_cert_file, the cluster CA),
 * requestheader-client-ca-file (front-proxy-ca's; after front_proxy_ensure),
 * requestheader-allowed-names ["front-proxy-client"], the X-Remote-User,
 * X-Remote-Group and X-Remote-Extra- header names. 0 or -1 (logged). */
int front_proxy_publish(api_server *srv, const char *ca_cert_file);

#endif
