/* pki.h - the cluster's certificates on first start: a CA, the API server's
 * serving certificate (SANs 127.0.0.1, ::1, localhost, the host name and any
 * extra names), the admin client certificate (O=system:masters) and an admin
 * bearer token, all under DIR/pki; and DIR/admin.kubeconfig. Later starts
 * reuse what exists. */
#ifndef CKUBE_PKI_H
#define CKUBE_PKI_H
#include <stddef.h>
#include <jansson.h>

typedef struct {
  char ca_cert[1024];    /* PEM file paths */
  char server_pem[1024]; /* key + certificate, as CivetWeb wants them */
  char admin_token[128]; /* the token's value */
  char kubeconfig[1024];
} pki_paths;

/* Ensures everything exists in data_dir; server_url goes into the
 * kubeconfig. 0, or -1 with a message in err. */
int pki_ensure(const char *data_dir, const char *server_url, pki_paths *out, char *err, size_t errlen);

/* A CA of its own and one client certificate it signs, made once in dir:
 * <ca_name>.{crt,key} (CN ca_name) and <client_name>.{crt,key} (CN
 * client_cn, client auth, one year). Kept when they exist. 0, or -1 with a
 * message in err. (The aggregator's front-proxy CA and client.) */
int pki_ensure_client_ca(const char *dir, const char *ca_name, const char *client_name, const char *client_cn,
                         char *err, size_t errlen);

/* Signs a PEM certificate request with the cluster CA (after pki_ensure):
 * subject and subjectAltNames from the request, key usages from the CSR's
 * spec.usages, valid for seconds (at most until the CA expires). A malloc'd
 * PEM certificate, or NULL with a message in err. */
char *pki_sign_request(const char *pem, size_t len, const json_t *usages, long seconds, char *err, size_t errlen);

/* Writes dir/kubelet.kubeconfig with a fresh client certificate for
 * system:node:<node> (O system:nodes) signed by the CA (after pki_ensure);
 * path gets the file's name. 0 or -1. */
int pki_node_kubeconfig(const char *url, const char *node, const char *dir, char *path, size_t pathlen);

#endif
