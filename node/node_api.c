/* node_api.c - see node_api.h. The Ready condition's heartbeat follows
 * kubelet: a status PATCH (strategic merge on conditions) every few Lease
 * renewals; allocatable is capacity minus nothing reserved, and extended
 * resources that left capacity leave allocatable too. */
#include "node_api.h"
#include "timestamp.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

json_t *node_conditions(const char *now) {
  static const char *const types[][4] = {
      {"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
      {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
      {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
      {"Ready", "True", "KubeletReady", "kubelet is posting ready status"}};
  json_t *a = json_array();
  for (int i = 0; i < 4; i++)
    json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", types[i][0], "status", types[i][1],
                                       "lastHeartbeatTime", now, "lastTransitionTime", now, "reason", types[i][2],
                                       "message", types[i][3]));
  return a;
}

int node_register(https_client *c, const json_t *node) {
  char path[300];
  const char *name = json_string_value(json_object_get(json_object_get(node, "metadata"), "name")) ?: "";
  json_t *out = NULL;
  int st = https_call(c, "POST", "/api/v1/nodes", node, NULL, &out);
  json_decref(out);
  if (st == 409) { /* already registered (a restart): refresh its status */
    json_t *patch = json_pack("{s:O}", "status", json_object_get(node, "status"));
    snprintf(path, sizeof path, "/api/v1/nodes/%s/status", name);
    out = NULL;
    st = https_call(c, "PATCH", path, patch, "application/merge-patch+json", &out);
    json_decref(out);
    json_decref(patch);
  }
  return st >= 200 && st < 300 ? 0 : -1;
}

void node_renew_lease(https_client *c, const char *name) {
  char now[40], path[300];
  rfc3339_now_micro(now, sizeof now);
  snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", name);
  json_t *patch = json_pack("{s:{s:s,s:i,s:s}}", "spec", "holderIdentity", name, "leaseDurationSeconds", 40,
                            "renewTime", now), *out = NULL;
  int st = https_call(c, "PATCH", path, patch, "application/merge-patch+json", &out);
  json_decref(out);
  if (st == 404) {
    json_t *lease = json_pack("{s:s,s:s,s:{s:s,s:s},s:O}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                              "metadata", "name", name, "namespace", "kube-node-lease", "spec",
                              json_object_get(patch, "spec"));
    out = NULL;
    https_call(c, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease, NULL, &out);
    json_decref(out);
    json_decref(lease);
  }
  json_decref(patch);
}

/* IsExtendedResourceName: outside kubernetes.io, with a domain, not a quota "requests." name. */
static bool extended_resource(const char *name) {
  return strchr(name, '/') && strncmp(name, "kubernetes.io/", 14) && !strstr(name, ".kubernetes.io/") &&
         strncmp(name, "requests.", 9);
}

/* The kubelet's allocatable: every capacity resource (nothing is reserved
 * here), and no extended resource that left capacity; so resources an
 * administrator patches into status.capacity become schedulable. The merge
 * patch that gets there, or NULL when allocatable already is. */
static json_t *allocatable_patch(const json_t *node) {
  const json_t *st = json_object_get(node, "status");
  const json_t *cap = json_object_get(st, "capacity"), *alloc = json_object_get(st, "allocatable");
  json_t *want = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)cap, k, v) {
    const json_t *have = json_object_get(alloc, k);
    if (!have || !json_equal(have, v)) json_object_set(want, k, v);
  }
  json_object_foreach((json_t *)alloc, k, v)
    if (!json_object_get(cap, k) && extended_resource(k)) json_object_set_new(want, k, json_null());
  if (!json_object_size(want)) {
    json_decref(want);
    return NULL;
  }
  return json_pack("{s:{s:o}}", "status", "allocatable", want);
}

void node_heartbeat_status(https_client *c, const char *name) {
  char now[40], path[300];
  rfc3339_now(now, sizeof now);
  snprintf(path, sizeof path, "/api/v1/nodes/%s/status", name);
  json_t *patch = json_pack("{s:{s:o}}", "status", "conditions", node_conditions(now)), *out = NULL;
  int st = https_call(c, "PATCH", path, patch, "application/strategic-merge-patch+json", &out);
  json_decref(patch);
  patch = st >= 200 && st < 300 ? allocatable_patch(out) : NULL;
  json_decref(out);
  out = NULL;
  if (patch) {
    https_call(c, "PATCH", path, patch, "application/merge-patch+json", &out);
    json_decref(out);
    json_decref(patch);
  }
}
