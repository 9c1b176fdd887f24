/* runtime_env.h - the pieces of a real container's environment the runtime
 * adds around sim_config_env (simulate_config.h): the service link
 * variables of the pod's namespace read from the API (service_env.h), and
 * defaults a container runtime sets unless the pod does (HOSTNAME, PATH).
 * Environments are NULL-terminated arrays of malloc'd "NAME=value". */
#ifndef CKUBE_RUNTIME_ENV_H
#define CKUBE_RUNTIME_ENV_H
#include <jansson.h>
#include "https_client.h"

/* The service links of pod's namespace (enableServiceLinks) and the master Service's KUBERNETES_* (always);
 * a Service list that cannot be read gives none. A new array. */
char **rt_env_service_links(https_client *client, const json_t *pod);
/* env with name=value appended unless env sets name (env may move: use the return). */
char **rt_env_default(char **env, const char *name, const char *value);
/* Frees an environment (NULL too). */
void rt_env_free(char **env);

#endif
