/* kinds_pod.c - Pods and pod templates: the PodSpec defaults of
 * pkg/apis/core/v1 (containers, probes, volumes, env fieldRefs; for Pods
 * also requests copied from limits and enableServiceLinks), what the default
 * admission plugins add to a new Pod (service account, priority, the two
 * not-ready/unreachable tolerations), the pod strategy (status Pending with
 * the QoS class computed from requests and limits), PodSpec validation with
 * Kubernetes 1.20's messages, and the rule that a Pod's spec is immutable but
 * for images, activeDeadlineSeconds and tolerations. Workload kinds reuse the
 * template parts (default_pod_template, validate_pod_template). */
#include "kinds_util.h"
#include "quantity.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- defaults ----------------------------------------------------------- */

static void default_http_get(json_t *h) {
  if (!json_is_object(h)) return;
  kdefault(h, "path", json_string("/"));
  kdefault(h, "scheme", json_string("HTTP"));
}

static void default_probe(json_t *p) {
  if (!json_is_object(p)) return;
  kdefault(p, "timeoutSeconds", json_integer(1));
  kdefault(p, "periodSeconds", json_integer(10));
  kdefault(p, "successThreshold", json_integer(1));
  kdefault(p, "failureThreshold", json_integer(3));
  default_http_get(json_object_get(p, "httpGet"));
}

/* Always for ":latest" or no tag and no digest, IfNotPresent otherwise (as
 * parsers.ParseImageName reads the reference: the tag follows the last ':'
 * after the last '/'). */
static const char *pull_policy(const char *image) {
  if (!image || !*image) return "IfNotPresent";
  if (strchr(image, '@')) return "IfNotPresent";
  const char *slash = strrchr(image, '/');
  const char *colon = strrchr(slash ? slash : image, ':');
  if (!colon || !strcmp(colon + 1, "latest")) return "Always";
  return "IfNotPresent";
}

static void default_field_ref(json_t *holder) {
  json_t *fr = json_object_get(holder, "fieldRef");
  if (json_is_object(fr)) kdefault(fr, "apiVersion", json_string("v1"));
}

static void default_container(json_t *c, bool host_network) {
  if (!json_is_object(c)) return;
  kdefault(c, "terminationMessagePath", json_string("/dev/termination-log"));
  kdefault(c, "terminationMessagePolicy", json_string("File"));
  kdefault(c, "imagePullPolicy", json_string(pull_policy(kstr(c, "image"))));
  kdefault(c, "resources", json_object());
  json_t *res = json_object_get(c, "resources");
  kcanonical_quantities(json_object_get(res, "limits"));
  kcanonical_quantities(json_object_get(res, "requests"));
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(c, "ports"), i, p) {
    kdefault(p, "protocol", json_string("TCP"));
    if (host_network && json_object_get(p, "containerPort"))
      kdefault(p, "hostPort", json_incref(json_object_get(p, "containerPort")));
  }
  json_array_foreach(json_object_get(c, "env"), i, p) default_field_ref(json_object_get(p, "valueFrom"));
  default_probe(json_object_get(c, "livenessProbe"));
  default_probe(json_object_get(c, "readinessProbe"));
  default_probe(json_object_get(c, "startupProbe"));
  json_t *lc = json_object_get(c, "lifecycle");
  default_http_get(json_object_get(json_object_get(lc, "postStart"), "httpGet"));
  default_http_get(json_object_get(json_object_get(lc, "preStop"), "httpGet"));
}

static const char *const volume_sources[] = {
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
    "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
    "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
    "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", NULL};

static void default_volume(json_t *v) {
  if (!json_is_object(v)) return;
  bool any = false;
  for (int i = 0; volume_sources[i]; i++) any = any || json_object_get(v, volume_sources[i]);
  if (!any) json_object_set_new(v, "emptyDir", json_object());
  static const char *const with_mode[] = {"secret", "configMap", "downwardAPI", "projected", NULL};
  for (int i = 0; with_mode[i]; i++) {
    json_t *s = json_object_get(v, with_mode[i]);
    if (json_is_object(s)) kdefault(s, "defaultMode", json_integer(420));
  }
  size_t i, j;
  json_t *it, *src;
  json_array_foreach(json_object_get(json_object_get(v, "downwardAPI"), "items"), i, it) default_field_ref(it);
  json_array_foreach(json_object_get(json_object_get(v, "projected"), "sources"), i, src) {
    json_array_foreach(json_object_get(json_object_get(src, "downwardAPI"), "items"), j, it) default_field_ref(it);
    json_t *sat = json_object_get(src, "serviceAccountToken");
    if (json_is_object(sat)) kdefault(sat, "expirationSeconds", json_integer(3600));
  }
  json_t *hp = json_object_get(v, "hostPath");
  if (json_is_object(hp)) kdefault(hp, "type", json_string(""));
  json_t *iscsi = json_object_get(v, "iscsi");
  if (json_is_object(iscsi)) kdefault(iscsi, "iscsiInterface", json_string("default"));
  json_t *rbd = json_object_get(v, "rbd");
  if (json_is_object(rbd)) {
    kdefault(rbd, "pool", json_string("rbd"));
    kdefault(rbd, "user", json_string("admin"));
    kdefault(rbd, "keyring", json_string("/etc/ceph/keyring"));
  }
}

/* SetDefaults_Pod: requests default to limits, per container. */
static void requests_from_limits(json_t *containers) {
  size_t i;
  json_t *c;
  json_array_foreach(containers, i, c) {
    json_t *res = json_object_get(c, "resources");
    json_t *limits = json_object_get(res, "limits");
    if (!json_object_size(limits)) continue;
    json_t *req = kobj(res, "requests");
    const char *k;
    json_t *v;
    json_object_foreach(limits, k, v) kdefault(req, k, json_incref(v));
  }
}

void default_pod_spec(json_t *spec, bool pod) {
  if (!json_is_object(spec)) return;
  kdefault(spec, "restartPolicy", json_string("Always"));
  kdefault(spec, "terminationGracePeriodSeconds", json_integer(30));
  kdefault(spec, "dnsPolicy", json_string("ClusterFirst"));
  kdefault(spec, "securityContext", json_object());
  kdefault(spec, "schedulerName", json_string("default-scheduler"));
  bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) default_container(c, host_net);
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) default_container(c, host_net);
  json_array_foreach(json_object_get(spec, "volumes"), i, c) default_volume(c);
  if (!pod) return;
  kdefault(spec, "enableServiceLinks", json_true());
  requests_from_limits(json_object_get(spec, "containers"));
  requests_from_limits(json_object_get(spec, "initContainers"));
}

void default_pod_template(json_t *parent, const char *key) {
  json_t *tmpl = json_object_get(parent, key);
  if (json_is_object(tmpl)) default_pod_spec(json_object_get(tmpl, "spec"), false);
}

void pod_default(const kind_ref *k, json_t *obj) {
  (void)k;
  default_pod_spec(json_object_get(obj, "spec"), true);
}

void podtemplate_default(const kind_ref *k, json_t *obj) {
  (void)k;
  default_pod_template(obj, "template");
}

/* ---- strategy ------------------------------------------------------------ */

/* Sum of the positive cpu/memory quantities of list into sums[0..1]; sets
 * have[] for those seen. */
static void add_compute(const json_t *list, quantity sums[2], bool have[2]) {
  static const char *const names[] = {"cpu", "memory"};
  quantity zero;
  quantity_parse("0", &zero);
  for (int n = 0; n < 2; n++) {
    const char *s = kstr(list, names[n]);
    quantity q;
    if (!s || quantity_parse(s, &q) || quantity_cmp(&q, &zero) <= 0) continue;
    sums[n] = have[n] ? quantity_add(&sums[n], &q) : q;
    have[n] = true;
  }
}

/* qos.GetPodQOS: BestEffort without any cpu/memory request or limit,
 * Guaranteed when every container limits both and requests equal limits. */
static const char *qos_class(const json_t *spec) {
  quantity req[2], lim[2];
  bool hreq[2] = {false, false}, hlim[2] = {false, false}, guaranteed = true;
  static const char *const lists[] = {"containers", "initContainers"};
  for (int l = 0; l < 2; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, lists[l]), i, c) {
      const json_t *res = json_object_get(c, "resources");
      add_compute(json_object_get(res, "requests"), req, hreq);
      bool cl[2] = {false, false};
      quantity tmp[2];
      add_compute(json_object_get(res, "limits"), tmp, cl);
      for (int n = 0; n < 2; n++)
        if (cl[n]) lim[n] = hlim[n] ? quantity_add(&lim[n], &tmp[n]) : tmp[n], hlim[n] = true;
      if (!cl[0] || !cl[1]) guaranteed = false;
    }
  }
  if (!hreq[0] && !hreq[1] && !hlim[0] && !hlim[1]) return "BestEffort";
  for (int n = 0; n < 2 && guaranteed; n++)
    if (hreq[n] && (!hlim[n] || quantity_cmp(&req[n], &lim[n]) != 0)) guaranteed = false;
  if (guaranteed && hreq[0] == hlim[0] && hreq[1] == hlim[1]) return "Guaranteed";
  return "Burstable";
}

/* What kube-apiserver's default admission plugins add to a new pod:
 * ServiceAccount (serviceAccountName) and DefaultTolerationSeconds (300 s
 * for not-ready and unreachable NoExecute taints); Priority is
 * server/admission_priority.c. */
static void pod_admission(json_t *spec) {
  kdefault(spec, "serviceAccountName", json_string("default"));
  kdefault(spec, "serviceAccount", json_incref(json_object_get(spec, "serviceAccountName")));
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
    json_array_append_new(tol, json_pack("{s:s,s:s,s:s,s:i}", "key", taints[t], "operator", "Exists", "effect",
                                         "NoExecute", "tolerationSeconds", 300));
  }
}

void pod_create(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  pod_admission(spec);
  json_object_set_new(obj, "status", json_pack("{s:s,s:s}", "phase", "Pending", "qosClass", qos_class(spec)));
}

/* ---- validation ---------------------------------------------------------- */

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};

static void validate_ports(const json_t *ports, const char *prefix, field_errors *fe) {
  size_t i;
  json_t *p;
  char f[600];
  json_array_foreach(ports, i, p) {
    const char *name = kstr(p, "name");
    if (name && *name) {
      snprintf(f, sizeof f, "%s[%zu].name", prefix, i);
      size_t before = fe_count(fe);
      check_port_name(fe, f, name);
      for (size_t k = 0; k < i && fe_count(fe) == before; k++) {
        const char *other = kstr(json_array_get(ports, k), "name");
        if (other && !strcmp(other, name)) fe_add(fe, FE_DUPLICATE, f, json_object_get(p, "name"), NULL);
      }
    }
    snprintf(f, sizeof f, "%s[%zu].containerPort", prefix, i);
    const json_t *cp = json_object_get(p, "containerPort");
    if (!json_integer_value(cp)) fe_required(fe, f, "");
    else check_port(fe, f, cp);
    const json_t *hp = json_object_get(p, "hostPort");
    if (json_integer_value(hp)) {
      snprintf(f, sizeof f, "%s[%zu].hostPort", prefix, i);
      check_port(fe, f, hp);
    }
    snprintf(f, sizeof f, "%s[%zu].protocol", prefix, i);
    const char *proto = kstr(p, "protocol");
    if (!proto || !*proto) fe_required(fe, f, "");
    else kcheck_enum(fe, f, p, "protocol", protocols);
  }
}

static void validate_env(const json_t *env, const char *prefix, field_errors *fe) {
  static const char *const first = "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  size_t i;
  json_t *e;
  char f[600];
  json_array_foreach(env, i, e) {
    const char *name = kstr(e, "name");
    snprintf(f, sizeof f, "%s[%zu].name", prefix, i);
    if (!name || !*name) {
      fe_required(fe, f, "");
      continue;
    }
    size_t n = strlen(name);
    if (!strchr(first, name[0]) || strspn(name, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n)
      fe_invalid_str(fe, f, name,
                     "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
                     "'.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', "
                     "regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
    if (!strcmp(name, ".")) fe_invalid_str(fe, f, name, "must not be '.'");
    else if (!strcmp(name, "..")) fe_invalid_str(fe, f, name, "must not be '..'");
    else if (!strncmp(name, "..", 2)) fe_invalid_str(fe, f, name, "must not start with '..'");
  }
}

static bool standard_container_resource(const char *name) {
  return !strcmp(name, "cpu") || !strcmp(name, "memory") || !strcmp(name, "ephemeral-storage") ||
         !strncmp(name, "hugepages-", 10);
}

/* ValidateResourceRequirements: standard names, non-negative quantities,
 * requests not above limits. Unparsable quantities never get here (the
 * decoder refuses them), so they are skipped. */
static void validate_resources(const json_t *res, const char *prefix, field_errors *fe) {
  static const char *const which[] = {"limits", "requests"};
  quantity zero;
  quantity_parse("0", &zero);
  char f[700];
  for (int w = 0; w < 2; w++) {
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(res, which[w]), name, v) {
      snprintf(f, sizeof f, "%s.%s[%s]", prefix, which[w], name);
      if (!strchr(name, '/') && !standard_container_resource(name))
        fe_invalid_str(fe, f, name, "must be a standard resource for containers");
      quantity q;
      if (!json_is_string(v) || quantity_parse(json_string_value(v), &q)) continue;
      char canon[64];
      quantity_format_str(&q, canon, sizeof canon);
      if (quantity_cmp(&q, &zero) < 0) fe_invalid_str(fe, f, canon, "must be greater than or equal to 0");
      if (w == 1) {
        const char *ls = kstr(json_object_get(res, "limits"), name);
        quantity l;
        if (ls && !quantity_parse(ls, &l) && quantity_cmp(&q, &l) > 0) {
          char msg[300];
          snprintf(f, sizeof f, "%s.requests", prefix);
          snprintf(msg, sizeof msg, "must be less than or equal to %s limit", name);
          fe_invalid_str(fe, f, canon, msg);
        }
      }
    }
  }
}

static bool has_volume(const json_t *spec, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "volumes"), i, v) {
    const char *n = kstr(v, "name");
    if (n && !strcmp(n, name)) return true;
  }
  return false;
}

static void validate_mounts(const json_t *spec, const json_t *mounts, const char *prefix, field_errors *fe) {
  size_t i;
  json_t *m;
  char f[700];
  json_array_foreach(mounts, i, m) {
    const char *name = kstr(m, "name") ? kstr(m, "name") : "";
    snprintf(f, sizeof f, "%s[%zu].name", prefix, i);
    if (!*name) fe_required(fe, f, "");
    if (!has_volume(spec, name)) {
      json_t *shown = json_string(name);
      fe_add(fe, FE_NOT_FOUND, f, shown, NULL);
      json_decref(shown);
    }
    const char *path = kstr(m, "mountPath");
    snprintf(f, sizeof f, "%s[%zu].mountPath", prefix, i);
    if (!path || !*path) fe_required(fe, f, "");
    for (size_t k = 0; k < i && path && *path; k++) {
      const char *other = kstr(json_array_get(mounts, k), "mountPath");
      if (other && !strcmp(other, path)) {
        fe_invalid_str(fe, f, path, "must be unique");
        break;
      }
    }
  }
}

/* validateHandler: exactly one of exec, httpGet, tcpSocket, each checked. */
static void validate_handler(const json_t *h, const char *at, field_errors *fe) {
  static const char *const kinds[] = {"exec", "httpGet", "tcpSocket", NULL};
  char f[800];
  int n = 0;
  for (int i = 0; kinds[i]; i++) {
    const json_t *a = json_object_get(h, kinds[i]);
    if (!a || json_is_null(a)) continue;
    snprintf(f, sizeof f, "%s.%s", at, kinds[i]);
    if (n++) {
      fe_forbidden(fe, f, "may not specify more than 1 handler type");
      continue;
    }
    char sub[850];
    if (i == 0) {
      snprintf(sub, sizeof sub, "%s.command", f);
      if (!json_array_size(json_object_get(a, "command"))) fe_required(fe, sub, "");
      continue;
    }
    if (i == 1) {
      snprintf(sub, sizeof sub, "%s.path", f);
      if (!kstr(a, "path") || !*kstr(a, "path")) fe_required(fe, sub, "");
    }
    snprintf(sub, sizeof sub, "%s.port", f);
    check_port_num_or_name(fe, sub, json_object_get(a, "port"));
    if (i == 1) {
      static const char *const schemes[] = {"HTTP", "HTTPS", NULL};
      snprintf(sub, sizeof sub, "%s.scheme", f);
      kcheck_enum(fe, sub, a, "scheme", schemes);
    }
  }
  if (!n) fe_required(fe, at, "must specify a handler type");
}

static void validate_probe(const json_t *p, const char *prefix, const char *which, bool success_one, field_errors *fe) {
  if (!json_is_object(p)) return;
  char f[700];
  snprintf(f, sizeof f, "%s.%s", prefix, which);
  validate_handler(p, f, fe);
  static const char *const nums[] = {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                                     "failureThreshold", NULL};
  for (int i = 0; nums[i]; i++) {
    snprintf(f, sizeof f, "%s.%s.%s", prefix, which, nums[i]);
    kcheck_nonneg(fe, f, p, nums[i]);
  }
  const json_t *st = json_object_get(p, "successThreshold");
  if (success_one && json_is_integer(st) && json_integer_value(st) != 1) {
    snprintf(f, sizeof f, "%s.%s.successThreshold", prefix, which);
    fe_add(fe, FE_INVALID, f, st, "must be 1");
  }
}

/* validateContainers; names are unique across containers and init containers. */
static void validate_containers(const json_t *spec, const char *prefix, const char *which, bool required,
                                field_errors *fe) {
  const json_t *list = json_object_get(spec, which);
  char f[700], base[600];
  if (required && !json_array_size(list)) {
    snprintf(f, sizeof f, "%s.%s", prefix, which);
    fe_required(fe, f, "");
    return;
  }
  const json_t *others = !strcmp(which, "initContainers") ? json_object_get(spec, "containers") : NULL;
  size_t i, j;
  json_t *c;
  json_array_foreach(list, i, c) {
    snprintf(base, sizeof base, "%s.%s[%zu]", prefix, which, i);
    const char *name = kstr(c, "name");
    snprintf(f, sizeof f, "%s.name", base);
    if (!name || !*name) fe_required(fe, f, "");
    else check_dns1123_label(fe, f, name);
    bool dup = false;
    for (size_t k = 0; k < i && name && !dup; k++) {
      const char *other = kstr(json_array_get(list, k), "name");
      dup = other && !strcmp(other, name);
    }
    json_t *oc;
    json_array_foreach(others, j, oc) dup = dup || (name && kstr(oc, "name") && !strcmp(kstr(oc, "name"), name));
    if (dup) fe_add(fe, FE_DUPLICATE, f, json_object_get(c, "name"), NULL);
    const char *image = kstr(c, "image");
    snprintf(f, sizeof f, "%s.image", base);
    if (!image || !*image) fe_required(fe, f, "");
    const json_t *lc = json_object_get(c, "lifecycle");
    static const char *const hooks[] = {"postStart", "preStop", NULL};
    for (int h = 0; json_is_object(lc) && hooks[h]; h++) {
      if (!json_is_object(json_object_get(lc, hooks[h]))) continue;
      snprintf(f, sizeof f, "%s.lifecycle.%s", base, hooks[h]);
      validate_handler(json_object_get(lc, hooks[h]), f, fe);
    }
    validate_probe(json_object_get(c, "livenessProbe"), base, "livenessProbe", true, fe);
    validate_probe(json_object_get(c, "startupProbe"), base, "startupProbe", true, fe);
    const char *tmp = kstr(c, "terminationMessagePolicy");
    snprintf(f, sizeof f, "%s.terminationMessagePolicy", base);
    if (tmp && strcmp(tmp, "File") && strcmp(tmp, "FallbackToLogsOnError"))
      fe_invalid_str(fe, f, tmp, "must be 'File' or 'FallbackToLogsOnError'");
    validate_probe(json_object_get(c, "readinessProbe"), base, "readinessProbe", false, fe);
    snprintf(f, sizeof f, "%s.ports", base);
    validate_ports(json_object_get(c, "ports"), f, fe);
    snprintf(f, sizeof f, "%s.env", base);
    validate_env(json_object_get(c, "env"), f, fe);
    snprintf(f, sizeof f, "%s.volumeMounts", base);
    validate_mounts(spec, json_object_get(c, "volumeMounts"), f, fe);
    static const char *const pulls[] = {"Always", "IfNotPresent", "Never", NULL};
    snprintf(f, sizeof f, "%s.imagePullPolicy", base);
    kcheck_enum(fe, f, c, "imagePullPolicy", pulls);
    snprintf(f, sizeof f, "%s.resources", base);
    validate_resources(json_object_get(c, "resources"), f, fe);
  }
}

static void validate_volumes(const json_t *spec, const char *prefix, field_errors *fe) {
  size_t i;
  json_t *v;
  char f[600];
  json_array_foreach(json_object_get(spec, "volumes"), i, v) {
    const char *name = kstr(v, "name");
    snprintf(f, sizeof f, "%s.volumes[%zu].name", prefix, i);
    if (!name || !*name) fe_required(fe, f, "");
    else check_dns1123_label(fe, f, name);
    for (size_t k = 0; k < i && name && *name; k++) {
      const char *other = kstr(json_array_get(json_object_get(spec, "volumes"), k), "name");
      if (other && !strcmp(other, name)) {
        fe_add(fe, FE_DUPLICATE, f, json_object_get(v, "name"), NULL);
        break;
      }
    }
    int sources = 0;
    for (int s = 0; volume_sources[s]; s++) sources += json_object_get(v, volume_sources[s]) != NULL;
    if (sources > 1) {
      snprintf(f, sizeof f, "%s.volumes[%zu]", prefix, i);
      fe_forbidden(fe, f, "may not specify more than 1 volume type");
    }
  }
}

void validate_pod_spec(const json_t *spec, const char *prefix, field_errors *fe) {
  char f[600];
  validate_volumes(spec, prefix, fe);
  validate_containers(spec, prefix, "containers", true, fe);
  validate_containers(spec, prefix, "initContainers", false, fe);
  static const char *const restart[] = {"Always", "OnFailure", "Never", NULL};
  snprintf(f, sizeof f, "%s.restartPolicy", prefix);
  kcheck_enum(fe, f, spec, "restartPolicy", restart);
  static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL};
  snprintf(f, sizeof f, "%s.dnsPolicy", prefix);
  kcheck_enum(fe, f, spec, "dnsPolicy", dns);
  const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
  if (json_is_integer(ads) && (json_integer_value(ads) < 1 || json_integer_value(ads) > 2147483647)) {
    snprintf(f, sizeof f, "%s.activeDeadlineSeconds", prefix);
    fe_add(fe, FE_INVALID, f, ads, "must be between 1 and 2147483647, inclusive");
  }
  snprintf(f, sizeof f, "%s.terminationGracePeriodSeconds", prefix);
  kcheck_nonneg(fe, f, spec, "terminationGracePeriodSeconds");
}

void validate_pod_template(const json_t *tmpl, const char *prefix, field_errors *fe) {
  char f[600];
  const json_t *md = json_object_get(tmpl, "metadata");
  snprintf(f, sizeof f, "%s.metadata.labels", prefix);
  check_labels(fe, f, json_object_get(md, "labels"));
  snprintf(f, sizeof f, "%s.metadata.annotations", prefix);
  check_annotations(fe, f, json_object_get(md, "annotations"));
  snprintf(f, sizeof f, "%s.spec", prefix);
  validate_pod_spec(json_object_get(tmpl, "spec"), f, fe);
}

/* ValidateContainerUpdates: same number of containers, images present and
 * untrimmed. Returns false when the update must stop there. */
static bool validate_container_updates(const json_t *spec, const json_t *ospec, const char *which, field_errors *fe) {
  const json_t *list = json_object_get(spec, which), *olist = json_object_get(ospec, which);
  char f[128];
  if (json_array_size(list) != json_array_size(olist)) {
    snprintf(f, sizeof f, "spec.%s", which);
    fe_forbidden(fe, f, "pod updates may not add or remove containers");
    return false;
  }
  size_t i;
  json_t *c;
  json_array_foreach(list, i, c) {
    const char *image = kstr(c, "image") ? kstr(c, "image") : "";
    snprintf(f, sizeof f, "spec.%s[%zu].image", which, i);
    if (!*image) fe_required(fe, f, "");
    size_t n = strlen(image);
    if (n && (strchr(" \t\n\r\v\f", image[0]) || strchr(" \t\n\r\v\f", image[n - 1])))
      fe_invalid_str(fe, f, image, "must not have leading or trailing whitespace");
  }
  return true;
}

/* A toleration without tolerationSeconds, for validateOnlyAddedTolerations. */
static json_t *toleration_key(const json_t *t) {
  json_t *c = json_deep_copy(t);
  json_object_del(c, "tolerationSeconds");
  return c;
}

/* ValidatePodUpdate: only images, activeDeadlineSeconds (downwards) and
 * tolerations (additions, tolerationSeconds) may change. Kubernetes appends
 * a Go struct diff to the last message, which has no equivalent here; the
 * first line is the same. */
static void validate_pod_update(const json_t *obj, const json_t *old, field_errors *fe) {
  const json_t *spec = json_object_get(obj, "spec"), *ospec = json_object_get(old, "spec");
  if (!validate_container_updates(spec, ospec, "containers", fe) ||
      !validate_container_updates(spec, ospec, "initContainers", fe))
    return;
  const json_t *ads = json_object_get(spec, "activeDeadlineSeconds"), *oads = json_object_get(ospec, "activeDeadlineSeconds");
  if (json_is_integer(ads)) {
    json_int_t v = json_integer_value(ads);
    if (v < 0 || v > 2147483647) {
      fe_add(fe, FE_INVALID, "spec.activeDeadlineSeconds", ads, "must be between 0 and 2147483647, inclusive");
      return;
    }
    if (json_is_integer(oads) && json_integer_value(oads) < v) {
      fe_add(fe, FE_INVALID, "spec.activeDeadlineSeconds", ads, "must be less than or equal to previous value");
      return;
    }
  } else if (json_is_integer(oads)) {
    fe_add(fe, FE_INVALID, "spec.activeDeadlineSeconds", NULL, "must not update from a positive integer to nil value");
  }
  json_t *a = json_deep_copy(spec), *b = json_deep_copy(ospec);
  static const char *const lists[] = {"containers", "initContainers"};
  for (int l = 0; l < 2; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(a, lists[l]), i, c) {
      json_t *oc = json_array_get(json_object_get(b, lists[l]), i);
      if (json_object_get(oc, "image")) json_object_set(c, "image", json_object_get(oc, "image"));
      else json_object_del(c, "image");
    }
  }
  static const char *const mutable_keys[] = {"activeDeadlineSeconds", "tolerations", NULL};
  for (int i = 0; mutable_keys[i]; i++) {
    json_object_del(a, mutable_keys[i]);
    json_object_del(b, mutable_keys[i]);
  }
  size_t i, j;
  json_t *ot, *nt;
  json_array_foreach(json_object_get(ospec, "tolerations"), i, ot) {
    json_t *ok = toleration_key(ot);
    bool found = false;
    json_array_foreach(json_object_get(spec, "tolerations"), j, nt) {
      json_t *nk = toleration_key(nt);
      found = found || json_equal(ok, nk);
      json_decref(nk);
    }
    json_decref(ok);
    if (!found) {
      fe_forbidden(fe, "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds");
      break;
    }
  }
  if (!json_equal(a, b))
    fe_forbidden(fe, "spec",
                 "pod updates may not change fields other than `spec.containers[*].image`, "
                 "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations` (only "
                 "additions to existing tolerations)");
  json_decref(a);
  json_decref(b);
}

void pod_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  validate_pod_spec(json_object_get(obj, "spec"), "spec", fe);
  if (old) validate_pod_update(obj, old, fe);
}

void podtemplate_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  validate_pod_template(json_object_get(obj, "template"), "template", fe);
}
