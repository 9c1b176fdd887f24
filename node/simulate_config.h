/* simulate_config.h - what kubelet 1.20 checks when it prepares a
 * container's configuration, before anything runs: the environment
 * (envFrom and env: ConfigMaps and Secrets that must exist, keys that must
 * be there, downward API fields, $(VAR) expansion) and the volume mounts'
 * subPathExpr (expanded with that environment: no missing value, no absolute
 * path, no ".."). A failure keeps the container waiting with reason
 * CreateContainerConfigError and kubelet's message, e.g. `configmap "cfg"
 * not found`, `missing value for ANNOTATION`, "unable to provision SubPath
 * `..`: must not contain '..'". */
#ifndef CKUBE_SIMULATE_CONFIG_H
#define CKUBE_SIMULATE_CONFIG_H
#include <stddef.h>
#include <jansson.h>

/* Fetches a namespaced object ("configmaps" or "secrets"): a new reference,
 * or NULL when it does not exist. */
typedef json_t *(*sim_get_fn)(void *ctx, const char *plural, const char *ns, const char *name);
/* The sim_get_fn of both kubelets: GET over the API, ctx an https_client (NULL when the server has none). */
json_t *sim_get_object(void *ctx, const char *plural, const char *ns, const char *name);

/* True when pod needs anything from get (ConfigMap or Secret references). */
int sim_config_needs_lookups(const json_t *pod);

/* Checks the init containers, then the containers, in order. Returns -1 with
 * the first container's name in container and kubelet's message in why, or
 * 0 when every container's configuration can be made. */
int sim_config_check(const json_t *pod, const char *host_ip, const char *pod_ip, sim_get_fn get, void *ctx,
                     char *container, size_t clen, char *why, size_t wlen);

/* The environment kubelet gives container ctr of pod (base, e.g. the
 * service links, then envFrom, then env, valueFrom resolved, $(VAR) able to
 * name any earlier one): a NULL-terminated array of malloc'd "NAME=value"
 * (free each and the array), with *expanded a copy of ctr whose command and
 * args have $(VAR) expanded and whose mounts' subPathExpr became their subPath; NULL with kubelet's message in why when the
 * configuration cannot be made. */
char **sim_config_env(const json_t *pod, const json_t *ctr, const char *host_ip, const char *pod_ip, sim_get_fn get,
                      void *ctx, char *const *base, json_t **expanded, char *why, size_t wlen);
/* The text of one downwardAPI volume item (fieldRef, or resourceFieldRef
 * of container ctr or the one it names): kubelet's file content. */
void sim_config_downward(const json_t *pod, const json_t *ctr, const json_t *item, const char *host_ip,
                         const char *pod_ip, char *out, size_t len);
/* The node's allocatable cpu and memory, the default of limits.* in
 * resourceFieldRef (default 1 and 1Gi). */
void sim_config_set_node_allocatable(const char *cpu, const char *memory);

#endif
