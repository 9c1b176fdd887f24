/* root_ca_publisher.c - kube-controller-manager's RootCAConfigMap
 * controller (1.20's certificates/rootcacertpublisher, on by default):
 * every namespace holds a ConfigMap "kube-root-ca.crt" whose data is
 * {"ca.crt": the cluster CA in PEM}, created when the namespace appears,
 * re-created when deleted and put back when its data is changed. A
 * namespace gone or terminating is left alone. Keys are namespace names. */
#include "controllers.h"
#include "ctrl.h"
#include "sa_token.h"
#include <string.h>

static const ctrl_context *cctx; /* given at start, outlives the controller */

#define ROOT_CA_CONFIGMAP "kube-root-ca.crt"

static ctrl *publisher;

static void on_namespace(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_DELETED) return;
  const char *phase = json_string_value(json_object_get(json_object_get(obj->obj, "status"), "phase"));
  if (type == EV_MODIFIED && phase && strcmp(phase, "Active")) return; /* namespaceUpdated: Active ones only */
  ctrl_add(ctx, obj_name(obj->obj));
}

static void on_configmap(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  if (type == EV_ADDED || strcmp(obj_name(obj->obj), ROOT_CA_CONFIGMAP)) return;
  ctrl_add(ctx, obj_ns(obj->obj));
}

/* Whether cm's data is exactly {"ca.crt": ca}. */
static bool data_current(const json_t *cm, const char *ca) {
  const json_t *data = json_object_get(cm, "data");
  const char *have = json_string_value(json_object_get(data, "ca.crt"));
  return json_object_size(data) == 1 && have && !strcmp(have, ca);
}

static ctrl_result sync_namespace(void *ctx, const char *ns) {
  const char *ca = sa_token_ca_pem();
  cobj *cm = ctrl_get(cctx, "", "v1", "configmaps", ns, ROOT_CA_CONFIGMAP);
  if (!cm) {
    int code = ctrl_create(cctx, "", "v1", "configmaps", ns,
                           json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                                     "name", ROOT_CA_CONFIGMAP, "data", "ca.crt", ca));
    /* namespace gone (404) or terminating (403): nothing to retry */
    return code < 300 || code == 404 || code == 403 || code == 409 ? ctrl_done() : ctrl_retry();
  }
  ctrl_result again = ctrl_done();
  if (!data_current(cm->obj, ca)) {
    json_t *fixed = json_deep_copy(cm->obj);
    json_object_set_new(fixed, "data", json_pack("{s:s}", "ca.crt", ca));
    int code = ctrl_update(cctx, "", "v1", "configmaps", ns, NULL, fixed);
    again = code < 300 || code == 404 ? ctrl_done() : ctrl_retry();
  }
  cobj_unref(cm);
  return again;
}

void root_ca_publisher_start(const ctrl_context *cc) {
  cctx = cc;
  publisher = ctrl_start(cctx, "root-ca-cert-publisher", sync_namespace, NULL);
  ctrl_follow(publisher, "", "v1", "namespaces", on_namespace);
  ctrl_follow(publisher, "", "v1", "configmaps", on_configmap);
}

void root_ca_publisher_stop(void) {
  ctrl_stop(publisher);
  publisher = NULL;
}
