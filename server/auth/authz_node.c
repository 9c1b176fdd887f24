/* authz_node.c - see authz_node.h. Follows plugin/pkg/auth/authorizer/node:
 * the graph kube-apiserver keeps from pods, PVCs and PVs is read here from
 * the watch cache on demand (the pods of the object's namespace bound to
 * the node), which gives the same answers without a second index. */
#include "authz_node.h"
#include "apispec.h"
#include "registry.h"
#include "watch_cache.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NODE_PREFIX "system:node:"

bool authz_node_identity(const char *user, const json_t *groups, char *name, size_t len) {
  if (!user || strncmp(user, NODE_PREFIX, strlen(NODE_PREFIX))) return false;
  size_t i;
  const json_t *g;
  bool in = false;
  json_array_foreach(groups, i, g) if (json_is_string(g) && !strcmp(json_string_value(g), "system:nodes")) in = true;
  if (!in) return false;
  if (name) snprintf(name, len, "%s", user + strlen(NODE_PREFIX));
  return true;
}

static json_t *node_rules;
static pthread_once_t rules_once = PTHREAD_ONCE_INIT;

/* The system:node ClusterRole's rules from the embedded bootstrap policy (bootstrappolicy.NodeRules). */
static void load_node_rules(void) {
  apispec_blob b = apispec_get("rbac-bootstrap-policy.json");
  json_t *policy = b.data ? json_loadb((const char *)b.data, b.len, 0, NULL) : NULL;
  size_t i;
  const json_t *r;
  json_array_foreach(json_object_get(policy, "clusterRoles"), i, r) {
    const char *name = json_string_value(json_object_get(json_object_get(r, "metadata"), "name"));
    if (name && !strcmp(name, "system:node")) node_rules = json_incref(json_object_get(r, "rules"));
  }
  if (!node_rules) node_rules = json_array();
  json_decref(policy);
}

static bool eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* Whether a pod spec's containers (env, envFrom) refer to a key kind ("secretKeyRef"/"configMapKeyRef") named name. */
static bool containers_use(const json_t *containers, const char *ref_key, const char *from_key, const char *name) {
  size_t i, k;
  const json_t *c, *e;
  json_array_foreach(containers, i, c) {
    json_array_foreach(json_object_get(c, "env"), k, e) {
      const json_t *ref = json_object_get(json_object_get(e, "valueFrom"), ref_key);
      if (eq(json_string_value(json_object_get(ref, "name")), name)) return true;
    }
    json_array_foreach(json_object_get(c, "envFrom"), k, e) {
      if (eq(json_string_value(json_object_get(json_object_get(e, from_key), "name")), name)) return true;
    }
  }
  return false;
}

/* Whether the pod spec refers to the object (resource in secrets/configmaps/persistentvolumeclaims). */
static bool pod_uses(const json_t *spec, const char *plural, const char *name) {
  bool secret = !strcmp(plural, "secrets"), cm = !strcmp(plural, "configmaps");
  size_t i, k;
  const json_t *v, *s;
  json_array_foreach(json_object_get(spec, "volumes"), i, v) {
    if (secret && eq(json_string_value(json_object_get(json_object_get(v, "secret"), "secretName")), name)) return true;
    if (cm && eq(json_string_value(json_object_get(json_object_get(v, "configMap"), "name")), name)) return true;
    if (!secret && !cm &&
        eq(json_string_value(json_object_get(json_object_get(v, "persistentVolumeClaim"), "claimName")), name))
      return true;
    json_array_foreach(json_object_get(json_object_get(v, "projected"), "sources"), k, s) {
      if (secret && eq(json_string_value(json_object_get(json_object_get(s, "secret"), "name")), name)) return true;
      if (cm && eq(json_string_value(json_object_get(json_object_get(s, "configMap"), "name")), name)) return true;
    }
  }
  if (secret) {
    json_array_foreach(json_object_get(spec, "imagePullSecrets"), i, v) if (eq(json_string_value(json_object_get(v, "name")), name)) return true;
  }
  if (!secret && !cm) return false;
  const char *ref = secret ? "secretKeyRef" : "configMapKeyRef", *from = secret ? "secretRef" : "configMapRef";
  return containers_use(json_object_get(spec, "containers"), ref, from, name) ||
         containers_use(json_object_get(spec, "initContainers"), ref, from, name) ||
         containers_use(json_object_get(spec, "ephemeralContainers"), ref, from, name);
}

/* Whether a pod bound to node in ns uses resource/name. */
static bool node_pod_uses(cache *c, const char *node, const char *ns, const char *plural, const char *name) {
  const resource *pods = registry_find("", "v1", "pods");
  if (!pods) return false;
  cobj_vec v = {0};
  cache_list(c, pods->bucket, ns, NULL, 0, &v);
  bool found = false;
  for (size_t i = 0; i < v.n && !found; i++) {
    const json_t *spec = json_object_get(v.items[i]->obj, "spec");
    found = eq(json_string_value(json_object_get(spec, "nodeName")), node) && pod_uses(spec, plural, name);
  }
  cobj_vec_clear(&v);
  return found;
}

/* Whether the PersistentVolume name is bound to a claim a pod on node uses. */
static bool node_uses_pv(cache *c, const char *node, const char *name) {
  const resource *pvs = registry_find("", "v1", "persistentvolumes");
  cobj *pv = pvs ? cache_get(c, pvs->bucket, "", name) : NULL;
  if (!pv) return false;
  const json_t *ref = json_object_get(json_object_get(pv->obj, "spec"), "claimRef");
  const char *ns = json_string_value(json_object_get(ref, "namespace"));
  const char *claim = json_string_value(json_object_get(ref, "name"));
  bool ok = ns && claim && node_pod_uses(c, node, ns, "persistentvolumeclaims", claim);
  cobj_unref(pv);
  return ok;
}

static authz_decision no_relationship(const char *node, char *reason, size_t len) {
  snprintf(reason, len, "no relationship found between node \"%s\" and this object", node);
  return AUTHZ_NO_OPINION;
}

/* Secrets, ConfigMaps, PVCs, PVs: read only, named, and reachable from the node. */
static authz_decision authorize_graph(cache *c, const authz_attrs *a, const char *node, bool get_only, char *reason,
                                      size_t len) {
  bool read = !strcmp(a->verb, "get") || (!get_only && (!strcmp(a->verb, "list") || !strcmp(a->verb, "watch")));
  if (!read) {
    snprintf(reason, len, get_only ? "can only get individual resources of this type"
                                   : "can only read resources of this type");
    return AUTHZ_NO_OPINION;
  }
  if (a->subresource[0]) {
    snprintf(reason, len, "cannot get subresource");
    return AUTHZ_NO_OPINION;
  }
  if (!a->name[0]) {
    snprintf(reason, len, get_only ? "can only get individual resources of this type"
                                   : "can only read namespaced object of this type");
    return AUTHZ_NO_OPINION;
  }
  bool ok = !strcmp(a->resource, "persistentvolumes") ? node_uses_pv(c, node, a->name)
                                                      : node_pod_uses(c, node, a->ns, a->resource, a->name);
  return ok ? AUTHZ_ALLOW : no_relationship(node, reason, len);
}

static authz_decision authorize_lease(const authz_attrs *a, const char *node, char *reason, size_t len) {
  const char *v = a->verb;
  if (strcmp(v, "get") && strcmp(v, "create") && strcmp(v, "update") && strcmp(v, "patch") && strcmp(v, "delete")) {
    snprintf(reason, len, "can only get, create, update, patch, or delete a node lease");
    return AUTHZ_NO_OPINION;
  }
  if (strcmp(a->ns, "kube-node-lease")) {
    snprintf(reason, len, "can only access leases in the \"kube-node-lease\" system namespace");
    return AUTHZ_NO_OPINION;
  }
  if (strcmp(v, "create") && strcmp(a->name, node)) {
    snprintf(reason, len, "can only access node lease with the same name as the requesting node");
    return AUTHZ_NO_OPINION;
  }
  return AUTHZ_ALLOW;
}

/* ckube's call-home endpoints: the node's own tunnel and the metrics report. */
static bool own_callhome_path(const authz_attrs *a, const char *node) {
  char prefix[600];
  snprintf(prefix, sizeof prefix, "/ckube/v1/tunnel/%s/", node);
  return !a->resource_request &&
         (!strncmp(a->path, prefix, strlen(prefix)) || !strcmp(a->path, "/ckube/v1/nodemetrics"));
}

authz_decision authz_node_authorize(cache *c, const authz_attrs *a, char *reason, size_t len) {
  char node[256];
  reason[0] = 0;
  if (!authz_node_identity(a->user, a->groups, node, sizeof node)) return AUTHZ_NO_OPINION;
  if (!node[0]) {
    snprintf(reason, len, "unknown node");
    return AUTHZ_NO_OPINION;
  }
  if (own_callhome_path(a, node)) return AUTHZ_ALLOW;
  if (a->resource_request && !a->api_group[0]) {
    if (!strcmp(a->resource, "secrets") || !strcmp(a->resource, "configmaps"))
      return authorize_graph(c, a, node, false, reason, len);
    if ((!strcmp(a->resource, "persistentvolumeclaims") && !a->subresource[0]) ||
        !strcmp(a->resource, "persistentvolumes"))
      return authorize_graph(c, a, node, true, reason, len);
  }
  if (a->resource_request && !strcmp(a->api_group, "coordination.k8s.io") && !strcmp(a->resource, "leases"))
    return authorize_lease(a, node, reason, len);
  pthread_once(&rules_once, load_node_rules);
  size_t i;
  const json_t *r;
  json_array_foreach(node_rules, i, r) if (rbac_rule_allows(r, a)) return AUTHZ_ALLOW;
  return AUTHZ_NO_OPINION;
}
