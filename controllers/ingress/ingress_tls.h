/* ingress_tls.h - OpenSSL contexts for the Ingress HTTPS port: one per
 * kubernetes.io/tls Secret (certificate chain + key, checked to match),
 * a self-signed default ("fake") certificate made at start, as
 * ingress-nginx does, and the listener context whose SNI callback picks a
 * Secret's context from the current route table at each handshake, so a
 * rotated Secret is served on the next handshake without a restart. */
#ifndef CKUBE_INGRESS_TLS_H
#define CKUBE_INGRESS_TLS_H
#include <stdbool.h>
#include <stddef.h>

/* An SSL_CTX (as void *) serving the PEM chain crt and key, or NULL with a
 * reason in err (bad PEM, key not matching, ...). The caller owns it. */
void *ingress_tls_ctx_from_pem(const char *crt, size_t crt_len, const char *key, size_t key_len, char *err,
                               size_t errlen);
/* Whether the PEM certificate's SAN (or CN without SANs) covers host. */
bool ingress_tls_cert_covers(const char *crt, size_t crt_len, const char *host);
/* The listener context with the default certificate and the SNI callback;
 * created once, NULL on failure. */
void *ingress_tls_listener_ctx(char *err, size_t errlen);
/* SHA-256 fingerprint of the default certificate ("AB:CD:..."), for tests. */
const char *ingress_tls_default_fingerprint(void);
void ingress_tls_shutdown(void);

#endif
