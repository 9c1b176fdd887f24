/* table_other.c - Table printers for the remaining API groups kube-apiserver
 * 1.20 prints: networking (ingresses, ingressclasses, networkpolicies),
 * discovery (endpointslices), rbac bindings, coordination (leases),
 * certificates (CSRs), scheduling (priorityclasses), node (runtimeclasses),
 * policy (poddisruptionbudgets, podsecuritypolicies), storage
 * (storageclasses, csidrivers, csinodes, volumeattachments), admission
 * webhooks and API priority-and-fairness objects. Roles, cluster roles and
 * limit ranges have no printer in Kubernetes and use the default convertor. */
#include "table_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- networking ------------------------------------------------------ */

static const struct table_col ingress_cols[] = {
    COL_NAME,
    {"Class", "string", "", "The name of the IngressClass resource that should be used for additional configuration", 0},
    {"Hosts", "string", "", "Hosts that incoming requests are matched against before the ingress rule", 0},
    {"Address", "string", "", "Address is a list containing ingress points for the load-balancer", 0},
    {"Ports", "string", "", "Ports of TLS configurations that open", 0},
    COL_AGE,
};

static void ingress_row(const json_t *o, time_t now, json_t *cells) {
  const json_t *cls = tj(o, "spec.ingressClassName");
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_is_string(cls) ? json_string_value(cls) : "<none>");
  /* formatHosts: the first three non-empty hosts, then " + N more...",
   * where N counts every rule past the third; "*" when none. */
  const json_t *rules = tj(o, "spec.rules");
  size_t n = json_is_array(rules) ? json_array_size(rules) : 0, listed = 0;
  int more = 0;
  struct sbuf b = {0};
  for (size_t i = 0; i < n; i++) {
    if (listed == 3) more = 1;
    const char *host = json_path_str0(json_array_get(rules, i), "host");
    if (!more && *host) {
      if (listed++) sb_add(&b, ",");
      sb_add(&b, host);
    }
  }
  if (listed == 0) sb_add(&b, "*");
  else if (more) sb_addf(&b, " + %zu more...", n - 3);
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  table_lb_ingress(&b, tj(o, "status.loadBalancer.ingress"));
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  cell_str(cells, tj_len(o, "spec.tls") ? "80, 443" : "80");
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col ingressclass_cols[] = {
    COL_NAME,
    {"Controller", "string", "", "Controller that is responsible for handling this class", 0},
    {"Parameters", "string", "", "A reference to a resource with additional parameters", 0},
    COL_AGE,
};

static void ingressclass_row(const json_t *o, time_t now, json_t *cells) {
  const json_t *p = tj(o, "spec.parameters");
  struct sbuf b = {0};
  if (p) {
    sb_add(&b, json_path_str0(p, "kind"));
    if (tj(p, "apiGroup")) sb_addf(&b, ".%s", json_path_str0(p, "apiGroup"));
    sb_addf(&b, "/%s", json_path_str0(p, "name"));
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.controller"));
  cell_str(cells, p ? sb_str(&b) : "<none>");
  sb_free(&b);
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col networkpolicy_cols[] = {
    COL_NAME,
    {"Pod-Selector", "string", "", "Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. An empty podSelector matches all pods in this namespace.", 0},
    COL_AGE,
};

static void networkpolicy_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_selector(cells, tj(o, "spec.podSelector"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col endpointslice_cols[] = {
    COL_NAME,
    {"AddressType", "string", "", "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type.", 0},
    {"Ports", "string", "", "ports specifies the list of network ports exposed by each endpoint in this slice.", 0},
    {"Endpoints", "string", "", "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.", 0},
    COL_AGE,
};

/* listWithMoreString: three entries, " + N more...", or "<unset>" when empty. */
static void endpointslice_row(const json_t *o, time_t now, json_t *cells) {
  struct sbuf b = {0};
  const json_t *ports = tj(o, "ports");
  size_t count = 0, listed = 0;
  for (size_t i = 0; json_is_array(ports) && i < json_array_size(ports); i++, count++) {
    if (listed >= 3) continue;
    const json_t *p = json_array_get(ports, i);
    if (listed++) sb_add(&b, ",");
    if (tj(p, "port")) sb_addf(&b, "%lld", tj_int(p, "port"));
    else if (tj(p, "name")) sb_add(&b, json_path_str0(p, "name"));
    else sb_add(&b, "*");
  }
  if (count > 3) sb_addf(&b, " + %zu more...", count - 3);
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "addressType"));
  cell_str(cells, b.len ? sb_str(&b) : "<unset>");
  sb_free(&b);
  const json_t *eps = tj(o, "endpoints");
  count = listed = 0;
  for (size_t i = 0; json_is_array(eps) && i < json_array_size(eps); i++) {
    const json_t *addrs = json_object_get(json_array_get(eps, i), "addresses");
    for (size_t a = 0; json_is_array(addrs) && a < json_array_size(addrs); a++, count++) {
      if (listed >= 3) continue;
      const json_t *s = json_array_get(addrs, a);
      if (listed++) sb_add(&b, ",");
      sb_add(&b, json_is_string(s) ? json_string_value(s) : "");
    }
  }
  if (count > 3) sb_addf(&b, " + %zu more...", count - 3);
  cell_str(cells, b.len ? sb_str(&b) : "<unset>");
  sb_free(&b);
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- rbac ------------------------------------------------------------ */

static const struct table_col rolebinding_cols[] = {
    COL_NAME,
    {"Role", "string", "", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.", 0},
    COL_AGE,
    {"Users", "string", "", "Users in the roleBinding", 1},
    {"Groups", "string", "", "Groups in the roleBinding", 1},
    {"ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1},
};

static const struct table_col clusterrolebinding_cols[] = {
    COL_NAME,
    {"Role", "string", "", "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.", 0},
    COL_AGE,
    {"Users", "string", "", "Users in the clusterRoleBinding", 1},
    {"Groups", "string", "", "Groups in the clusterRoleBinding", 1},
    {"ServiceAccounts", "string", "", "ServiceAccounts in the clusterRoleBinding", 1},
};

/* rbac.SubjectsStrings: users, groups and "namespace:name" service accounts. */
static void binding_row(const json_t *o, time_t now, json_t *cells) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s/%s", json_path_str0(o, "roleRef.kind"), json_path_str0(o, "roleRef.name"));
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, buf);
  cell_since(cells, o, "metadata.creationTimestamp", now);
  struct sbuf users = {0}, groups = {0}, sas = {0};
  const json_t *subs = tj(o, "subjects");
  for (size_t i = 0; json_is_array(subs) && i < json_array_size(subs); i++) {
    const json_t *s = json_array_get(subs, i);
    const char *kind = json_path_str0(s, "kind");
    struct sbuf *w = strcmp(kind, "User") == 0 ? &users
                     : strcmp(kind, "Group") == 0 ? &groups
                     : strcmp(kind, "ServiceAccount") == 0 ? &sas : NULL;
    if (!w) continue;
    if (w->len) sb_add(w, ", ");
    if (w == &sas) sb_addf(w, "%s:%s", json_path_str0(s, "namespace"), json_path_str0(s, "name"));
    else sb_add(w, json_path_str0(s, "name"));
  }
  cell_str(cells, sb_str(&users));
  cell_str(cells, sb_str(&groups));
  cell_str(cells, sb_str(&sas));
  sb_free(&users);
  sb_free(&groups);
  sb_free(&sas);
}

/* ---- coordination, certificates, scheduling, node -------------------- */

static const struct table_col lease_cols[] = {
    COL_NAME,
    {"Holder", "string", "", "holderIdentity contains the identity of the holder of a current lease.", 0},
    COL_AGE,
};

static void lease_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.holderIdentity"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col csr_cols[] = {
    COL_NAME,
    COL_AGE,
    {"SignerName", "string", "", "Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`.", 0},
    {"Requestor", "string", "", "Base64-encoded PKCS#10 CSR data", 0},
    {"Condition", "string", "", "Conditions applied to the request, such as approval or denial.", 0},
};

static void csr_row(const json_t *o, time_t now, json_t *cells) {
  int approved = 0, denied = 0, failed = 0;
  const json_t *conds = tj(o, "status.conditions");
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++) {
    const char *t = json_path_str0(json_array_get(conds, i), "type");
    if (strcmp(t, "Approved") == 0) approved = 1;
    else if (strcmp(t, "Denied") == 0) denied = 1;
    else if (strcmp(t, "Failed") == 0) failed = 1;
  }
  struct sbuf b = {0};
  sb_add(&b, denied ? "Denied" : approved ? "Approved" : "Pending");
  if (failed) sb_add(&b, ",Failed");
  if (*json_path_str0(o, "status.certificate")) sb_add(&b, ",Issued");
  const char *signer = json_path_str0(o, "spec.signerName");
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_str(cells, *signer ? signer : "<none>");
  cell_str(cells, json_path_str0(o, "spec.username"));
  cell_str(cells, sb_str(&b));
  sb_free(&b);
}

static const struct table_col priorityclass_cols[] = {
    COL_NAME,
    {"Value", "integer", "", "The value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.", 0},
    {"Global-Default", "boolean", "", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`.", 0},
    COL_AGE,
};

static void priorityclass_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, tj_int(o, "value"));
  cell_bool(cells, tj_bool(o, "globalDefault"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col runtimeclass_cols[] = {
    COL_NAME,
    {"Handler", "string", "", "", 0}, /* Kubernetes looks up ObjectMeta's doc for "handler", which is empty */
    COL_AGE,
};

static void runtimeclass_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "handler"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- policy ---------------------------------------------------------- */

static const struct table_col pdb_cols[] = {
    COL_NAME,
    {"Min Available", "string", "", "The minimum number of pods that must be available.", 0},
    {"Max Unavailable", "string", "", "The maximum number of pods that may be unavailable.", 0},
    {"Allowed Disruptions", "integer", "", "Calculated number of pods that may be disrupted at this time.", 0},
    COL_AGE,
};

static void int_or_string(json_t *cells, const json_t *v) {
  char buf[32];
  if (json_is_integer(v)) {
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    cell_str(cells, buf);
  } else if (json_is_string(v)) {
    cell_str(cells, json_string_value(v));
  } else {
    cell_str(cells, "N/A");
  }
}

static void pdb_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  int_or_string(cells, tj(o, "spec.minAvailable"));
  int_or_string(cells, tj(o, "spec.maxUnavailable"));
  cell_int(cells, tj_int(o, "status.disruptionsAllowed"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col psp_cols[] = {
    COL_NAME,
    {"Priv", "string", "", "privileged determines if a pod can request to be run as privileged.", 0},
    {"Caps", "string", "", "allowedCapabilities is a list of capabilities that can be requested to add to the container. Capabilities in this field may be added at the pod author's discretion. You must not list a capability in both allowedCapabilities and requiredDropCapabilities.", 0},
    {"SELinux", "string", "", "seLinux is the strategy that will dictate the allowable labels that may be set.", 0},
    {"RunAsUser", "string", "", "runAsUser is the strategy that will dictate the allowable RunAsUser values that may be set.", 0},
    {"FsGroup", "string", "", "fsGroup is the strategy that will dictate what fs group is used by the SecurityContext.", 0},
    {"SupGroup", "string", "", "supplementalGroups is the strategy that will dictate what supplemental groups are used by the SecurityContext.", 0},
    {"ReadOnlyRootFs", "string", "", "readOnlyRootFilesystem when set to true will force containers to run with a read only root file system.  If the container specifically requests to run with a non-read only root file system the PSP should deny the pod. If set to false the container may run with a read only root file system if it wishes but it will not be forced to.", 0},
    {"Volumes", "string", "", "volumes is an allowlist of volume plugins. Empty indicates that no volumes may be used. To allow all volumes you may use '*'.", 0},
};

static void join_cell(json_t *cells, const json_t *arr) {
  struct sbuf b = {0};
  for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
    const json_t *e = json_array_get(arr, i);
    if (i) sb_add(&b, ",");
    sb_add(&b, json_is_string(e) ? json_string_value(e) : "");
  }
  cell_str(cells, sb_str(&b));
  sb_free(&b);
}

static void psp_row(const json_t *o, time_t now, json_t *cells) {
  (void)now;
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, tj_bool(o, "spec.privileged") ? "true" : "false");
  join_cell(cells, tj(o, "spec.allowedCapabilities"));
  cell_str(cells, json_path_str0(o, "spec.seLinux.rule"));
  cell_str(cells, json_path_str0(o, "spec.runAsUser.rule"));
  cell_str(cells, json_path_str0(o, "spec.fsGroup.rule"));
  cell_str(cells, json_path_str0(o, "spec.supplementalGroups.rule"));
  cell_bool(cells, tj_bool(o, "spec.readOnlyRootFilesystem"));
  join_cell(cells, tj(o, "spec.volumes"));
}

/* ---- storage --------------------------------------------------------- */

static const struct table_col storageclass_cols[] = {
    COL_NAME,
    {"Provisioner", "string", "", "Provisioner indicates the type of the provisioner.", 0},
    {"ReclaimPolicy", "string", "", "Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy. Defaults to Delete.", 0},
    {"VolumeBindingMode", "string", "", "VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.", 0},
    {"AllowVolumeExpansion", "string", "", "AllowVolumeExpansion shows whether the storage class allow volume expand", 0},
    COL_AGE,
};

static void storageclass_row(const json_t *o, time_t now, json_t *cells) {
  const json_t *ann = tj(o, "metadata.annotations");
  const json_t *d = json_object_get(ann, "storageclass.kubernetes.io/is-default-class");
  const json_t *bd = json_object_get(ann, "storageclass.beta.kubernetes.io/is-default-class");
  int is_default = (json_is_string(d) && strcmp(json_string_value(d), "true") == 0) ||
                   (json_is_string(bd) && strcmp(json_string_value(bd), "true") == 0);
  struct sbuf b = {0};
  sb_add(&b, json_path_str0(o, "metadata.name"));
  if (is_default) sb_add(&b, " (default)");
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  cell_str(cells, json_path_str0(o, "provisioner"));
  cell_str(cells, tj(o, "reclaimPolicy") ? json_path_str0(o, "reclaimPolicy") : "Delete");
  cell_str(cells, tj(o, "volumeBindingMode") ? json_path_str0(o, "volumeBindingMode") : "Immediate");
  cell_bool(cells, tj_bool(o, "allowVolumeExpansion"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* 1.20 shows StorageCapacity/TokenRequests/RequiresRepublish only behind
 * alpha feature gates that are off by default, so they are absent here. */
static const struct table_col csidriver_cols[] = {
    COL_NAME,
    {"AttachRequired", "boolean", "", "attachRequired indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting.", 0},
    {"PodInfoOnMount", "boolean", "", "If set to true, podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations.", 0},
    {"Modes", "string", "", "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. The default if the list is empty is \"Persistent\", which is the usage defined by the CSI specification and implemented in Kubernetes via the usual PV/PVC mechanism.", 0},
    COL_AGE,
};

static void csidriver_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_bool(cells, tj(o, "spec.attachRequired") ? tj_bool(o, "spec.attachRequired") : 1);
  cell_bool(cells, tj_bool(o, "spec.podInfoOnMount"));
  if (tj_len(o, "spec.volumeLifecycleModes")) join_cell(cells, tj(o, "spec.volumeLifecycleModes"));
  else cell_str(cells, "<none>");
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col csinode_cols[] = {
    COL_NAME,
    {"Drivers", "integer", "", "Drivers indicates the number of CSI drivers registered on the node", 0},
    COL_AGE,
};

static void csinode_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, (long long)tj_len(o, "spec.drivers"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col volumeattachment_cols[] = {
    COL_NAME,
    {"Attacher", "string", "name", "Attacher indicates the name of the volume driver that MUST handle this request. This is the name returned by GetPluginName().", 0},
    {"PV", "string", "", "Name of the persistent volume to attach.", 0},
    {"Node", "string", "", "The node that the volume should be attached to.", 0},
    {"Attached", "boolean", "", "Indicates the volume is successfully attached. This field must only be set by the entity completing the attach operation, i.e. the external-attacher.", 0},
    COL_AGE,
};

static void volumeattachment_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.attacher"));
  cell_str(cells, json_path_str0(o, "spec.source.persistentVolumeName"));
  cell_str(cells, json_path_str0(o, "spec.nodeName"));
  cell_bool(cells, tj_bool(o, "status.attached"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col csistoragecapacity_cols[] = {
    COL_NAME,
    {"StorageClassName", "string", "", "The name of the StorageClass that the reported capacity applies to. It must meet the same requirements as the name of a StorageClass object (non-empty, DNS subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should be removed by its creator. This field is immutable.", 0},
    {"Capacity", "string", "", "Capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.", 0},
};

static void csistoragecapacity_row(const json_t *o, time_t now, json_t *cells) {
  (void)now;
  char qb[64];
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "storageClassName"));
  cell_str(cells, tj(o, "capacity") ? qty_str(tj(o, "capacity"), qb, sizeof qb) : "<unset>");
}

/* ---- admission webhooks and flow control ----------------------------- */

static const struct table_col webhook_cols[] = {
    COL_NAME,
    {"Webhooks", "integer", "", "Webhooks indicates the number of webhooks registered in this configuration", 0},
    COL_AGE,
};

static void webhook_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, (long long)tj_len(o, "webhooks"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* kube-aggregator's APIService table: Local or namespace/name, the Available condition ("False (Reason)"). */
static const struct table_col apiservice_cols[] = {
    COL_NAME,
    {"Service", "string", "", "The reference to the service that hosts this API endpoint.", 0},
    {"Available", "string", "", "Whether this service is available.", 0},
    COL_AGE,
};

static void apiservice_row(const json_t *o, time_t now, json_t *cells) {
  char service[600] = "Local", available[300] = "Unknown";
  if (json_is_object(tj(o, "spec.service")))
    snprintf(service, sizeof service, "%s/%s", json_path_str0(o, "spec.service.namespace"),
             json_path_str0(o, "spec.service.name"));
  const json_t *conds = tj(o, "status.conditions");
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++) {
    const json_t *c = json_array_get(conds, i);
    if (strcmp(json_path_str0(c, "type"), "Available") != 0) continue;
    const char *st = json_path_str0(c, "status"), *reason = json_path_str0(c, "reason");
    if (strcmp(st, "True") != 0 && *reason) snprintf(available, sizeof available, "%s (%s)", st, reason);
    else snprintf(available, sizeof available, "%s", st);
    break;
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, service);
  cell_str(cells, available);
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static const struct table_col flowschema_cols[] = {
    COL_NAME,
    {"PriorityLevel", "string", "", "`name` is the name of the priority level configuration being referenced Required.", 0},
    {"MatchingPrecedence", "string", "", "`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The chosen FlowSchema is among those with the numerically lowest (which we take to be logically highest) MatchingPrecedence.", 0},
    {"DistinguisherMethod", "string", "", "`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty string.", 0},
    COL_AGE,
    {"MissingPL", "string", "", "references a broken or non-existent PriorityLevelConfiguration", 0},
};

static void flowschema_row(const json_t *o, time_t now, json_t *cells) {
  const char *missing = "?";
  const json_t *conds = tj(o, "status.conditions");
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++) {
    const json_t *c = json_array_get(conds, i);
    if (strcmp(json_path_str0(c, "type"), "Dangling") == 0) {
      missing = json_path_str0(c, "status");
      break;
    }
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.priorityLevelConfiguration.name"));
  cell_int(cells, tj_int(o, "spec.matchingPrecedence"));
  cell_str(cells, tj(o, "spec.distinguisherMethod") ? json_path_str0(o, "spec.distinguisherMethod.type") : "<none>");
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_str(cells, missing);
}

static const struct table_col prioritylevel_cols[] = {
    COL_NAME,
    {"Type", "string", "", "`type` indicates whether this priority level is subject to limitation on request execution.", 0},
    {"AssuredConcurrencyShares", "string", "", "`assuredConcurrencyShares` (ACS) configures the execution limit, which is a limit on the number of requests of this priority level that may be exeucting at a given time.", 0},
    {"Queues", "string", "", "`queues` is the number of queues for this priority level. The queues exist independently at each apiserver.", 0},
    {"HandSize", "string", "", "`handSize` is a small positive number that configures the shuffle sharding of requests into queues.", 0},
    {"QueueLengthLimit", "string", "", "`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time; excess requests are rejected.", 0},
    COL_AGE,
};

/* Integer cells when limited (and queuing), "<none>" strings otherwise. */
static void prioritylevel_row(const json_t *o, time_t now, json_t *cells) {
  const json_t *lim = tj(o, "spec.limited");
  const json_t *q = lim ? tj(lim, "limitResponse.queuing") : NULL;
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.type"));
  if (lim) cell_int(cells, tj_int(lim, "assuredConcurrencyShares"));
  else cell_str(cells, "<none>");
  static const char *const qf[] = {"queues", "handSize", "queueLengthLimit"};
  for (size_t i = 0; i < 3; i++) {
    if (q) cell_int(cells, tj_int(q, qf[i]));
    else cell_str(cells, "<none>");
  }
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- apiserver internals -------------------------------------------- */

static const struct table_col storageversion_cols[] = {
    COL_NAME,
    {"CommonEncodingVersion", "string", "", "If all API server instances agree on the same encoding storage version, then this field is set to that version. Otherwise this field is left empty. API servers should finish updating its storageVersionStatus entry before serving write operations, so that this field will be in sync with the reality.", 0},
    {"StorageVersions", "string", "", "The reported versions per API server instance.", 0},
    COL_AGE,
};

static void storageversion_row(const json_t *o, time_t now, json_t *cells) {
  struct sbuf b = {0};
  const json_t *svs = tj(o, "status.storageVersions");
  size_t count = 0, listed = 0;
  for (size_t i = 0; json_is_array(svs) && i < json_array_size(svs); i++, count++) {
    if (listed >= 3) continue;
    const json_t *sv = json_array_get(svs, i);
    if (listed++) sb_add(&b, ",");
    sb_addf(&b, "%s=%s", json_path_str0(sv, "apiServerID"), json_path_str0(sv, "encodingVersion"));
  }
  if (count > 3) sb_addf(&b, " + %zu more...", count - 3);
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, tj(o, "status.commonEncodingVersion") ? json_path_str0(o, "status.commonEncodingVersion") : "<unset>");
  cell_str(cells, b.len ? sb_str(&b) : "<unset>");
  sb_free(&b);
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

const struct table_printer table_other_printers[] = {
    TABLE_PRINTER("networking.k8s.io|extensions", "ingresses", ingress_cols, ingress_row),
    TABLE_PRINTER("networking.k8s.io", "ingressclasses", ingressclass_cols, ingressclass_row),
    TABLE_PRINTER("networking.k8s.io|extensions", "networkpolicies", networkpolicy_cols, networkpolicy_row),
    TABLE_PRINTER("discovery.k8s.io", "endpointslices", endpointslice_cols, endpointslice_row),
    TABLE_PRINTER("rbac.authorization.k8s.io", "rolebindings", rolebinding_cols, binding_row),
    TABLE_PRINTER("rbac.authorization.k8s.io", "clusterrolebindings", clusterrolebinding_cols, binding_row),
    TABLE_PRINTER("coordination.k8s.io", "leases", lease_cols, lease_row),
    TABLE_PRINTER("certificates.k8s.io", "certificatesigningrequests", csr_cols, csr_row),
    TABLE_PRINTER("scheduling.k8s.io", "priorityclasses", priorityclass_cols, priorityclass_row),
    TABLE_PRINTER("node.k8s.io", "runtimeclasses", runtimeclass_cols, runtimeclass_row),
    TABLE_PRINTER("policy", "poddisruptionbudgets", pdb_cols, pdb_row),
    TABLE_PRINTER("policy|extensions", "podsecuritypolicies", psp_cols, psp_row),
    TABLE_PRINTER("storage.k8s.io", "storageclasses", storageclass_cols, storageclass_row),
    TABLE_PRINTER("storage.k8s.io", "csidrivers", csidriver_cols, csidriver_row),
    TABLE_PRINTER("storage.k8s.io", "csinodes", csinode_cols, csinode_row),
    TABLE_PRINTER("storage.k8s.io", "volumeattachments", volumeattachment_cols, volumeattachment_row),
    TABLE_PRINTER("storage.k8s.io", "csistoragecapacities", csistoragecapacity_cols, csistoragecapacity_row),
    TABLE_PRINTER("internal.apiserver.k8s.io", "storageversions", storageversion_cols, storageversion_row),
    TABLE_PRINTER("apiregistration.k8s.io", "apiservices", apiservice_cols, apiservice_row),
    TABLE_PRINTER("admissionregistration.k8s.io", "mutatingwebhookconfigurations", webhook_cols, webhook_row),
    TABLE_PRINTER("admissionregistration.k8s.io", "validatingwebhookconfigurations", webhook_cols, webhook_row),
    TABLE_PRINTER("flowcontrol.apiserver.k8s.io", "flowschemas", flowschema_cols, flowschema_row),
    TABLE_PRINTER("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", prioritylevel_cols, prioritylevel_row),
};
const size_t table_other_nprinters = sizeof table_other_printers / sizeof table_other_printers[0];
