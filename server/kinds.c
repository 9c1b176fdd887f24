/* kinds.c - the per-kind strategies the generic REST layer calls (kinds.h):
 * PrepareForCreate / PrepareForUpdate (what a client may not set: status on
 * create and on main-resource updates, everything but status on /status
 * updates), and validation: ObjectMeta for every kind, plus the rules of the
 * kinds users write most (pods and pod templates, workloads, services,
 * config maps and secrets, claims), with Kubernetes 1.20's messages.
 * Defaulting is in kinds_defaults.c, version conversion in kinds_convert.c. */
#include "kinds_util.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kinds whose status is set by controllers through /status only. */
static bool has_status(const kind_ref *k, const json_t *obj) {
  static const char *const none[] = {"ConfigMap", "Secret", "ServiceAccount", "Endpoints", "Event", "LimitRange",
                                     "PodTemplate", "ControllerRevision", "Role", "RoleBinding", "ClusterRole",
                                     "ClusterRoleBinding", "Lease", "StorageClass", "PriorityClass", "RuntimeClass",
                                     "IngressClass", "EndpointSlice", "CSIDriver", "CSINode", "NetworkPolicy",
                                     "Binding", "ComponentStatus", NULL};
  for (int i = 0; none[i]; i++)
    if (!strcmp(k->kind, none[i])) return false;
  return true;
}

static json_t *qos_class(const json_t *spec) {
  bool any = false, guaranteed = true;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) {
    const json_t *res = json_object_get(c, "resources");
    const json_t *req = json_object_get(res, "requests"), *lim = json_object_get(res, "limits");
    if (json_object_size(req) || json_object_size(lim)) any = true;
    const char *names[] = {"cpu", "memory"};
    for (int n = 0; n < 2; n++) {
      const json_t *l = json_object_get(lim, names[n]), *r = json_object_get(req, names[n]);
      if (!l || (r && !json_equal(l, r))) guaranteed = false;
    }
  }
  return json_string(!any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable");
}

/* What kube-apiserver's default admission plugins add to a new pod:
 * ServiceAccount (serviceAccountName), Priority (priority,
 * preemptionPolicy) and DefaultTolerationSeconds (300 s for not-ready and
 * unreachable NoExecute taints). */
static void pod_admission(json_t *spec) {
  kdefault(spec, "serviceAccountName", json_string("default"));
  kdefault(spec, "serviceAccount", json_incref(json_object_get(spec, "serviceAccountName")));
  kdefault(spec, "priority", json_integer(0));
  kdefault(spec, "preemptionPolicy", json_string("PreemptLowerPriority"));
  static const char *const taints[] = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"};
  json_t *tol = json_object_get(spec, "tolerations");
  for (int t = 0; t < 2; t++) {
    bool have = false;
    size_t i;
    json_t *e;
    json_array_foreach(tol, i, e) {
      const char *key = kstr(e, "key"), *effect = kstr(e, "effect");
      if ((key && !strcmp(key, taints[t]) && (!effect || !strcmp(effect, "NoExecute"))) ||
          (!key && kstr(e, "operator") && !strcmp(kstr(e, "operator"), "Exists")))
        have = true;
    }
    if (have) continue;
    if (!json_is_array(tol)) json_object_set_new(spec, "tolerations", tol = json_array());
    json_array_append_new(tol, json_pack("{s:s,s:s,s:s,s:i}", "effect", "NoExecute", "key", taints[t], "operator",
                                         "Exists", "tolerationSeconds", 300));
  }
}

void kinds_prepare_create(const kind_ref *k, json_t *obj) {
  if (!*k->group && !strcmp(k->kind, "Namespace")) {
    json_object_set_new(kobj(obj, "spec"), "finalizers", json_pack("[s]", "kubernetes"));
    json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    return;
  }
  if (!*k->group && !strcmp(k->kind, "Node")) return; /* nodes may set status on create */
  if (!has_status(k, obj)) return;
  if (!*k->group && !strcmp(k->kind, "Pod")) {
    pod_admission(kobj(obj, "spec"));
    json_object_set_new(obj, "status", json_pack("{s:s,s:o}", "phase", "Pending", "qosClass",
                                                  qos_class(json_object_get(obj, "spec"))));
  } else if (!*k->group && !strcmp(k->kind, "Service")) {
    json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
  } else if (!*k->group && (!strcmp(k->kind, "PersistentVolume") || !strcmp(k->kind, "PersistentVolumeClaim"))) {
    json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
  } else {
    json_object_set_new(obj, "status", json_object());
  }
  if (!strcmp(k->group, "batch") && !strcmp(k->kind, "Job")) {
    /* the generated selector: controller-uid, unless spec.manualSelector */
    json_t *spec = kobj(obj, "spec");
    const char *uid = json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
    if (!json_is_true(json_object_get(spec, "manualSelector")) && uid) {
      json_object_set_new(spec, "selector", json_pack("{s:{s:s}}", "matchLabels", "controller-uid", uid));
      json_t *labels = kobj(kobj(kobj(spec, "template"), "metadata"), "labels");
      json_object_set_new(labels, "controller-uid", json_string(uid));
      json_object_set_new(labels, "job-name", json_string(json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"))));
    }
  }
}

void kinds_prepare_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  if (!has_status(k, obj) && !(!*k->group && !strcmp(k->kind, "Namespace"))) return;
  if (!sub) {
    json_t *st = json_object_get(old, "status");
    if (st) json_object_set(obj, "status", st);
    else json_object_del(obj, "status");
    if (!*k->group && !strcmp(k->kind, "Namespace")) {
      /* spec.finalizers change only through namespaces/finalize */
      json_t *fin = json_object_get(json_object_get(old, "spec"), "finalizers");
      if (fin) json_object_set(kobj(obj, "spec"), "finalizers", fin);
    }
    return;
  }
  if (!strcmp(sub, "status")) {
    /* everything but status (and resourceVersion) comes from the stored object */
    json_t *st = json_incref(json_object_get(obj, "status"));
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    char *rvc = rv ? strdup(rv) : NULL;
    json_t *copy = json_deep_copy(old);
    json_object_clear(obj);
    json_object_update(obj, copy);
    json_decref(copy);
    if (st) json_object_set_new(obj, "status", st);
    else json_object_del(obj, "status");
    if (rvc) json_object_set_new(kobj(obj, "metadata"), "resourceVersion", json_string(rvc));
    free(rvc);
  }
}

/* ---- validation ------------------------------------------------------- */

static void check_path_segment(field_errors *fe, const char *field, const char *v) {
  if (!strcmp(v, ".") || !strcmp(v, "..")) fe_invalid_str(fe, field, v, !strcmp(v, ".") ? "may not be '.'" : "may not be '..'");
  if (strchr(v, '/')) fe_invalid_str(fe, field, v, "may not contain '/'");
  if (strchr(v, '%')) fe_invalid_str(fe, field, v, "may not contain '%'");
}

/* The name rule of a kind (ValidateNameFunc) applied to name at field;
 * prefix=true for generateName, which Go checks with a trailing '-' masked
 * (its maskTrailingDash replaces the last two characters with "a"). */
static void check_name(const kind_ref *k, field_errors *fe, const char *field, const char *name, bool prefix) {
  if (!strcmp(k->group, "rbac.authorization.k8s.io")) {
    if (prefix) {
      if (strchr(name, '/')) fe_invalid_str(fe, field, name, "may not contain '/'");
      if (strchr(name, '%')) fe_invalid_str(fe, field, name, "may not contain '%'");
    } else {
      check_path_segment(fe, field, name);
    }
    return;
  }
  size_t n = strlen(name);
  char *m = strdup(name);
  if (!m) return;
  if (prefix && n >= 2 && name[n - 1] == '-') m[n - 2] = 'a', m[n - 1] = 0;
  field_errors *tmp = field_errors_new();
  if (!*k->group && !strcmp(k->kind, "Namespace")) check_dns1123_label(tmp, field, m);
  else if (!*k->group && !strcmp(k->kind, "Service")) check_dns1035_label(tmp, field, m);
  else check_dns1123_subdomain(tmp, field, m);
  /* Re-run on the text as sent, which Go reports as the bad value; a masked
   * name that fails its rule fails it unmasked too. */
  if (fe_count(tmp)) {
    if (!*k->group && !strcmp(k->kind, "Namespace")) check_dns1123_label(fe, field, name);
    else if (!*k->group && !strcmp(k->kind, "Service")) check_dns1035_label(fe, field, name);
    else check_dns1123_subdomain(fe, field, name);
  }
  field_errors_free(tmp);
  free(m);
}

/* metadata.finalizers, ownerReferences and generation (ValidateObjectMetaAccessor). */
static void validate_meta_lists(const json_t *md, field_errors *fe) {
  size_t i;
  json_t *f;
  bool orphan = false, foreground = false;
  json_array_foreach(json_object_get(md, "finalizers"), i, f) {
    const char *s = json_string_value(f);
    if (!s) continue;
    size_t before = fe_count(fe);
    check_qualified_name(fe, "metadata.finalizers", s);
    if (fe_count(fe) == before && !strchr(s, '/') && strcmp(s, "kubernetes") && strcmp(s, "orphan") &&
        strcmp(s, "foregroundDeletion"))
      fe_invalid_str(fe, "metadata.finalizers", s, "name is neither a standard finalizer name nor is it fully qualified");
    orphan = orphan || !strcmp(s, "orphan");
    foreground = foreground || !strcmp(s, "foregroundDeletion");
  }
  if (orphan && foreground)
    fe_add(fe, FE_INVALID, "metadata.finalizers", json_object_get(md, "finalizers"),
           "finalizer orphan and foregroundDeletion cannot be both set");
  json_t *r;
  json_array_foreach(json_object_get(md, "ownerReferences"), i, r) {
    const char *av = kstr(r, "apiVersion");
    const char *ver = av ? (strrchr(av, '/') ? strrchr(av, '/') + 1 : av) : "";
    if (!*ver) fe_invalid_str(fe, "metadata.ownerReferences.apiVersion", av ? av : "", "version must not be empty");
    static const char *const keys[] = {"kind", "name", "uid"};
    for (int j = 0; j < 3; j++) {
      const char *v = kstr(r, keys[j]);
      if (v && *v) continue;
      char fld[64], msg[64];
      snprintf(fld, sizeof fld, "metadata.ownerReferences.%s", keys[j]);
      snprintf(msg, sizeof msg, "%s must not be empty", keys[j]);
      fe_invalid_str(fe, fld, "", msg);
    }
  }
  json_t *gen = json_object_get(md, "generation");
  if (json_is_integer(gen) && json_integer_value(gen) < 0)
    fe_add(fe, FE_INVALID, "metadata.generation", gen, "must be greater than or equal to 0");
}

static void validate_meta(const kind_ref *k, const json_t *obj, field_errors *fe) {
  const json_t *md = json_object_get(obj, "metadata");
  const char *name = kstr(md, "name");
  const char *gen = kstr(md, "generateName");
  if (gen && *gen) check_name(k, fe, "metadata.generateName", gen, true);
  if (!name || !*name) fe_required(fe, "metadata.name", "name or generateName is required");
  else check_name(k, fe, "metadata.name", name, false);
  if (k->namespaced) {
    const char *ns = kstr(md, "namespace");
    if (!ns || !*ns) fe_required(fe, "metadata.namespace", "");
    else check_dns1123_label(fe, "metadata.namespace", ns);
  } else if (kstr(md, "namespace") && *kstr(md, "namespace")) {
    fe_add(fe, FE_FORBIDDEN, "metadata.namespace", NULL, "not allowed on this type");
  }
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(md, "labels"), key, v) {
    check_qualified_name(fe, "metadata.labels", key);
    if (!json_is_string(v)) fe_add(fe, FE_INVALID, "metadata.labels", v, "must be a string");
    else check_label_value(fe, "metadata.labels", json_string_value(v));
  }
  size_t total = 0;
  json_object_foreach(json_object_get(md, "annotations"), key, v) {
    char *lower = strdup(key);
    for (char *p = lower; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    if (lower) check_qualified_name_as(fe, "metadata.annotations", key, lower);
    free(lower);
    total += strlen(key) + (json_is_string(v) ? strlen(json_string_value(v)) : 0);
  }
  if (total > 256 * 1024) fe_add(fe, FE_TOO_LONG, "metadata.annotations", NULL, "must have at most 262144 bytes");
  validate_meta_lists(md, fe);
}

static void check_port(field_errors *fe, const char *field, const json_t *v) {
  json_int_t p = json_integer_value(v);
  if (!json_is_integer(v) || p < 1 || p > 65535)
    fe_add(fe, FE_INVALID, field, v, "must be between 1 and 65535, inclusive");
}

static void validate_containers(const json_t *list, const char *prefix, const char *which, field_errors *fe,
                                bool required) {
  char f[512];
  if (required && !json_array_size(list)) {
    snprintf(f, sizeof f, "%s.%s", prefix, which);
    fe_required(fe, f, "");
  }
  size_t i, j;
  json_t *c, *p;
  json_array_foreach(list, i, c) {
    const char *name = kstr(c, "name");
    snprintf(f, sizeof f, "%s.%s[%zu].name", prefix, which, i);
    if (!name || !*name) fe_required(fe, f, "");
    else check_dns1123_label(fe, f, name);
    for (size_t k = 0; k < i && name; k++) {
      const char *other = kstr(json_array_get(list, k), "name");
      if (other && !strcmp(other, name)) {
        json_t *n = json_string(name);
        fe_add(fe, FE_DUPLICATE, f, n, NULL);
        json_decref(n);
      }
    }
    const char *image = kstr(c, "image");
    snprintf(f, sizeof f, "%s.%s[%zu].image", prefix, which, i);
    if (!image || !*image) fe_required(fe, f, "");
    json_array_foreach(json_object_get(c, "ports"), j, p) {
      snprintf(f, sizeof f, "%s.%s[%zu].ports[%zu].containerPort", prefix, which, i, j);
      check_port(fe, f, json_object_get(p, "containerPort"));
      const char *proto = kstr(p, "protocol");
      if (proto && strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP")) {
        static const char *const sup[] = {"SCTP", "TCP", "UDP", NULL};
        snprintf(f, sizeof f, "%s.%s[%zu].ports[%zu].protocol", prefix, which, i, j);
        fe_not_supported(fe, f, json_object_get(p, "protocol"), sup);
      }
    }
  }
}

void validate_pod_spec(const json_t *spec, const char *prefix, field_errors *fe) {
  validate_containers(json_object_get(spec, "containers"), prefix, "containers", fe, true);
  validate_containers(json_object_get(spec, "initContainers"), prefix, "initContainers", fe, false);
  const char *rp = kstr(spec, "restartPolicy");
  if (rp && strcmp(rp, "Always") && strcmp(rp, "OnFailure") && strcmp(rp, "Never")) {
    static const char *const sup[] = {"Always", "OnFailure", "Never", NULL};
    char f[512];
    snprintf(f, sizeof f, "%s.restartPolicy", prefix);
    fe_not_supported(fe, f, json_object_get(spec, "restartPolicy"), sup);
  }
  const char *dp = kstr(spec, "dnsPolicy");
  if (dp && strcmp(dp, "ClusterFirstWithHostNet") && strcmp(dp, "ClusterFirst") && strcmp(dp, "Default") &&
      strcmp(dp, "None")) {
    static const char *const sup[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL};
    char f[512];
    snprintf(f, sizeof f, "%s.dnsPolicy", prefix);
    fe_not_supported(fe, f, json_object_get(spec, "dnsPolicy"), sup);
  }
}

/* The Go %#v of a metav1.LabelSelector, as immutability errors print it. */
static json_t *selector_repr(const json_t *sel) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  const json_t *ml = json_object_get(sel, "matchLabels");
  fputs("v1.LabelSelector{MatchLabels:", f);
  if (json_object_size(ml)) {
    field_errors *tmp = field_errors_new();
    fe_add(tmp, FE_INVALID, "x", ml, NULL);
    char *m = fe_message(tmp);
    fputs(m + strlen("x: Invalid value: "), f);
    free(m);
    field_errors_free(tmp);
  } else {
    fputs("map[string]string(nil)", f);
  }
  fputs(", MatchExpressions:[]v1.LabelSelectorRequirement(nil)}", f);
  fclose(f);
  json_t *v = json_string(out);
  free(out);
  return v;
}

static bool selector_matches(const json_t *sel, const json_t *labels) {
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(sel, "matchLabels"), k, v) {
    if (!json_equal(json_object_get(labels, k), v)) return false;
  }
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
    const char *key = kstr(e, "key"), *op = kstr(e, "operator");
    const json_t *have = key ? json_object_get(labels, key) : NULL;
    if (!op) return false;
    bool in = false;
    size_t j;
    json_t *val;
    json_array_foreach(json_object_get(e, "values"), j, val) if (have && json_equal(have, val)) in = true;
    if ((!strcmp(op, "In") && !in) || (!strcmp(op, "NotIn") && in) || (!strcmp(op, "Exists") && !have) ||
        (!strcmp(op, "DoesNotExist") && have))
      return false;
  }
  return true;
}

static void validate_workload(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  const json_t *spec = json_object_get(obj, "spec");
  const json_t *sel = json_object_get(spec, "selector");
  bool rc = !*k->group;
  json_t *rep = json_object_get(spec, "replicas");
  if (rep && json_integer_value(rep) < 0)
    fe_add(fe, FE_INVALID, "spec.replicas", rep, "must be greater than or equal to 0");
  const json_t *tmpl = json_object_get(spec, "template");
  const json_t *labels = json_object_get(json_object_get(tmpl, "metadata"), "labels");
  if (!rc) {
    if (!json_is_object(sel)) {
      fe_required(fe, "spec.selector", "");
    } else if (!json_object_size(json_object_get(sel, "matchLabels")) &&
               !json_array_size(json_object_get(sel, "matchExpressions"))) {
      json_t *r = selector_repr(sel);
      fe_invalid_raw(fe, "spec.selector", json_string_value(r), "empty selector is invalid for deployment");
      json_decref(r);
    } else if (json_is_object(tmpl) && !selector_matches(sel, labels)) {
      json_t *l = labels ? json_incref((json_t *)labels) : json_object();
      fe_add(fe, FE_INVALID, "spec.template.metadata.labels", l, "`selector` does not match template `labels`");
      json_decref(l);
    }
    if (old) {
      const json_t *osel = json_object_get(json_object_get(old, "spec"), "selector");
      if (osel && sel && !json_equal(osel, sel)) {
        json_t *r = selector_repr(sel);
        fe_invalid_raw(fe, "spec.selector", json_string_value(r), "field is immutable");
        json_decref(r);
      }
    }
  }
  if (!json_is_object(tmpl)) {
    fe_required(fe, "spec.template", "");
    return;
  }
  const json_t *pspec = json_object_get(tmpl, "spec");
  validate_pod_spec(pspec, "spec.template.spec", fe);
  const char *rp = kstr(pspec, "restartPolicy");
  if (rp && strcmp(rp, "Always")) {
    static const char *const sup[] = {"Always", NULL};
    fe_not_supported(fe, "spec.template.spec.restartPolicy", json_object_get(pspec, "restartPolicy"), sup);
  }
}

static void validate_job_template(const json_t *tmpl, const char *prefix, field_errors *fe) {
  char f[256];
  snprintf(f, sizeof f, "%s.spec", prefix);
  const json_t *pspec = json_object_get(tmpl, "spec");
  validate_pod_spec(pspec, f, fe);
  const char *rp = kstr(pspec, "restartPolicy");
  if (rp && strcmp(rp, "OnFailure") && strcmp(rp, "Never")) {
    static const char *const sup[] = {"OnFailure", "Never", NULL};
    snprintf(f, sizeof f, "%s.spec.restartPolicy", prefix);
    fe_not_supported(fe, f, json_object_get(pspec, "restartPolicy"), sup);
  }
}

static void validate_service(const json_t *svc, const json_t *old, field_errors *fe) {
  const json_t *spec = json_object_get(svc, "spec");
  const char *type = kstr(spec, "type");
  static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL};
  bool type_ok = false;
  for (int i = 0; type && types[i]; i++) type_ok = type_ok || !strcmp(type, types[i]);
  if (type && !type_ok) fe_not_supported(fe, "spec.type", json_object_get(spec, "type"), types);
  const json_t *ports = json_object_get(spec, "ports");
  const char *cip = kstr(spec, "clusterIP");
  bool headless = cip && !strcmp(cip, "None");
  if (!json_array_size(ports) && !(type && !strcmp(type, "ExternalName")) && !headless) fe_required(fe, "spec.ports", "");
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    char f[128];
    snprintf(f, sizeof f, "spec.ports[%zu].port", i);
    check_port(fe, f, json_object_get(p, "port"));
    const char *name = kstr(p, "name");
    snprintf(f, sizeof f, "spec.ports[%zu].name", i);
    if (json_array_size(ports) > 1 && (!name || !*name)) fe_required(fe, f, "");
    else if (name && *name) {
      check_dns1123_label(fe, f, name);
      for (size_t k = 0; k < i; k++) {
        const char *other = kstr(json_array_get(ports, k), "name");
        if (other && !strcmp(other, name)) fe_add(fe, FE_DUPLICATE, f, json_object_get(p, "name"), NULL);
      }
    }
    const char *proto = kstr(p, "protocol");
    if (proto && strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP")) {
      static const char *const sup[] = {"SCTP", "TCP", "UDP", NULL};
      snprintf(f, sizeof f, "spec.ports[%zu].protocol", i);
      fe_not_supported(fe, f, json_object_get(p, "protocol"), sup);
    }
  }
  if (type && !strcmp(type, "ExternalName") && !(kstr(spec, "externalName") && *kstr(spec, "externalName")))
    fe_required(fe, "spec.externalName", "");
  if (old) {
    const char *ocip = kstr(json_object_get(old, "spec"), "clusterIP");
    if (ocip && *ocip && cip && *cip && strcmp(ocip, cip) && strcmp(kstr(json_object_get(old, "spec"), "type") ?: "", "ExternalName"))
      fe_invalid_str(fe, "spec.clusterIP", cip, "field is immutable");
  }
}

static void validate_keys(const json_t *map, const char *what, field_errors *fe) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)map, k, v) {
    bool ok = *k && strlen(k) <= 253 && strspn(k, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(k);
    char f[512];
    snprintf(f, sizeof f, "%s[%s]", what, k);
    if (!ok)
      fe_invalid_str(fe, f, k,
                     "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                     "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
}

static void validate_pod_update(const json_t *obj, const json_t *old, field_errors *fe) {
  json_t *a = json_deep_copy(json_object_get(obj, "spec")), *b = json_deep_copy(json_object_get(old, "spec"));
  /* the mutable fields: container images, activeDeadlineSeconds, tolerations additions */
  const char *lists[] = {"containers", "initContainers"};
  for (int l = 0; l < 2; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(a, lists[l]), i, c) {
      json_t *oc = json_array_get(json_object_get(b, lists[l]), i);
      if (oc && json_object_get(oc, "image")) json_object_set(c, "image", json_object_get(oc, "image"));
    }
  }
  json_object_del(a, "activeDeadlineSeconds");
  json_object_del(b, "activeDeadlineSeconds");
  json_object_del(a, "tolerations");
  json_object_del(b, "tolerations");
  if (!json_equal(a, b))
    fe_add(fe, FE_FORBIDDEN, "spec", NULL,
           "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, "
           "`spec.activeDeadlineSeconds` or `spec.tolerations` (only additions to existing tolerations)");
  json_decref(a);
  json_decref(b);
}

void kinds_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  validate_meta(k, obj, fe);
  const char *g = k->group, *kind = k->kind;
  const json_t *spec = json_object_get(obj, "spec");
  if (!*g && !strcmp(kind, "Pod")) {
    validate_pod_spec(spec, "spec", fe);
    if (old) validate_pod_update(obj, old, fe);
  } else if (!*g && !strcmp(kind, "PodTemplate")) {
    validate_pod_spec(json_object_get(json_object_get(obj, "template"), "spec"), "template.spec", fe);
  } else if ((!strcmp(g, "apps") && (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") ||
                                     !strcmp(kind, "StatefulSet") || !strcmp(kind, "DaemonSet"))) ||
             (!*g && !strcmp(kind, "ReplicationController"))) {
    validate_workload(k, obj, old, fe);
  } else if (!strcmp(g, "batch") && !strcmp(kind, "Job")) {
    if (!json_is_object(json_object_get(spec, "template"))) fe_required(fe, "spec.template", "");
    else validate_job_template(json_object_get(spec, "template"), "spec.template", fe);
    json_t *bl = json_object_get(spec, "backoffLimit");
    if (bl && json_integer_value(bl) < 0) fe_add(fe, FE_INVALID, "spec.backoffLimit", bl, "must be greater than or equal to 0");
  } else if (!strcmp(g, "batch") && !strcmp(kind, "CronJob")) {
    const char *sched = kstr(spec, "schedule");
    char why[256];
    if (!sched || !*sched) fe_required(fe, "spec.schedule", "");
    else if (cron_check(sched, why, sizeof why)) fe_invalid_str(fe, "spec.schedule", sched, why);
    const json_t *t = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
    if (json_is_object(json_object_get(t, "template")))
      validate_job_template(json_object_get(t, "template"), "spec.jobTemplate.spec.template", fe);
  } else if (!*g && !strcmp(kind, "Service")) {
    validate_service(obj, old, fe);
  } else if (!*g && (!strcmp(kind, "ConfigMap") || !strcmp(kind, "Secret"))) {
    validate_keys(json_object_get(obj, "data"), "data", fe);
    if (!strcmp(kind, "ConfigMap")) validate_keys(json_object_get(obj, "binaryData"), "binaryData", fe);
    if (old && !strcmp(kind, "Secret") && kstr(old, "type") && kstr(obj, "type") && strcmp(kstr(old, "type"), kstr(obj, "type")))
      fe_add(fe, FE_INVALID, "type", json_object_get(obj, "type"), "field is immutable");
  } else if (!*g && !strcmp(kind, "PersistentVolumeClaim")) {
    if (!json_array_size(json_object_get(spec, "accessModes")))
      fe_required(fe, "spec.accessModes", "at least 1 access mode is required");
    if (!json_object_get(json_object_get(json_object_get(spec, "resources"), "requests"), "storage"))
      fe_required(fe, "spec.resources[storage]", "");
  }
}
