/* kinds_service.c - Services, Endpoints and EndpointSlices. Service
 * defaults (type ClusterIP, sessionAffinity None, port protocol TCP,
 * targetPort = port, externalTrafficPolicy Cluster for NodePort and
 * LoadBalancer), the service strategy of 1.20 with the IPv6DualStack,
 * ServiceTopology and ServiceLBNodePortControl gates off (ipFamilies,
 * ipFamilyPolicy, topologyKeys, allocateLoadBalancerNodePorts dropped;
 * clusterIPs kept in step with clusterIP), and ValidateService with its
 * messages, including the rule that clusterIPs may not change once set.
 * Allocation of cluster IPs and node ports is service_alloc.c's job. */
#include "kinds_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void service_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *spec = kobj(obj, "spec");
  kdefault(spec, "sessionAffinity", json_string("None"));
  const char *aff = kstr(spec, "sessionAffinity") ? kstr(spec, "sessionAffinity") : "";
  if (!strcmp(aff, "None")) json_object_del(spec, "sessionAffinityConfig");
  if (!strcmp(aff, "ClientIP")) {
    json_t *ts = json_object_get(json_object_get(json_object_get(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
    if (!ts) json_object_set_new(spec, "sessionAffinityConfig", json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 10800));
  }
  kdefault(spec, "type", json_string("ClusterIP"));
  const char *type = kstr(spec, "type") ? kstr(spec, "type") : "";
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    kdefault(p, "protocol", json_string("TCP"));
    const json_t *tp = json_object_get(p, "targetPort");
    bool unset = !tp || (json_is_integer(tp) && !json_integer_value(tp)) ||
                 (json_is_string(tp) && !*json_string_value(tp));
    if (unset && json_object_get(p, "port")) json_object_set(p, "targetPort", json_object_get(p, "port"));
  }
  if (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))
    kdefault(spec, "externalTrafficPolicy", json_string("Cluster"));
}

static bool dual_stack_in_use(const json_t *old) {
  const json_t *s = json_object_get(old, "spec");
  return old && (json_array_size(json_object_get(s, "ipFamilies")) || json_object_get(s, "ipFamilyPolicy") ||
                 json_array_size(json_object_get(s, "clusterIPs")) > 1);
}

/* dropServiceDisabledFields with the 1.20 default gates. */
static void drop_disabled(json_t *spec, const json_t *old) {
  const json_t *ospec = json_object_get(old, "spec");
  if (!dual_stack_in_use(old)) {
    json_object_del(spec, "ipFamilies");
    json_object_del(spec, "ipFamilyPolicy");
    json_t *ips = json_object_get(spec, "clusterIPs");
    while (json_array_size(ips) > 1) json_array_remove(ips, json_array_size(ips) - 1);
  }
  if (!json_array_size(json_object_get(ospec, "topologyKeys"))) json_object_del(spec, "topologyKeys");
  if (!json_object_get(ospec, "allocateLoadBalancerNodePorts")) json_object_del(spec, "allocateLoadBalancerNodePorts");
}

/* NormalizeClusterIPs: clients that only know the singular field. */
static void normalize_cluster_ips(json_t *spec, const json_t *old) {
  const char *ip = kstr(spec, "clusterIP") ? kstr(spec, "clusterIP") : "";
  json_t *ips = json_object_get(spec, "clusterIPs");
  if (!old) {
    if (*ip && !json_array_size(ips)) json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
    return;
  }
  const json_t *ospec = json_object_get(old, "spec");
  const char *oip = kstr(ospec, "clusterIP") ? kstr(ospec, "clusterIP") : "";
  const json_t *oips = json_object_get(ospec, "clusterIPs");
  if (json_array_size(oips) && !json_array_size(ips) && !strcmp(oip, ip)) {
    json_object_set_new(spec, "clusterIPs", json_deep_copy(oips)); /* old may be published: never share */
    ips = json_object_get(spec, "clusterIPs");
  }
  if (strcmp(oip, ip)) {
    bool same = json_equal(oips ? oips : json_null(), ips ? ips : json_null()) || (!json_array_size(oips) && !json_array_size(ips));
    if (*oip && !*ip) {
      if (same) json_object_del(spec, "clusterIPs");
    } else if (same) {
      json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
    }
  }
}

static bool same_value(const json_t *a, const json_t *b) {
  if (!a || json_is_null(a)) return !b || json_is_null(b) || (json_is_array(b) && !json_array_size(b));
  if (!b || json_is_null(b)) return json_is_array(a) && !json_array_size(a);
  return json_equal(a, b);
}

/* The node ports of spec's ports, as a set: sorted, zeros left out. */
static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static size_t node_ports(const json_t *spec, int *out, size_t cap) {
  size_t n = 0, i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    int np = (int)json_integer_value(json_object_get(p, "nodePort"));
    bool seen = false;
    for (size_t k = 0; k < n; k++) seen |= out[k] == np;
    if (np && !seen && n < cap) out[n++] = np;
  }
  qsort(out, n, sizeof *out, cmp_int);
  return n;
}

/* dropTypeDependentFields: a type change that leaves no use for a cluster
 * IP, node ports or a health check node port clears them when the client
 * sent them back unchanged (the allocator then releases them); and the REST
 * layer's externalTrafficPolicyUpdate: no policy without node ports. */
static void drop_type_dependent(json_t *spec, const json_t *old) {
  const json_t *ospec = json_object_get(old, "spec");
  const char *type = kstr(spec, "type") ? kstr(spec, "type") : "", *otype = kstr(ospec, "type") ? kstr(ospec, "type") : "";
  if (strcmp(otype, "ExternalName") && !strcmp(type, "ExternalName")) {
    if (same_value(json_object_get(ospec, "clusterIP"), json_object_get(spec, "clusterIP")) &&
        same_value(json_object_get(ospec, "clusterIPs"), json_object_get(spec, "clusterIPs"))) {
      json_object_del(spec, "clusterIP");
      json_object_del(spec, "clusterIPs");
    }
    static const char *const fam[] = {"ipFamilies", "ipFamilyPolicy", NULL};
    for (int i = 0; fam[i]; i++)
      if (same_value(json_object_get(ospec, fam[i]), json_object_get(spec, fam[i]))) json_object_del(spec, fam[i]);
  }
  bool needs = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
  bool oneeds = !strcmp(otype, "NodePort") || !strcmp(otype, "LoadBalancer");
  if (oneeds && !needs) json_object_del(spec, "externalTrafficPolicy"); /* externalTrafficPolicyUpdate */
  int a[64], b[64];
  size_t na = node_ports(ospec, a, 64), nb = node_ports(spec, b, 64);
  if (oneeds && !needs && na == nb && !memcmp(a, b, na * sizeof *a)) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), i, p) json_object_del(p, "nodePort");
  }
  bool hc = !strcmp(type, "LoadBalancer") && !strcmp(kstr(spec, "externalTrafficPolicy") ?: "", "Local");
  bool ohc = !strcmp(otype, "LoadBalancer") && !strcmp(kstr(ospec, "externalTrafficPolicy") ?: "", "Local");
  if (ohc && !hc &&
      json_integer_value(json_object_get(ospec, "healthCheckNodePort")) ==
          json_integer_value(json_object_get(spec, "healthCheckNodePort")))
    json_object_del(spec, "healthCheckNodePort");
}

/* Go leaves empty clusterIP and zero nodePort out of the stored object (omitempty). */
static void drop_empty(json_t *spec) {
  const char *ip = kstr(spec, "clusterIP");
  if (ip && !*ip) json_object_del(spec, "clusterIP");
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    const json_t *np = json_object_get(p, "nodePort");
    if (np && json_is_integer(np) && !json_integer_value(np)) json_object_del(p, "nodePort");
  }
}

void service_create(const kind_ref *k, json_t *obj) {
  (void)k;
  json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
  json_t *spec = kobj(obj, "spec");
  normalize_cluster_ips(spec, NULL);
  drop_disabled(spec, NULL);
  drop_empty(spec);
}

void service_update(const kind_ref *k, const char *sub, json_t *obj, const json_t *old) {
  (void)k;
  if (sub) return;
  json_t *spec = kobj(obj, "spec");
  normalize_cluster_ips(spec, old);
  drop_disabled(spec, old);
  drop_type_dependent(spec, old);
  drop_empty(spec);
}

static bool headless(const json_t *spec) {
  const json_t *ips = json_object_get(spec, "clusterIPs");
  const char *first = json_string_value(json_array_get(ips, 0));
  return first && !strcmp(first, "None");
}

static void validate_service_port(const json_t *p, size_t i, bool require_name, const json_t *ports, field_errors *fe) {
  char f[128];
  const char *name = kstr(p, "name");
  snprintf(f, sizeof f, "spec.ports[%zu].name", i);
  if (require_name && (!name || !*name)) {
    fe_required(fe, f, "");
  } else if (name && *name) {
    check_dns1123_label(fe, f, name);
    for (size_t k = 0; k < i; k++) {
      const char *other = kstr(json_array_get(ports, k), "name");
      if (other && !strcmp(other, name)) {
        fe_add(fe, FE_DUPLICATE, f, json_object_get(p, "name"), NULL);
        break;
      }
    }
  }
  snprintf(f, sizeof f, "spec.ports[%zu].port", i);
  check_port(fe, f, json_object_get(p, "port"));
  snprintf(f, sizeof f, "spec.ports[%zu].protocol", i);
  static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
  if (!kstr(p, "protocol") || !*kstr(p, "protocol")) fe_required(fe, f, "");
  else kcheck_enum(fe, f, p, "protocol", protocols);
  const json_t *tp = json_object_get(p, "targetPort");
  snprintf(f, sizeof f, "spec.ports[%zu].targetPort", i);
  check_port_num_or_name(fe, f, tp);
}

void service_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  const json_t *spec = json_object_get(obj, "spec");
  const char *type = kstr(spec, "type") ? kstr(spec, "type") : "";
  const json_t *ports = json_object_get(spec, "ports");
  const json_t *ips = json_object_get(spec, "clusterIPs");
  char f[128];
  if (old) {
    /* validateUpgradeDowngradeClusterIPs */
    const json_t *ospec = json_object_get(old, "spec");
    const char *otype = kstr(ospec, "type") ? kstr(ospec, "type") : "";
    const json_t *oips = json_object_get(ospec, "clusterIPs");
    if (strcmp(type, "ExternalName") && strcmp(otype, "ExternalName") && !(headless(spec) && headless(ospec))) {
      if (json_array_size(oips) == json_array_size(ips)) {
        for (size_t i = 0; i < json_array_size(oips); i++)
          if (!json_equal(json_array_get(oips, i), json_array_get(ips, i))) {
            snprintf(f, sizeof f, "spec.clusterIPs[%zu]", i);
            fe_add(fe, FE_INVALID, f, ips, "may not change once set");
          }
      } else if (json_array_size(oips) > json_array_size(ips) && !json_array_size(ips)) {
        fe_invalid_raw(fe, "spec.clusterIPs[0]", "[]string(nil)", "primary clusterIP can not be unset");
      }
    }
  }
  if (!json_array_size(ports) && !headless(spec) && strcmp(type, "ExternalName")) fe_required(fe, "spec.ports", "");
  size_t i;
  json_t *p;
  if (!strcmp(type, "LoadBalancer")) {
    json_array_foreach(ports, i, p) if (json_integer_value(json_object_get(p, "port")) == 10250) {
      snprintf(f, sizeof f, "spec.ports[%zu]", i);
      fe_add(fe, FE_INVALID, f, json_object_get(p, "port"), "may not expose port 10250 externally since it is used by kubelet");
    }
  }
  if ((!strcmp(type, "LoadBalancer") || !strcmp(type, "NodePort")) && headless(spec)) {
    char msg[64];
    snprintf(msg, sizeof msg, "may not be set to 'None' for %s services", type);
    fe_invalid_str(fe, "spec.clusterIPs[0]", "None", msg);
  }
  if (!strcmp(type, "ExternalName")) {
    if (json_array_size(ips)) fe_forbidden(fe, "spec.clusterIPs", "may not be set for ExternalName services");
    const char *en = kstr(spec, "externalName") ? kstr(spec, "externalName") : "";
    char *cname = strdup(en);
    size_t n = cname ? strlen(cname) : 0;
    if (n && cname[n - 1] == '.') cname[--n] = 0;
    if (n) check_dns1123_subdomain(fe, "spec.externalName", cname);
    else fe_required(fe, "spec.externalName", "");
    free(cname);
  }
  json_array_foreach(ports, i, p) validate_service_port(p, i, json_array_size(ports) > 1, ports, fe);
  check_labels(fe, "spec.selector", json_object_get(spec, "selector"));
  static const char *const affinities[] = {"ClientIP", "None", NULL};
  const char *aff = kstr(spec, "sessionAffinity");
  if (!aff || !*aff) fe_required(fe, "spec.sessionAffinity", "");
  else kcheck_enum(fe, "spec.sessionAffinity", spec, "sessionAffinity", affinities);
  if (aff && !strcmp(aff, "None") && json_object_get(spec, "sessionAffinityConfig"))
    fe_forbidden(fe, "spec.sessionAffinityConfig", "must not be set when session affinity is None");
  const char *ip = kstr(spec, "clusterIP") ? kstr(spec, "clusterIP") : "";
  if (*ip) {
    if (!json_array_size(ips)) fe_required(fe, "spec.clusterIPs", "");
    else if (strcmp(json_string_value(json_array_get(ips, 0)) ? json_string_value(json_array_get(ips, 0)) : "", ip))
      fe_add(fe, FE_INVALID, "spec.clusterIPs", ips, "element [0] must match clusterIP");
  } else if (json_array_size(ips)) {
    fe_add(fe, FE_INVALID, "spec.clusterIPs", ips, "must be empty when clusterIP is empty");
  }
  static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL};
  if (!*type) fe_required(fe, "spec.type", "");
  else kcheck_enum(fe, "spec.type", spec, "type", types);
  json_array_foreach(ports, i, p) {
    json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
    if (!np) continue;
    if (!strcmp(type, "ClusterIP")) {
      snprintf(f, sizeof f, "spec.ports[%zu].nodePort", i);
      fe_forbidden(fe, f, "may not be used when `type` is 'ClusterIP'");
    }
  }
  json_array_foreach(ports, i, p) {
    json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
    for (size_t k2 = 0; np && k2 < i; k2++) {
      const json_t *q = json_array_get(ports, k2);
      if (json_integer_value(json_object_get(q, "nodePort")) == np &&
          json_equal(json_object_get(q, "protocol"), json_object_get(p, "protocol"))) {
        snprintf(f, sizeof f, "spec.ports[%zu].nodePort", i);
        fe_add(fe, FE_DUPLICATE, f, json_object_get(p, "nodePort"), NULL);
        break;
      }
    }
  }
  json_array_foreach(ports, i, p) {
    for (size_t k2 = 0; k2 < i; k2++) {
      const json_t *q = json_array_get(ports, k2);
      if (json_equal(json_object_get(q, "port"), json_object_get(p, "port")) &&
          json_equal(json_object_get(q, "protocol"), json_object_get(p, "protocol"))) {
        /* Go prints the ServicePort key it built: only protocol and port set */
        char repr[300];
        snprintf(repr, sizeof repr,
                 "core.ServicePort{Name:\"\", Protocol:\"%s\", AppProtocol:(*string)(nil), Port:%lld, "
                 "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
                 kstr(p, "protocol") ? kstr(p, "protocol") : "", (long long)json_integer_value(json_object_get(p, "port")));
        snprintf(f, sizeof f, "spec.ports[%zu]", i);
        fe_add_rendered(fe, FE_DUPLICATE, f, repr, NULL);
        break;
      }
    }
  }
  const char *etp = kstr(spec, "externalTrafficPolicy");
  if (etp && *etp && strcmp(etp, "Cluster") && strcmp(etp, "Local"))
    fe_invalid_str(fe, "spec.externalTrafficPolicy", etp, "ExternalTrafficPolicy must be empty, Cluster or Local");
  /* ValidateServiceExternalTrafficFieldsCombination (the REST layer's check) */
  bool node_ports = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
  if (!node_ports && etp && *etp)
    fe_invalid_str(fe, "spec.externalTrafficPolicy", etp,
                   "ExternalTrafficPolicy can only be set on NodePort and LoadBalancer service");
  json_int_t hc = json_integer_value(json_object_get(spec, "healthCheckNodePort"));
  if (hc && !(!strcmp(type, "LoadBalancer") && etp && !strcmp(etp, "Local")))
    fe_invalid_int(fe, "spec.healthCheckNodePort", hc,
                   "HealthCheckNodePort can only be set on LoadBalancer service with ExternalTrafficPolicy=Local");
}

/* ---- Endpoints and EndpointSlices ---------------------------------------- */

void endpoints_default(const kind_ref *k, json_t *obj) {
  (void)k;
  size_t i, j;
  json_t *s, *p;
  json_array_foreach(json_object_get(obj, "subsets"), i, s)
      json_array_foreach(json_object_get(s, "ports"), j, p) kdefault(p, "protocol", json_string("TCP"));
}

void endpoints_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  (void)old;
  size_t i, j;
  json_t *s, *p;
  char f[128];
  json_array_foreach(json_object_get(obj, "subsets"), i, s) {
    const json_t *ports = json_object_get(s, "ports");
    json_array_foreach(ports, j, p) {
      snprintf(f, sizeof f, "subsets[%zu].ports[%zu].name", i, j);
      const char *name = kstr(p, "name");
      if (json_array_size(ports) > 1 && (!name || !*name)) fe_required(fe, f, "");
      else if (name && *name) check_dns1123_label(fe, f, name);
      snprintf(f, sizeof f, "subsets[%zu].ports[%zu].port", i, j);
      check_port(fe, f, json_object_get(p, "port"));
      static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
      snprintf(f, sizeof f, "subsets[%zu].ports[%zu].protocol", i, j);
      kcheck_enum(fe, f, p, "protocol", protocols);
    }
  }
}

void endpointslice_default(const kind_ref *k, json_t *obj) {
  (void)k;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(obj, "ports"), i, p) {
    kdefault(p, "name", json_string(""));
    kdefault(p, "protocol", json_string("TCP"));
  }
}

void endpointslice_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k;
  static const char *const types[] = {"IPv4", "IPv6", "FQDN", NULL};
  const char *at = kstr(obj, "addressType");
  if (!at || !*at) fe_required(fe, "addressType", "");
  else kcheck_enum(fe, "addressType", obj, "addressType", types);
  if (old && !json_equal(json_object_get(obj, "addressType"), json_object_get(old, "addressType")))
    fe_add(fe, FE_INVALID, "addressType", json_object_get(obj, "addressType"), "field is immutable");
}
