/* ingress_controller.c - the control side of the Ingress proxy, as
 * ingress-nginx's controller is to its nginx: it follows Ingresses,
 * IngressClasses, Services, EndpointSlices and Secrets through the
 * in-process informers, and for any change compiles a new route table
 * from the stored objects and swaps it in (one key, "table", so a burst of
 * changes costs one compile). It also installs the default IngressClass
 * "ckube" (controller ckube.io/ingress-controller, is-default-class) when
 * no class of ours exists at start, records Warning Events for what is
 * wrong with an Ingress (once per distinct problem), and writes the
 * proxy's address into status.loadBalancer.ingress of each Ingress it
 * serves, as ingress-nginx's status sync does. Runs on every server, not
 * under leader election: each server's data plane needs its own table. */
#include "json_const.h"
#include "ingress.h"
#include "access_log.h"
#include "ctrl.h"
#include "events.h"
#include "ingress_metrics.h"
#include "ingress_tls.h"
#include "log.h"
#include "proxy.h"
#include "route_compile.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define COMPONENT "ckube-ingress-controller"
#define TABLE_KEY "table"

static ctrl *c;
static char address[64];  /* what status.loadBalancer.ingress[0].ip shows */
static json_t *warned;    /* "ns/name\nreason\nmessage" -> true, from the last compile */
static json_t *warned_now;

static void on_change(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) { ctrl_add(c, TABLE_KEY); }

static json_t *list(const char *group, const char *version, const char *plural) {
  cobj_vec v = {0};
  ctrl_list(cctx, group, version, plural, "", &v);
  json_t *arr = json_array();
  for (size_t i = 0; i < v.n; i++) json_array_append_new_const(arr, json_incref_const(v.items[i]->obj));
  cobj_vec_clear(&v);
  return arr;
}

static void on_warning(void *ctx, const json_t *ing, const char *reason, const char *message) {
  char key[1024];
  snprintf(key, sizeof key, "%s/%s\n%s\n%s", obj_ns(ing), obj_name(ing), reason, message);
  json_object_set_new(warned_now, key, json_true());
  if (!json_object_get(warned, key)) event_record(cctx, ing, COMPONENT, "Warning", reason, "%s", message);
}

static bool has_address(const json_t *ing) {
  const json_t *lb = json_object_get(json_object_get(json_object_get(ing, "status"), "loadBalancer"), "ingress");
  const char *ip = json_string_value(json_object_get(json_array_get(lb, 0), "ip"));
  return json_array_size(lb) == 1 && ip && !strcmp(ip, address);
}

/* status.loadBalancer.ingress: our address on served Ingresses, none on
 * Ingresses we stopped serving that still show it. */
static void sync_status(const json_t *ings, const json_t *classes) {
  size_t i;
  const json_t *ing;
  json_array_foreach(ings, i, ing) {
    bool served = route_ingress_served(ing, classes), shown = has_address(ing);
    if (served == shown) continue;
    json_t *copy = json_deep_copy(ing);
    json_t *lb = json_pack("{s:[]}", "ingress");
    if (served) json_array_append_new(json_object_get(lb, "ingress"), json_pack("{s:s}", "ip", address));
    json_t *status = json_object_get(copy, "status");
    if (!status) json_object_set_new(copy, "status", status = json_object());
    json_object_set_new(status, "loadBalancer", lb);
    ctrl_update(cctx, "networking.k8s.io", "v1", "ingresses", obj_ns(ing), "status", copy);
  }
}

static ctrl_result sync_table(void *ctx, const char *key) {
  json_t *ings = list("networking.k8s.io", "v1", "ingresses");
  json_t *classes = list("networking.k8s.io", "v1", "ingressclasses");
  route_inputs in = {ings, classes, list("", "v1", "services"), list("discovery.k8s.io", "v1", "endpointslices"),
                     list("", "v1", "secrets")};
  warned_now = json_object();
  route_table *t = route_compile(&in, on_warning, NULL);
  json_decref(warned);
  warned = warned_now;
  warned_now = NULL;
  route_swap(t);
  sync_status(ings, classes);
  json_decref(in.ingresses), json_decref(in.classes), json_decref(in.services), json_decref(in.slices);
  json_decref(in.secrets);
  return ctrl_done();
}

static void install_default_class(void) {
  json_t *classes = list("networking.k8s.io", "v1", "ingressclasses");
  size_t i;
  const json_t *cl;
  bool ours = false;
  json_array_foreach(classes, i, cl) {
    const char *ctl = json_string_value(json_object_get(json_object_get(cl, "spec"), "controller"));
    ours |= ctl && !strcmp(ctl, ROUTE_CONTROLLER_NAME);
  }
  json_decref(classes);
  if (ours) return;
  json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "networking.k8s.io/v1", "kind",
                          "IngressClass", "metadata", "name", ROUTE_DEFAULT_CLASS, "annotations",
                          "ingressclass.kubernetes.io/is-default-class", "true", "spec", "controller",
                          ROUTE_CONTROLLER_NAME);
  ctrl_create(cctx, "networking.k8s.io", "v1", "ingressclasses", "", obj);
}

/* The address Ingress statuses show: the listener's IP, loopback for a wildcard. */
static void set_address(const char *addr) {
  struct sockaddr_storage ss;
  socklen_t len;
  snprintf(address, sizeof address, "127.0.0.1");
  if (!addr || proxy_split_addr(addr, &ss, &len) < 0) return;
  if (ss.ss_family == AF_INET) {
    struct in_addr a = ((struct sockaddr_in *)&ss)->sin_addr;
    if (a.s_addr != htonl(INADDR_ANY)) inet_ntop(AF_INET, &a, address, sizeof address);
  } else {
    struct in6_addr a = ((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (!IN6_IS_ADDR_UNSPECIFIED(&a)) inet_ntop(AF_INET6, &a, address, sizeof address);
  }
}

int ingress_start(const ingress_config *cfg, char *err, size_t errlen) {
  if (!cfg->http_addr && !cfg->https_addr) return 0;
  cctx = cfg->cc;
  set_address(cfg->http_addr ? cfg->http_addr : cfg->https_addr);
  route_swap(route_empty());
  const char *workers = getenv("CKUBE_INGRESS_WORKERS"); /* benchmarks: default one per core */
  proxy_config pc = {cfg->http_addr, cfg->https_addr, workers ? atoi(workers) : 0, cfg->nice, cfg->api_activity};
  if (access_log_open(cfg->access_log, err, errlen) != 0) return -1;
  if (proxy_start(&pc, err, errlen) != 0) {
    access_log_close();
    return -1;
  }
  install_default_class();
  c = ctrl_start(cctx, "ingress", sync_table, NULL);
  ctrl_follow(c, "networking.k8s.io", "v1", "ingresses", on_change);
  ctrl_follow(c, "networking.k8s.io", "v1", "ingressclasses", on_change);
  ctrl_follow(c, "", "v1", "services", on_change);
  ctrl_follow(c, "discovery.k8s.io", "v1", "endpointslices", on_change);
  ctrl_follow(c, "", "v1", "secrets", on_change);
  ctrl_add(c, TABLE_KEY);
  return 0;
}

void ingress_stop(void) {
  if (!c) return;
  ctrl_stop(c);
  c = NULL;
  proxy_stop();
  access_log_close();
  route_swap(route_empty());
  ingress_tls_shutdown();
  ingress_metrics_shutdown();
  json_decref(warned);
  warned = NULL;
}
