/* csr.h - the node's client credentials with mbedTLS: an ECDSA P-256 key,
 * a PKCS#10 request for CN system:node:NAME, O system:nodes, the validity
 * of a PEM certificate, and the kubeconfig files the agent uses. */
#ifndef CKUBE_CSR_H
#define CKUBE_CSR_H
#include <stddef.h>
#include <time.h>

/* A fresh private key (PEM, malloc'd) or NULL. */
char *csr_new_key(void);
/* A PEM CERTIFICATE REQUEST for system:node:<node> / system:nodes signed
 * with key_pem (malloc'd) or NULL. */
char *csr_new_request(const char *key_pem, const char *node);
/* The notBefore/notAfter of the PEM certificate. 0 or -1. */
int csr_cert_validity(const char *cert_pem, time_t *not_before, time_t *not_after);

/* Writes a kubeconfig (mode 0600, atomically) for server with the CA and
 * either a client certificate and key (PEM) or a bearer token. 0 or -1. */
int write_node_kubeconfig(const char *path, const char *server, const char *ca_pem, const char *cert_pem,
                          const char *key_pem, const char *token);
/* What a kubeconfig's current context holds (malloc'd; NULL when absent). */
typedef struct {
  char *server, *ca_pem, *cert_pem, *key_pem, *token;
} kubeconfig_creds;
/* Reads the current context of the kubeconfig at path (its named cluster
 * and user, else the first ones): 0, or -1 with err (unreadable, no https://
 * server, no CA). The HTTPS client and the certificate manager both read here. */
int read_kubeconfig(const char *path, kubeconfig_creds *out, char *err, size_t errlen);
void kubeconfig_creds_free(kubeconfig_creds *k);

#endif
