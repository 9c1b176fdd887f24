/* admission_serviceaccount.h - kube-apiserver's ServiceAccount admission
 * plugin for pod creation: spec.serviceAccountName defaults to "default", the
 * account must exist, its token Secret is mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container (unless
 * automountServiceAccountToken is false on the pod or the account), and the
 * account's imagePullSecrets are copied to a pod that has none. */
#ifndef CKUBE_ADMISSION_SERVICEACCOUNT_H
#define CKUBE_ADMISSION_SERVICEACCOUNT_H
#include <jansson.h>
#include "registry.h"
#include "watch_cache.h"

/* Mutates pod (a pod being created in ns) in place; returns NULL or a Status
 * (new reference) refusing it. Other resources pass untouched. */
json_t *admission_serviceaccount(cache *c, const resource *r, const char *ns, json_t *pod);

#endif
