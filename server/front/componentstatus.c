/* componentstatus.c - v1 ComponentStatus (get, list), computed on each
 * request as kube-apiserver 1.20 probes its components: "scheduler",
 * "controller-manager" and "etcd-0", each with one Healthy condition
 * (True + message "ok" / {"health":"true"}, or False + the reason in
 * message, as a failed probe reads). ckube answers for its own parts: the
 * scheduler and the controllers are healthy while this process runs them
 * or another holder keeps renewing their Lease in kube-system; "etcd-0"
 * is the store, healthy while its commits succeed. */
#include "componentstatus.h"
#include "status.h"
#include "timestamp.h"
#include <stdio.h>
#include <string.h>
#include <time.h>


static json_t *component(const char *name, bool healthy, const char *message) {
  return json_pack("{s:{s:s,s:n},s:[{s:s,s:s,s:s}]}", "metadata", "name", name, "creationTimestamp", "conditions",
                   "type", "Healthy", "status", healthy ? "True" : "False", "message", message);
}

/* Whether someone renewed the Lease kube-system/<lease> within its
 * duration; why not into why. */
static bool lease_fresh(cache *c, const char *lease, char *why, size_t len) {
  const resource *lr = registry_find("coordination.k8s.io", "v1", "leases");
  cobj *l = lr ? cache_get(c, lr->bucket, "kube-system", lease) : NULL;
  if (!l) {
    snprintf(why, len, "no %s is running: there is no Lease kube-system/%s", lease, lease);
    return false;
  }
  const json_t *spec = json_object_get(l->obj, "spec");
  const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
  const char *renew = json_string_value(json_object_get(spec, "renewTime"));
  long long duration = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
  time_t renewed;
  bool parsed = rfc3339_parse(renew, &renewed, NULL) == 0;
  long long age = parsed ? (long long)(time(NULL) - renewed) : -1;
  bool fresh = holder && *holder && parsed && age <= duration;
  if (!fresh)
    snprintf(why, len, "no %s is running: the Lease kube-system/%s was last renewed by %s at %s", lease, lease,
             holder && *holder ? holder : "nobody", renew ? renew : "no time");
  cobj_unref(l);
  return fresh;
}

/* Whether this process runs the scheduler / the controllers: set by the
 * composition root (main.c), since the API server cannot see controllers/. */
static bool (*running_here)(bool the_scheduler);

void componentstatus_set_local_probe(bool (*probe)(bool the_scheduler)) { running_here = probe; }

static json_t *leader_component(cache *c, const char *name, const char *lease, bool the_scheduler) {
  char why[600];
  bool ok = (running_here && running_here(the_scheduler)) || lease_fresh(c, lease, why, sizeof why);
  return component(name, ok, ok ? "ok" : why);
}

static json_t *store_component(cache *c) {
  char why[200], msg[260];
  bool ok = cache_store_healthy(c, why, sizeof why);
  snprintf(msg, sizeof msg, "store commit failed: %s", why);
  return component("etcd-0", ok, ok ? "{\"health\":\"true\"}" : msg);
}

/* All components, in the order kubectl shows them on a kubeadm cluster. */
static json_t *all_components(cache *c) {
  return json_pack("[o,o,o]", leader_component(c, "scheduler", "kube-scheduler", true),
                   leader_component(c, "controller-manager", "kube-controller-manager", false), store_component(c));
}

static void send_one(http_req *rq, json_t *all) {
  size_t i;
  json_t *c;
  json_array_foreach(all, i, c) {
    if (strcmp(json_string_value(json_object_get(json_object_get(c, "metadata"), "name")), rq->name)) continue;
    json_t *obj = json_pack("{s:s,s:s}", "kind", "ComponentStatus", "apiVersion", "v1");
    json_object_update(obj, c);
    api_result res = {200, obj, NULL};
    http_send_result(rq, &res);
    return;
  }
  /* kube-apiserver's REST returns a plain error here: a 500 without a reason */
  char msg[300];
  snprintf(msg, sizeof msg, "Component not found: %s", rq->name);
  json_t *st = status_failure(500, NULL, msg, NULL);
  http_send_status(rq, st);
}

static void send_list(http_req *rq, json_t *all) {
  char ls[2048], fs[2048];
  json_t *st = NULL;
  api_filter *f = api_filter_new(rq->res, http_query(rq, "labelSelector", ls, sizeof ls),
                                 http_query(rq, "fieldSelector", fs, sizeof fs), &st);
  if (!f) {
    http_send_status(rq, st);
    return;
  }
  json_t *items = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(all, i, c) if (api_filter_match(f, c)) json_array_append(items, c);
  api_filter_free(f);
  json_t *doc = rq->form == OUT_TABLE || rq->form == OUT_META
                    ? table_output_list(rq, items, NULL, NULL)
                    : json_pack("{s:s,s:s,s:{},s:O}", "kind", "ComponentStatusList", "apiVersion", "v1", "metadata",
                                "items", items);
  json_decref(items);
  http_send_json(rq, 200, doc);
  json_decref(doc);
}

bool componentstatus_get(http_req *rq) {
  const resource *r = rq->res;
  if (!r || r->ref.group[0] || strcmp(r->ref.plural, "componentstatuses") || rq->sub[0]) return false;
  json_array_append_new(rq->warnings, json_string("v1 ComponentStatus is deprecated in v1.19+"));
  if (rq->watch || http_query_bool(rq, "watch")) {
    http_send_status(rq, status_method_not_allowed(r, "watch"));
    return true;
  }
  json_t *all = all_components(rq->srv->cache);
  if (rq->name[0]) send_one(rq, all);
  else send_list(rq, all);
  json_decref(all);
  return true;
}
