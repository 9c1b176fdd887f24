/* apiservice_table.h - the stored apiregistration.k8s.io APIServices as the
 * aggregator reads them (kube-aggregator's APIServiceRegistrationController
 * and discovery handlers): which group/versions another server serves
 * (spec.service set: a remote APIService) and how /apis orders them. Read
 * from the watch cache on every call; nothing is kept. Thread-safe. */
#ifndef CKUBE_APISERVICE_TABLE_H
#define CKUBE_APISERVICE_TABLE_H
#include <jansson.h>
#include <stdbool.h>
#include "watch_cache.h"

/* The remote APIService serving group/version (a reference to release with
 * cobj_unref), or NULL when the group/version is local or unknown. */
cobj *apiservice_remote(cache *c, const char *group, const char *version);

/* Whether any remote APIService is stored (the fast path of every request). */
bool apiservice_any_remote(cache *c);

/* The remote groups in registry_groups' shape ({name, versions,
 * preferredVersion}), groups by spec.groupPriorityMinimum (highest first,
 * then name), versions by spec.versionPriority (highest first, then
 * Kubernetes' version order): what /apis lists after the built-in groups.
 * Groups the registry serves itself are left out. New reference. */
json_t *apiservice_remote_groups(cache *c);

#endif
