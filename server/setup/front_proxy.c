/* front_proxy.c - the aggregator's identity towards extension API servers
 * (kube-apiserver's --proxy-client-cert-file and the requestheader
 * options): a client certificate CN=front-proxy-client signed by a CA of
 * its own (front-proxy-ca, as kubeadm makes them, so that no certificate of
 * the cluster CA passes for the proxy), made once under DIR/pki, and the
 * kube-system ConfigMap
 * extension-apiserver-authentication that tells extension servers whom to
 * trust (client-ca-file for client certificates, requestheader-* for the
 * proxied requests' X-Remote-* headers), written at every start as
 * kube-apiserver's ClusterAuthenticationTrustController keeps it. */
#include "front_proxy.h"
#include "file_read.h"
#include "api.h"
#include "log.h"
#include "pki.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRONT_PROXY_CN "front-proxy-client"

static char front_proxy_ca[700]; /* the requestheader CA's PEM file, set by front_proxy_ensure */


int front_proxy_ensure(const char *data_dir, char *cert, size_t cert_len, char *key, size_t key_len, char *err,
                       size_t errlen) {
  char pki[600];
  snprintf(pki, sizeof pki, "%s/pki", data_dir);
  snprintf(cert, cert_len, "%s/front-proxy-client.crt", pki);
  snprintf(key, key_len, "%s/front-proxy-client.key", pki);
  snprintf(front_proxy_ca, sizeof front_proxy_ca, "%s/front-proxy-ca.crt", pki);
  return pki_ensure_client_ca(pki, "front-proxy-ca", "front-proxy-client", FRONT_PROXY_CN, err, errlen);
}

int front_proxy_publish(api_server *srv, const char *ca_cert_file) {
  const resource *r = registry_find("", "v1", "configmaps");
  char *ca = file_read(ca_cert_file, NULL), *proxy_ca = file_read(front_proxy_ca, NULL);
  if (!r || !ca || !proxy_ca) {
    free(ca);
    free(proxy_ca);
    return -1;
  }
  json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                         "metadata", "name", "extension-apiserver-authentication", "namespace", "kube-system", "data",
                         "client-ca-file", ca, "requestheader-allowed-names", "[\"" FRONT_PROXY_CN "\"]",
                         "requestheader-client-ca-file", proxy_ca, "requestheader-extra-headers-prefix",
                         "[\"X-Remote-Extra-\"]", "requestheader-group-headers", "[\"X-Remote-Group\"]",
                         "requestheader-username-headers", "[\"X-Remote-User\"]");
  free(ca);
  free(proxy_ca);
  api_opts o = {0};
  api_result cur = api_get(srv, r, "kube-system", "extension-apiserver-authentication");
  api_result res = cur.code == 200
                       ? api_update(srv, r, "kube-system", "extension-apiserver-authentication", NULL, cm, &o)
                       : api_create(srv, r, "kube-system", cm, &o);
  int rc = res.code < 300 ? 0 : -1;
  if (rc) LOGW("extension-apiserver-authentication: code %d", res.code);
  api_result_clear(&cur);
  api_result_clear(&res);
  return rc;
}
