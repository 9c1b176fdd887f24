/* bootstrap.c - creates the bootstrap objects through the API core, like any
 * client would (see bootstrap.h). */
#include "bootstrap.h"
#include "api.h"
#include "log.h"
#include <stdio.h>
#include <string.h>

static int ensure(const char *plural, const char *ns, json_t *obj) {
  const resource *r = registry_find("", "v1", plural);
  if (!r) return -1;
  const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
  api_result got = api_get(r, ns, name);
  int code = got.code;
  api_result_clear(&got);
  if (code == 200) {
    json_decref(obj);
    return 0;
  }
  api_opts o = {0};
  api_result res = api_create(r, ns, obj, &o);
  int rc = res.code == 201 ? 0 : -1;
  if (rc) {
    json_t *j = api_result_json(&res);
    LOGE("bootstrap %s/%s: %s", plural, name, json_string_value(json_object_get(j, "message")));
    json_decref(j);
  }
  api_result_clear(&res);
  return rc;
}

static int set_endpoints(const char *host, int port) {
  const resource *r = registry_find("", "v1", "endpoints");
  json_t *ep = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:[{s:s}],s:[{s:s,s:i,s:s}]}]}", "apiVersion", "v1", "kind",
                         "Endpoints", "metadata", "name", "kubernetes", "namespace", "default", "subsets",
                         "addresses", "ip", host, "ports", "name", "https", "port", port, "protocol", "TCP");
  api_result cur = api_get(r, "default", "kubernetes");
  api_opts o = {0};
  api_result res;
  if (cur.code == 200) res = api_update(r, "default", "kubernetes", NULL, ep, &o);
  else res = api_create(r, "default", ep, &o);
  api_result_clear(&cur);
  int rc = res.code < 300 ? 0 : -1;
  api_result_clear(&res);
  return rc;
}

int bootstrap_objects(const char *host, int port) {
  static const char *const namespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease", NULL};
  int rc = 0;
  for (int i = 0; namespaces[i]; i++)
    rc |= ensure("namespaces", "", json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                                             "metadata", "name", namespaces[i]));
  rc |= ensure("services", "default",
               json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:s,s:[{s:s,s:i,s:s,s:i}],s:s}}", "apiVersion",
                         "v1", "kind", "Service", "metadata", "name", "kubernetes", "namespace", "default", "labels",
                         "component", "apiserver", "provider", "kubernetes", "spec", "type", "ClusterIP", "clusterIP",
                         "10.96.0.1", "ports", "name", "https", "port", 443, "protocol", "TCP", "targetPort", port,
                         "sessionAffinity", "None"));
  rc |= set_endpoints(host, port);
  return rc ? -1 : 0;
}
