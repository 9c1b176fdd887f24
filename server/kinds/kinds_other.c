/* kinds_other.c - the kinds with small rule sets: Namespaces (finalizer
 * "kubernetes" and phase Active on create, spec.finalizers changed only
 * through /finalize), Nodes, ConfigMaps and Secrets (keys, sizes, secret
 * types), PersistentVolumes and claims, HorizontalPodAutoscalers (both API
 * shapes), StorageClasses, RBAC roles and bindings, Leases, Events (the
 * legacy core/v1 rules), ServiceAccounts and PodDisruptionBudgets
 * (Ingresses are in kinds_ingress.c): defaults, strategy resets and validation with
 * Kubernetes 1.20's messages. */
#include "kinds_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Namespace, Node ----------------------------------------------------- */

void namespace_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *st = json_object_get(obj, "status");
  if (json_is_object(st)) kdefault(st, "phase", json_string("Active"));
}

void namespace_create(const kind_ref *k, json_t *obj) {
  (void)k;
  json_object_set_new(kobj(obj, "spec"), "finalizers", json_pack("[s]", "kubernetes"));
  json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
}

void namespace_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  (void)k;
  if (sub) return;
  const json_t *fin = json_object_get(json_object_get(old, "spec"), "finalizers"); /* copied: old may be published */
  if (fin) json_object_set_new(kobj(obj, "spec"), "finalizers", json_deep_copy(fin));
  else json_object_del(kobj(obj, "spec"), "finalizers");
}

void namespace_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(json_object_get(obj, "spec"), "finalizers"), i, f) {
    const char *s = json_string_value(f);
    if (!s) continue;
    size_t before = fe_count(fe);
    check_qualified_name(fe, "spec.finalizers", s);
    if (fe_count(fe) == before && !strchr(s, '/') && strcmp(s, "kubernetes"))
      fe_invalid_str(fe, "spec.finalizers", s, "name is neither a standard finalizer name nor is it fully qualified");
  }
}

/* SetDefaults_NodeStatus: allocatable defaults to capacity. */
void node_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *st = json_object_get(obj, "status");
  json_t *cap = json_object_get(st, "capacity");
  if (!json_is_object(cap)) return;
  kcanonical_quantities(cap);
  kdefault(st, "allocatable", json_deep_copy(cap));
  kcanonical_quantities(json_object_get(st, "allocatable"));
}

/* SetDefaults_LimitRangeItem: a Container item's default comes from max,
 * its defaultRequest from default, then from min. */
void limitrange_default(const kind_ref *k, json_t *obj) {
  (void)k;
  size_t i;
  json_t *item;
  static const char *const lists[] = {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio", NULL};
  json_array_foreach(json_object_get(json_object_get(obj, "spec"), "limits"), i, item) {
    if (!json_is_object(item)) continue;
    for (int l = 0; lists[l]; l++) kcanonical_quantities(json_object_get(item, lists[l]));
    if (!json_is_string(json_object_get(item, "type")) || strcmp(kstr(item, "type"), "Container")) continue;
    json_t *def = kobj(item, "default"), *req = kobj(item, "defaultRequest");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(item, "max"), key, v) kdefault(def, key, json_incref(v));
    json_object_foreach(def, key, v) kdefault(req, key, json_incref(v));
    json_object_foreach(json_object_get(item, "min"), key, v) kdefault(req, key, json_incref(v));
  }
}

void resourcequota_default(const kind_ref *k, json_t *obj) {
  (void)k;
  kcanonical_quantities(json_object_get(json_object_get(obj, "spec"), "hard"));
}

void node_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *spec = json_object_get(obj, "spec");
  const char *cidr = kstr(spec, "podCIDR");
  const json_t *cidrs = json_object_get(spec, "podCIDRs");
  if (cidr && *cidr && json_array_size(cidrs) && strcmp(json_string_value(json_array_get(cidrs, 0)) ?: "", cidr))
    fe_invalid_str(fe, "spec.podCIDRs", cidr, "must match podCIDR");
  if (old) {
    const json_t *ospec = json_object_get(old, "spec");
    const char *ocidr = kstr(ospec, "podCIDR");
    if (ocidr && *ocidr && (!cidr || strcmp(cidr, ocidr)))
      fe_forbidden(fe, "spec.podCIDR", "node updates may not change podCIDR except from \"\" to valid");
    const char *opid = kstr(ospec, "providerID"), *pid = kstr(spec, "providerID");
    if (opid && *opid && (!pid || strcmp(pid, opid)))
      fe_forbidden(fe, "spec.providerID", "node updates may not change providerID except from \"\" to valid");
  }
}

/* ---- ConfigMap, Secret, ServiceAccount ----------------------------------- */

static size_t values_size(const json_t *map, bool base64) {
  size_t total = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)map, k, v) {
    size_t n = json_is_string(v) ? strlen(json_string_value(v)) : 0;
    total += base64 ? n / 4 * 3 : n; /* decoded bytes, close enough for a 1 MiB cap */
  }
  return total;
}

static void immutable_data(const json_t *obj, const json_t *old, bool configmap, field_errors *fe) {
  if (!old || !json_is_true(json_object_get(old, "immutable"))) return;
  if (!json_is_true(json_object_get(obj, "immutable")))
    fe_forbidden(fe, "immutable", "field is immutable when `immutable` is set");
  if (!json_equal(json_object_get(obj, "data") ?: json_null(), json_object_get(old, "data") ?: json_null()))
    fe_forbidden(fe, "data", "field is immutable when `immutable` is set");
  if (configmap && !json_equal(json_object_get(obj, "binaryData") ?: json_null(), json_object_get(old, "binaryData") ?: json_null()))
    fe_forbidden(fe, "binaryData", "field is immutable when `immutable` is set");
}

void configmap_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *data = json_object_get(obj, "data"), *bin = json_object_get(obj, "binaryData");
  check_config_keys(fe, "data", data);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)data, key, v) {
    if (!json_object_get(bin, key)) continue;
    char f[600];
    snprintf(f, sizeof f, "data[%s]", key);
    fe_invalid_str(fe, f, key, "duplicate of key present in binaryData");
  }
  check_config_keys(fe, "binaryData", bin);
  if (values_size(data, false) + values_size(bin, true) > 1024 * 1024)
    fe_add(fe, FE_TOO_LONG, "", NULL, "must have at most 1048576 bytes");
  immutable_data(obj, old, true, fe);
}

/* Standard base64 of n bytes; caller frees. */
static char *base64(const unsigned char *in, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    *o++ = tab[v >> 18 & 63];
    *o++ = tab[v >> 12 & 63];
    *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
    *o++ = i + 2 < n ? tab[v & 63] : '=';
  }
  *o = 0;
  return out;
}

/* Decoding a v1 Secret folds stringData into data (stringData wins) and
 * drops it: it is write-only and never stored. */
void secret_default(const kind_ref *k, json_t *obj) {
  (void)k;
  const char *t = kstr(obj, "type");
  if (!t || !*t) json_object_set_new(obj, "type", json_string("Opaque"));
  json_t *sd = json_object_get(obj, "stringData");
  if (json_is_object(sd) && json_object_size(sd)) {
    json_t *data = kobj(obj, "data");
    const char *key;
    json_t *v;
    json_object_foreach(sd, key, v) {
      const char *text = json_is_string(v) ? json_string_value(v) : "";
      char *enc = base64((const unsigned char *)text, strlen(text));
      if (enc) json_object_set_new(data, key, json_string(enc));
      free(enc);
    }
  }
  json_object_del(obj, "stringData");
}

/* The keys a typed secret must carry (ValidateSecret). */
static void secret_type_rules(const json_t *obj, field_errors *fe) {
  const char *type = kstr(obj, "type") ? kstr(obj, "type") : "";
  const json_t *data = json_object_get(obj, "data");
  const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
  if (!strcmp(type, "kubernetes.io/service-account-token")) {
    if (!kstr(ann, "kubernetes.io/service-account.name") || !*kstr(ann, "kubernetes.io/service-account.name"))
      fe_required(fe, "metadata.annotations[kubernetes.io/service-account.name]", "");
  } else if (!strcmp(type, "kubernetes.io/dockercfg")) {
    if (!json_object_get(data, ".dockercfg")) fe_required(fe, "data[.dockercfg]", "");
  } else if (!strcmp(type, "kubernetes.io/dockerconfigjson")) {
    if (!json_object_get(data, ".dockerconfigjson")) fe_required(fe, "data[.dockerconfigjson]", "");
  } else if (!strcmp(type, "kubernetes.io/basic-auth")) {
    /* Kubernetes builds these two paths from a literal "data[%s]" */
    if (!json_object_get(data, "username") && !json_object_get(data, "password")) {
      fe_required(fe, "data[%s][username]", "");
      fe_required(fe, "data[%s][password]", "");
    }
  } else if (!strcmp(type, "kubernetes.io/ssh-auth")) {
    const char *key = kstr(data, "ssh-privatekey");
    if (!key || !*key) fe_required(fe, "data[%s][ssh-privatekey]", "");
  } else if (!strcmp(type, "kubernetes.io/tls")) {
    if (!json_object_get(data, "tls.crt")) fe_required(fe, "data[tls.crt]", "");
    if (!json_object_get(data, "tls.key")) fe_required(fe, "data[tls.key]", "");
  }
}

void secret_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *data = json_object_get(obj, "data");
  check_config_keys(fe, "data", data);
  if (values_size(data, true) > 1024 * 1024) fe_add(fe, FE_TOO_LONG, "data", NULL, "must have at most 1048576 bytes");
  secret_type_rules(obj, fe);
  if (old && !json_equal(json_object_get(obj, "type") ?: json_null(), json_object_get(old, "type") ?: json_null()))
    fe_add(fe, FE_INVALID, "type", json_object_get(obj, "type"), "field is immutable");
  immutable_data(obj, old, false, fe);
}

void serviceaccount_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(obj, "secrets"), i, s) {
    const char *name = kstr(s, "name");
    char f[64];
    snprintf(f, sizeof f, "secrets[%zu].name", i);
    if (name && *name) check_dns1123_subdomain(fe, f, name);
  }
}

/* ---- PersistentVolume, PersistentVolumeClaim ----------------------------- */

void pv_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  kcanonical_quantities(json_object_get(spec, "capacity"));
  kdefault(spec, "persistentVolumeReclaimPolicy", json_string("Retain"));
  kdefault(spec, "volumeMode", json_string("Filesystem"));
  json_t *hp = json_object_get(spec, "hostPath");
  if (json_is_object(hp)) kdefault(hp, "type", json_string(""));
}

void pv_create(const kind_ref *k, json_t *obj) {
  (void)k;
  json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
}

static const char *const access_modes[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", NULL};
static const char *const volume_modes[] = {"Block", "Filesystem", NULL};

static void check_access_modes(const json_t *spec, const char *field, const char *required_detail, field_errors *fe) {
  const json_t *modes = json_object_get(spec, "accessModes");
  if (!json_array_size(modes)) fe_required(fe, field, required_detail);
  size_t i;
  json_t *m;
  json_array_foreach(modes, i, m) if (!kone_of(json_string_value(m), access_modes)) fe_not_supported(fe, field, m, access_modes);
}

void pv_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *spec = json_object_get(obj, "spec");
  check_access_modes(spec, "spec.accessModes", "", fe);
  const json_t *cap = json_object_get(spec, "capacity");
  if (!json_object_size(cap)) fe_required(fe, "spec.capacity", "");
  else if (!json_object_get(cap, "storage") || json_object_size(cap) > 1) {
    static const char *const storage[] = {"storage", NULL};
    fe_not_supported(fe, "spec.capacity", cap, storage);
  }
  static const char *const policies[] = {"Delete", "Recycle", "Retain", NULL};
  kcheck_enum(fe, "spec.persistentVolumeReclaimPolicy", spec, "persistentVolumeReclaimPolicy", policies);
  static const char *const sources[] = {"hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "nfs",
                                        "rbd", "quobyte", "cephfs", "iscsi", "cinder", "fc", "flexVolume",
                                        "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk",
                                        "portworxVolume", "scaleIO", "local", "storageos", "csi", "flocker", NULL};
  int n = 0;
  for (int i = 0; sources[i]; i++) {
    if (!json_object_get(spec, sources[i])) continue;
    if (n++) {
      char f[64];
      snprintf(f, sizeof f, "spec.%s", sources[i]);
      fe_forbidden(fe, f, "may not specify more than 1 volume type");
    }
  }
  if (!n) fe_required(fe, "spec", "must specify a volume type");
  kcheck_enum(fe, "spec.volumeMode", spec, "volumeMode", volume_modes);
  if (old && !json_equal(json_object_get(spec, "volumeMode") ?: json_null(),
                         json_object_get(json_object_get(old, "spec"), "volumeMode") ?: json_null()))
    fe_add(fe, FE_INVALID, "volumeMode", json_object_get(spec, "volumeMode"), "field is immutable");
}

void pvc_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  kdefault(spec, "volumeMode", json_string("Filesystem"));
  json_t *res = json_object_get(spec, "resources");
  kcanonical_quantities(json_object_get(res, "requests"));
  kcanonical_quantities(json_object_get(res, "limits"));
}

void pvc_create(const kind_ref *k, json_t *obj) {
  (void)k;
  json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
}

void pvc_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *spec = json_object_get(obj, "spec");
  check_access_modes(spec, "spec.accessModes", "at least 1 access mode is required", fe);
  if (!json_object_get(json_object_get(json_object_get(spec, "resources"), "requests"), "storage"))
    fe_required(fe, "spec.resources[storage]", "");
  const char *sc = kstr(spec, "storageClassName");
  if (sc && *sc) check_dns1123_subdomain(fe, "spec.storageClassName", sc);
  kcheck_enum(fe, "spec.volumeMode", spec, "volumeMode", volume_modes);
  if (!old) return;
  /* a bound claim may only grow its storage request; an unbound one is immutable */
  const json_t *ospec = json_object_get(old, "spec");
  json_t *a = json_deep_copy(spec), *b = json_deep_copy(ospec);
  bool bound = kstr(ospec, "volumeName") && *kstr(ospec, "volumeName");
  if (!bound && kstr(spec, "volumeName")) /* the binder sets volumeName once */
    json_object_set_new(b, "volumeName", json_string(kstr(spec, "volumeName")));
  if (bound) {
    json_object_del(kobj(a, "resources"), "requests");
    json_object_del(kobj(b, "resources"), "requests");
  }
  if (!json_equal(a, b))
    fe_forbidden(fe, "spec", bound ? "spec is immutable after creation except resources.requests for bound claims"
                                   : "field is immutable after creation");
  json_decref(a);
  json_decref(b);
}

/* ---- HorizontalPodAutoscaler ----------------------------------------------- */

static json_t *scaling_rules(int window, const char *p1_type, int p1_value, const char *p2_type, int p2_value) {
  json_t *policies = json_array();
  json_array_append_new(policies, json_pack("{s:s,s:i,s:i}", "type", p1_type, "value", p1_value, "periodSeconds", 15));
  if (p2_type)
    json_array_append_new(policies, json_pack("{s:s,s:i,s:i}", "type", p2_type, "value", p2_value, "periodSeconds", 15));
  return json_pack("{s:i,s:s,s:o}", "stabilizationWindowSeconds", window, "selectPolicy", "Max", "policies", policies);
}

/* GenerateHPAScale{Up,Down}Rules: the user's fields over the defaults. */
static void default_rules(json_t *behavior, const char *key, json_t *defaults) {
  json_t *user = json_object_get(behavior, key);
  if (json_is_object(user)) {
    static const char *const fields[] = {"selectPolicy", "stabilizationWindowSeconds", "policies", NULL};
    for (int i = 0; fields[i]; i++)
      if (json_object_get(user, fields[i])) json_object_set(defaults, fields[i], json_object_get(user, fields[i]));
  }
  json_object_set_new(behavior, key, defaults);
}

void hpa_default(const kind_ref *k, json_t *obj) {
  json_t *spec = kobj(obj, "spec");
  kdefault(spec, "minReplicas", json_integer(1));
  if (!strcmp(k->version, "v1")) return;
  if (!strcmp(k->version, "v2beta1")) {
    if (!json_array_size(json_object_get(spec, "metrics")))
      json_object_set_new(spec, "metrics", json_pack("[{s:s,s:{s:s,s:i}}]", "type", "Resource", "resource", "name",
                                                     "cpu", "targetAverageUtilization", 80));
    return;
  }
  if (!json_array_size(json_object_get(spec, "metrics")))
    json_object_set_new(spec, "metrics",
                        json_pack("[{s:s,s:{s:s,s:{s:s,s:i}}}]", "type", "Resource", "resource", "name", "cpu",
                                  "target", "type", "Utilization", "averageUtilization", 80));
  json_t *behavior = json_object_get(spec, "behavior");
  if (json_is_object(behavior)) {
    default_rules(behavior, "scaleUp", scaling_rules(0, "Pods", 4, "Percent", 100));
    default_rules(behavior, "scaleDown", scaling_rules(300, "Percent", 100, NULL, 0));
  }
}

static void check_ref_part(field_errors *fe, const char *field, const json_t *ref, const char *key) {
  const char *v = kstr(ref, key);
  if (!v || !*v) {
    fe_required(fe, field, "");
    return;
  }
  if (!strcmp(v, ".") || !strcmp(v, "..")) {
    char msg[32];
    snprintf(msg, sizeof msg, "may not be '%s'", v);
    fe_invalid_str(fe, field, v, msg);
    return;
  }
  if (strchr(v, '/')) fe_invalid_str(fe, field, v, "may not contain '/'");
  if (strchr(v, '%')) fe_invalid_str(fe, field, v, "may not contain '%'");
}

static void validate_hpa(const json_t *obj, field_errors *fe);

/* v2beta1 is validated in the internal (v2beta2) shape, with its paths. */
void hpa_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)old;
  if (strcmp(k->version, "v2beta1")) {
    validate_hpa(obj, fe);
    return;
  }
  json_t *internal = json_deep_copy(obj);
  hpa_v2beta1_up(internal);
  validate_hpa(internal, fe);
  json_decref(internal);
}

static void validate_hpa(const json_t *obj, field_errors *fe) {
  const json_t *spec = json_object_get(obj, "spec");
  const json_t *min = json_object_get(spec, "minReplicas"), *max = json_object_get(spec, "maxReplicas");
  if (json_is_integer(min) && json_integer_value(min) < 1)
    fe_add(fe, FE_INVALID, "spec.minReplicas", min, "must be greater than or equal to 1");
  if (json_integer_value(max) < 1) fe_invalid_int(fe, "spec.maxReplicas", json_integer_value(max), "must be greater than 0");
  if (json_is_integer(min) && json_integer_value(max) < json_integer_value(min))
    fe_invalid_int(fe, "spec.maxReplicas", json_integer_value(max), "must be greater than or equal to `minReplicas`");
  const json_t *ref = json_object_get(spec, "scaleTargetRef");
  check_ref_part(fe, "spec.scaleTargetRef.kind", ref, "kind");
  check_ref_part(fe, "spec.scaleTargetRef.name", ref, "name");
  const json_t *cpu = json_object_get(spec, "targetCPUUtilizationPercentage");
  if (json_is_integer(cpu) && json_integer_value(cpu) < 1)
    fe_add(fe, FE_INVALID, "spec.metrics[0].resource.target.averageUtilization", cpu, "must be greater than 0");
  static const char *const types[] = {"ContainerResource", "External", "Object", "Pods", "Resource", NULL};
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(spec, "metrics"), i, m) {
    char f[96];
    snprintf(f, sizeof f, "spec.metrics[%zu].type", i);
    const char *t = kstr(m, "type");
    if (!t || !*t) fe_required(fe, f, "must specify a metric source type");
    else if (!kone_of(t, types)) fe_not_supported(fe, f, json_object_get(m, "type"), types);
    /* validateMetricTarget for the source named by the type */
    static const char *const sources[] = {"resource", "pods", "object", "external", "containerResource", NULL};
    for (int s = 0; sources[s]; s++) {
      const json_t *target = json_object_get(json_object_get(m, sources[s]), "target");
      if (!json_is_object(target)) continue;
      static const char *const target_types[] = {"Utilization", "Value", "AverageValue", NULL};
      const char *tt = kstr(target, "type");
      snprintf(f, sizeof f, "spec.metrics[%zu].%s.target.type", i, sources[s]);
      if (!tt || !*tt) fe_required(fe, f, "must specify a metric target type");
      else if (!kone_of(tt, target_types))
        fe_add(fe, FE_INVALID, f, json_object_get(target, "type"), "must be either Utilization, Value, or AverageValue");
      const json_t *au = json_object_get(target, "averageUtilization");
      snprintf(f, sizeof f, "spec.metrics[%zu].%s.target.averageUtilization", i, sources[s]);
      if (json_is_integer(au) && json_integer_value(au) < 1) fe_add(fe, FE_INVALID, f, au, "must be greater than 0");
    }
  }
}

/* ---- StorageClass, RBAC, Lease, PDB -------------------------------------- */

void storageclass_default(const kind_ref *k, json_t *obj) {
  (void)k;
  kdefault(obj, "reclaimPolicy", json_string("Delete"));
  kdefault(obj, "volumeBindingMode", json_string("Immediate"));
}

void storageclass_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const char *prov = kstr(obj, "provisioner");
  if (!prov || !*prov) fe_required(fe, "provisioner", "");
  static const char *const policies[] = {"Delete", "Retain", NULL};
  kcheck_enum(fe, "reclaimPolicy", obj, "reclaimPolicy", policies);
  static const char *const modes[] = {"Immediate", "WaitForFirstConsumer", NULL};
  kcheck_enum(fe, "volumeBindingMode", obj, "volumeBindingMode", modes);
  if (!old) return;
  if (!json_equal(json_object_get(obj, "parameters") ?: json_null(), json_object_get(old, "parameters") ?: json_null()))
    fe_forbidden(fe, "parameters", "updates to parameters are forbidden.");
  if (prov && kstr(old, "provisioner") && strcmp(prov, kstr(old, "provisioner")))
    fe_forbidden(fe, "provisioner", "updates to provisioner are forbidden.");
  if (!json_equal(json_object_get(obj, "reclaimPolicy") ?: json_null(), json_object_get(old, "reclaimPolicy") ?: json_null()))
    fe_forbidden(fe, "reclaimPolicy", "updates to reclaimPolicy are forbidden.");
}

/* ---- PriorityClass -------------------------------------------------------- */

void priorityclass_default(const kind_ref *k, json_t *obj) {
  (void)k;
  kdefault(obj, "preemptionPolicy", json_string("PreemptLowerPriority"));
}

/* The classes kube-apiserver creates itself (server/bootstrap.c too). */
static const struct {
  const char *name;
  long long value;
} SYSTEM_CLASSES[] = {{"system-node-critical", 2000001000}, {"system-cluster-critical", 2000000000}};

void priorityclass_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
  long long value = json_integer_value(json_object_get(obj, "value"));
  bool global = json_is_true(json_object_get(obj, "globalDefault"));
  if (name && !strncmp(name, "system-", 7)) {
    char why[300] = "";
    size_t i;
    for (i = 0; i < sizeof SYSTEM_CLASSES / sizeof *SYSTEM_CLASSES; i++)
      if (!strcmp(SYSTEM_CLASSES[i].name, name)) break;
    if (i == sizeof SYSTEM_CLASSES / sizeof *SYSTEM_CLASSES)
      snprintf(why, sizeof why, "%s is not a known system priority class", name);
    else if (SYSTEM_CLASSES[i].value != value)
      snprintf(why, sizeof why, "value of %s PriorityClass must be %lld", name, SYSTEM_CLASSES[i].value);
    else if (global)
      snprintf(why, sizeof why, "globalDefault of %s PriorityClass must be false", name);
    if (*why) {
      char msg[400];
      snprintf(msg, sizeof msg,
               "priority class names with 'system-' prefix are reserved for system use only. error: %s", why);
      fe_forbidden(fe, "metadata.name", msg);
    }
  } else if (value > 1000000000) {
    fe_forbidden(fe, "value", "maximum allowed value of a user defined priority is 1000000000");
  }
  static const char *const policies[] = {"Never", "PreemptLowerPriority", NULL};
  kcheck_enum(fe, "preemptionPolicy", obj, "preemptionPolicy", policies);
  if (!old) return;
  if (value != json_integer_value(json_object_get(old, "value")))
    fe_forbidden(fe, "Value", "may not be changed in an update.");
  const json_t *pp = json_object_get(obj, "preemptionPolicy"), *opp = json_object_get(old, "preemptionPolicy");
  if (!json_equal(pp ? (json_t *)pp : json_null(), opp ? (json_t *)opp : json_null()))
    fe_add(fe, FE_INVALID, "preemptionPolicy", pp, "field is immutable");
}

void rbac_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *ref = json_object_get(obj, "roleRef");
  if (json_is_object(ref) && (!kstr(ref, "apiGroup") || !*kstr(ref, "apiGroup")))
    json_object_set_new(ref, "apiGroup", json_string("rbac.authorization.k8s.io"));
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(obj, "subjects"), i, s) {
    const char *sk = kstr(s, "kind");
    if (sk && (!strcmp(sk, "User") || !strcmp(sk, "Group")) && (!kstr(s, "apiGroup") || !*kstr(s, "apiGroup")))
      json_object_set_new(s, "apiGroup", json_string("rbac.authorization.k8s.io"));
  }
}

static void validate_rules(const json_t *rules, bool namespaced, field_errors *fe) {
  size_t i;
  json_t *r;
  char f[96];
  json_array_foreach(rules, i, r) {
    snprintf(f, sizeof f, "rules[%zu].verbs", i);
    if (!json_array_size(json_object_get(r, "verbs"))) fe_required(fe, f, "verbs must contain at least one value");
    const json_t *urls = json_object_get(r, "nonResourceURLs");
    snprintf(f, sizeof f, "rules[%zu].nonResourceURLs", i);
    if (json_array_size(urls)) {
      if (namespaced) fe_add(fe, FE_INVALID, f, urls, "namespaced rules cannot apply to non-resource URLs");
      if (json_array_size(json_object_get(r, "apiGroups")) || json_array_size(json_object_get(r, "resources")) ||
          json_array_size(json_object_get(r, "resourceNames")))
        fe_add(fe, FE_INVALID, f, urls, "rules cannot apply to both regular resources and non-resource URLs");
      continue;
    }
    snprintf(f, sizeof f, "rules[%zu].apiGroups", i);
    if (!json_array_size(json_object_get(r, "apiGroups")))
      fe_required(fe, f, "resource rules must supply at least one api group");
    snprintf(f, sizeof f, "rules[%zu].resources", i);
    if (!json_array_size(json_object_get(r, "resources")))
      fe_required(fe, f, "resource rules must supply at least one resource");
  }
}

static void validate_subjects(const json_t *subjects, bool namespaced, field_errors *fe) {
  size_t i;
  json_t *s;
  char f[96];
  json_array_foreach(subjects, i, s) {
    const char *name = kstr(s, "name") ? kstr(s, "name") : "", *kind = kstr(s, "kind") ? kstr(s, "kind") : "";
    const char *group = kstr(s, "apiGroup") ? kstr(s, "apiGroup") : "";
    snprintf(f, sizeof f, "subjects[%zu].name", i);
    if (!*name) fe_required(fe, f, "");
    snprintf(f, sizeof f, "subjects[%zu].apiGroup", i);
    if (!strcmp(kind, "ServiceAccount")) {
      if (*name) {
        snprintf(f, sizeof f, "subjects[%zu].name", i);
        check_dns1123_subdomain(fe, f, name);
        snprintf(f, sizeof f, "subjects[%zu].apiGroup", i);
      }
      static const char *const empty[] = {"", NULL};
      if (*group) fe_not_supported(fe, f, json_object_get(s, "apiGroup"), empty);
      snprintf(f, sizeof f, "subjects[%zu].namespace", i);
      if (!namespaced && !(kstr(s, "namespace") && *kstr(s, "namespace"))) fe_required(fe, f, "");
    } else if (!strcmp(kind, "User") || !strcmp(kind, "Group")) {
      static const char *const rbac_group[] = {"rbac.authorization.k8s.io", NULL};
      if (strcmp(group, "rbac.authorization.k8s.io")) {
        json_t *g = json_string(group);
        fe_not_supported(fe, f, g, rbac_group);
        json_decref(g);
      }
    } else {
      static const char *const kinds[] = {"ServiceAccount", "User", "Group", NULL};
      snprintf(f, sizeof f, "subjects[%zu].kind", i);
      json_t *kv = json_string(kind);
      fe_not_supported(fe, f, kv, kinds);
      json_decref(kv);
    }
  }
}

void rbac_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  bool namespaced = k->namespaced;
  if (!strcmp(k->kind, "Role") || !strcmp(k->kind, "ClusterRole")) {
    validate_rules(json_object_get(obj, "rules"), namespaced, fe);
    return;
  }
  const json_t *ref = json_object_get(obj, "roleRef");
  const char *group = kstr(ref, "apiGroup") ? kstr(ref, "apiGroup") : "";
  const char *kind = kstr(ref, "kind") ? kstr(ref, "kind") : "";
  const char *name = kstr(ref, "name") ? kstr(ref, "name") : "";
  static const char *const rbac_group[] = {"rbac.authorization.k8s.io", NULL};
  if (strcmp(group, "rbac.authorization.k8s.io")) {
    json_t *g = json_string(group);
    fe_not_supported(fe, "roleRef.apiGroup", g, rbac_group);
    json_decref(g);
  }
  static const char *const ns_kinds[] = {"Role", "ClusterRole", NULL}, *const cl_kinds[] = {"ClusterRole", NULL};
  if (!kone_of(kind, namespaced ? ns_kinds : cl_kinds)) {
    json_t *kv = json_string(kind);
    fe_not_supported(fe, "roleRef.kind", kv, namespaced ? ns_kinds : cl_kinds);
    json_decref(kv);
  }
  if (!*name) fe_required(fe, "roleRef.name", "");
  else {
    if (!strcmp(name, ".") || !strcmp(name, "..")) fe_invalid_str(fe, "roleRef.name", name, !strcmp(name, ".") ? "may not be '.'" : "may not be '..'");
    else {
      if (strchr(name, '/')) fe_invalid_str(fe, "roleRef.name", name, "may not contain '/'");
      if (strchr(name, '%')) fe_invalid_str(fe, "roleRef.name", name, "may not contain '%'");
    }
  }
  validate_subjects(json_object_get(obj, "subjects"), namespaced, fe);
  if (old && !json_equal(ref ? ref : json_null(), json_object_get(old, "roleRef") ?: json_null())) {
    char repr[512];
    snprintf(repr, sizeof repr, "rbac.RoleRef{APIGroup:\"%s\", Kind:\"%s\", Name:\"%s\"}", group, kind, name);
    fe_invalid_raw(fe, "roleRef", repr, "cannot change roleRef");
  }
}

void lease_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  const json_t *spec = json_object_get(obj, "spec");
  const json_t *d = json_object_get(spec, "leaseDurationSeconds");
  if (json_is_integer(d) && json_integer_value(d) <= 0)
    fe_add(fe, FE_INVALID, "spec.leaseDurationSeconds", d, "must be greater than 0");
  const json_t *t = json_object_get(spec, "leaseTransitions");
  if (json_is_integer(t) && json_integer_value(t) < 0)
    fe_add(fe, FE_INVALID, "spec.leaseTransitions", t, "must be greater than or equal to 0");
}

void pdb_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  const json_t *spec = json_object_get(obj, "spec");
  if (json_object_get(spec, "minAvailable") && json_object_get(spec, "maxUnavailable"))
    fe_invalid_raw(fe, "spec", "policy.PodDisruptionBudgetSpec{...}", "minAvailable and maxUnavailable cannot be both set");
}

/* ---- Event --------------------------------------------------------------- */

/* ValidateEventCreate's strict rules for events.k8s.io/v1 requests (paths
 * are the core field names Kubernetes validates on). */
static void strict_event(const json_t *obj, field_errors *fe) {
  const json_t *series = json_object_get(obj, "series");
  if (json_is_object(series)) {
    if (json_integer_value(json_object_get(series, "count")) < 2)
      fe_invalid_str(fe, "series.count", "", "should be at least 2");
    const json_t *lot = json_object_get(series, "lastObservedTime");
    if (!lot || json_is_null(lot)) fe_required(fe, "series.lastObservedTime", "");
  }
  const json_t *et = json_object_get(obj, "eventTime");
  if (!et || json_is_null(et)) fe_required(fe, "eventTime", "");
  const char *type = kstr(obj, "type") ? kstr(obj, "type") : "";
  if (strcmp(type, "Normal") && strcmp(type, "Warning")) {
    char msg[300];
    snprintf(msg, sizeof msg, "has invalid value: %s", type);
    fe_invalid_str(fe, "type", "", msg);
  }
  static const char *const times[][2] = {{"deprecatedFirstTimestamp", "firstTimestamp"},
                                         {"deprecatedLastTimestamp", "lastTimestamp"}};
  for (int i = 0; i < 2; i++) {
    const json_t *t = json_object_get(obj, times[i][0]);
    if (t && !json_is_null(t)) fe_invalid_str(fe, times[i][1], "", "needs to be unset");
  }
  if (json_integer_value(json_object_get(obj, "deprecatedCount"))) fe_invalid_str(fe, "count", "", "needs to be unset");
  const json_t *src = json_object_get(obj, "deprecatedSource");
  if ((kstr(src, "component") && *kstr(src, "component")) || (kstr(src, "host") && *kstr(src, "host")))
    fe_invalid_str(fe, "source", "", "needs to be unset");
}

/* legacyValidateEvent: the event's namespace must agree with the involved
 * object's; events with eventTime need the reporting fields. */
static void legacy_event(const kind_ref *k, const json_t *obj, field_errors *fe) {
  bool core = !*k->group;
  const json_t *io = json_object_get(obj, core ? "involvedObject" : "regarding");
  const char *ins = kstr(io, "namespace") ? kstr(io, "namespace") : "";
  const char *ns = kstr(json_object_get(obj, "metadata"), "namespace") ? kstr(json_object_get(obj, "metadata"), "namespace") : "";
  const json_t *et = json_object_get(obj, "eventTime");
  const char *field = "involvedObject.namespace";
  if (!et || json_is_null(et)) {
    if (!*ins) {
      if (*ns && strcmp(ns, "default")) fe_invalid_str(fe, field, ins, "does not match event.namespace");
    } else if (strcmp(ns, ins)) {
      fe_invalid_str(fe, field, ins, "does not match event.namespace");
    }
    return;
  }
  if (!*ins && strcmp(ns, "kube-system")) fe_invalid_str(fe, field, ins, "does not match event.namespace");
  const char *rc = kstr(obj, core ? "reportingComponent" : "reportingController");
  if (!rc || !*rc) fe_required(fe, "reportingController", "");
  check_qualified_name(fe, "reportingController", rc ? rc : "");
  const char *ri = kstr(obj, "reportingInstance");
  if (!ri || !*ri) fe_required(fe, "reportingInstance", "");
  else if (strlen(ri) > 128) fe_invalid_str(fe, "reportingInstance", "", "can have at most 128 characters");
  const char *action = kstr(obj, "action");
  if (!action || !*action) fe_required(fe, "action", "");
  else if (strlen(action) > 128) fe_invalid_str(fe, "action", "", "can have at most 128 characters");
  const char *reason = kstr(obj, "reason");
  if (!reason || !*reason) fe_required(fe, "reason", "");
  else if (strlen(reason) > 128) fe_invalid_str(fe, "reason", "", "can have at most 128 characters");
  const char *note = kstr(obj, core ? "message" : "note");
  if (note && strlen(note) > 1024) fe_invalid_str(fe, "message", "", "can have at most 1024 characters");
}

void event_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  legacy_event(k, obj, fe);
  if (*k->group && !strcmp(k->version, "v1") && !old) strict_event(obj, fe);
}
