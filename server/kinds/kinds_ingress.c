/* kinds_ingress.c - Ingress in its three served shapes (networking.k8s.io/v1
 * with service.name/port, networking.k8s.io/v1beta1 and extensions/v1beta1
 * with serviceName/servicePort): the v1beta1 pathType default and
 * ValidateIngressSpec of 1.20 with field paths named after the request
 * version, as Kubernetes reports them: hosts (DNS names, wildcards, no IP
 * addresses), paths per pathType, backends (service or resource, port name
 * or number), TLS hosts and the ingress class name. */
#include "kinds_util.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool beta(const kind_ref *k) { return !strcmp(k->version, "v1beta1"); }

void ingress_default(const kind_ref *k, json_t *obj) {
  if (!beta(k)) return; /* networking/v1 requires pathType */
  size_t i, j;
  json_t *r, *p;
  json_array_foreach(json_object_get(json_object_get(obj, "spec"), "rules"), i, r)
      json_array_foreach(json_object_get(json_object_get(r, "http"), "paths"), j, p)
          kdefault(p, "pathType", json_string("ImplementationSpecific"));
}

static bool is_ip(const char *s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* IsWildcardDNS1123Subdomain. */
static void check_wildcard(field_errors *fe, const char *field, const char *host) {
  if (strlen(host) > 253) fe_invalid_str(fe, field, host, "must be no more than 253 characters");
  field_errors *tmp = field_errors_new();
  if (strncmp(host, "*.", 2) == 0) check_dns1123_subdomain(tmp, field, host + 2);
  if (strncmp(host, "*.", 2) || fe_count(tmp) > (strlen(host) - 2 > 253 ? 1u : 0u))
    fe_invalid_str(fe, field, host,
                   "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
                   "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character "
                   "(e.g. '*.example.com', regex used for validation is "
                   "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  field_errors_free(tmp);
}

static void check_host(field_errors *fe, const char *field, const char *host) {
  if (strchr(host, '*')) check_wildcard(fe, field, host);
  else check_dns1123_subdomain(fe, field, host);
}

/* validateIngressBackend, reading either backend shape. */
static void validate_backend(const kind_ref *k, const json_t *b, const char *at, field_errors *fe) {
  char f[300];
  bool v1beta = beta(k);
  const json_t *svc = json_object_get(b, "service"), *res = json_object_get(b, "resource");
  const char *name = NULL, *pname = NULL;
  const json_t *pnum = NULL;
  bool has_svc;
  if (v1beta) {
    const json_t *sp = json_object_get(b, "servicePort");
    name = kstr(b, "serviceName");
    has_svc = (name && *name) || json_integer_value(sp) || json_is_string(sp);
    if (json_is_string(sp)) pname = json_string_value(sp);
    else pnum = sp;
  } else {
    has_svc = json_is_object(svc);
    name = kstr(svc, "name");
    const json_t *port = json_object_get(svc, "port");
    pname = kstr(port, "name");
    pnum = json_object_get(port, "number");
  }
  if (has_svc && json_is_object(res)) {
    fe_invalid_str(fe, at, "", "cannot set both resource and service backends");
    return;
  }
  if (json_is_object(res)) {
    snprintf(f, sizeof f, "%s.resource.kind", at);
    if (!kstr(res, "kind") || !*kstr(res, "kind")) fe_required(fe, f, "");
    snprintf(f, sizeof f, "%s.resource.name", at);
    if (!kstr(res, "name") || !*kstr(res, "name")) fe_required(fe, f, "");
    return;
  }
  if (!has_svc) {
    fe_invalid_str(fe, at, "", "resource or service backend is required");
    return;
  }
  snprintf(f, sizeof f, v1beta ? "%s.serviceName" : "%s.service.name", at);
  if (!name || !*name) fe_required(fe, f, "");
  else check_dns1035_label(fe, f, name);
  bool has_name = pname && *pname, has_num = json_integer_value(pnum) != 0;
  if (has_name && has_num) {
    fe_invalid_str(fe, at, "", "cannot set both port name & port number");
  } else if (has_name) {
    snprintf(f, sizeof f, v1beta ? "%s.servicePort" : "%s.service.port.name", at);
    check_port_name(fe, f, pname);
  } else if (has_num) {
    snprintf(f, sizeof f, v1beta ? "%s.servicePort" : "%s.service.port.number", at);
    check_port(fe, f, pnum);
  } else {
    fe_required(fe, at, "port name or number is required");
  }
}

static void validate_path(const kind_ref *k, const json_t *p, const char *at, field_errors *fe) {
  char f[300];
  const char *pt = kstr(p, "pathType"), *path = kstr(p, "path") ? kstr(p, "path") : "";
  snprintf(f, sizeof f, "%s.pathType", at);
  if (!pt) {
    fe_required(fe, f, "pathType must be specified");
    return;
  }
  snprintf(f, sizeof f, "%s.path", at);
  if (!strcmp(pt, "Exact") || !strcmp(pt, "Prefix")) {
    if (path[0] != '/') fe_invalid_str(fe, f, path, "must be an absolute path");
    static const char *const seqs[] = {"//", "/./", "/../", "%2f", "%2F", NULL};
    for (int i = 0; *path && seqs[i]; i++) {
      if (!strstr(path, seqs[i])) continue;
      char msg[64];
      snprintf(msg, sizeof msg, "must not contain '%s'", seqs[i]);
      fe_invalid_str(fe, f, path, msg);
    }
    static const char *const sufs[] = {"/..", "/.", NULL};
    size_t n = strlen(path);
    for (int i = 0; n && sufs[i]; i++) {
      size_t m = strlen(sufs[i]);
      if (n < m || strcmp(path + n - m, sufs[i])) continue;
      char msg[64];
      snprintf(msg, sizeof msg, "cannot end with '%s'", sufs[i]);
      fe_invalid_str(fe, f, path, msg);
    }
  } else if (!strcmp(pt, "ImplementationSpecific")) {
    if (*path && path[0] != '/') fe_invalid_str(fe, f, path, "must be an absolute path");
  } else {
    static const char *const types[] = {"Exact", "ImplementationSpecific", "Prefix", NULL};
    snprintf(f, sizeof f, "%s.pathType", at);
    fe_not_supported(fe, f, json_object_get(p, "pathType"), types);
  }
  snprintf(f, sizeof f, "%s.backend", at);
  validate_backend(k, json_object_get(p, "backend"), f, fe);
}

void ingress_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)old;
  const json_t *spec = json_object_get(obj, "spec");
  const char *backend_key = beta(k) ? "backend" : "defaultBackend";
  const json_t *rules = json_object_get(spec, "rules"), *backend = json_object_get(spec, backend_key);
  char f[300], msg[96];
  if (!json_array_size(rules) && !json_is_object(backend)) {
    snprintf(msg, sizeof msg, "either `%s` or `rules` must be specified", backend_key);
    fe_add_rendered(fe, FE_INVALID, "spec",
                    json_is_array(rules) ? "[]networking.IngressRule{}" : "[]networking.IngressRule(nil)", msg);
  }
  if (json_is_object(backend)) {
    snprintf(f, sizeof f, "spec.%s", backend_key);
    validate_backend(k, backend, f, fe);
  }
  size_t i, j;
  json_t *r, *p;
  json_array_foreach(rules, i, r) {
    const char *host = kstr(r, "host");
    snprintf(f, sizeof f, "spec.rules[%zu].host", i);
    if (host && *host) {
      if (is_ip(host)) fe_invalid_str(fe, f, host, "must be a DNS name, not an IP address");
      check_host(fe, f, host);
    }
    const json_t *http = json_object_get(r, "http");
    if (!json_is_object(http)) continue;
    snprintf(f, sizeof f, "spec.rules[%zu].http.paths", i);
    if (!json_array_size(json_object_get(http, "paths"))) fe_required(fe, f, "");
    json_array_foreach(json_object_get(http, "paths"), j, p) {
      snprintf(f, sizeof f, "spec.rules[%zu].http.paths[%zu]", i, j);
      validate_path(k, p, f, fe);
    }
  }
  json_t *t, *h;
  json_array_foreach(json_object_get(spec, "tls"), i, t) {
    json_array_foreach(json_object_get(t, "hosts"), j, h) {
      if (!json_is_string(h)) continue;
      snprintf(f, sizeof f, "spec.tls[%zu].hosts[%zu]", i, j);
      check_host(fe, f, json_string_value(h));
    }
  }
  const char *cls = kstr(spec, "ingressClassName");
  if (cls) check_dns1123_subdomain(fe, "spec.ingressClassName", cls);
}
