/* table_other.c - Table printers for the remaining API groups kube-apiserver
 * 1.20 prints: networking (ingresses, ingressclasses, networkpolicies),
 * discovery (endpointslices), rbac bindings, coordination (leases),
 * certificates (CSRs), scheduling (priorityclasses), node (runtimeclasses),
 * policy (poddisruptionbudgets, podsecuritypolicies), storage
 * (storageclasses, csidrivers, csinodes, volumeattachments), admission
 * webhooks and API priority-and-fairness objects. Roles, cluster roles and
 * limit ranges have no printer in Kubernetes and use the default convertor.
 * The columns are printers.go's own (kube-aggregator's for APIService),
 * generated at build time (table_columns.h). */
#include "table_impl.h"
#include "table_columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- networking ------------------------------------------------------ */

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

static void networkpolicy_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_selector(cells, tj(o, "spec.podSelector"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

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

static void lease_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.holderIdentity"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

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

static void priorityclass_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, tj_int(o, "value"));
  cell_bool(cells, tj_bool(o, "globalDefault"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static void runtimeclass_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "handler"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- policy ---------------------------------------------------------- */

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
 * alpha feature gates that are off by default, so they are absent here (and
 * from printer_cols_csi_driver: api-spec/table_columns.py applies the gates). */
static void csidriver_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_bool(cells, tj(o, "spec.attachRequired") ? tj_bool(o, "spec.attachRequired") : 1);
  cell_bool(cells, tj_bool(o, "spec.podInfoOnMount"));
  if (tj_len(o, "spec.volumeLifecycleModes")) join_cell(cells, tj(o, "spec.volumeLifecycleModes"));
  else cell_str(cells, "<none>");
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static void csinode_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, (long long)tj_len(o, "spec.drivers"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static void volumeattachment_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.attacher"));
  cell_str(cells, json_path_str0(o, "spec.source.persistentVolumeName"));
  cell_str(cells, json_path_str0(o, "spec.nodeName"));
  cell_bool(cells, tj_bool(o, "status.attached"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static void csistoragecapacity_row(const json_t *o, time_t now, json_t *cells) {
  (void)now;
  char qb[64];
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "storageClassName"));
  cell_str(cells, tj(o, "capacity") ? qty_str(tj(o, "capacity"), qb, sizeof qb) : "<unset>");
}

/* ---- admission webhooks and flow control ----------------------------- */

static void webhook_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, (long long)tj_len(o, "webhooks"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* kube-aggregator's APIService table (its columns are its REST storage's, not
 * printers.go's): Local or namespace/name, the Available condition ("False (Reason)"). */

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
    TABLE_PRINTER("networking.k8s.io|extensions", "ingresses", printer_cols_ingress, ingress_row),
    TABLE_PRINTER("networking.k8s.io", "ingressclasses", printer_cols_ingress_class, ingressclass_row),
    TABLE_PRINTER("networking.k8s.io|extensions", "networkpolicies", printer_cols_network_policy, networkpolicy_row),
    TABLE_PRINTER("discovery.k8s.io", "endpointslices", printer_cols_endpoint_slice, endpointslice_row),
    TABLE_PRINTER("rbac.authorization.k8s.io", "rolebindings", printer_cols_role_bindings, binding_row),
    TABLE_PRINTER("rbac.authorization.k8s.io", "clusterrolebindings", printer_cols_cluster_role_bindings, binding_row),
    TABLE_PRINTER("coordination.k8s.io", "leases", printer_cols_lease, lease_row),
    TABLE_PRINTER("certificates.k8s.io", "certificatesigningrequests", printer_cols_certificate_signing_request, csr_row),
    TABLE_PRINTER("scheduling.k8s.io", "priorityclasses", printer_cols_priority_class, priorityclass_row),
    TABLE_PRINTER("node.k8s.io", "runtimeclasses", printer_cols_runtime_class, runtimeclass_row),
    TABLE_PRINTER("policy", "poddisruptionbudgets", printer_cols_pod_disruption_budget, pdb_row),
    TABLE_PRINTER("policy|extensions", "podsecuritypolicies", printer_cols_pod_security_policy, psp_row),
    TABLE_PRINTER("storage.k8s.io", "storageclasses", printer_cols_storage_class, storageclass_row),
    TABLE_PRINTER("storage.k8s.io", "csidrivers", printer_cols_csi_driver, csidriver_row),
    TABLE_PRINTER("storage.k8s.io", "csinodes", printer_cols_csi_node, csinode_row),
    TABLE_PRINTER("storage.k8s.io", "volumeattachments", printer_cols_volume_attachment, volumeattachment_row),
    TABLE_PRINTER("storage.k8s.io", "csistoragecapacities", printer_cols_csi_storage_capacity, csistoragecapacity_row),
    TABLE_PRINTER("internal.apiserver.k8s.io", "storageversions", printer_cols_storage_version, storageversion_row),
    TABLE_PRINTER("apiregistration.k8s.io", "apiservices", printer_cols_apiservice, apiservice_row),
    TABLE_PRINTER("admissionregistration.k8s.io", "mutatingwebhookconfigurations", printer_cols_mutating_webhook, webhook_row),
    TABLE_PRINTER("admissionregistration.k8s.io", "validatingwebhookconfigurations", printer_cols_validating_webhook, webhook_row),
    TABLE_PRINTER("flowcontrol.apiserver.k8s.io", "flowschemas", printer_cols_flow_schema, flowschema_row),
    TABLE_PRINTER("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", printer_cols_priority_level, prioritylevel_row),
};
const size_t table_other_nprinters = sizeof table_other_printers / sizeof table_other_printers[0];
