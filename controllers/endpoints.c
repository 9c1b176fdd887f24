/* endpoints.c - the Endpoints controller (kube-controller-manager's
 * "endpoint" controller, 1.20): for every Service with a selector, an
 * Endpoints object of the same name listing the selected pods - ready ones
 * in addresses, the others in notReadyAddresses (all ready with
 * publishNotReadyAddresses) - grouped into subsets by the ports they serve
 * (named targetPorts resolved per pod). Labels follow the Service (plus
 * service.kubernetes.io/headless); the Endpoints go with their Service.
 * Services without a selector are left alone (their Endpoints are the
 * user's, like the "kubernetes" Service's, kept by bootstrap.c). */
#include "controllers.h"
#include "events.h"
#include "pod_util.h"
#include "timestamp.h"
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

static ctrl *c;

static void on_endpoints(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) ctrl_add(c, informer_key(obj));
}

/* One address with the ports the pod serves; grouped later by ports. */
typedef struct {
  json_t *addr;
  json_t *ports; /* array */
  char *port_key;
  const char *ip, *uid;
  bool ready;
} pod_addr;

static int cmp_addr(const void *a, const void *b) {
  const pod_addr *x = a, *y = b;
  int c1 = strcmp(x->port_key, y->port_key);
  if (c1) return c1;
  int c2 = strcmp(x->ip, y->ip);
  return c2 ? c2 : strcmp(x->uid ? x->uid : "", y->uid ? y->uid : "");
}

static json_t *address_of(const json_t *pod, const json_t *svc) {
  const json_t *spec = json_object_get(pod, "spec");
  json_t *a = json_pack("{s:s}", "ip", json_string_value(json_object_get(json_object_get(pod, "status"), "podIP")));
  if (pod_sets_hostname(pod, svc)) json_object_set(a, "hostname", json_object_get(spec, "hostname"));
  const char *node = json_string_value(json_object_get(spec, "nodeName"));
  if (node && *node) json_object_set_new(a, "nodeName", json_string(node));
  json_object_set_new(a, "targetRef",
                      json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace", obj_ns(pod), "name",
                                obj_name(pod), "uid", obj_uid(pod), "resourceVersion",
                                json_string_value(json_object_get(json_object_get(pod, "metadata"),
                                                                  "resourceVersion"))));
  return a;
}

/* The EndpointPorts of svc that pod serves, and a key naming that set. */
static json_t *ports_of(const json_t *pod, const json_t *svc, char **key) {
  json_t *ports = json_array();
  size_t i, len = 1;
  json_t *sp;
  char *k = calloc(1, 1);
  json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, sp) {
    long port = pod_find_port(pod, sp);
    if (port < 0) continue;
    json_t *ep = json_object();
    const char *name = json_string_value(json_object_get(sp, "name"));
    if (name && *name) json_object_set_new(ep, "name", json_string(name));
    json_object_set_new(ep, "port", json_integer(port));
    json_object_set(ep, "protocol", json_object_get(sp, "protocol"));
    if (json_object_get(sp, "appProtocol")) json_object_set(ep, "appProtocol", json_object_get(sp, "appProtocol"));
    char *s = json_dumps(ep, JSON_COMPACT | JSON_SORT_KEYS);
    len += strlen(s) + 1;
    k = realloc(k, len);
    strcat(k, s);
    strcat(k, ";");
    free(s);
    json_array_append_new(ports, ep);
  }
  *key = k;
  return ports;
}

static bool tolerate_unready(const json_t *svc) {
  const char *a = obj_annotation(svc, "service.alpha.kubernetes.io/tolerate-unready-endpoints");
  if (a && (!strcmp(a, "true") || !strcmp(a, "1") || !strcmp(a, "True") || !strcmp(a, "t") || !strcmp(a, "T") ||
            !strcmp(a, "TRUE")))
    return true;
  if (a && (!strcmp(a, "false") || !strcmp(a, "0") || !strcmp(a, "False") || !strcmp(a, "f") || !strcmp(a, "F") ||
            !strcmp(a, "FALSE")))
    return false;
  return json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses"));
}

/* The subsets for svc in Kubernetes' packed form (RepackSubsets). *trigger
 * gets the latest readiness change or service creation time. */
static json_t *compute_subsets(const json_t *svc, long long *trigger) {
  const json_t *spec = json_object_get(svc, "spec");
  const char *cip = json_string_value(json_object_get(spec, "clusterIP"));
  bool tolerate = tolerate_unready(svc);
  bool no_ports = json_array_size(json_object_get(spec, "ports")) == 0;
  if (no_ports && !(cip && !strcmp(cip, "None"))) return json_array();
  cobj_vec pods = {0};
  service_pods(cctx, svc, &pods);
  pod_addr *addrs = calloc(pods.n + 1, sizeof *addrs);
  size_t n = 0;
  *trigger = rfc3339_seconds(json_string_value(json_object_get(json_object_get(svc, "metadata"), "creationTimestamp")));
  for (size_t i = 0; i < pods.n; i++) {
    const json_t *pod = pods.items[i]->obj;
    if (!pod_in_endpoints(pod, true) || (!tolerate && obj_deleting(pod))) continue;
    pod_addr *pa = &addrs[n];
    pa->ports = ports_of(pod, svc, &pa->port_key);
    if (!no_ports && !json_array_size(pa->ports)) {
      json_decref(pa->ports);
      free(pa->port_key);
      continue;
    }
    pa->addr = address_of(pod, svc);
    pa->ip = json_string_value(json_object_get(pa->addr, "ip"));
    pa->uid = obj_uid(pod);
    pa->ready = tolerate || pod_ready(pod);
    size_t k;
    json_t *cond;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), k, cond) {
      const char *type = json_string_value(json_object_get(cond, "type"));
      long long t = rfc3339_seconds(json_string_value(json_object_get(cond, "lastTransitionTime")));
      if (type && !strcmp(type, "Ready") && t > *trigger) *trigger = t;
    }
    n++;
  }
  qsort(addrs, n, sizeof *addrs, cmp_addr);
  json_t *subsets = json_array();
  for (size_t i = 0; i < n;) {
    json_t *ready = json_array(), *not_ready = json_array(), *subset = json_object();
    size_t j = i;
    for (; j < n && !strcmp(addrs[j].port_key, addrs[i].port_key); j++)
      json_array_append(addrs[j].ready ? ready : not_ready, addrs[j].addr);
    if (json_array_size(ready)) json_object_set(subset, "addresses", ready);
    if (json_array_size(not_ready)) json_object_set(subset, "notReadyAddresses", not_ready);
    if (json_array_size(addrs[i].ports)) json_object_set(subset, "ports", addrs[i].ports);
    json_decref(ready);
    json_decref(not_ready);
    json_array_append_new(subsets, subset);
    i = j;
  }
  for (size_t i = 0; i < n; i++) {
    json_decref(addrs[i].addr);
    json_decref(addrs[i].ports);
    free(addrs[i].port_key);
  }
  free(addrs);
  cobj_vec_clear(&pods);
  return subsets;
}

static bool is_headless(const json_t *svc) {
  const char *cip = json_string_value(json_object_get(json_object_get(svc, "spec"), "clusterIP"));
  return !cip || !*cip || !strcmp(cip, "None");
}

static ctrl_result sync_service(void *ctx, const char *key) {
  char ns[256], name[256];
  if (!ctrl_split_key(key, ns, name)) return ctrl_done();
  cobj *svc = ctrl_get(cctx, "", "v1", "services", ns, name);
  if (!svc) {
    int code = ctrl_delete(cctx, "", "v1", "endpoints", ns, name, NULL);
    return code >= 300 && code != 404 ? ctrl_retry() : ctrl_done();
  }
  if (!json_object_get(json_object_get(svc->obj, "spec"), "selector")) {
    cobj_unref(svc);
    return ctrl_done();
  }
  long long trigger = -1;
  json_t *subsets = compute_subsets(svc->obj, &trigger);
  json_t *labels = json_deep_copy(json_object_get(json_object_get(svc->obj, "metadata"), "labels"));
  if (!labels) labels = json_object();
  cobj *cur = ctrl_get(cctx, "", "v1", "endpoints", ns, name);
  json_t *cur_labels = cur ? json_deep_copy(json_object_get(json_object_get(cur->obj, "metadata"), "labels")) : NULL;
  if (cur_labels) json_object_del(cur_labels, "service.kubernetes.io/headless");
  const json_t *cur_subsets = cur ? json_object_get(cur->obj, "subsets") : NULL;
  bool same_subsets = cur && (json_equal(cur_subsets, subsets) || (!cur_subsets && !json_array_size(subsets)));
  bool same_labels = cur && (json_equal(cur_labels, labels) || (!cur_labels && !json_object_size(labels)));
  json_decref(cur_labels);
  ctrl_result rc = ctrl_done();
  if (!same_subsets || !same_labels) {
    json_t *ep = cur ? json_deep_copy(cur->obj)
                     : json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Endpoints", "metadata",
                                 "name", name, "namespace", ns);
    json_t *md = json_object_get(ep, "metadata");
    if (is_headless(svc->obj)) json_object_set_new(labels, "service.kubernetes.io/headless", json_string(""));
    if (json_object_size(labels)) json_object_set(md, "labels", labels);
    else json_object_del(md, "labels");
    json_t *ann = json_object_get(md, "annotations");
    if (!json_is_object(ann)) json_object_set_new(md, "annotations", ann = json_object());
    if (trigger > 0) {
      char ts[40];
      rfc3339_format(trigger, ts, sizeof ts);
      json_object_set_new(ann, "endpoints.kubernetes.io/last-change-trigger-time", json_string(ts));
    } else {
      json_object_del(ann, "endpoints.kubernetes.io/last-change-trigger-time");
    }
    if (!json_object_size(ann)) json_object_del(md, "annotations");
    if (json_array_size(subsets)) json_object_set(ep, "subsets", subsets);
    else json_object_del(ep, "subsets");
    int code =
        cur ? ctrl_update(cctx, "", "v1", "endpoints", ns, NULL, ep) : ctrl_create(cctx, "", "v1", "endpoints", ns, ep);
    if (code >= 300) {
      if (code != 409) {
        bool create = !cur;
        json_t *evobj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Endpoints", "metadata",
                                  "name", name, "namespace", ns);
        if (create)
          event_record(cctx, evobj, "endpoint-controller", "Warning", "FailedToCreateEndpoint",
                       "Failed to create endpoint for service %s/%s: error %d", ns, name, code);
        else
          event_record(cctx, evobj, "endpoint-controller", "Warning", "FailedToUpdateEndpoint",
                       "Failed to update endpoint %s/%s: error %d", ns, name, code);
        json_decref(evobj);
      }
      rc = ctrl_retry();
    }
  }
  json_decref(labels);
  json_decref(subsets);
  cobj_unref(cur);
  cobj_unref(svc);
  return rc;
}

void endpoints_controller_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, "endpoint-controller", sync_service, NULL);
  ctrl_follow(c, "", "v1", "services", ctrl_enqueue_self);
  ctrl_follow(c, "", "v1", "pods", enqueue_services_of_pod);
  ctrl_follow(c, "", "v1", "endpoints", on_endpoints);
}

void endpoints_controller_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
