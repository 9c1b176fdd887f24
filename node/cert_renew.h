/* cert_renew.h - the node's client certificate from the cluster: a
 * CertificateSigningRequest for system:node:NAME sent with whatever
 * credentials the client holds (the bootstrap token at join, the current
 * certificate at renewal, which the server approves for the same node), and
 * renewal once 80% of the certificate's lifetime has passed, as kubelet's
 * certificate manager does (it picks 70-90%). */
#ifndef CKUBE_CERT_RENEW_H
#define CKUBE_CERT_RENEW_H
#include <stdbool.h>
#include "https_client.h"

/* Creates a CSR for node with key_pem and waits up to timeout seconds for
 * its certificate (PEM, malloc'd). NULL after printing why. */
char *cert_request(https_client *c, const char *node, const char *key_pem, int timeout);
/* Writes dir/kubelet-client.crt and dir/kubelet.kubeconfig. 0 or -1. */
int cert_save(const char *dir, const char *server, const char *ca, const char *cert, const char *key);
/* Renews dir/kubelet.kubeconfig's certificate when due (or when force).
 * 0 (renewed or not due), 1 after printing why. */
int cert_renew_if_due(const char *data_dir, const char *node, bool force, int csr_timeout);
/* Seconds until the certificate in dir/kubelet.kubeconfig is due for
 * renewal (<= 0: now); LONG_MAX when there is none to renew. */
long cert_seconds_until_due(const char *data_dir);

#endif
