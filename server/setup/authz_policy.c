/* authz_policy.c - see authz_policy.h. Reconciliation follows
 * pkg/registry/rbac/reconciliation: a role keeps its own rules and gets the
 * missing expected ones appended (aggregated roles' rules belong to the
 * aggregation controller), a binding keeps its subjects and gets the
 * missing ones; labels and annotations are merged; roleRef is never
 * changed. Writes go through the API core as the apiserver's own. */
#include "authz_policy.h"
#include "api.h"
#include "apispec.h"
#include "log.h"
#include "registry.h"
#include <stdio.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define AUTOUPDATE "rbac.authorization.kubernetes.io/autoupdate"

/* Whether array holds a value equal to v. */
static bool holds(const json_t *array, const json_t *v) {
  size_t i;
  const json_t *x;
  json_array_foreach(array, i, x) if (json_equal(x, v)) return true;
  return false;
}

/* Appends to have[key] what want[key] holds and it lacks; whether anything was added. */
static bool add_missing(json_t *have, const json_t *want, const char *key) {
  json_t *list = json_object_get(have, key);
  if (!json_is_array(list)) json_object_set_new(have, key, list = json_array());
  bool changed = false;
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(want, key), i, v) if (!holds(list, v)) {
    json_array_append_new(list, json_deep_copy(v));
    changed = true;
  }
  return changed;
}

static bool merge_map(json_t *have_md, const json_t *want_md, const char *key) {
  json_t *m = json_object_get(have_md, key);
  if (!json_is_object(m)) json_object_set_new(have_md, key, m = json_object());
  bool changed = false;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)json_object_get(want_md, key), k, v) if (!json_object_get(m, k)) {
    json_object_set(m, k, v);
    changed = true;
  }
  return changed;
}

static int reconcile_one(api_server *srv, const char *plural, const json_t *want) {
  const resource *r = registry_find(RBAC_GROUP, "v1", plural);
  if (!r) return -1;
  const json_t *md = json_object_get(want, "metadata");
  const char *name = json_string_value(json_object_get(md, "name"));
  const char *ns = json_string_value(json_object_get(md, "namespace"));
  api_opts o = {0};
  api_result got = api_get(srv, r, ns ? ns : "", name);
  api_result res = {0};
  if (got.code == 404) {
    res = api_create(srv, r, ns ? ns : "", json_deep_copy(want), &o);
  } else if (got.code == 200) {
    json_t *have = api_result_json(&got);
    json_t *hmd = json_object_get(have, "metadata");
    const char *auto_update = json_string_value(json_object_get(json_object_get(hmd, "annotations"), AUTOUPDATE));
    bool changed = false;
    if (!auto_update || strcmp(auto_update, "false")) {
      changed |= merge_map(hmd, md, "labels");
      changed |= merge_map(hmd, md, "annotations");
      if (strstr(plural, "bindings")) changed |= add_missing(have, want, "subjects");
      else if (!json_object_get(want, "aggregationRule")) changed |= add_missing(have, want, "rules");
      else if (!json_object_get(have, "aggregationRule")) {
        json_object_set(have, "aggregationRule", json_object_get(want, "aggregationRule"));
        changed = true;
      }
    }
    if (changed) res = api_update(srv, r, ns ? ns : "", name, NULL, have, &o);
    else json_decref(have);
  }
  int rc = got.code == 200 || got.code == 404 ? 0 : -1;
  if (res.code >= 300) {
    json_t *j = api_result_json(&res);
    LOGE("rbac bootstrap %s/%s: %s", plural, name, json_string_value(json_object_get(j, "message")));
    json_decref(j);
    rc = -1;
  }
  api_result_clear(&got);
  api_result_clear(&res);
  return rc;
}

/* kubeadm's own RBAC objects for node join (cmd/kubeadm/app/phases/bootstraptoken/clusterinfo and node),
 * and the binding that lets nodes play kube-proxy. */
static json_t *kubeadm_objects(void) {
  json_t *crb = json_array(), *cr = json_array(), *roles = json_array(), *rbs = json_array();
#define BINDING(name, role, kind, subject)                                                                            \
  json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s,s:s}]}", "apiVersion", RBAC_GROUP "/v1", "kind",           \
            "ClusterRoleBinding", "metadata", "name", name, "roleRef", "apiGroup", RBAC_GROUP, "kind", "ClusterRole",  \
            "name", role, "subjects", "apiGroup", RBAC_GROUP, "kind", kind, "name", subject)
  json_array_append_new(crb, BINDING("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", "Group",
                                     "system:bootstrappers"));
  json_array_append_new(crb, BINDING("kubeadm:node-autoapprove-bootstrap",
                                     "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "Group",
                                     "system:bootstrappers"));
  json_array_append_new(crb, BINDING("kubeadm:node-autoapprove-certificate-rotation",
                                     "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "Group",
                                     "system:nodes"));
  json_array_append_new(crb, BINDING("kubeadm:get-nodes", "kubeadm:get-nodes", "Group", "system:bootstrappers"));
  /* ckube's own: the node agent is also the node's kube-proxy (node/service_proxy.c), which kubeadm runs
   * as a ServiceAccount bound to system:node-proxier (list/watch Services, Endpoints, EndpointSlices) */
  json_array_append_new(crb, BINDING("ckube:node-proxier", "system:node-proxier", "Group", "system:nodes"));
#undef BINDING
  json_array_append_new(cr, json_pack("{s:s,s:s,s:{s:s},s:[{s:[s],s:[s],s:[s]}]}", "apiVersion", RBAC_GROUP "/v1",
                                      "kind", "ClusterRole", "metadata", "name", "kubeadm:get-nodes", "rules",
                                      "apiGroups", "", "resources", "nodes", "verbs", "get"));
  json_array_append_new(roles, json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:[s],s:[s],s:[s],s:[s]}]}", "apiVersion",
                                         RBAC_GROUP "/v1", "kind", "Role", "metadata", "name",
                                         "kubeadm:bootstrap-signer-clusterinfo", "namespace", "kube-public", "rules",
                                         "apiGroups", "", "resources", "configmaps", "resourceNames", "cluster-info",
                                         "verbs", "get"));
  json_array_append_new(rbs, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s,s:s}]}", "apiVersion",
                                       RBAC_GROUP "/v1", "kind", "RoleBinding", "metadata", "name",
                                       "kubeadm:bootstrap-signer-clusterinfo", "namespace", "kube-public", "roleRef",
                                       "apiGroup", RBAC_GROUP, "kind", "Role", "name",
                                       "kubeadm:bootstrap-signer-clusterinfo", "subjects", "apiGroup", RBAC_GROUP,
                                       "kind", "User", "name", "system:anonymous"));
  return json_pack("{s:o,s:o,s:o,s:o}", "clusterRoles", cr, "clusterRoleBindings", crb, "roles", roles,
                   "roleBindings", rbs);
}

static int reconcile_policy(api_server *srv, const json_t *policy) {
  static const char *const keys[][2] = {{"clusterRoles", "clusterroles"},
                                        {"clusterRoleBindings", "clusterrolebindings"},
                                        {"roles", "roles"},
                                        {"roleBindings", "rolebindings"}};
  int rc = 0;
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(policy, keys[k][0]), i, o) rc |= reconcile_one(srv, keys[k][1], o);
  }
  return rc;
}

int authz_policy_reconcile(api_server *srv) {
  apispec_blob b = apispec_get("rbac-bootstrap-policy.json");
  json_t *policy = b.data ? json_loadb((const char *)b.data, b.len, 0, NULL) : NULL;
  if (!policy) {
    LOGE("rbac bootstrap: no policy in this build");
    return -1;
  }
  int rc = reconcile_policy(srv, policy);
  json_decref(policy);
  json_t *kubeadm = kubeadm_objects();
  rc |= reconcile_policy(srv, kubeadm);
  json_decref(kubeadm);
  return rc;
}
