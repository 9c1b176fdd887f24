/* taints.h - taints and tolerations as Kubernetes matches them
 * (k8s.io/api/core/v1 Toleration.ToleratesTaint), shared by the scheduler's
 * TaintToleration filter and the node lifecycle controller's taint-based
 * eviction. */
#ifndef CKUBE_TAINTS_H
#define CKUBE_TAINTS_H
#include <stdbool.h>
#include <jansson.h>

/* Whether one toleration tolerates the taint key=value:effect (an empty
 * effect or key matches any; operator Exists ignores the value). */
bool toleration_matches(const json_t *toleration, const char *key, const char *value, const char *effect);
/* Whether any toleration of the list does. */
bool tolerations_tolerate(const json_t *tolerations, const char *key, const char *value, const char *effect);

#endif
