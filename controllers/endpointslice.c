/* endpointslice.c - the EndpointSlice controller (1.20): for every Service
 * with a selector, discovery.k8s.io EndpointSlices (stored as v1, served as
 * v1 and v1beta1) named <service>-<random>, labelled
 * kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by,
 * owned by the Service, one group of slices per distinct set of ports, at
 * most 100 endpoints each. An endpoint is kept in the slice it is in while
 * it lasts (little churn), new ones fill slices with room before a new slice
 * is made, and a Service with no endpoints keeps one empty placeholder
 * slice. conditions.ready is readiness (always true with
 * publishNotReadyAddresses; false while the pod terminates). */
#include "controllers.h"
#include "pod_util.h"
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define MAX_ENDPOINTS_PER_SLICE 100
#define MANAGED_BY "endpointslice-controller.k8s.io"

static ctrl *c;

static void on_slice(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  const char *svc = obj_label(obj->obj, "kubernetes.io/service-name");
  const char *by = obj_label(obj->obj, "endpointslice.kubernetes.io/managed-by");
  if (!svc || !by || strcmp(by, MANAGED_BY) || type == EV_ADDED) return;
  char key[512];
  snprintf(key, sizeof key, "%s/%s", obj_ns(obj->obj), svc);
  ctrl_add(c, key);
}

typedef struct {
  json_t *ep;       /* the desired endpoint */
  char *port_key;   /* its group */
  json_t *ports;
  const char *uid;  /* its pod */
  bool placed;
} desired_ep;

typedef struct {
  desired_ep *v;
  size_t n;
} desired_set;

static json_t *endpoint_of(const json_t *pod, const json_t *svc) {
  const json_t *spec = json_object_get(pod, "spec");
  bool ready = json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses")) ||
               (pod_ready(pod) && !obj_deleting(pod));
  json_t *ep = json_pack("{s:[s],s:{s:b}}", "addresses",
                         json_string_value(json_object_get(json_object_get(pod, "status"), "podIP")), "conditions",
                         "ready", ready);
  if (pod_sets_hostname(pod, svc)) json_object_set(ep, "hostname", json_object_get(spec, "hostname"));
  json_object_set_new(ep, "targetRef",
                      json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace", obj_ns(pod), "name",
                                obj_name(pod), "uid", obj_uid(pod), "resourceVersion",
                                json_string_value(json_object_get(json_object_get(pod, "metadata"),
                                                                  "resourceVersion"))));
  const char *node = json_string_value(json_object_get(spec, "nodeName"));
  if (node && *node) {
    json_t *topo = json_pack("{s:s}", "kubernetes.io/hostname", node);
    cobj *n = ctrl_get(cctx, "", "v1", "nodes", "", node);
    static const char *const keys[] = {"topology.kubernetes.io/zone", "topology.kubernetes.io/region", NULL};
    for (int i = 0; n && keys[i]; i++) {
      const char *v = obj_label(n->obj, keys[i]);
      if (v && *v) json_object_set_new(topo, keys[i], json_string(v));
    }
    cobj_unref(n);
    json_object_set_new(ep, "deprecatedTopology", topo);
  }
  return ep;
}

static json_t *slice_ports(const json_t *pod, const json_t *svc, char **key) {
  json_t *ports = json_array();
  size_t i;
  json_t *sp;
  const json_t *spec = json_object_get(svc, "spec");
  json_array_foreach(json_object_get(spec, "ports"), i, sp) {
    long port = pod_find_port(pod, sp);
    if (port < 0) continue;
    const char *name = json_string_value(json_object_get(sp, "name"));
    json_t *p = json_pack("{s:s,s:i,s:O}", "name", name ? name : "", "port", (json_int_t)port, "protocol",
                          json_object_get(sp, "protocol"));
    if (json_object_get(sp, "appProtocol")) json_object_set(p, "appProtocol", json_object_get(sp, "appProtocol"));
    json_array_append_new(ports, p);
  }
  *key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
  return ports;
}

static int cmp_desired(const void *a, const void *b) {
  const desired_ep *x = a, *y = b;
  int r = strcmp(x->port_key, y->port_key);
  if (r) return r;
  const char *ix = json_string_value(json_array_get(json_object_get(x->ep, "addresses"), 0));
  const char *iy = json_string_value(json_array_get(json_object_get(y->ep, "addresses"), 0));
  return strcmp(ix ? ix : "", iy ? iy : "");
}

static desired_set desired_endpoints(const json_t *svc) {
  desired_set d = {0};
  const json_t *spec = json_object_get(svc, "spec");
  bool tolerate = json_is_true(json_object_get(spec, "publishNotReadyAddresses"));
  cobj_vec pods = {0};
  service_pods(cctx, svc, &pods);
  d.v = calloc(pods.n + 1, sizeof *d.v);
  for (size_t i = 0; i < pods.n; i++) {
    const json_t *pod = pods.items[i]->obj;
    if (!pod_in_endpoints(pod, tolerate)) continue;
    desired_ep *e = &d.v[d.n++];
    e->ports = slice_ports(pod, svc, &e->port_key);
    e->ep = endpoint_of(pod, svc);
    e->uid = json_string_value(json_object_get(json_object_get(e->ep, "targetRef"), "uid"));
  }
  qsort(d.v, d.n, sizeof *d.v, cmp_desired);
  cobj_vec_clear(&pods);
  return d;
}

static void desired_free(desired_set *d) {
  for (size_t i = 0; i < d->n; i++) {
    json_decref(d->v[i].ep);
    json_decref(d->v[i].ports);
    free(d->v[i].port_key);
  }
  free(d->v);
}

static json_t *slice_labels(const json_t *svc) {
  json_t *l = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(json_object_get(svc, "metadata"), "labels"), k, v) {
    if (strcmp(k, "kubernetes.io/service-name") && strcmp(k, "endpointslice.kubernetes.io/managed-by"))
      json_object_set(l, k, v);
  }
  const char *cip = json_string_value(json_object_get(json_object_get(svc, "spec"), "clusterIP"));
  if (!cip || !*cip || !strcmp(cip, "None")) json_object_set_new(l, "service.kubernetes.io/headless", json_string(""));
  json_object_set_new(l, "kubernetes.io/service-name", json_string(obj_name(svc)));
  json_object_set_new(l, "endpointslice.kubernetes.io/managed-by", json_string(MANAGED_BY));
  return l;
}

/* Writes slice (a copy of a stored one, or a new one when stored is NULL)
 * with endpoints and ports if anything differs. Steals eps and ports. */
static int write_slice(const json_t *svc, const cobj *stored, json_t *ports, json_t *eps) {
  json_t *labels = slice_labels(svc);
  const char *ns = obj_ns(svc);
  if (stored && json_equal(json_object_get(stored->obj, "endpoints"), eps) &&
      json_equal(json_object_get(stored->obj, "ports"), ports) &&
      json_equal(json_object_get(json_object_get(stored->obj, "metadata"), "labels"), labels)) {
    json_decref(labels);
    json_decref(eps);
    json_decref(ports);
    return 200;
  }
  json_t *s;
  if (stored) {
    s = json_deep_copy(stored->obj);
  } else {
    char gen[256];
    snprintf(gen, sizeof gen, "%.57s-", obj_name(svc));
    s = json_pack("{s:s,s:s,s:{s:s,s:s,s:[o]},s:s}", "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice",
                  "metadata", "generateName", gen, "namespace", ns, "ownerReferences", controller_ref(svc),
                  "addressType", "IPv4");
  }
  json_object_set_new(json_object_get(s, "metadata"), "labels", labels);
  json_object_set_new(s, "endpoints", eps);
  json_object_set_new(s, "ports", ports);
  return stored ? ctrl_update(cctx, "discovery.k8s.io", "v1", "endpointslices", ns, NULL, s)
                : ctrl_create(cctx, "discovery.k8s.io", "v1", "endpointslices", ns, s);
}

static const char *ep_uid(const json_t *ep) {
  return json_string_value(json_object_get(json_object_get(ep, "targetRef"), "uid"));
}

/* Reconciles the slices of one port set: group = desired[from, to). */
static bool reconcile_group(const json_t *svc, desired_set *d, size_t from, size_t to, cobj **slices, size_t nslices,
                            size_t *kept) {
  bool ok = true;
  const char *key = d->v[from].port_key;
  json_t **eps = calloc(nslices + 1, sizeof *eps);
  for (size_t s = 0; s < nslices; s++) {
    char *pk = json_dumps(json_object_get(slices[s]->obj, "ports"), JSON_COMPACT | JSON_SORT_KEYS);
    bool mine = pk && !strcmp(pk, key);
    free(pk);
    if (!mine) continue;
    eps[s] = json_array();
    size_t i;
    json_t *ep;
    json_array_foreach(json_object_get(slices[s]->obj, "endpoints"), i, ep) {
      for (size_t k = from; k < to; k++)
        if (!d->v[k].placed && d->v[k].uid && ep_uid(ep) && !strcmp(d->v[k].uid, ep_uid(ep))) {
          d->v[k].placed = true;
          json_array_append(eps[s], d->v[k].ep);
          break;
        }
    }
  }
  size_t next = from;
  for (size_t s = 0; s < nslices; s++) {
    if (!eps[s]) continue;
    while (next < to && json_array_size(eps[s]) < MAX_ENDPOINTS_PER_SLICE) {
      if (!d->v[next].placed) d->v[next].placed = true, json_array_append(eps[s], d->v[next].ep);
      next++;
    }
    if (!json_array_size(eps[s])) {
      json_decref(eps[s]);
      continue; /* left for deletion */
    }
    ok &= write_slice(svc, slices[s], json_incref(d->v[from].ports), eps[s]) < 300;
    kept[s] = 1;
  }
  for (;;) {
    json_t *fresh = json_array();
    for (; next < to && json_array_size(fresh) < MAX_ENDPOINTS_PER_SLICE; next++)
      if (!d->v[next].placed) d->v[next].placed = true, json_array_append(fresh, d->v[next].ep);
    if (!json_array_size(fresh)) {
      json_decref(fresh);
      break;
    }
    ok &= write_slice(svc, NULL, json_incref(d->v[from].ports), fresh) < 300;
  }
  free(eps);
  return ok;
}

static ctrl_result sync_service(void *ctx, const char *key) {
  char ns[256], name[256];
  if (!ctrl_split_key(key, ns, name)) return ctrl_done();
  cobj *svc = ctrl_get(cctx, "", "v1", "services", ns, name);
  /* gone: the garbage collector removes the slices it owned */
  if (!svc || !json_object_get(json_object_get(svc->obj, "spec"), "selector") || obj_deleting(svc->obj)) {
    cobj_unref(svc);
    return ctrl_done();
  }
  cobj_vec all = {0}, mine = {0};
  ctrl_list(cctx, "discovery.k8s.io", "v1", "endpointslices", ns, &all);
  for (size_t i = 0; i < all.n; i++) {
    const char *sn = obj_label(all.items[i]->obj, "kubernetes.io/service-name");
    const char *by = obj_label(all.items[i]->obj, "endpointslice.kubernetes.io/managed-by");
    if (sn && by && !strcmp(sn, name) && !strcmp(by, MANAGED_BY)) cobj_vec_push(&mine, cobj_ref(all.items[i]));
  }
  cobj_vec_clear(&all);
  size_t *kept = calloc(mine.n + 1, sizeof *kept);
  bool ok = true, created_any = false;
  const char *uid = obj_uid(svc->obj);
  /* slices of an older Service of the same name go */
  cobj **owned = calloc(mine.n + 1, sizeof *owned);
  size_t nowned = 0;
  for (size_t i = 0; i < mine.n; i++) {
    const char *cu = controller_uid(mine.items[i]->obj);
    if (cu && uid && !strcmp(cu, uid)) owned[nowned++] = mine.items[i];
  }
  desired_set d = desired_endpoints(svc->obj);
  size_t *owned_kept = calloc(nowned + 1, sizeof *owned_kept);
  for (size_t from = 0; from < d.n;) {
    size_t to = from;
    while (to < d.n && !strcmp(d.v[to].port_key, d.v[from].port_key)) to++;
    ok &= reconcile_group(svc->obj, &d, from, to, owned, nowned, owned_kept);
    created_any = true;
    from = to;
  }
  bool any_kept = false;
  for (size_t s = 0; s < nowned; s++) any_kept |= owned_kept[s];
  if (!created_any && !any_kept) {
    /* the placeholder: one slice without ports or endpoints */
    if (nowned) {
      ok &= write_slice(svc->obj, owned[0], json_array(), json_array()) < 300;
      owned_kept[0] = 1;
    } else {
      ok &= write_slice(svc->obj, NULL, json_array(), json_array()) < 300;
    }
  }
  for (size_t i = 0; i < mine.n; i++) {
    bool keep = false;
    for (size_t s = 0; s < nowned; s++)
      if (owned[s] == mine.items[i] && owned_kept[s]) keep = true;
    if (!keep) {
      int code = ctrl_delete(cctx, "discovery.k8s.io", "v1", "endpointslices", ns, obj_name(mine.items[i]->obj), NULL);
      ok &= code < 300 || code == 404;
    }
  }
  desired_free(&d);
  free(owned_kept);
  free(owned);
  free(kept);
  cobj_vec_clear(&mine);
  cobj_unref(svc);
  return ok ? ctrl_done() : ctrl_retry();
}

void endpointslice_controller_start(const ctrl_context *cc) {
  cctx = cc;
  c = ctrl_start(cctx, "endpointslice-controller", sync_service, NULL);
  ctrl_follow(c, "", "v1", "services", ctrl_enqueue_self);
  ctrl_follow(c, "", "v1", "pods", enqueue_services_of_pod);
  ctrl_follow(c, "discovery.k8s.io", "v1", "endpointslices", on_slice);
}

void endpointslice_controller_stop(void) {
  ctrl_stop(c);
  c = NULL;
}
