/* kinds_apiservice.c - apiregistration.k8s.io APIService validation as
 * kube-aggregator 1.20 validates it (apiregistration/validation): the name
 * is "<spec.version>.<spec.group>" (a path segment; "v1." for the core
 * group), the group a DNS subdomain (empty only for v1), the version a
 * DNS-1035 label, the priorities in range; a local APIService (no service)
 * has no caBundle and no insecureSkipTLSVerify, a remote one a service
 * namespace, name and valid port, and not both caBundle and
 * insecureSkipTLSVerify. */
#include "kinds_util.h"
#include "json_path.h"
#include <stdio.h>
#include <string.h>

/* The length of a base64 value once decoded. */
static size_t decoded_len(const char *b64) {
  size_t n = strlen(b64), pad = 0;
  while (pad < 2 && n > pad && b64[n - 1 - pad] == '=') pad++;
  return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) - pad;
}

void apiservice_validate(const kind_ref *k, const json_t *obj, const json_t *old, field_errors *fe) {
  (void)k, (void)old;
  const json_t *spec = json_object_get(obj, "spec");
  const char *group = json_str0(spec, "group"), *version = json_str0(spec, "version");
  const char *name = json_str0(json_object_get(obj, "metadata"), "name");
  char required[600], detail[700];
  snprintf(required, sizeof required, "%s.%s", version, group);
  if (*name && strcmp(name, required) != 0) {
    snprintf(detail, sizeof detail, "must be `spec.version+\".\"+spec.group`: \"%s\"", required);
    fe_invalid_str(fe, "metadata.name", name, detail);
  }
  if (!*group && strcmp(version, "v1") != 0)
    fe_required(fe, "spec.group", "only v1 may have an empty group and it better be legacy kube");
  if (*group) check_dns1123_subdomain(fe, "spec.group", group);
  check_dns1035_label(fe, "spec.version", version);
  long long gp = json_integer_value(json_object_get(spec, "groupPriorityMinimum"));
  long long vp = json_integer_value(json_object_get(spec, "versionPriority"));
  if (gp <= 0 || gp > 20000) fe_invalid_int(fe, "spec.groupPriorityMinimum", gp, "must be positive and less than 20000");
  if (vp <= 0 || vp > 1000) fe_invalid_int(fe, "spec.versionPriority", vp, "must be positive and less than 1000");
  const json_t *svc = json_object_get(spec, "service");
  bool insecure = json_is_true(json_object_get(spec, "insecureSkipTLSVerify"));
  size_t ca_len = decoded_len(json_str0(spec, "caBundle")); /* Go counts the decoded bytes */
  if (!json_is_object(svc)) {
    if (ca_len) {
      snprintf(detail, sizeof detail, "%zu bytes", ca_len);
      fe_invalid_str(fe, "spec.caBundle", detail, "local APIServices may not have a caBundle");
    }
    if (insecure) fe_invalid_raw(fe, "spec.insecureSkipTLSVerify", "true", "local APIServices may not have insecureSkipTLSVerify");
    return;
  }
  if (!*json_str0(svc, "namespace")) fe_required(fe, "spec.service.namespace", "");
  if (!*json_str0(svc, "name")) fe_required(fe, "spec.service.name", "");
  long long port = json_integer_value(json_object_get(svc, "port"));
  if (port < 1 || port > 65535)
    fe_invalid_int(fe, "spec.service.port", port, "port is not valid: must be between 1 and 65535, inclusive");
  if (insecure && ca_len) fe_invalid_raw(fe, "spec.insecureSkipTLSVerify", "true", "may not be true if caBundle is present");
}

void apiservice_default(const kind_ref *k, json_t *obj) {
  (void)k;
  json_t *svc = json_object_get(json_object_get(obj, "spec"), "service");
  if (json_is_object(svc) && !json_object_get(svc, "port")) json_object_set_new(svc, "port", json_integer(443));
}
