/* service_env.h - the Docker-links style variables kubelet gives every
 * container for the Services of its namespace (enableServiceLinks, true by
 * default) and always for the master service "kubernetes" of default:
 * NAME_SERVICE_HOST, NAME_SERVICE_PORT[_PORTNAME], NAME_PORT,
 * NAME_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]. Only Services with a
 * cluster IP count. Pure: the caller lists the Services. */
#ifndef CKUBE_SERVICE_ENV_H
#define CKUBE_SERVICE_ENV_H
#include <stdbool.h>
#include <jansson.h>

/* "NAME=value" strings (NULL-terminated, malloc'd: free each and the
 * array) for services (a v1 ServiceList's items of the pod's namespace;
 * may be NULL) and master (the default/kubernetes Service, or NULL).
 * links: the pod's enableServiceLinks; ns: the pod's namespace. */
char **service_env(const json_t *services, const json_t *master, const char *ns, bool links);

#endif
