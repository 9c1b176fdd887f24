/* quota_eval.h - what one object counts against a ResourceQuota, by quota
 * resource name, as Kubernetes 1.20's quota evaluators say
 * (pkg/quota/v1/evaluator/core and the generic object-count evaluator):
 * pods (pods, count/pods, cpu/memory/ephemeral-storage as requests.* and
 * limits.*, hugepages and extended resources as requests.*; nothing for a
 * finished pod), persistentvolumeclaims
 * (requests.storage, per-class <class>.storageclass.storage.k8s.io/...),
 * services (services.loadbalancers, services.nodeports), the legacy counts
 * (configmaps, secrets, replicationcontrollers, resourcequotas) and
 * count/<resource>[.<group>] for everything. Pure functions over JSON. */
#ifndef CKUBE_QUOTA_EVAL_H
#define CKUBE_QUOTA_EVAL_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* The usage of obj (an object of group/plural) as {name: quantity string};
 * a new reference. */
json_t *quota_usage(const char *group, const char *plural, const json_t *obj);

/* A pod spec's effective requests or limits (field): containers summed,
 * then the max with every init container. New reference. */
json_t *quota_pod_resources(const json_t *spec, const char *field);

/* Whether obj (of group/plural) is in the scopes of a quota (its spec's
 * scopes and scopeSelector: Terminating, NotTerminating, BestEffort,
 * NotBestEffort, PriorityClass); a quota with scopes counts only pods. */
bool quota_matches_scopes(const json_t *quota_spec, const char *group, const char *plural, const json_t *obj);

/* The group and plural whose objects a quota resource name counts, written
 * into group/plural buffers; false for names no evaluator knows. */
bool quota_name_kind(const char *name, char *group, size_t glen, char *plural, size_t plen);

/* a + b for quantity strings into out (64 bytes suffice); unparsable
 * values count as 0. cmp: -1, 0, 1 like strcmp. */
void quota_add(const char *a, const char *b, char *out, size_t len);
void quota_sub(const char *a, const char *b, char *out, size_t len);
int quota_cmp(const char *a, const char *b);

/* "k=v,k=v" of the keys of usage that are in names (sorted by key), as
 * the quota admission's messages print ResourceLists. Malloc'd. */
char *quota_pretty(const json_t *usage, const json_t *names);

#endif
