/* apiservice_availability.c - kube-aggregator's controllers, which
 * kube-apiserver runs itself: autoregister (an APIService for every
 * built-in group/version, no service, with kube-apiserver 1.20's group and
 * version priorities, created or reset once per start; the CRDs' served
 * versions too, as crdRegistrationController, kept for as long as they are
 * served) and
 * AvailableConditionController (status.conditions Available of every
 * APIService: Local for local ones; for a service reference the Service,
 * its port, its Endpoints and then a discovery GET to the server decide:
 * ServiceNotFound, ServicePortError, EndpointsNotFound, MissingEndpoints,
 * FailedDiscoveryCheck or Passed). Remote APIServices are checked again
 * every 10 s and whenever a Service or Endpoints changes. Keys are
 * APIService names. */
#include "aggregator_proxy.h"
#include "json_path.h"
#include "controllers.h"
#include "ctrl.h"
#include "registry.h"
#include "timestamp.h"
#include <stdio.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define AREG "apiregistration.k8s.io"
#define RECHECK_MS 10000
#define AUTOREGISTER_KEY "autoregister" /* the autoregister pass: no APIService name lacks a dot */

static ctrl *availability;

/* cmd/kube-apiserver/app/aggregator.go's apiVersionPriorities, and the
 * aggregator's own group. */
static const struct {
  const char *group, *version;
  int group_priority, version_priority;
} local_priorities[] = {
    {"", "v1", 18000, 1},
    {AREG, "v1", 18000, 15},
    {AREG, "v1beta1", 18000, 9},
    {"apps", "v1", 17800, 15},
    {"events.k8s.io", "v1", 17750, 15},
    {"events.k8s.io", "v1beta1", 17750, 5},
    {"authentication.k8s.io", "v1", 17700, 15},
    {"authentication.k8s.io", "v1beta1", 17700, 9},
    {"authorization.k8s.io", "v1", 17600, 15},
    {"authorization.k8s.io", "v1beta1", 17600, 9},
    {"autoscaling", "v1", 17500, 15},
    {"autoscaling", "v2beta1", 17500, 9},
    {"autoscaling", "v2beta2", 17500, 1},
    {"batch", "v1", 17400, 15},
    {"batch", "v1beta1", 17400, 9},
    {"batch", "v2alpha1", 17400, 9},
    {"certificates.k8s.io", "v1", 17300, 15},
    {"certificates.k8s.io", "v1beta1", 17300, 9},
    {"networking.k8s.io", "v1", 17200, 15},
    {"networking.k8s.io", "v1beta1", 17200, 9},
    {"extensions", "v1beta1", 17150, 1},
    {"policy", "v1beta1", 17100, 9},
    {"rbac.authorization.k8s.io", "v1", 17000, 15},
    {"rbac.authorization.k8s.io", "v1beta1", 17000, 12},
    {"rbac.authorization.k8s.io", "v1alpha1", 17000, 9},
    {"storage.k8s.io", "v1", 16800, 15},
    {"storage.k8s.io", "v1beta1", 16800, 9},
    {"storage.k8s.io", "v1alpha1", 16800, 1},
    {"apiextensions.k8s.io", "v1", 16700, 15},
    {"apiextensions.k8s.io", "v1beta1", 16700, 9},
    {"admissionregistration.k8s.io", "v1", 16700, 15},
    {"admissionregistration.k8s.io", "v1beta1", 16700, 12},
    {"scheduling.k8s.io", "v1", 16600, 15},
    {"scheduling.k8s.io", "v1beta1", 16600, 12},
    {"scheduling.k8s.io", "v1alpha1", 16600, 9},
    {"coordination.k8s.io", "v1", 16500, 15},
    {"coordination.k8s.io", "v1beta1", 16500, 9},
    {"node.k8s.io", "v1", 16300, 15},
    {"node.k8s.io", "v1alpha1", 16300, 1},
    {"node.k8s.io", "v1beta1", 16300, 9},
    {"discovery.k8s.io", "v1beta1", 16200, 12},
    {"discovery.k8s.io", "v1alpha1", 16200, 9},
    {"flowcontrol.apiserver.k8s.io", "v1beta1", 16100, 12},
    {"flowcontrol.apiserver.k8s.io", "v1alpha1", 16100, 9},
};

/* The local APIService of group/version: "<version>.<group>" ("v1." for the core group). */
static json_t *local_apiservice(const char *group, const char *version, int gp, int vp) {
  char name[300];
  snprintf(name, sizeof name, "%s.%s", version, group);
  return json_pack("{s:s,s:s,s:{s:s,s:{}},s:{s:s,s:s,s:i,s:i}}", "apiVersion", AREG "/v1", "kind", "APIService",
                   "metadata", "name", name, "labels", "spec", "group", group, "version", version, "groupPriorityMinimum", gp, "versionPriority", vp);
}

/* The local APIService of group/version as autoregister wants it: created
 * when missing, its spec put back when it differs (autoregister's "create"
 * and "update"). */
static void ensure_local(const char *g, const char *v, int gp, int vp, const char *managed) {
  json_t *want = local_apiservice(g, v, gp, vp);
  json_object_set_new(json_object_get(json_object_get(want, "metadata"), "labels"),
                      "kube-aggregator.kubernetes.io/automanaged", json_string(managed));
  cobj *have = ctrl_get(cctx, AREG, "v1", "apiservices", "", obj_name(want));
  if (!have) {
    ctrl_create(cctx, AREG, "v1", "apiservices", "", want);
    return;
  }
  if (json_equal(json_object_get(have->obj, "spec"), json_object_get(want, "spec"))) {
    json_decref(want);
  } else {
    json_t *fixed = json_deep_copy(have->obj);
    json_object_set(fixed, "spec", json_object_get(want, "spec"));
    json_decref(want);
    ctrl_update(cctx, AREG, "v1", "apiservices", "", NULL, fixed);
  }
  cobj_unref(have);
}

/* crdRegistrationController: the served versions of the CRDs (priority 1000,
 * version priority 100, automanaged "true"), and the ones whose CRD version
 * is no longer served removed. */
static void register_crds(void) {
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (r->ref.crd && registry_served(r)) ensure_local(r->ref.group, r->ref.version, 1000, 100, "true");
  }
  cobj_vec all = {0};
  ctrl_list(cctx, AREG, "v1", "apiservices", "", &all);
  for (size_t i = 0; i < all.n; i++) {
    const json_t *o = all.items[i]->obj, *spec = json_object_get(o, "spec");
    const char *managed = json_str0(json_object_get(json_object_get(o, "metadata"), "labels"),
                              "kube-aggregator.kubernetes.io/automanaged");
    if (!strcmp(managed, "true") && !registry_has_group_version(json_str0(spec, "group"), json_str0(spec, "version")))
      ctrl_delete(cctx, AREG, "v1", "apiservices", "", obj_name(o), NULL);
  }
  cobj_vec_clear(&all);
}

/* autoregister: the built-in group/versions this server serves, and the CRDs'. */
static void register_local(void) {
  /* the built-in ones are synced once per start ("onstart"): deleted later, they stay deleted until a restart */
  static bool built_in_done; /* only the controller's one worker calls in here */
  for (size_t i = 0; !built_in_done && i < sizeof local_priorities / sizeof *local_priorities; i++) {
    const char *g = local_priorities[i].group, *v = local_priorities[i].version;
    if (registry_has_group_version(g, v))
      ensure_local(g, v, local_priorities[i].group_priority, local_priorities[i].version_priority, "onstart");
  }
  built_in_done = true;
  register_crds();
}

/* The Available condition an APIService has now: status, reason, message. */
static void assess(const json_t *as, const char **status, const char **reason, char *msg, size_t len) {
  const json_t *svc = json_object_get(json_object_get(as, "spec"), "service");
  *status = "False";
  if (!json_is_object(svc)) {
    *status = "True";
    *reason = "Local";
    snprintf(msg, len, "Local APIServices are always available");
    return;
  }
  const char *ns = json_str0(svc, "namespace"), *name = json_str0(svc, "name");
  json_t *pj = json_object_get(svc, "port");
  long long port = json_is_integer(pj) ? json_integer_value(pj) : 443;
  cobj *s = ctrl_get(cctx, "", "v1", "services", ns, name);
  if (!s) {
    *reason = "ServiceNotFound";
    snprintf(msg, len, "service/%s in \"%s\" is not present", name, ns);
    return;
  }
  const char *port_name = NULL;
  bool found = false;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(json_object_get(s->obj, "spec"), "ports"), i, p) {
    if (json_integer_value(json_object_get(p, "port")) == port) {
      port_name = json_str0(p, "name");
      found = true;
    }
  }
  cobj_unref(s);
  if (!found) {
    *reason = "ServicePortError";
    snprintf(msg, len, "service/%s in \"%s\" is not listening on port %lld", name, ns, port);
    return;
  }
  cobj *ep = ctrl_get(cctx, "", "v1", "endpoints", ns, name);
  if (!ep) {
    *reason = "EndpointsNotFound";
    snprintf(msg, len, "cannot find endpoints for service/%s in \"%s\"", name, ns);
    return;
  }
  bool ready = false;
  json_t *ss;
  json_array_foreach(json_object_get(ep->obj, "subsets"), i, ss) {
    size_t k;
    json_t *ept;
    json_array_foreach(json_object_get(ss, "ports"), k, ept) {
      if (!strcmp(json_str0(ept, "name"), port_name) && json_array_size(json_object_get(ss, "addresses"))) ready = true;
    }
  }
  cobj_unref(ep);
  if (!ready) {
    *reason = "MissingEndpoints";
    snprintf(msg, len, "endpoints for service/%s in \"%s\" have no addresses with port name \"%s\"", name, ns,
             port_name);
    return;
  }
  if (aggregator_check(cctx->srv->cache, as, msg, len) != 0) {
    *reason = "FailedDiscoveryCheck";
    return;
  }
  *status = "True";
  *reason = "Passed";
  snprintf(msg, len, "all checks passed");
}

/* Sets the Available condition of obj (a copy); true when it changed. */
static bool set_condition(json_t *obj, const char *status, const char *reason, const char *msg) {
  json_t *st = json_object_get(obj, "status");
  if (!json_is_object(st)) json_object_set_new(obj, "status", st = json_object());
  json_t *conds = json_object_get(st, "conditions");
  if (!json_is_array(conds)) json_object_set_new(st, "conditions", conds = json_array());
  json_t *cur = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) if (!strcmp(json_str0(c, "type"), "Available")) cur = c;
  if (cur && !strcmp(json_str0(cur, "status"), status) && !strcmp(json_str0(cur, "reason"), reason) &&
      !strcmp(json_str0(cur, "message"), msg))
    return false;
  char since[40];
  if (cur && !strcmp(json_str0(cur, "status"), status)) snprintf(since, sizeof since, "%s", json_str0(cur, "lastTransitionTime"));
  else rfc3339_now(since, sizeof since);
  for (size_t k = json_array_size(conds); k-- > 0;)
    if (!strcmp(json_str0(json_array_get(conds, k), "type"), "Available")) json_array_remove(conds, k);
  json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "Available", "status", status,
                                         "lastTransitionTime", since, "reason", reason, "message", msg));
  return true;
}

static ctrl_result sync_apiservice(void *ctx, const char *name) {
  (void)ctx;
  if (!strncmp(name, AUTOREGISTER_KEY, strlen(AUTOREGISTER_KEY))) {
    register_local();
    return ctrl_done();
  }
  cobj *as = ctrl_get(cctx, AREG, "v1", "apiservices", "", name);
  if (!as) {
    register_crds(); /* a deleted CRD APIService comes back */
    return ctrl_done();
  }
  const char *status, *reason;
  char msg[1500];
  assess(as->obj, &status, &reason, msg, sizeof msg);
  bool remote = json_is_object(json_object_get(json_object_get(as->obj, "spec"), "service"));
  json_t *next = json_deep_copy(as->obj);
  cobj_unref(as);
  int code = 200;
  if (set_condition(next, status, reason, msg)) code = ctrl_update(cctx, AREG, "v1", "apiservices", "", "status", next);
  else json_decref(next);
  if (code >= 300 && code != 404) return ctrl_retry();
  return remote ? ctrl_requeue_after(RECHECK_MS) : ctrl_done();
}

/* A Service or Endpoints changed: the APIServices that reference it. */
static void on_backend(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  (void)type, (void)prev;
  cobj_vec all = {0};
  ctrl_list(cctx, AREG, "v1", "apiservices", "", &all);
  for (size_t i = 0; i < all.n; i++) {
    const json_t *svc = json_object_get(json_object_get(all.items[i]->obj, "spec"), "service");
    if (svc && !strcmp(json_str0(svc, "namespace"), obj_ns(obj->obj)) && !strcmp(json_str0(svc, "name"), obj_name(obj->obj)))
      ctrl_add(ctx, obj_name(all.items[i]->obj));
  }
  cobj_vec_clear(&all);
}

/* A CRD changed (served versions, established, gone): the autoregister pass. */
static void on_crd(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  (void)type, (void)obj, (void)prev;
  ctrl_add(ctx, AUTOREGISTER_KEY);
  ctrl_add_after(ctx, AUTOREGISTER_KEY "-again", 1000); /* after the CRD controller (re)registered its versions */
}

void apiservice_availability_start(const ctrl_context *cc) {
  cctx = cc;
  availability = ctrl_start(cctx, "apiservice-availability", sync_apiservice, NULL);
  ctrl_add(availability, AUTOREGISTER_KEY); /* on the worker: the start of the other controllers does not wait */
  ctrl_follow(availability, AREG, "v1", "apiservices", ctrl_enqueue_self);
  ctrl_follow(availability, "", "v1", "services", on_backend);
  ctrl_follow(availability, "", "v1", "endpoints", on_backend);
  ctrl_follow(availability, "apiextensions.k8s.io", "v1", "customresourcedefinitions", on_crd);
}

void apiservice_availability_stop(void) {
  ctrl_stop(availability);
  availability = NULL;
}
