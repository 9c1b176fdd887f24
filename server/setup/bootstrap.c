/* bootstrap.c - creates the bootstrap objects through the API core, like any
 * client would (see bootstrap.h). */
#include "bootstrap.h"
#include "api.h"
#include "service_alloc.h"
#include "log.h"
#include <stdio.h>
#include <string.h>

static int ensure_in(api_server *srv, const char *group, const char *version, const char *plural, const char *ns,
                     json_t *obj) {
  const resource *r = registry_find(group, version, plural);
  if (!r) return -1;
  const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
  api_result got = api_get(srv, r, ns, name);
  int code = got.code;
  api_result_clear(&got);
  if (code == 200) {
    json_decref(obj);
    return 0;
  }
  api_opts o = {0};
  api_result res = api_create(srv, r, ns, obj, &o);
  int rc = res.code == 201 ? 0 : -1;
  if (rc) {
    json_t *j = api_result_json(&res);
    LOGE("bootstrap %s/%s: %s", plural, name, json_string_value(json_object_get(j, "message")));
    json_decref(j);
  }
  api_result_clear(&res);
  return rc;
}

static int ensure(api_server *srv, const char *plural, const char *ns, json_t *obj) {
  return ensure_in(srv, "", "v1", plural, ns, obj);
}

/* Creates or replaces obj (the apiserver's own objects follow its address). */
static int put(api_server *srv, const char *group, const char *version, const char *plural, json_t *obj) {
  const resource *r = registry_find(group, version, plural);
  if (!r) return json_decref(obj), -1;
  api_result cur = api_get(srv, r, "default", "kubernetes");
  api_opts o = {0};
  api_result res;
  if (cur.code == 200) res = api_update(srv, r, "default", "kubernetes", NULL, obj, &o);
  else res = api_create(srv, r, "default", obj, &o);
  api_result_clear(&cur);
  int rc = res.code < 300 ? 0 : -1;
  api_result_clear(&res);
  return rc;
}

static int set_endpoints(api_server *srv, const char *host, int port) {
  json_t *ep = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:[{s:s}],s:[{s:s,s:i,s:s}]}]}", "apiVersion", "v1", "kind",
                         "Endpoints", "metadata", "name", "kubernetes", "namespace", "default", "subsets",
                         "addresses", "ip", host, "ports", "name", "https", "port", port, "protocol", "TCP");
  return put(srv, "", "v1", "endpoints", ep);
}

/* The slice the 1.20 apiserver's endpoint reconciler writes next to them. */
static int set_endpointslice(api_server *srv, const char *host, int port) {
  json_t *s = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:s,s:i,s:s}],s:[{s:[s],s:{s:b}}]}", "apiVersion",
                        "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata", "name", "kubernetes",
                        "namespace", "default", "labels", "kubernetes.io/service-name", "kubernetes", "addressType",
                        "IPv4", "ports", "name", "https", "port", port, "protocol", "TCP", "endpoints", "addresses",
                        host, "conditions", "ready", 1);
  return put(srv, "discovery.k8s.io", "v1", "endpointslices", s);
}

int bootstrap_objects(api_server *srv, const char *host, int port) {
  static const char *const namespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease", NULL};
  int rc = 0;
  for (int i = 0; namespaces[i]; i++)
    rc |= ensure(srv, "namespaces", "", json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                                             "metadata", "name", namespaces[i]));
  char kubernetes_ip[64];
  service_cidr_first_ip(kubernetes_ip, sizeof kubernetes_ip);
  rc |= ensure(srv, "services", "default",
               json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:s,s:[{s:s,s:i,s:s,s:i}],s:s}}", "apiVersion",
                         "v1", "kind", "Service", "metadata", "name", "kubernetes", "namespace", "default", "labels",
                         "component", "apiserver", "provider", "kubernetes", "spec", "type", "ClusterIP", "clusterIP",
                         kubernetes_ip, "ports", "name", "https", "port", 443, "protocol", "TCP", "targetPort", port,
                         "sessionAffinity", "None"));
  static const struct {
    const char *name, *description;
    int value;
  } classes[] = {{"system-node-critical", "Used for system critical pods that must not be moved from their current node.",
                  2000001000},
                 {"system-cluster-critical", "Used for system critical pods that must run in the cluster, but can be "
                                             "moved to another node if necessary.",
                  2000000000}};
  for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
    rc |= ensure_in(srv, "scheduling.k8s.io", "v1", "priorityclasses", "",
                    json_pack("{s:s,s:s,s:{s:s},s:i,s:s}", "apiVersion", "scheduling.k8s.io/v1", "kind",
                              "PriorityClass", "metadata", "name", classes[i].name, "value", classes[i].value,
                              "description", classes[i].description));
  rc |= set_endpoints(srv, host, port);
  rc |= set_endpointslice(srv, host, port);
  return rc ? -1 : 0;
}
