/* aggregator_proxy.h - requests for a group/version another server serves
 * (a remote APIService) are proxied to it, as kube-aggregator's
 * proxyHandler does: over TLS to a ready endpoint of spec.service (verified
 * as <service>.<namespace>.svc against spec.caBundle, or not at all with
 * insecureSkipTLSVerify), presenting the front-proxy client certificate,
 * with the authenticated user in X-Remote-User / X-Remote-Group /
 * X-Remote-Extra-* (the requestheader scheme the extension server trusts
 * through the extension-apiserver-authentication ConfigMap). The request
 * was authenticated and authorized here first. */
#ifndef CKUBE_AGGREGATOR_PROXY_H
#define CKUBE_AGGREGATOR_PROXY_H
#include <stdbool.h>
#include "http.h"

/* The front-proxy client certificate and key (PEM files) presented to
 * aggregated servers; set once at start-up, before serving. */
void aggregator_set_client_cert(const char *cert_file, const char *key_file);

/* Whether path is /apis/<group>/<version>[/...] of a remote APIService. */
bool aggregator_path(cache *c, const char *path);

/* Proxies rq when its path belongs to a remote APIService and answers it
 * (the backend's status, content type and body; 503 "service unavailable"
 * when the APIService is not Available or its service cannot be reached);
 * false when the path is not aggregated. */
bool aggregator_proxy_handle(http_req *rq);

/* kube-aggregator's discovery check of a remote APIService: GET
 * /apis/<group>/<version> on its service as the proxy would send it (as
 * system:kube-aggregator). 0 when it answers 2xx, else -1 with the
 * condition message in err ("failing or missing response from URL: ..."). */
int aggregator_check(cache *c, const json_t *apiservice, char *err, size_t errlen);

#endif
